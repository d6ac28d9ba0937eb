// Element types of IR values. The numeric values match kiln::DataType in the
// public API (and, for 0..11, TensorRT's nvinfer1::DataType) so conversion is a
// cast.
//
// Sub-byte types (int4, uint4, int2, uint2, fp4 e2m1) are stored one element per
// byte everywhere inside kiln and at the API: integers as the sign- or
// zero-extended value, fp4 as its 4-bit code in the low bits. Readers look only
// at the low bits (so any byte is a valid element); writers store canonical
// bytes. ONNX's packed layout exists only in files and is converted by the
// readers (parser, tools).
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
    kFP8 = 6,  // float8 E4M3FN (OCP): bias 7, no inf, NaN = S.1111.111, max 448
    kBF16 = 7,
    kI64 = 8,
    kI4 = 9,     // int4 in one byte, [-8, 7]
    kFP4 = 10,   // float4 E2M1 (OCP MX): bias 1, no inf/NaN, max 6; the code in the low 4 bits
    kE8M0 = 11,  // float8 E8M0 (OCP MX scale): 2^(code-127), 0xFF = NaN, no zero, no sign
    // kiln-only types (not in TensorRT) from here on.
    kF64 = 12,
    kI16 = 13,
    kU16 = 14,
    kU32 = 15,
    kU64 = 16,
    kFP8E5M2 = 17,      // float8 E5M2 (OCP): IEEE-like, bias 15, inf and NaN, max 57344
    kFP8E4M3FNUZ = 18,  // float8 E4M3FNUZ: bias 8, no inf, no -0, NaN = 0x80, max 240
    kFP8E5M2FNUZ = 19,  // float8 E5M2FNUZ: bias 16, no inf, no -0, NaN = 0x80, max 57344
    kU4 = 20,           // uint4 in one byte, [0, 15]
    kI2 = 21,           // int2 in one byte, [-2, 1]
    kU2 = 22,           // uint2 in one byte, [0, 3]
};
constexpr int kNumDTypes = 23;

size_t dtypeSize(DType t);  // bytes per element as stored (1 for sub-byte types)
int dtypeBits(DType t);     // significant bits per element (4 for int4, 1 for bool)
std::string_view dtypeName(DType t);
bool dtypeValid(int raw);
bool dtypeIsFloat(DType t);    // every floating type, the 8- and 4-bit ones and e8m0 included
bool dtypeIsInteger(DType t);  // every integer type, sub-byte ones included (not bool)
bool dtypeIsSigned(DType t);   // signed integers and floats
bool dtypeIsSubByte(DType t);  // int4, uint4, int2, uint2, fp4
// Types the general compute kernels (ElementWise, Unary, Reduce, MatMul, ...)
// work in: float32/16, bfloat16, float64 and the 8..64-bit integers. The 8-bit
// and smaller floats, e8m0 and the sub-byte integers are storage types: they
// appear in Cast, Quantize/Dequantize and the data-movement ops.
bool dtypeIsArithmetic(DType t);
// dtypeIsArithmetic and an integer / a float.
bool dtypeIsArithmeticInteger(DType t);
bool dtypeIsArithmeticFloat(DType t);

// ---- scalar conversions ----

// Half and bfloat16 from float: round to nearest even, overflow to infinity.
uint16_t floatToHalf(float f);
float halfToFloat(uint16_t h);
uint16_t floatToBF16(float f);
float bf16ToFloat(uint16_t b);

// Any IEEE-style narrow float of `t` (kF16, kBF16, the four float8 types,
// kFP4) from double, rounded once to nearest even. Out of range: with
// `saturate`, the largest finite value of the sign (as ONNX Cast does for
// float8); without it infinity where the type has one, else NaN (fp4 has
// neither and always saturates). NaN gives the type's NaN (fp4: -0, as ONNX's
// reference). Types without -0 (FNUZ) turn -0 and tiny negatives into +0.
// Returns the code in the low bits.
uint32_t encodeNarrowFloat(DType t, double v, bool saturate);
// The value of code `bits` of narrow float type `t` (kF16, kBF16, float8s, kFP4, kE8M0).
double decodeNarrowFloat(DType t, uint32_t bits);

// float8 E4M3FN, saturating (kept for existing callers).
uint8_t floatToFP8E4M3(float f);
float fp8E4M3ToFloat(uint8_t v);

// E8M0 (a power of two) from double. Rounding of a value between two powers
// of two: kUp to the larger, kDown to the smaller, kNearest to the nearer (a
// tie goes up). Negative values use their magnitude (ONNX leaves them
// undefined). Zero, values below 2^-127 and above 2^127 give 2^-127 / 2^127
// when saturating, NaN (0xFF) otherwise; NaN gives NaN.
enum class E8M0Rounding : uint8_t { kUp, kDown, kNearest };
uint8_t encodeE8M0(double v, bool saturate, E8M0Rounding mode);

// Sub-byte integers: the value held in the low `bits` of a byte.
inline int8_t signExtendLowBits(uint8_t byte, int bits) {
    const int shift = 8 - bits;
    return int8_t(int8_t(uint8_t(byte << shift)) >> shift);
}
inline uint8_t zeroExtendLowBits(uint8_t byte, int bits) { return uint8_t(byte & ((1u << bits) - 1u)); }

// Reads element i of a buffer of type t as double / writes it from double.
// storeFromDouble rounds floats to nearest even (float8 saturating), and
// truncates toward zero and saturates for integers (NaN -> 0): the rule for a
// computed value landing in a narrower type. Cast has ONNX's own rules.
double loadAsDouble(const void* data, DType t, int64_t i);
void storeFromDouble(void* data, DType t, int64_t i, double v);
// v as int64 by the same rule: truncated toward zero, saturating, NaN -> 0.
int64_t saturatingInt64(double v);

}  // namespace kiln::ir
