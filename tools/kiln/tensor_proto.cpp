// ONNX TensorProto (.pb) reader and writer, decoding the protobuf wire format by
// hand so the tool needs no protobuf runtime.
//
// The reader never trusts a declared size: repeated values are only stored as
// they are actually decoded, and the dims are checked against the data present
// before any tensor-sized buffer is allocated.
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "proto_wire.h"
#include "tensor_file.h"

namespace kiln::tool {
namespace {

using namespace wire;

// TensorProto field numbers (onnx.proto).
enum Field : uint32_t {
    kDims = 1,
    kDataType = 2,
    kSegment = 3,
    kFloatData = 4,
    kInt32Data = 5,
    kStringData = 6,
    kInt64Data = 7,
    kName = 8,
    kRawData = 9,
    kDoubleData = 10,
    kUint64Data = 11,
    kDataLocation = 14,
};

// TensorProto.DataType values.
enum OnnxType : int {
    kFloat = 1,
    kUint8 = 2,
    kInt8 = 3,
    kUint16 = 4,
    kInt16 = 5,
    kInt32 = 6,
    kInt64 = 7,
    kString = 8,
    kBool = 9,
    kFloat16 = 10,
    kDouble = 11,
    kUint32 = 12,
    kUint64 = 13,
    kBfloat16 = 16,
    kFloat8E4M3FN = 17,
    kFloat8E4M3FNUZ = 18,
    kFloat8E5M2 = 19,
    kFloat8E5M2FNUZ = 20,
    kUint4 = 21,
    kInt4 = 22,
    kFloat4E2M1 = 23,
    kFloat8E8M0 = 24,
    kUint2 = 25,
    kInt2 = 26,
};

constexpr int kExternalLocation = 1;

const char* onnxTypeName(int64_t t) {
    static constexpr const char* kNames[] = {
        "UNDEFINED", "FLOAT",      "UINT8",      "INT8",         "UINT16",         "INT16",      "INT32",
        "INT64",     "STRING",     "BOOL",       "FLOAT16",      "DOUBLE",         "UINT32",     "UINT64",
        "COMPLEX64", "COMPLEX128", "BFLOAT16",   "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ",
        "UINT4",     "INT4",       "FLOAT4E2M1", "FLOAT8E8M0",   "UINT2",          "INT2",
    };
    return t >= 0 && t < static_cast<int64_t>(std::size(kNames)) ? kNames[t] : "unknown";
}

std::optional<ElemType> elemTypeFor(int64_t t) {
    switch (t) {
        case kFloat:
            return ElemType::kF32;
        case kUint8:
            return ElemType::kU8;
        case kInt8:
            return ElemType::kI8;
        case kUint16:
            return ElemType::kU16;
        case kInt16:
            return ElemType::kI16;
        case kInt32:
            return ElemType::kI32;
        case kInt64:
            return ElemType::kI64;
        case kBool:
            return ElemType::kBool;
        case kFloat16:
            return ElemType::kF16;
        case kDouble:
            return ElemType::kF64;
        case kUint32:
            return ElemType::kU32;
        case kUint64:
            return ElemType::kU64;
        case kBfloat16:
            return ElemType::kBF16;
        case kFloat8E4M3FN:
            return ElemType::kF8E4M3FN;
        case kFloat8E4M3FNUZ:
            return ElemType::kF8E4M3FNUZ;
        case kFloat8E5M2:
            return ElemType::kF8E5M2;
        case kFloat8E5M2FNUZ:
            return ElemType::kF8E5M2FNUZ;
        case kFloat8E8M0:
            return ElemType::kF8E8M0;
        case kFloat4E2M1:
            return ElemType::kF4E2M1;
        case kInt4:
            return ElemType::kI4;
        case kUint4:
            return ElemType::kU4;
        case kInt2:
            return ElemType::kI2;
        case kUint2:
            return ElemType::kU2;
        default:
            return std::nullopt;
    }
}

int onnxTypeFor(ElemType t) {
    switch (t) {
        case ElemType::kF32:
            return kFloat;
        case ElemType::kF16:
            return kFloat16;
        case ElemType::kBF16:
            return kBfloat16;
        case ElemType::kF64:
            return kDouble;
        case ElemType::kI8:
            return kInt8;
        case ElemType::kU8:
            return kUint8;
        case ElemType::kI16:
            return kInt16;
        case ElemType::kU16:
            return kUint16;
        case ElemType::kI32:
            return kInt32;
        case ElemType::kU32:
            return kUint32;
        case ElemType::kI64:
            return kInt64;
        case ElemType::kU64:
            return kUint64;
        case ElemType::kBool:
            return kBool;
        case ElemType::kF8E4M3FN:
            return kFloat8E4M3FN;
        case ElemType::kF8E4M3FNUZ:
            return kFloat8E4M3FNUZ;
        case ElemType::kF8E5M2:
            return kFloat8E5M2;
        case ElemType::kF8E5M2FNUZ:
            return kFloat8E5M2FNUZ;
        case ElemType::kF8E8M0:
            return kFloat8E8M0;
        case ElemType::kF4E2M1:
            return kFloat4E2M1;
        case ElemType::kI4:
            return kInt4;
        case ElemType::kU4:
            return kUint4;
        case ElemType::kI2:
            return kInt2;
        case ElemType::kU2:
            return kUint2;
    }
    return 0;
}

// Everything decoded from the message, before it is checked and assembled.
struct ParsedProto {
    std::vector<int64_t> dims;
    int64_t dataType = 0;
    int64_t dataLocation = 0;
    std::string name;
    bool hasRaw = false;
    size_t rawBegin = 0, rawLen = 0;
    std::vector<uint32_t> floatData;  // bit patterns
    std::vector<int32_t> int32Data;
    std::vector<int64_t> int64Data;
    std::vector<uint64_t> doubleData;  // bit patterns
    std::vector<uint64_t> uint64Data;
};

std::string wrongWire(const char* fieldName, uint32_t wire, size_t at) {
    return std::string("field ") + fieldName + " has wire type " + std::to_string(wire) + " at byte " +
           std::to_string(at);
}

// Reads one repeated scalar field, packed (wire type 2) or not (`plain` wire type).
// `store` takes each value as a uint64 (zero-extended fixed or raw varint).
template <typename Store>
bool repeated(WireReader& r, const uint8_t* base, uint32_t wire, uint32_t plain, size_t tagPos, const char* fieldName,
              Store store, std::string& error) {
    const size_t width = plain == kFixed32 ? 4 : plain == kFixed64 ? 8 : 0;
    auto one = [&](WireReader& from) {
        uint64_t v;
        if (!(width ? from.fixed(width, v, error) : from.varint(v, error))) return false;
        store(v);
        return true;
    };
    if (wire == plain) return one(r);
    if (wire != kLen) {
        error = wrongWire(fieldName, wire, tagPos);
        return false;
    }
    size_t begin, len;
    if (!r.lengthDelimited(begin, len, error)) return false;
    if (width && len % width != 0) {
        error = std::string("packed ") + fieldName + " at byte " + std::to_string(tagPos) + " holds " +
                std::to_string(len) + " bytes, not a multiple of " + std::to_string(width);
        return false;
    }
    WireReader packed(base, begin, begin + len);
    while (!packed.done())
        if (!one(packed)) return false;
    return true;
}

bool parseFields(const uint8_t* data, size_t size, ParsedProto& p, std::string& error) {
    WireReader r(data, 0, size);
    while (!r.done()) {
        const size_t tagPos = r.pos();
        uint32_t field, wire;
        if (!r.tag(field, wire, error)) return false;
        bool ok = true;
        uint64_t v = 0;
        size_t begin = 0, len = 0;
        switch (field) {
            case kDims:
                ok = repeated(
                    r, data, wire, kVarint, tagPos, "dims",
                    [&](uint64_t x) { p.dims.push_back(static_cast<int64_t>(x)); }, error);
                break;
            case kDataType:
            case kDataLocation:
                if (wire != kVarint) {
                    error = wrongWire(field == kDataType ? "data_type" : "data_location", wire, tagPos);
                    return false;
                }
                ok = r.varint(v, error);
                // int32 enums: negative values arrive sign-extended to 64 bits.
                (field == kDataType ? p.dataType : p.dataLocation) = static_cast<int32_t>(v);
                break;
            case kFloatData:
                ok = repeated(
                    r, data, wire, kFixed32, tagPos, "float_data",
                    [&](uint64_t x) { p.floatData.push_back(static_cast<uint32_t>(x)); }, error);
                break;
            case kInt32Data:
                ok = repeated(
                    r, data, wire, kVarint, tagPos, "int32_data",
                    [&](uint64_t x) { p.int32Data.push_back(static_cast<int32_t>(x)); }, error);
                break;
            case kStringData:
                error = "string tensors are not supported";
                return false;
            case kInt64Data:
                ok = repeated(
                    r, data, wire, kVarint, tagPos, "int64_data",
                    [&](uint64_t x) { p.int64Data.push_back(static_cast<int64_t>(x)); }, error);
                break;
            case kDoubleData:
                ok = repeated(
                    r, data, wire, kFixed64, tagPos, "double_data", [&](uint64_t x) { p.doubleData.push_back(x); },
                    error);
                break;
            case kUint64Data:
                ok = repeated(
                    r, data, wire, kVarint, tagPos, "uint64_data", [&](uint64_t x) { p.uint64Data.push_back(x); },
                    error);
                break;
            case kName:
            case kRawData:
                if (wire != kLen) {
                    error = wrongWire(field == kName ? "name" : "raw_data", wire, tagPos);
                    return false;
                }
                ok = r.lengthDelimited(begin, len, error);
                if (ok && field == kName) p.name.assign(reinterpret_cast<const char*>(data + begin), len);
                if (ok && field == kRawData) {
                    p.hasRaw = true;  // like protobuf, the last occurrence wins
                    p.rawBegin = begin;
                    p.rawLen = len;
                }
                break;
            default:  // segment, doc_string, external_data, metadata and anything newer
                ok = r.skip(field, wire, tagPos, error);
                break;
        }
        if (!ok) return false;
    }
    return true;
}

std::string dimsText(const std::vector<int64_t>& dims) {
    std::string s = "[";
    for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + "]";
}

template <typename T>
void storeAt(std::vector<uint8_t>& bytes, size_t i, T v) {
    std::memcpy(bytes.data() + i * sizeof(T), &v, sizeof(T));
}

// Converts int32_data into the element type it carries (ONNX stores every
// narrow integer, bool, float16 and bfloat16 there, one value per int32).
bool fromInt32Data(const std::vector<int32_t>& src, ElemType type, std::vector<uint8_t>& bytes, std::string& error) {
    int64_t lo = INT32_MIN, hi = INT32_MAX;
    switch (type) {
        case ElemType::kI8:
            lo = -128, hi = 127;
            break;
        case ElemType::kU8:
        case ElemType::kF8E4M3FN:
        case ElemType::kF8E4M3FNUZ:
        case ElemType::kF8E5M2:
        case ElemType::kF8E5M2FNUZ:
        case ElemType::kF8E8M0:
            lo = 0, hi = 255;
            break;  // float8: the 8-bit codes
        case ElemType::kI16:
            lo = -32768, hi = 32767;
            break;
        case ElemType::kU16:
            lo = 0, hi = 65535;
            break;
        case ElemType::kF16:
        case ElemType::kBF16:
            lo = -32768, hi = 65535;
            break;  // bit patterns, either signedness
        default:
            break;
    }
    for (size_t i = 0; i < src.size(); ++i) {
        const int32_t v = src[i];
        if (v < lo || v > hi) {
            error = "int32_data value " + std::to_string(v) + " at index " + std::to_string(i) + " does not fit " +
                    elemTypeName(type);
            return false;
        }
        switch (type) {
            case ElemType::kI8:
            case ElemType::kU8:
            case ElemType::kF8E4M3FN:
            case ElemType::kF8E4M3FNUZ:
            case ElemType::kF8E5M2:
            case ElemType::kF8E5M2FNUZ:
            case ElemType::kF8E8M0:
                bytes[i] = static_cast<uint8_t>(v);
                break;
            case ElemType::kBool:
                bytes[i] = v != 0;
                break;
            case ElemType::kI16:
            case ElemType::kU16:
            case ElemType::kF16:
            case ElemType::kBF16:
                storeAt(bytes, i, static_cast<uint16_t>(v));
                break;
            default:
                storeAt(bytes, i, v);
                break;
        }
    }
    return true;
}

// Unpacks `count` elements of ONNX's packed sub-byte layout (element i in
// bits [i*b, i*b+b) of the byte stream, low bits first) to one byte each,
// sign-extending the signed integer types.
std::vector<uint8_t> unpackSubByte(const uint8_t* packed, size_t count, ElemType type) {
    const int bits = packedBits(type);
    const bool sign = type == ElemType::kI4 || type == ElemType::kI2;
    std::vector<uint8_t> out(count);
    for (size_t i = 0; i < count; ++i) {
        const size_t bit = i * static_cast<size_t>(bits);
        uint8_t v = static_cast<uint8_t>((packed[bit / 8] >> (bit % 8)) & ((1u << bits) - 1u));
        if (sign && (v >> (bits - 1))) v = static_cast<uint8_t>(v | (0xffu << bits));
        out[i] = v;
    }
    return out;
}

// The reverse: the low `bits` of each element, packed.
std::vector<uint8_t> packSubByte(const std::vector<uint8_t>& elems, ElemType type) {
    const size_t bits = static_cast<size_t>(packedBits(type));
    std::vector<uint8_t> out((elems.size() * bits + 7) / 8, 0);
    for (size_t i = 0; i < elems.size(); ++i) {
        const size_t bit = i * bits;
        out[bit / 8] = static_cast<uint8_t>(out[bit / 8] | ((elems[i] & ((1u << bits) - 1u)) << (bit % 8)));
    }
    return out;
}

bool assemble(const uint8_t* data, const ParsedProto& p, TensorData& out, std::string& error) {
    if (p.dataLocation == kExternalLocation) {
        error = "tensor data is stored in an external file (data_location=EXTERNAL), which is not supported";
        return false;
    }
    if (p.dataType == kString) {
        error = "string tensors are not supported";
        return false;
    }
    const std::optional<ElemType> type = elemTypeFor(p.dataType);
    if (!type) {
        error = "unsupported data_type " + std::to_string(p.dataType) + " (" + onnxTypeName(p.dataType) + ")";
        return false;
    }
    size_t count = 0;
    if (!elementCount(p.dims, count)) {
        error = "dims " + dimsText(p.dims) + " are negative or overflow";
        return false;
    }
    const size_t es = elemSize(*type);

    // Which typed field ONNX uses for this data_type, and how many values each field holds.
    struct Source {
        const char* name;
        size_t size;
    };
    const Source sources[] = {
        {"float_data", p.floatData.size()},   {"int32_data", p.int32Data.size()},   {"int64_data", p.int64Data.size()},
        {"double_data", p.doubleData.size()}, {"uint64_data", p.uint64Data.size()},
    };
    const char* expected = "int32_data";
    switch (*type) {
        case ElemType::kF32:
            expected = "float_data";
            break;
        case ElemType::kI64:
            expected = "int64_data";
            break;
        case ElemType::kF64:
            expected = "double_data";
            break;
        case ElemType::kU32:
        case ElemType::kU64:
            expected = "uint64_data";
            break;
        default:
            break;
    }
    for (const Source& s : sources) {
        if (s.size == 0) continue;
        if (p.hasRaw) {
            error = std::string("tensor has both raw_data and ") + s.name;
            return false;
        }
        if (std::strcmp(s.name, expected) != 0) {
            error = std::string("data_type is ") + onnxTypeName(p.dataType) + " but the values are in " + s.name;
            return false;
        }
    }

    TensorData t;
    t.type = *type;
    t.shape = p.dims;
    t.name = p.name;
    if (const int bits = packedBits(t.type)) {
        // Packed: raw_data, or int32_data holding one packed byte per entry.
        const size_t need = (count * static_cast<size_t>(bits) + 7) / 8;
        std::vector<uint8_t> packed;
        if (p.hasRaw) {
            packed.assign(data + p.rawBegin, data + p.rawBegin + p.rawLen);
        } else {
            for (size_t i = 0; i < p.int32Data.size(); ++i) {
                if (p.int32Data[i] < 0 || p.int32Data[i] > 255) {
                    error = "int32_data value " + std::to_string(p.int32Data[i]) + " at index " + std::to_string(i) +
                            " is not a packed byte";
                    return false;
                }
                packed.push_back(static_cast<uint8_t>(p.int32Data[i]));
            }
        }
        if (packed.size() != need) {
            error = "dims " + dimsText(p.dims) + " say " + std::to_string(count) + " " + std::to_string(bits) +
                    "-bit elements (" + std::to_string(need) + " packed bytes) but the tensor holds " +
                    std::to_string(packed.size());
            return false;
        }
        t.bytes = unpackSubByte(packed.data(), count, t.type);
        out = std::move(t);
        return true;
    }
    if (p.hasRaw) {
        if (p.rawLen != count * es) {
            error = "dims " + dimsText(p.dims) + " say " + std::to_string(count) + " elements (" +
                    std::to_string(count * es) + " bytes) but raw_data holds " + std::to_string(p.rawLen) + " bytes";
            return false;
        }
        t.bytes.assign(data + p.rawBegin, data + p.rawBegin + p.rawLen);
        if (t.type == ElemType::kBool)
            for (uint8_t& b : t.bytes) b = b != 0;
        out = std::move(t);
        return true;
    }

    size_t present = 0;
    for (const Source& s : sources) present += s.size;
    if (present != count) {
        error = "dims " + dimsText(p.dims) + " say " + std::to_string(count) + " elements but " +
                (present == 0 ? std::string("the tensor has no data")
                              : std::string(expected) + " holds " + std::to_string(present) + " values");
        return false;
    }
    // `count` values were really decoded, so this allocation is bounded by the input size.
    t.bytes.resize(count * es);
    switch (t.type) {
        case ElemType::kF32:
            for (size_t i = 0; i < count; ++i) storeAt(t.bytes, i, p.floatData[i]);
            break;
        case ElemType::kI64:
            for (size_t i = 0; i < count; ++i) storeAt(t.bytes, i, p.int64Data[i]);
            break;
        case ElemType::kF64:
            for (size_t i = 0; i < count; ++i) storeAt(t.bytes, i, p.doubleData[i]);
            break;
        case ElemType::kU64:
            for (size_t i = 0; i < count; ++i) storeAt(t.bytes, i, p.uint64Data[i]);
            break;
        case ElemType::kU32:
            for (size_t i = 0; i < count; ++i) {
                if (p.uint64Data[i] > UINT32_MAX) {
                    error = "uint64_data value " + std::to_string(p.uint64Data[i]) + " at index " + std::to_string(i) +
                            " does not fit u32";
                    return false;
                }
                storeAt(t.bytes, i, static_cast<uint32_t>(p.uint64Data[i]));
            }
            break;
        default:
            if (!fromInt32Data(p.int32Data, t.type, t.bytes, error)) return false;
            break;
    }
    out = std::move(t);
    return true;
}

}  // namespace

bool readTensorProto(const uint8_t* data, size_t size, TensorData& out, std::string& error) {
    try {
        if (!data && size) {
            error = "null buffer";
            return false;
        }
        ParsedProto parsed;
        return parseFields(data, size, parsed, error) && assemble(data, parsed, out, error);
    } catch (const std::exception& e) {
        error = std::string("TensorProto: ") + e.what();
        return false;
    }
}

bool encodeTensorProto(const TensorData& t, std::vector<uint8_t>& out, std::string& error) {
    try {
        size_t count = 0;
        if (!elementCount(t.shape, count)) {
            error = "shape has a negative dim or overflows";
            return false;
        }
        if (t.bytes.size() != count * elemSize(t.type)) {
            error = "tensor holds " + std::to_string(t.bytes.size()) + " bytes but its shape needs " +
                    std::to_string(count * elemSize(t.type));
            return false;
        }
        out.clear();
        out.reserve(t.bytes.size() + t.name.size() + 16 * t.shape.size() + 32);
        for (int64_t d : t.shape) {  // unpacked, as onnx.proto (proto2) serialises dims
            putTag(out, kDims, kVarint);
            putVarint(out, static_cast<uint64_t>(d));
        }
        putTag(out, kDataType, kVarint);
        putVarint(out, static_cast<uint64_t>(onnxTypeFor(t.type)));
        if (!t.name.empty()) {
            putTag(out, kName, kLen);
            putVarint(out, t.name.size());
            out.insert(out.end(), t.name.begin(), t.name.end());
        }
        const std::vector<uint8_t> packed = packedBits(t.type) ? packSubByte(t.bytes, t.type) : std::vector<uint8_t>{};
        const std::vector<uint8_t>& raw = packedBits(t.type) ? packed : t.bytes;
        putTag(out, kRawData, kLen);
        putVarint(out, raw.size());
        out.insert(out.end(), raw.begin(), raw.end());
        return true;
    } catch (const std::exception& e) {
        error = std::string("TensorProto: ") + e.what();
        return false;
    }
}

}  // namespace kiln::tool
