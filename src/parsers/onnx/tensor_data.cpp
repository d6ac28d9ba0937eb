// Parse-time tensor values: TensorProto decoding and Constant conversions.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "external_data.h"
#include "importer.h"

namespace kiln::onnx {

int64_t saturatingInt64(double d) {
    return std::isnan(d)                ? 0
           : d >= 9.2233720368547758e18 ? INT64_MAX
           : d < -9.2233720368547758e18 ? INT64_MIN
                                        : static_cast<int64_t>(d);
}

namespace {

// The value of one element of `type` (every kiln type) stored at `p`.
// Narrow floats are decoded from their layout (the parser sees only the
// public API, so it carries its own decoder).
double narrowFloatValue(uint32_t bits, int expBits, int manBits, int bias, bool ieee, bool fn, bool uz) {
    const uint32_t signBit = 1u << (expBits + manBits), manMask = (1u << manBits) - 1u, expMax = (1u << expBits) - 1u;
    const uint32_t exp = (bits >> manBits) & expMax, man = bits & manMask;
    const bool neg = (bits & signBit) != 0;
    if (ieee && exp == expMax) return man ? NAN : (neg ? -INFINITY : INFINITY);
    if (fn && exp == expMax && man == manMask) return NAN;
    if (uz && (bits & ((signBit << 1) - 1u)) == signBit) return NAN;
    const double v = exp == 0 ? std::ldexp(double(man), 1 - bias - manBits)
                              : std::ldexp(double(man | (1u << manBits)), int(exp) - bias - manBits);
    return neg ? -v : v;
}

template <typename T>
T loadAt(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

double elementAsDouble(DataType type, const uint8_t* p) {
    switch (type) {
        case DataType::kFLOAT:
            return loadAt<float>(p);
        case DataType::kDOUBLE:
            return loadAt<double>(p);
        case DataType::kHALF:
            return narrowFloatValue(loadAt<uint16_t>(p), 5, 10, 15, true, false, false);
        case DataType::kBF16:
            return narrowFloatValue(loadAt<uint16_t>(p), 8, 7, 127, true, false, false);
        case DataType::kFP8:
            return narrowFloatValue(*p, 4, 3, 7, false, true, false);
        case DataType::kFP8E5M2:
            return narrowFloatValue(*p, 5, 2, 15, true, false, false);
        case DataType::kFP8E4M3FNUZ:
            return narrowFloatValue(*p, 4, 3, 8, false, false, true);
        case DataType::kFP8E5M2FNUZ:
            return narrowFloatValue(*p, 5, 2, 16, false, false, true);
        case DataType::kFP4:
            return narrowFloatValue(*p & 0xfu, 2, 1, 1, false, false, false);
        case DataType::kE8M0:
            return *p == 0xff ? NAN : std::ldexp(1.0, int(*p) - 127);
        case DataType::kINT8:
            return static_cast<int8_t>(*p);
        case DataType::kUINT8:
            return *p;
        case DataType::kBOOL:
            return *p ? 1.0 : 0.0;
        case DataType::kINT16:
            return loadAt<int16_t>(p);
        case DataType::kUINT16:
            return loadAt<uint16_t>(p);
        case DataType::kINT32:
            return loadAt<int32_t>(p);
        case DataType::kUINT32:
            return loadAt<uint32_t>(p);
        case DataType::kINT64:
            return static_cast<double>(loadAt<int64_t>(p));
        case DataType::kUINT64:
            return static_cast<double>(loadAt<uint64_t>(p));
        case DataType::kINT4:
            return static_cast<int8_t>(static_cast<uint8_t>(*p << 4)) >> 4;
        case DataType::kUINT4:
            return *p & 0xf;
        case DataType::kINT2:
            return static_cast<int8_t>(static_cast<uint8_t>(*p << 6)) >> 6;
        case DataType::kUINT2:
            return *p & 0x3;
    }
    return 0.0;
}

// Bits per element of ONNX's packed sub-byte types; 0 for the others.
int packedBits(DataType t) {
    switch (t) {
        case DataType::kINT4:
        case DataType::kUINT4:
        case DataType::kFP4:
            return 4;
        case DataType::kINT2:
        case DataType::kUINT2:
            return 2;
        default:
            return 0;
    }
}

// Unpacks `count` elements of `bits` bits (first element in the low bits of
// the first byte, ONNX's order) to one byte each, sign-extending signed integers.
void unpackSubByte(const uint8_t* packed, int64_t count, DataType type, std::vector<uint8_t>& out) {
    const int bits = packedBits(type);
    const bool sign = type == DataType::kINT4 || type == DataType::kINT2;
    out.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
        const int64_t bit = i * bits;
        uint8_t v = static_cast<uint8_t>((packed[bit / 8] >> (bit % 8)) & ((1u << bits) - 1u));
        if (sign && (v >> (bits - 1))) v = static_cast<uint8_t>(v | (0xffu << bits));
        out[static_cast<size_t>(i)] = v;
    }
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
        case P::FLOAT:
            out = DataType::kFLOAT;
            return true;
        case P::FLOAT16:
            out = DataType::kHALF;
            return true;
        case P::BFLOAT16:
            out = DataType::kBF16;
            return true;
        case P::DOUBLE:
            out = DataType::kDOUBLE;
            return true;
        case P::INT8:
            out = DataType::kINT8;
            return true;
        case P::UINT8:
            out = DataType::kUINT8;
            return true;
        case P::INT16:
            out = DataType::kINT16;
            return true;
        case P::UINT16:
            out = DataType::kUINT16;
            return true;
        case P::INT32:
            out = DataType::kINT32;
            return true;
        case P::UINT32:
            out = DataType::kUINT32;
            return true;
        case P::INT64:
            out = DataType::kINT64;
            return true;
        case P::UINT64:
            out = DataType::kUINT64;
            return true;
        case P::BOOL:
            out = DataType::kBOOL;
            return true;
        case P::FLOAT8E4M3FN:
            out = DataType::kFP8;
            return true;
        case P::FLOAT8E4M3FNUZ:
            out = DataType::kFP8E4M3FNUZ;
            return true;
        case P::FLOAT8E5M2:
            out = DataType::kFP8E5M2;
            return true;
        case P::FLOAT8E5M2FNUZ:
            out = DataType::kFP8E5M2FNUZ;
            return true;
        case P::UINT4:
            out = DataType::kUINT4;
            return true;
        case P::INT4:
            out = DataType::kINT4;
            return true;
        case P::FLOAT4E2M1:
            out = DataType::kFP4;
            return true;
        case P::FLOAT8E8M0:
            out = DataType::kE8M0;
            return true;
        case P::UINT2:
            out = DataType::kUINT2;
            return true;
        case P::INT2:
            out = DataType::kINT2;
            return true;
        default:
            return false;  // STRING, COMPLEX64/128, UNDEFINED and unknown values
    }
}

int64_t Constant::count() const {
    const size_t s = dataTypeSize(type);
    return s ? static_cast<int64_t>(bytes.size() / s) : 0;
}

std::vector<float> Constant::toFloats() const {
    const std::vector<double> d = toDoubles();
    return std::vector<float>(d.begin(), d.end());
}

std::vector<double> Constant::toDoubles() const {
    const int64_t n = count();
    const size_t size = dataTypeSize(type);
    std::vector<double> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = elementAsDouble(type, bytes.data() + size * i);
    return v;
}

std::vector<int64_t> Constant::toInt64s() const {
    const int64_t n = count();
    const size_t size = dataTypeSize(type);
    std::vector<int64_t> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        const uint8_t* p = bytes.data() + size * i;
        if (type == DataType::kINT64 || type == DataType::kUINT64) {  // exact beyond 2^53
            std::memcpy(&v[static_cast<size_t>(i)], p, 8);
        } else {
            v[static_cast<size_t>(i)] = saturatingInt64(elementAsDouble(type, p));
        }
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
            error =
                "tensor '" + t.name() + "' uses external data: pass the model's path to parse() (or use parseFromFile)";
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
    if (!onnxTypeToKiln(t.data_type(), out.type)) {
        error = "tensor '" + t.name() + "' has unsupported data type " + std::to_string(t.data_type());
        return false;
    }
    const int bits = packedBits(out.type);
    if (t.has_raw_data() || t.data_location() == P::EXTERNAL) {
        const std::string& raw = t.data_location() == P::EXTERNAL ? external : t.raw_data();
        if (bits) {  // packed: ceil(count * bits / 8) bytes
            const int64_t need = (expected * bits + 7) / 8;
            if (static_cast<int64_t>(raw.size()) != need) {
                error = "tensor '" + t.name() + "' holds " + std::to_string(raw.size()) + " bytes of packed " +
                        std::to_string(bits) + "-bit data but its dims need " + std::to_string(need);
                return false;
            }
            unpackSubByte(reinterpret_cast<const uint8_t*>(raw.data()), expected, out.type, out.bytes);
        } else {
            out.bytes.assign(raw.begin(), raw.end());
        }
    } else if (out.type == DataType::kFLOAT) {
        for (float f : t.float_data()) appendAs(out.bytes, f);
    } else if (out.type == DataType::kDOUBLE) {
        for (double d : t.double_data()) appendAs(out.bytes, d);
    } else if (out.type == DataType::kINT64) {
        for (int64_t x : t.int64_data()) appendAs(out.bytes, x);
    } else if (out.type == DataType::kUINT64) {
        for (uint64_t x : t.uint64_data()) appendAs(out.bytes, x);
    } else if (out.type == DataType::kUINT32) {
        for (uint64_t x : t.uint64_data()) appendAs(out.bytes, static_cast<uint32_t>(x));
    } else if (bits) {
        // int32_data holds the packed bytes, one per entry.
        std::vector<uint8_t> packed;
        for (int32_t x : t.int32_data()) packed.push_back(static_cast<uint8_t>(x));
        const int64_t need = (expected * bits + 7) / 8;
        if (static_cast<int64_t>(packed.size()) != need) {
            error = "tensor '" + t.name() + "' holds " + std::to_string(packed.size()) +
                    " packed bytes but its dims need " + std::to_string(need);
            return false;
        }
        unpackSubByte(packed.data(), expected, out.type, out.bytes);
    } else {
        // int32_data carries every other type, one element per entry
        // (float16/bfloat16/float8 as their bit patterns).
        const size_t size = dataTypeSize(out.type);
        for (int32_t x : t.int32_data()) {
            if (size == 4)
                appendAs(out.bytes, x);
            else if (size == 2)
                appendAs(out.bytes, static_cast<uint16_t>(x));
            else
                appendAs(out.bytes, static_cast<uint8_t>(out.type == DataType::kBOOL ? x != 0 : x));
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
