// Scalar conversions between every kiln dtype, for CUDA kernels that must
// round, wrap and saturate exactly as the CPU reference: bit-for-bit ports of
// ir/dtype.cpp (encodeNarrowFloat, decodeNarrowFloat, encodeE8M0,
// floatToHalf, floatToBF16, loadAsDouble, storeFromDouble) and of the Cast
// reference's rules (backends/cpu/ref/cast.cpp). Elements travel as raw bits
// (the low dtypeSize bytes of a uint64) so one function serves every dtype.
//
// Everything is __host__ __device__ and needs no CUDA header when compiled as
// plain C++: tests/unit/cuda_convert_test.cpp checks it against ir:: on the
// host. Only operations that are exact or correctly rounded in IEEE double
// on both sides are used (floor, fmod, ldexp, frexp, trunc, nextafter,
// + - * / of doubles one at a time), so host and device agree bit for bit.
#pragma once
#include <cstdint>
#include <cstring>

#include <math.h>

#include "ir/dtype.h"

// Always inlined, with internal linkage, on the host as on the device. (The
// host test built by gcc 13.3 -O3 into kiln_op_tests_cuda got another
// dtype's result from doubleToRaw(int8, -0.0) with plain `inline`, where the
// same code in a small program was right: cause not found.)
#ifdef __CUDACC__
#define KILN_HD static __host__ __device__ __forceinline__
#else
#define KILN_HD static inline __attribute__((always_inline))
#endif

