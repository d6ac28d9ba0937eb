// Element types of IR values. The numeric values match kiln::DataType in the
// public API (and TensorRT's nvinfer1::DataType) so conversion is a cast.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kiln::ir {

enum class DType : uint8_t {
    kF32 = 0,
    kF16 = 1,
    kI8 = 2,
    kI32 = 3,
    kBool = 4,
    kU8 = 5,
    kFP8 = 6,  // E4M3
    kBF16 = 7,
    kI64 = 8,
    kF64 = 9,  // internal only: folding and reference arithmetic
};
constexpr int kNumDTypes = 10;

size_t dtypeSize(DType t);
std::string_view dtypeName(DType t);
bool dtypeIsFloat(DType t);    // F32, F16, BF16, FP8, F64
bool dtypeIsInteger(DType t);  // I8, U8, I32, I64
bool dtypeValid(int raw);

// Scalar conversions for the reduced-precision types (round to nearest even).
uint16_t floatToHalf(float f);
float halfToFloat(uint16_t h);
uint16_t floatToBF16(float f);
float bf16ToFloat(uint16_t b);
uint8_t floatToFP8E4M3(float f);
float fp8E4M3ToFloat(uint8_t v);

// Reads element i of a buffer of type t as double / writes it from double.
double loadAsDouble(const void* data, DType t, int64_t i);
void storeFromDouble(void* data, DType t, int64_t i, double v);

}  // namespace kiln::ir
