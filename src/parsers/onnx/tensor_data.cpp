// Parse-time tensor values: TensorProto decoding and Constant conversions.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "external_data.h"
#include "importer.h"

namespace kiln::onnx {
namespace {

float halfToFloat(uint16_t h) {
    const uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    float v;
    if (exp == 0) v = static_cast<float>(mant) * (1.0f / 16777216.0f);  // subnormal: mant * 2^-24
    else if (exp == 31) v = mant ? NAN : INFINITY;
    else {
        uint32_t bits = ((exp + 112) << 23) | (mant << 13);
        std::memcpy(&v, &bits, 4);
    }
    return sign ? -v : v;
}

float bf16ToFloat(uint16_t b) {
    uint32_t bits = static_cast<uint32_t>(b) << 16;
    float v;
    std::memcpy(&v, &bits, 4);
    return v;
}

template <typename T>
void appendAs(std::vector<uint8_t>& bytes, T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    bytes.insert(bytes.end(), p, p + sizeof(T));
}

}  // namespace

bool onnxTypeToKiln(int32_t t, DataType& out) {
    using P = pb::TensorProto;
    switch (t) {
    case P::FLOAT: out = DataType::kFLOAT; return true;
    case P::FLOAT16: out = DataType::kHALF; return true;
    case P::BFLOAT16: out = DataType::kBF16; return true;
    case P::INT8: out = DataType::kINT8; return true;
    case P::UINT8: out = DataType::kUINT8; return true;
    case P::INT32: out = DataType::kINT32; return true;
    case P::INT64: out = DataType::kINT64; return true;
    case P::BOOL: out = DataType::kBOOL; return true;
    case P::FLOAT8E4M3FN: out = DataType::kFP8; return true;
    default: return false;
    }
}

int64_t Constant::count() const {
    const size_t s = dataTypeSize(type);
    return s ? static_cast<int64_t>(bytes.size() / s) : 0;
}

std::vector<float> Constant::toFloats() const {
    const int64_t n = count();
    std::vector<float> v(static_cast<size_t>(n));
    const uint8_t* p = bytes.data();
    for (int64_t i = 0; i < n; ++i) {
        switch (type) {
        case DataType::kFLOAT: std::memcpy(&v[i], p + 4 * i, 4); break;
        case DataType::kHALF: { uint16_t h; std::memcpy(&h, p + 2 * i, 2); v[i] = halfToFloat(h); break; }
        case DataType::kBF16: { uint16_t h; std::memcpy(&h, p + 2 * i, 2); v[i] = bf16ToFloat(h); break; }
        case DataType::kINT32: { int32_t x; std::memcpy(&x, p + 4 * i, 4); v[i] = float(x); break; }
        case DataType::kINT64: { int64_t x; std::memcpy(&x, p + 8 * i, 8); v[i] = float(x); break; }
        case DataType::kINT8: v[i] = float(static_cast<int8_t>(p[i])); break;
        default: v[i] = float(p[i]); break;  // uint8, bool (fp8 is not read at parse time)
        }
    }
    return v;
}

std::vector<int64_t> Constant::toInt64s() const {
    if (type == DataType::kFLOAT || type == DataType::kHALF || type == DataType::kBF16) {
        std::vector<int64_t> r;
        for (float f : toFloats()) r.push_back(static_cast<int64_t>(f));
        return r;
    }
    const int64_t n = count();
    std::vector<int64_t> v(static_cast<size_t>(n));
    const uint8_t* p = bytes.data();
    for (int64_t i = 0; i < n; ++i) {
        if (type == DataType::kINT64) std::memcpy(&v[i], p + 8 * i, 8);
        else if (type == DataType::kINT32) { int32_t x; std::memcpy(&x, p + 4 * i, 4); v[i] = x; }
        else if (type == DataType::kINT8) v[i] = static_cast<int8_t>(p[i]);
        else v[i] = p[i];
    }
    return v;
}

Constant Constant::fromFloats(std::vector<int64_t> dims, const std::vector<float>& v) {
    Constant c;
    c.type = DataType::kFLOAT;
    c.dims = std::move(dims);
    for (float f : v) appendAs(c.bytes, f);
    return c;
}

Constant Constant::fromInt64s(std::vector<int64_t> dims, const std::vector<int64_t>& v) {
    Constant c;
    c.type = DataType::kINT64;
    c.dims = std::move(dims);
    for (int64_t x : v) appendAs(c.bytes, x);
    return c;
}

bool tensorProtoToConstant(const pb::TensorProto& t, Constant& out, std::string& error, const char* modelDir) {
    using P = pb::TensorProto;
    std::string external;
    if (t.data_location() == P::EXTERNAL) {
        if (!modelDir) {
            error = "tensor '" + t.name() + "' uses external data: pass the model's path to parse() (or use parseFromFile)";
            return false;
        }
        if (!readExternalData(t, modelDir, external, error)) return false;  // external_data.cpp
    }
    if (t.has_segment()) {
        error = "tensor '" + t.name() + "' is segmented; segments are not supported";
        return false;
    }
    out.dims.assign(t.dims().begin(), t.dims().end());
    int64_t expected = 1;
    for (int64_t d : out.dims) {
        if (d < 0) { error = "tensor '" + t.name() + "' has a negative dimension"; return false; }
        if (d > 0 && expected > (INT64_MAX / 16) / d) {  // 16: room for the widest element's byte count
            error = "tensor '" + t.name() + "' has dims whose element count overflows";
            return false;
        }
        expected *= d;
    }
    out.bytes.clear();
    const bool isDouble = t.data_type() == P::DOUBLE;
    if (isDouble) out.type = DataType::kFLOAT;  // double is narrowed: kiln has no float64 tensors
    else if (!onnxTypeToKiln(t.data_type(), out.type)) {
        error = "tensor '" + t.name() + "' has unsupported data type " + std::to_string(t.data_type());
        return false;
    }
    if (t.has_raw_data() || t.data_location() == P::EXTERNAL) {
        const std::string& raw = t.data_location() == P::EXTERNAL ? external : t.raw_data();
        if (isDouble) {
            for (size_t i = 0; i + 8 <= raw.size(); i += 8) {
                double d;
                std::memcpy(&d, raw.data() + i, 8);
                appendAs(out.bytes, static_cast<float>(d));
            }
        } else {
            out.bytes.assign(raw.begin(), raw.end());
        }
    } else if (isDouble) {
        for (double d : t.double_data()) appendAs(out.bytes, static_cast<float>(d));
    } else if (out.type == DataType::kFLOAT) {
        for (float f : t.float_data()) appendAs(out.bytes, f);
    } else if (out.type == DataType::kINT64) {
        for (int64_t x : t.int64_data()) appendAs(out.bytes, x);
    } else {
        // int32_data carries every narrower type, one element per entry
        // (float16/bfloat16 as their bit patterns).
        const size_t size = dataTypeSize(out.type);
        for (int32_t x : t.int32_data()) {
            if (size == 4) appendAs(out.bytes, x);
            else if (size == 2) appendAs(out.bytes, static_cast<uint16_t>(x));
            else appendAs(out.bytes, static_cast<uint8_t>(x));
        }
    }
    if (out.count() != expected) {
        error = "tensor '" + t.name() + "' holds " + std::to_string(out.count()) + " values but its dims need " +
                std::to_string(expected);
        return false;
    }
    return true;
}

}  // namespace kiln::onnx