namespace kiln::cuda::conv {

using ir::DType;

// ---------------------------------------------------------------- bits

KILN_HD uint64_t bitsOf(double d) {
#ifdef __CUDA_ARCH__
    return uint64_t(__double_as_longlong(d));
#else
    uint64_t b;
    std::memcpy(&b, &d, 8);
    return b;
#endif
}
KILN_HD double doubleOf(uint64_t b) {
#ifdef __CUDA_ARCH__
    return __longlong_as_double((long long)b);
#else
    double d;
    std::memcpy(&d, &b, 8);
    return d;
#endif
}
KILN_HD uint32_t bitsOf(float f) {
#ifdef __CUDA_ARCH__
    return __float_as_uint(f);
#else
    uint32_t b;
    std::memcpy(&b, &f, 4);
    return b;
#endif
}
KILN_HD float floatOf(uint32_t b) {
#ifdef __CUDA_ARCH__
    return __uint_as_float(b);
#else
    float f;
    std::memcpy(&f, &b, 4);
    return f;
#endif
}

KILN_HD bool isNaN(double v) { return v != v; }
KILN_HD bool isInf(double v) { return v == HUGE_VAL || v == -HUGE_VAL; }
KILN_HD bool signBit(double v) { return (bitsOf(v) >> 63) != 0; }
KILN_HD double quietNaN() { return doubleOf(0x7ff8000000000000ull); }

// The dtype's storage size in bytes (ir::dtypeSize, usable on the device).
KILN_HD int sizeOf(DType t) {
    switch (t) {
        case DType::kF64:
        case DType::kI64:
        case DType::kU64:
            return 8;
        case DType::kF32:
        case DType::kI32:
        case DType::kU32:
            return 4;
        case DType::kF16:
        case DType::kBF16:
        case DType::kI16:
        case DType::kU16:
            return 2;
        default:
            return 1;
    }
}

// Element i of a buffer of dtype t, as raw bits / stored from raw bits.
KILN_HD uint64_t loadRaw(const void* p, DType t, int64_t i) {
    switch (sizeOf(t)) {
        case 8:
            return static_cast<const uint64_t*>(p)[i];
        case 4:
            return static_cast<const uint32_t*>(p)[i];
        case 2:
            return static_cast<const uint16_t*>(p)[i];
        default:
            return static_cast<const uint8_t*>(p)[i];
    }
}
KILN_HD void storeRaw(void* p, DType t, int64_t i, uint64_t raw) {
    switch (sizeOf(t)) {
        case 8:
            static_cast<uint64_t*>(p)[i] = raw;
            break;
        case 4:
            static_cast<uint32_t*>(p)[i] = uint32_t(raw);
            break;
        case 2:
            static_cast<uint16_t*>(p)[i] = uint16_t(raw);
            break;
        default:
            static_cast<uint8_t*>(p)[i] = uint8_t(raw);
            break;
    }
}

KILN_HD int8_t signExtendLow(uint64_t v, int bits) {
    const int shift = 8 - bits;
    return int8_t(int8_t(uint8_t(uint8_t(v) << shift)) >> shift);
}

// ---------------------------------------------------------------- narrow floats

// Round half to even, independent of the floating-point environment.
KILN_HD double roundHalfEven(double x) {
    const double f = floor(x);
    const double d = x - f;
    if (d > 0.5) return f + 1;
    if (d < 0.5) return f;
    return fmod(f, 2.0) == 0 ? f : f + 1;
}

enum Specials : int { kIeee, kFn, kUz, kNone };
struct Format {
    int expBits, manBits, bias, specials;
};

KILN_HD bool formatOf(DType t, Format& f) {
    switch (t) {
        case DType::kF16:
            f = {5, 10, 15, kIeee};
            return true;
        case DType::kBF16:
            f = {8, 7, 127, kIeee};
            return true;
        case DType::kFP8:
            f = {4, 3, 7, kFn};
            return true;
        case DType::kFP8E5M2:
            f = {5, 2, 15, kIeee};
            return true;
        case DType::kFP8E4M3FNUZ:
            f = {4, 3, 8, kUz};
            return true;
        case DType::kFP8E5M2FNUZ:
            f = {5, 2, 16, kUz};
            return true;
        case DType::kFP4:
            f = {2, 1, 1, kNone};
            return true;
        default:
            return false;
    }
}

// ir::encodeNarrowFloat.
KILN_HD uint32_t encodeNarrow(DType t, double v, bool saturate) {
    Format f;
    if (!formatOf(t, f)) return 0;
    const uint32_t signBitMask = 1u << (f.expBits + f.manBits);
    const uint32_t manMask = (1u << f.manBits) - 1u;
    const uint32_t expMax = (1u << f.expBits) - 1u;
    uint32_t maxCode;
    if (f.specials == kIeee)
        maxCode = ((expMax - 1u) << f.manBits) | manMask;
    else if (f.specials == kFn)
        maxCode = (expMax << f.manBits) | (manMask - 1u);
    else
        maxCode = (expMax << f.manBits) | manMask;
    const double maxValue =
        ldexp(double((1u << f.manBits) | (maxCode & manMask)), int(maxCode >> f.manBits) - f.bias - f.manBits);
    const uint32_t sign = signBit(v) ? signBitMask : 0u;
    uint32_t nanCode;
    if (f.specials == kIeee)
        nanCode = sign | (expMax << f.manBits) | (1u << (f.manBits - 1));
    else if (f.specials == kFn)
        nanCode = sign | (expMax << f.manBits) | manMask;
    else
        nanCode = signBitMask;
    uint32_t overflow;
    if (saturate || f.specials == kNone)
        overflow = sign | maxCode;
    else if (f.specials == kIeee)
        overflow = sign | (expMax << f.manBits);
    else
        overflow = nanCode;
    if (isNaN(v)) return nanCode;
    const double a = fabs(v);
    if (isInf(a)) return overflow;
    const int emin = 1 - f.bias;
    uint32_t code;
    if (a < ldexp(1.0, emin)) {
        code = uint32_t(roundHalfEven(ldexp(a, f.manBits - emin)));
    } else {
        int e;
        frexp(a, &e);
        --e;
        double k = roundHalfEven(ldexp(a, f.manBits - e));
        if (k >= double(2u << f.manBits)) {
            k /= 2;
            ++e;
        }
        if (ldexp(k, e - f.manBits) > maxValue) return overflow;
        code = (uint32_t(e + f.bias) << f.manBits) | (uint32_t(k) & manMask);
    }
    if (code == 0 && f.specials == kUz) return 0;
    return sign | code;
}

// ir::decodeNarrowFloat.
KILN_HD double decodeNarrow(DType t, uint32_t bits) {
    if (t == DType::kE8M0) {
        const uint32_t e = bits & 0xffu;
        return e == 0xffu ? quietNaN() : ldexp(1.0, int(e) - 127);
    }
    Format f;
    if (!formatOf(t, f)) return 0.0;
    const uint32_t signBitMask = 1u << (f.expBits + f.manBits);
    const uint32_t manMask = (1u << f.manBits) - 1u;
    const uint32_t expMax = (1u << f.expBits) - 1u;
    bits &= (signBitMask << 1) - 1u;
    const uint32_t exp = (bits >> f.manBits) & expMax, man = bits & manMask;
    const bool neg = (bits & signBitMask) != 0;
    if (f.specials == kIeee && exp == expMax) return man ? quietNaN() : (neg ? -HUGE_VAL : HUGE_VAL);
    if (f.specials == kFn && exp == expMax && man == manMask) return quietNaN();
    if (f.specials == kUz && bits == signBitMask) return quietNaN();
    const double r = exp == 0 ? ldexp(double(man), 1 - f.bias - f.manBits)
                              : ldexp(double(man | (1u << f.manBits)), int(exp) - f.bias - f.manBits);
    return neg ? -r : r;
}

// ir::E8M0Rounding as an int: 0 up, 1 down, 2 nearest.
enum E8M0Mode : int { kE8M0Up = 0, kE8M0Down = 1, kE8M0Nearest = 2 };

// ir::encodeE8M0.
KILN_HD uint8_t encodeE8M0(double v, bool saturate, int mode) {
    if (isNaN(v)) return 0xff;
    const double a = fabs(v);
    if (isInf(a)) return saturate ? 0xfe : 0xff;
    if (a == 0) return saturate ? 0x00 : 0xff;
    int e;
    const double m = 2 * frexp(a, &e);
    --e;
    if (m > 1) {
        if (mode == kE8M0Up || (mode == kE8M0Nearest && m >= 1.5)) ++e;
    }
    const int biased = e + 127;
    if (biased > 254) return saturate ? 0xfe : 0xff;
    if (biased < 0) return saturate ? 0x00 : 0xff;
    return uint8_t(biased);
}

// ir::floatToHalf (keeps NaN payloads, unlike encodeNarrow).
KILN_HD uint16_t floatToHalf(float fv) {
    const uint32_t x = bitsOf(fv);
    const uint32_t sign = (x >> 16) & 0x8000u;
    const uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u)
        return uint16_t(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u | ((absx >> 13) & 0x3ffu) : 0u));
    if (absx >= 0x477ff000u) return uint16_t(sign | 0x7c00u);
    if (absx < 0x38800000u) return uint16_t(sign | uint32_t(roundHalfEven(double(floatOf(absx)) * 16777216.0)));
    const uint32_t mant = absx & 0x7fffffu;
    const uint32_t exp = (absx >> 23) - 127 + 15;
    uint32_t h = (exp << 10) | (mant >> 13);
    const uint32_t rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
    return uint16_t(sign | h);
}

