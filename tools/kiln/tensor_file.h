// Tensor files for the kiln command-line tool: NumPy .npy and ONNX TensorProto .pb.
//
// Self-contained: no protobuf, no kiln internals. Readers treat their input as
// hostile: every length is bounds-checked, nothing is allocated beyond the bytes
// really present, and failures return false with a message naming the problem.
// No exception escapes these functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kiln::tool {

// Element types: every ONNX TensorProto type but strings and complex numbers.
// The float8 types (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ, E8M0) hold their 8-bit
// code; the sub-byte types (int4, uint4, int2, uint2, fp4 E2M1) take one byte
// per element, unpacked: integers sign- or zero-extended, fp4 as its 4-bit code.
enum class ElemType {
    kF32, kF16, kBF16, kF64, kI8, kU8, kI16, kU16, kI32, kU32, kI64, kU64, kBool,
    kF8E4M3FN, kF8E4M3FNUZ, kF8E5M2, kF8E5M2FNUZ, kF8E8M0, kF4E2M1, kI4, kU4, kI2, kU2,
};

// A dense tensor in C (row-major) order. `bytes` holds elemSize(type) * numElements
// bytes in little-endian order; booleans are one byte each, 0 or 1; sub-byte
// types one byte each (see ElemType).
struct TensorData {
    ElemType type = ElemType::kF32;
    std::vector<int64_t> shape;  // empty: a scalar (one element)
    std::vector<uint8_t> bytes;
    std::string name;            // from a .pb file, if it carried one
};

// Reads a .npy or .pb file, chosen by extension; any other extension sniffs the
// .npy magic and otherwise tries TensorProto. Errors are prefixed with the path.
bool readTensorFile(const std::string& path, TensorData& out, std::string& error);

bool readNpy(const uint8_t* data, size_t size, TensorData& out, std::string& error);
bool readTensorProto(const uint8_t* data, size_t size, TensorData& out, std::string& error);

// writeNpy refuses kBF16, the float8 and the sub-byte types (.npy has no such
// dtypes). writeTensorProto writes dims, data_type, name (if non-empty) and
// raw_data (sub-byte types packed two or four to a byte, as ONNX stores them).
bool writeNpy(const std::string& path, const TensorData& t, std::string& error);
bool writeTensorProto(const std::string& path, const TensorData& t, std::string& error);

// The in-memory encodings behind the two writers.
bool encodeNpy(const TensorData& t, std::vector<uint8_t>& out, std::string& error);
bool encodeTensorProto(const TensorData& t, std::vector<uint8_t>& out, std::string& error);

// Every element widened to double (for comparisons). Empty if `bytes` is short.
std::vector<double> toDoubles(const TensorData& t);

size_t elemSize(ElemType type);          // bytes per element in TensorData (1 for sub-byte types)
int packedBits(ElemType type);           // bits per element in ONNX's packed layout: 4, 2, or 0 if not packed
const char* elemTypeName(ElemType type);  // "f32", "f16", ... "bool", "f8e4m3fn", "i4", ...

// Element count implied by `shape`; false on a negative dim or on overflow.
bool elementCount(const std::vector<int64_t>& shape, size_t& count);

}  // namespace kiln::tool