// ir::halfToFloat.
KILN_HD float halfToFloat(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t mant = h & 0x3ffu;
    if (exp == 0) {
        const float v = float(ldexp(double(mant), -24));
        return (h & 0x8000u) ? -v : v;
    }
    if (exp == 31) return floatOf(sign | 0x7f800000u | (mant << 13));
    return floatOf(sign | ((exp - 15 + 127) << 23) | (mant << 13));
}

// ir::floatToBF16 / ir::bf16ToFloat.
KILN_HD uint16_t floatToBF16(float fv) {
    const uint32_t x = bitsOf(fv);
    if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 0x40u);
    const uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);
    return uint16_t((x + rounding) >> 16);
}
KILN_HD float bf16ToFloat(uint16_t b) { return floatOf(uint32_t(b) << 16); }

KILN_HD bool isNarrowFloat(DType t) {
    switch (t) {
        case DType::kFP8:
        case DType::kFP8E5M2:
        case DType::kFP8E4M3FNUZ:
        case DType::kFP8E5M2FNUZ:
        case DType::kFP4:
        case DType::kE8M0:
            return true;
        default:
            return false;
    }
}

// Float types that compute (ir::dtypeIsArithmeticFloat).
KILN_HD bool isComputeFloat(DType t) {
    return t == DType::kF32 || t == DType::kF64 || t == DType::kF16 || t == DType::kBF16;
}

// Sub-byte integers: bits and signedness (0 bits: not one).
KILN_HD int subByteIntBits(DType t, bool& isSigned) {
    switch (t) {
        case DType::kI4:
            isSigned = true;
            return 4;
        case DType::kU4:
            isSigned = false;
            return 4;
        case DType::kI2:
            isSigned = true;
            return 2;
        case DType::kU2:
            isSigned = false;
            return 2;
        default:
            isSigned = false;
            return 0;
    }
}

// ---------------------------------------------------------------- loadAsDouble / storeFromDouble

// ir::loadAsDouble on one raw element.
KILN_HD double rawToDouble(DType t, uint64_t raw) {
    switch (t) {
        case DType::kF32:
            return double(floatOf(uint32_t(raw)));
        case DType::kF64:
            return doubleOf(raw);
        case DType::kF16:
            return double(halfToFloat(uint16_t(raw)));
        case DType::kBF16:
            return double(bf16ToFloat(uint16_t(raw)));
        case DType::kFP8:
        case DType::kFP8E5M2:
        case DType::kFP8E4M3FNUZ:
        case DType::kFP8E5M2FNUZ:
        case DType::kE8M0:
            return decodeNarrow(t, uint32_t(raw & 0xffu));
        case DType::kFP4:
            return decodeNarrow(t, uint32_t(raw & 0xfu));
        case DType::kI8:
            return double(int8_t(uint8_t(raw)));
        case DType::kU8:
            return double(uint8_t(raw));
        case DType::kBool:
            return uint8_t(raw) ? 1.0 : 0.0;
        case DType::kI16:
            return double(int16_t(uint16_t(raw)));
        case DType::kU16:
            return double(uint16_t(raw));
        case DType::kI32:
            return double(int32_t(uint32_t(raw)));
        case DType::kU32:
            return double(uint32_t(raw));
        case DType::kI64:
            return double(int64_t(raw));
        case DType::kU64:
            return double(raw);
        case DType::kI4:
            return double(signExtendLow(raw, 4));
        case DType::kU4:
            return double(raw & 0xfu);
        case DType::kI2:
            return double(signExtendLow(raw, 2));
        case DType::kU2:
            return double(raw & 0x3u);
    }
    return 0.0;
}

KILN_HD double loadAsDouble(const void* p, DType t, int64_t i) { return rawToDouble(t, loadRaw(p, t, i)); }

// Truncates toward zero and saturates to [lo, hi]; NaN -> 0.
KILN_HD double saturateTrunc(double v, double lo, double hi) {
    if (isNaN(v)) return 0;
    return v <= lo ? lo : v >= hi ? hi : trunc(v);
}

// ir::storeFromDouble's integer rule: truncate, saturate, NaN -> 0.
template <class T>
KILN_HD T saturateCast(double v, T lowest, T highest) {
    if (isNaN(v)) return T(0);
    return v <= double(lowest) ? lowest : v >= double(highest) ? highest : T(v);
}

// ir::storeFromDouble on one raw element.
KILN_HD uint64_t doubleToRaw(DType t, double v) {
    switch (t) {
        case DType::kF32:
            return bitsOf(float(v));
        case DType::kF64:
            return bitsOf(v);
        case DType::kF16:
        case DType::kBF16:
            return encodeNarrow(t, v, false);
        case DType::kFP8:
        case DType::kFP8E5M2:
        case DType::kFP8E4M3FNUZ:
        case DType::kFP8E5M2FNUZ:
        case DType::kFP4:
            return encodeNarrow(t, v, true);
        case DType::kE8M0:
            return encodeE8M0(v, true, kE8M0Nearest);
        case DType::kI8:
            return uint8_t(saturateCast<int8_t>(v, -128, 127));
        case DType::kU8:
            return saturateCast<uint8_t>(v, 0, 255);
        case DType::kBool:
            return v != 0.0 ? 1 : 0;
        case DType::kI16:
            return uint16_t(saturateCast<int16_t>(v, -32768, 32767));
        case DType::kU16:
            return saturateCast<uint16_t>(v, 0, 65535);
        case DType::kI32:
            return uint32_t(saturateCast<int32_t>(v, int32_t(-2147483647 - 1), 2147483647));
        case DType::kU32:
            return saturateCast<uint32_t>(v, 0u, 4294967295u);
        case DType::kI64:
            return uint64_t(saturateCast<int64_t>(v, int64_t(-9223372036854775807ll - 1), 9223372036854775807ll));
        case DType::kU64:
            return saturateCast<uint64_t>(v, 0ull, 18446744073709551615ull);
        case DType::kI4:
            return uint8_t(int8_t(saturateTrunc(v, -8, 7)));
        case DType::kU4:
            return uint8_t(saturateTrunc(v, 0, 15));
        case DType::kI2:
            return uint8_t(int8_t(saturateTrunc(v, -2, 1)));
        case DType::kU2:
            return uint8_t(saturateTrunc(v, 0, 3));
    }
    return 0;
}

KILN_HD void storeFromDouble(void* p, DType t, int64_t i, double v) { storeRaw(p, t, i, doubleToRaw(t, v)); }

// ---------------------------------------------------------------- Cast (backends/cpu/ref/cast.cpp)

struct CastOptions {
    bool saturate = true;
    int e8m0Mode = kE8M0Up;
};

// One element between the two halves of a cast: integer (and bool) sources
// keep their exact bits, float sources their value as double.
struct Staged {
    bool isInt;
    bool isU64;
    uint64_t bits;
    double value;
};

KILN_HD Staged stage(DType t, uint64_t raw) {
    switch (t) {
        case DType::kBool:
            return {true, false, uint64_t(uint8_t(raw) != 0), 0.0};
        case DType::kI8:
            return {true, false, uint64_t(int64_t(int8_t(uint8_t(raw)))), 0.0};
        case DType::kU8:
            return {true, false, raw & 0xffu, 0.0};
        case DType::kI16:
            return {true, false, uint64_t(int64_t(int16_t(uint16_t(raw)))), 0.0};
        case DType::kU16:
            return {true, false, raw & 0xffffu, 0.0};
        case DType::kI32:
            return {true, false, uint64_t(int64_t(int32_t(uint32_t(raw)))), 0.0};
        case DType::kU32:
            return {true, false, raw & 0xffffffffu, 0.0};
        case DType::kI64:
            return {true, false, raw, 0.0};
        case DType::kU64:
            return {true, true, raw, 0.0};
        case DType::kI4:
            return {true, false, uint64_t(int64_t(signExtendLow(raw, 4))), 0.0};
        case DType::kU4:
            return {true, false, raw & 0xfu, 0.0};
        case DType::kI2:
            return {true, false, uint64_t(int64_t(signExtendLow(raw, 2))), 0.0};
        case DType::kU2:
            return {true, false, raw & 0x3u, 0.0};
        default:
            // The CPU reads narrow floats through a float table: exact, as every code fits a float.
            return {false, false, 0, rawToDouble(t, raw)};
    }
}

// The low bits of integer v as integer type t (two's complement wrap; sub-byte
// types stored canonically, sign-extended in their byte).
KILN_HD uint64_t wrapIntRaw(DType t, uint64_t v) {
    switch (t) {
        case DType::kI4:
            return uint8_t(signExtendLow(v & 0xfu, 4));
        case DType::kU4:
            return v & 0xfu;
        case DType::kI2:
            return uint8_t(signExtendLow(v & 0x3u, 2));
        case DType::kU2:
            return v & 0x3u;
        default: {
            const int bytes = sizeOf(t);
            return bytes == 8 ? v : (v & ((uint64_t(1) << (8 * bytes)) - 1u));
        }
    }
}

KILN_HD bool isIntegerType(DType t) {
    switch (t) {
        case DType::kI8:
        case DType::kU8:
        case DType::kI16:
        case DType::kU16:
        case DType::kI32:
        case DType::kU32:
        case DType::kI64:
        case DType::kU64:
        case DType::kI4:
        case DType::kU4:
        case DType::kI2:
        case DType::kU2:
            return true;
        default:
            return false;
    }
}

// A float value to float type t.
KILN_HD uint64_t floatToFloatRaw(DType t, double v, const CastOptions& o) {
    switch (t) {
        case DType::kF32:
            return bitsOf(float(v));
        case DType::kF64:
            return bitsOf(v);
        case DType::kF16:
        case DType::kBF16:
            return encodeNarrow(t, v, false);
        case DType::kE8M0:
            return encodeE8M0(v, o.saturate, o.e8m0Mode);
        case DType::kFP4:
            return encodeNarrow(t, v, true);
        default:
            return encodeNarrow(t, v, o.saturate);
    }
}

// Integers beyond 2^53 become double with round-to-odd, so the one later
// rounding to a narrower float is as if done from the exact integer.
KILN_HD double toDoubleRoundToOdd(uint64_t bits, bool isU64) {
    double d;
    bool above;
    if (isU64) {
        d = double(bits);
        if (d >= 18446744073709551616.0) {
            above = true;
        } else {
            const uint64_t back = uint64_t(d);
            if (back == bits) return d;
            above = back > bits;
        }
    } else {
        const int64_t v = int64_t(bits);
        d = double(v);
        if (d >= 9223372036854775808.0) {
            above = true;
        } else {
            const int64_t back = int64_t(d);
            if (back == v) return d;
            above = back > v;
        }
    }
    if (bitsOf(d) & 1u) return d;
    return nextafter(d, above ? -HUGE_VAL : HUGE_VAL);
}

// A float value to integer type t: truncate toward zero and keep the low
// bits; NaN gives 0; beyond int64 (uint64 for uint64) saturate.
KILN_HD uint64_t floatToIntRaw(DType t, double v) {
    if (isNaN(v)) return 0;
    const double tr = trunc(v);
    const double two63 = 9223372036854775808.0;
    if (tr >= -two63 && tr < two63) return wrapIntRaw(t, uint64_t(int64_t(tr)));
    if (t == DType::kU64 && tr >= two63 && tr < 2 * two63) return uint64_t(tr);
    const bool neg = tr < 0;
    switch (t) {
        case DType::kI8:
            return neg ? 0x80u : 0x7fu;
        case DType::kU8:
            return neg ? 0u : 0xffu;
        case DType::kI16:
            return neg ? 0x8000u : 0x7fffu;
        case DType::kU16:
            return neg ? 0u : 0xffffu;
        case DType::kI32:
            return neg ? 0x80000000u : 0x7fffffffu;
        case DType::kU32:
            return neg ? 0u : 0xffffffffu;
        case DType::kI64:
            return neg ? 0x8000000000000000ull : 0x7fffffffffffffffull;
        case DType::kU64:
            return neg ? 0u : 0xffffffffffffffffull;
        case DType::kI4:
            return neg ? 0xf8u : 0x07u;
        case DType::kU4:
            return neg ? 0u : 0x0fu;
        case DType::kI2:
            return neg ? 0xfeu : 0x01u;
        case DType::kU2:
            return neg ? 0u : 0x03u;
        default:
            return 0;
    }
}

KILN_HD uint64_t unstage(DType t, const Staged& s, const CastOptions& o) {
    if (s.isInt) {
        if (t == DType::kBool) return s.bits != 0 ? 1 : 0;
        if (isIntegerType(t)) return wrapIntRaw(t, s.bits);
        if (t == DType::kF32) return bitsOf(s.isU64 ? float(s.bits) : float(int64_t(s.bits)));
        if (t == DType::kF64) return bitsOf(s.isU64 ? double(s.bits) : double(int64_t(s.bits)));
        return floatToFloatRaw(t, toDoubleRoundToOdd(s.bits, s.isU64), o);
    }
    if (t == DType::kBool) return s.value != 0.0 ? 1 : 0;  // NaN != 0: true
    if (isIntegerType(t)) return floatToIntRaw(t, s.value);
    return floatToFloatRaw(t, s.value, o);
}

// One element of Cast from dtype `from` to dtype `to` (not for the plain
// copy of equal types, which the kernel does with a memcpy).
KILN_HD uint64_t castRaw(DType from, DType to, uint64_t raw, const CastOptions& o) {
    if (from == DType::kF32 && to == DType::kF16) return floatToHalf(floatOf(uint32_t(raw)));  // the CPU's fast path
    return unstage(to, stage(from, raw), o);
}

// ---------------------------------------------------------------- accumulation (backends/cpu/ref/nn_util.h)

// C++'s double -> int64 conversion as x86-64 executes it (cvttsd2si): the
// truncated value, or INT64_MIN for NaN and values beyond int64. The CPU
// reference converts with plain casts there; on the device a cast would
// saturate instead.
KILN_HD int64_t x86ToInt64(double v) {
    if (!(v > -9223372036854777856.0 && v < 9223372036854775808.0)) return int64_t(0x8000000000000000ull);
    return int64_t(v);
}
// The same for double -> int32 (cvttsd2si, 32-bit): INT32_MIN out of range.
KILN_HD int32_t x86ToInt32(double v) {
    if (!(v > -2147483649.0 && v < 2147483648.0)) return int32_t(0x80000000u);
    return int32_t(v);
}

// nn::AccT: compute floats accumulate in double, everything else in int64.
KILN_HD bool accIsFloat(DType t) { return isComputeFloat(t); }

// nn::loadAcc for an int64 accumulator: integers by value (uint64 by its
// bits), sub-byte integers by value, narrow floats truncated (int64_t(float)).
KILN_HD int64_t loadAccInt(DType t, uint64_t raw) {
    switch (t) {
        case DType::kBool:
            return uint8_t(raw) != 0;
        case DType::kI8:
            return int8_t(uint8_t(raw));
        case DType::kU8:
            return uint8_t(raw);
        case DType::kI16:
            return int16_t(uint16_t(raw));
        case DType::kU16:
            return uint16_t(raw);
        case DType::kI32:
            return int32_t(uint32_t(raw));
        case DType::kU32:
            return uint32_t(raw);
        case DType::kI64:
        case DType::kU64:
            return int64_t(raw);
        case DType::kI4:
            return signExtendLow(raw, 4);
        case DType::kU4:
            return int64_t(raw & 0xfu);
        case DType::kI2:
            return signExtendLow(raw, 2);
        case DType::kU2:
            return int64_t(raw & 0x3u);
        default:  // narrow floats: their float value, truncated
            return x86ToInt64(rawToDouble(t, raw));
    }
}

// Elem<S>::store(ComputeT<S>(v)) for a double v: compute floats through
// float (float16/bfloat16 round twice, as the CPU does), narrow floats
// through float and saturating (e8m0 rounding up), sub-byte integers through
// int32_t(v) keeping the low bits, bool as v != 0.
KILN_HD uint64_t storeComputeFromDouble(DType t, double v) {
    switch (t) {
        case DType::kF64:
            return bitsOf(v);
        case DType::kF32:
            return bitsOf(float(v));
        case DType::kF16:
            return floatToHalf(float(v));
        case DType::kBF16:
            return floatToBF16(float(v));
        case DType::kBool:
            return v != 0.0 ? 1 : 0;
        case DType::kE8M0:
            return encodeE8M0(double(float(v)), true, kE8M0Up);
        case DType::kFP8:
        case DType::kFP8E5M2:
        case DType::kFP8E4M3FNUZ:
        case DType::kFP8E5M2FNUZ:
        case DType::kFP4:
            return encodeNarrow(t, double(float(v)), true);
        case DType::kI4:
        case DType::kU4:
        case DType::kI2:
        case DType::kU2:
            return wrapIntRaw(t, uint64_t(int64_t(x86ToInt32(v))));
        default:  // 8..64-bit integers: not a path of the CPU reference (it wraps int64 there)
            return wrapIntRaw(t, uint64_t(x86ToInt64(v)));
    }
}

// nn::storeAcc for an int64 accumulator: integers keep the low bits, narrow
// floats take float(v) (rounded to nearest) saturating, bool v != 0.
KILN_HD uint64_t storeAccInt(DType t, int64_t v) {
    switch (t) {
        case DType::kE8M0:
            return encodeE8M0(double(float(v)), true, kE8M0Up);
        case DType::kFP8:
        case DType::kFP8E5M2:
        case DType::kFP8E4M3FNUZ:
        case DType::kFP8E5M2FNUZ:
        case DType::kFP4:
            return encodeNarrow(t, double(float(v)), true);
        case DType::kBool:
            return v != 0 ? 1 : 0;
        default:
            return wrapIntRaw(t, uint64_t(v));
    }
}

}  // namespace kiln::cuda::conv
