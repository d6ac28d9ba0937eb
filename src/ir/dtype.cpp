#include "dtype.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace kiln::ir {

size_t dtypeSize(DType t) {
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
        case DType::kI8:
        case DType::kU8:
        case DType::kBool:
        case DType::kFP8:
        case DType::kFP8E5M2:
        case DType::kFP8E4M3FNUZ:
        case DType::kFP8E5M2FNUZ:
        case DType::kE8M0:
        case DType::kI4:
        case DType::kU4:
        case DType::kI2:
        case DType::kU2:
        case DType::kFP4:
            return 1;
    }
    return 0;
}

int dtypeBits(DType t) {
    switch (t) {
        case DType::kBool:
            return 1;
        case DType::kI2:
        case DType::kU2:
            return 2;
        case DType::kI4:
        case DType::kU4:
        case DType::kFP4:
            return 4;
        default:
            return int(dtypeSize(t)) * 8;
    }
}

std::string_view dtypeName(DType t) {
    switch (t) {
        case DType::kF32:
            return "float32";
        case DType::kF16:
            return "float16";
        case DType::kI8:
            return "int8";
        case DType::kI32:
            return "int32";
        case DType::kBool:
            return "bool";
        case DType::kU8:
            return "uint8";
        case DType::kFP8:
            return "fp8e4m3";
        case DType::kBF16:
            return "bfloat16";
        case DType::kI64:
            return "int64";
        case DType::kI4:
            return "int4";
        case DType::kFP4:
            return "fp4e2m1";
        case DType::kE8M0:
            return "e8m0";
        case DType::kF64:
            return "float64";
        case DType::kI16:
            return "int16";
        case DType::kU16:
            return "uint16";
        case DType::kU32:
            return "uint32";
        case DType::kU64:
            return "uint64";
        case DType::kFP8E5M2:
            return "fp8e5m2";
        case DType::kFP8E4M3FNUZ:
            return "fp8e4m3fnuz";
        case DType::kFP8E5M2FNUZ:
            return "fp8e5m2fnuz";
        case DType::kU4:
            return "uint4";
        case DType::kI2:
            return "int2";
        case DType::kU2:
            return "uint2";
    }
    return "invalid";
}

bool dtypeValid(int raw) { return raw >= 0 && raw < kNumDTypes; }

bool dtypeIsFloat(DType t) {
    switch (t) {
        case DType::kF32:
        case DType::kF16:
        case DType::kBF16:
        case DType::kF64:
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

bool dtypeIsInteger(DType t) { return dtypeValid(int(t)) && !dtypeIsFloat(t) && t != DType::kBool; }

bool dtypeIsSigned(DType t) {
    switch (t) {
        case DType::kI8:
        case DType::kI16:
        case DType::kI32:
        case DType::kI64:
        case DType::kI4:
        case DType::kI2:
            return true;
        default:
            return dtypeIsFloat(t) && t != DType::kE8M0;
    }
}

bool dtypeIsSubByte(DType t) { return dtypeBits(t) < 8 && t != DType::kBool; }

bool dtypeIsArithmeticFloat(DType t) {
    return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16 || t == DType::kF64;
}

bool dtypeIsArithmeticInteger(DType t) { return dtypeIsInteger(t) && !dtypeIsSubByte(t); }

bool dtypeIsArithmetic(DType t) { return dtypeIsArithmeticFloat(t) || dtypeIsArithmeticInteger(t); }

// ---------------------------------------------------------------------------
// Narrow floats.

namespace {

// How a narrow float encodes what IEEE encodes with an all-ones exponent.
enum class Specials : uint8_t {
    kIeee,  // all-ones exponent: infinity (mantissa 0) and NaN
    kFn,    // no infinity; only S.1..1.1..1 is NaN (E4M3FN)
    kUz,    // no infinity, no -0: the code 1000...0 is the only NaN (FNUZ)
    kNone,  // no infinity, no NaN (E2M1)
};

struct Format {
    int expBits, manBits, bias;
    Specials specials;
};

bool formatOf(DType t, Format& f) {
    switch (t) {
        case DType::kF16:
            f = {5, 10, 15, Specials::kIeee};
            return true;
        case DType::kBF16:
            f = {8, 7, 127, Specials::kIeee};
            return true;
        case DType::kFP8:
            f = {4, 3, 7, Specials::kFn};
            return true;
        case DType::kFP8E5M2:
            f = {5, 2, 15, Specials::kIeee};
            return true;
        case DType::kFP8E4M3FNUZ:
            f = {4, 3, 8, Specials::kUz};
            return true;
        case DType::kFP8E5M2FNUZ:
            f = {5, 2, 16, Specials::kUz};
            return true;
        case DType::kFP4:
            f = {2, 1, 1, Specials::kNone};
            return true;
        default:
            return false;
    }
}

// Round half to even, independent of the floating-point environment.
double roundHalfEven(double x) {
    const double f = std::floor(x);
    const double d = x - f;
    if (d > 0.5) return f + 1;
    if (d < 0.5) return f;
    return std::fmod(f, 2.0) == 0 ? f : f + 1;
}

}  // namespace

uint32_t encodeNarrowFloat(DType t, double v, bool saturate) {
    Format f;
    if (!formatOf(t, f)) return 0;
    const uint32_t signBit = 1u << (f.expBits + f.manBits);
    const uint32_t manMask = (1u << f.manBits) - 1u;
    const uint32_t expMax = (1u << f.expBits) - 1u;  // all-ones exponent field
    // Largest finite code and value.
    uint32_t maxCode;
    switch (f.specials) {
        case Specials::kIeee:
            maxCode = ((expMax - 1u) << f.manBits) | manMask;
            break;
        case Specials::kFn:
            maxCode = (expMax << f.manBits) | (manMask - 1u);
            break;
        default:
            maxCode = (expMax << f.manBits) | manMask;
            break;
    }
    const double maxValue =
        std::ldexp(double((1u << f.manBits) | (maxCode & manMask)), int(maxCode >> f.manBits) - f.bias - f.manBits);
    const uint32_t sign = std::signbit(v) ? signBit : 0u;
    auto nanCode = [&]() -> uint32_t {
        switch (f.specials) {
            case Specials::kIeee:
                return sign | (expMax << f.manBits) | (1u << (f.manBits - 1));
            case Specials::kFn:
                return sign | (expMax << f.manBits) | manMask;
            default:
                return signBit;  // FNUZ's NaN; E2M1 has none and ONNX's reference gives -0 too
        }
    };
    auto overflow = [&]() -> uint32_t {
        if (saturate || f.specials == Specials::kNone) return sign | maxCode;
        if (f.specials == Specials::kIeee) return sign | (expMax << f.manBits);
        return nanCode();
    };
    if (std::isnan(v)) return nanCode();
    const double a = std::fabs(v);
    if (std::isinf(a)) return overflow();

    const int emin = 1 - f.bias;  // exponent of the smallest normal
    uint32_t code;
    if (a < std::ldexp(1.0, emin)) {
        // Subnormal range: a multiple of 2^(emin - manBits). Rounding up to
        // 2^manBits units lands exactly on the smallest normal's code.
        code = uint32_t(roundHalfEven(std::ldexp(a, f.manBits - emin)));
    } else {
        int e;
        std::frexp(a, &e);
        --e;                                                     // a = 1.m * 2^e
        double k = roundHalfEven(std::ldexp(a, f.manBits - e));  // in [2^m, 2^(m+1)]
        if (k >= double(2u << f.manBits)) {
            k /= 2;
            ++e;
        }
        if (std::ldexp(k, e - f.manBits) > maxValue) return overflow();
        code = (uint32_t(e + f.bias) << f.manBits) | (uint32_t(k) & manMask);
    }
    if (code == 0 && f.specials == Specials::kUz) return 0;  // no -0
    return sign | code;
}

double decodeNarrowFloat(DType t, uint32_t bits) {
    if (t == DType::kE8M0) {
        const uint32_t e = bits & 0xffu;
        return e == 0xffu ? std::numeric_limits<double>::quiet_NaN() : std::ldexp(1.0, int(e) - 127);
    }
    Format f;
    if (!formatOf(t, f)) return 0.0;
    const uint32_t signBit = 1u << (f.expBits + f.manBits);
    const uint32_t manMask = (1u << f.manBits) - 1u;
    const uint32_t expMax = (1u << f.expBits) - 1u;
    bits &= (signBit << 1) - 1u;
    const uint32_t exp = (bits >> f.manBits) & expMax, man = bits & manMask;
    const bool neg = bits & signBit;
    switch (f.specials) {
        case Specials::kIeee:
            if (exp == expMax) {
                if (man) return std::numeric_limits<double>::quiet_NaN();
                return neg ? -INFINITY : INFINITY;
            }
            break;
        case Specials::kFn:
            if (exp == expMax && man == manMask) return std::numeric_limits<double>::quiet_NaN();
            break;
        case Specials::kUz:
            if (bits == signBit) return std::numeric_limits<double>::quiet_NaN();
            break;
        case Specials::kNone:
            break;
    }
    const double r = exp == 0 ? std::ldexp(double(man), 1 - f.bias - f.manBits)
                              : std::ldexp(double(man | (1u << f.manBits)), int(exp) - f.bias - f.manBits);
    return neg ? -r : r;
}

uint8_t encodeE8M0(double v, bool saturate, E8M0Rounding mode) {
    constexpr uint8_t kNaN = 0xff, kMaxCode = 0xfe, kMinCode = 0x00;
    if (std::isnan(v)) return kNaN;
    const double a = std::fabs(v);
    if (std::isinf(a)) return saturate ? kMaxCode : kNaN;
    if (a == 0) return saturate ? kMinCode : kNaN;
    int e;
    const double m = 2 * std::frexp(a, &e);  // a = m * 2^(e-1), m in [1, 2)
    --e;
    if (m > 1) {
        if (mode == E8M0Rounding::kUp || (mode == E8M0Rounding::kNearest && m >= 1.5)) ++e;
    }
    const int biased = e + 127;
    if (biased > 254) return saturate ? kMaxCode : kNaN;
    if (biased < 0) return saturate ? kMinCode : kNaN;
    return uint8_t(biased);
}

// The fast paths for half, used by kernels per element; encodeNarrowFloat /
// decodeNarrowFloat agree with them (pinned by tests).
uint16_t floatToHalf(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    const uint32_t sign = (x >> 16) & 0x8000u;
    const uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) {  // inf or nan
        return uint16_t(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u | ((absx >> 13) & 0x3ffu) : 0u));
    }
    if (absx >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // rounds to inf
    if (absx < 0x38800000u) {                                  // subnormal or zero in half: units of 2^-24
        float a;
        std::memcpy(&a, &absx, 4);
        return uint16_t(sign | uint32_t(roundHalfEven(double(a) * 16777216.0)));
    }
    const uint32_t mant = absx & 0x7fffffu;
    const uint32_t exp = (absx >> 23) - 127 + 15;
    uint32_t h = (exp << 10) | (mant >> 13);
    const uint32_t rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
    return uint16_t(sign | h);
}

float halfToFloat(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t mant = h & 0x3ffu;
    uint32_t x;
    if (exp == 0) {
        const float v = std::ldexp(float(mant), -24);
        return (h & 0x8000u) ? -v : v;
    } else if (exp == 31) {
        x = sign | 0x7f800000u | (mant << 13);
    } else {
        x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &x, 4);
    return f;
}

uint16_t floatToBF16(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 0x40u);  // quiet nan
    const uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);
    return uint16_t((x + rounding) >> 16);
}

float bf16ToFloat(uint16_t b) {
    uint32_t x = uint32_t(b) << 16;
    float f;
    std::memcpy(&f, &x, 4);
    return f;
}

uint8_t floatToFP8E4M3(float f) { return uint8_t(encodeNarrowFloat(DType::kFP8, f, true)); }

float fp8E4M3ToFloat(uint8_t v) { return float(decodeNarrowFloat(DType::kFP8, v)); }

// ---------------------------------------------------------------------------

namespace {

template <typename T>
T load(const void* data, int64_t i) {
    T v;
    std::memcpy(&v, static_cast<const uint8_t*>(data) + i * int64_t(sizeof(T)), sizeof(T));
    return v;
}

template <typename T>
void store(void* data, int64_t i, T v) {
    std::memcpy(static_cast<uint8_t*>(data) + i * int64_t(sizeof(T)), &v, sizeof(T));
}

// Truncates toward zero and saturates to [lo, hi]; NaN -> 0.
double saturateTrunc(double v, double lo, double hi) {
    if (std::isnan(v)) return 0;
    return v <= lo ? lo : v >= hi ? hi : std::trunc(v);
}

template <typename T>
T saturateCast(double v) {
    const double lo = double(std::numeric_limits<T>::lowest());
    const double hi = double(std::numeric_limits<T>::max());
    if (std::isnan(v)) return T(0);
    // hi may round up past T's range in double (int64, uint64): compare first.
    return v <= lo ? std::numeric_limits<T>::lowest() : v >= hi ? std::numeric_limits<T>::max() : T(v);
}

}  // namespace

double loadAsDouble(const void* data, DType t, int64_t i) {
    const auto* b = static_cast<const uint8_t*>(data);
    switch (t) {
        case DType::kF32:
            return load<float>(data, i);
        case DType::kF64:
            return load<double>(data, i);
        case DType::kF16:
            return halfToFloat(load<uint16_t>(data, i));
        case DType::kBF16:
            return bf16ToFloat(load<uint16_t>(data, i));
        case DType::kFP8:
        case DType::kFP8E5M2:
        case DType::kFP8E4M3FNUZ:
        case DType::kFP8E5M2FNUZ:
        case DType::kE8M0:
            return decodeNarrowFloat(t, b[i]);
        case DType::kFP4:
            return decodeNarrowFloat(t, b[i] & 0xfu);
        case DType::kI8:
            return int8_t(b[i]);
        case DType::kU8:
            return b[i];
        case DType::kBool:
            return b[i] ? 1.0 : 0.0;
        case DType::kI16:
            return load<int16_t>(data, i);
        case DType::kU16:
            return load<uint16_t>(data, i);
        case DType::kI32:
            return load<int32_t>(data, i);
        case DType::kU32:
            return load<uint32_t>(data, i);
        case DType::kI64:
            return double(load<int64_t>(data, i));
        case DType::kU64:
            return double(load<uint64_t>(data, i));
        case DType::kI4:
            return signExtendLowBits(b[i], 4);
        case DType::kU4:
            return zeroExtendLowBits(b[i], 4);
        case DType::kI2:
            return signExtendLowBits(b[i], 2);
        case DType::kU2:
            return zeroExtendLowBits(b[i], 2);
    }
    return 0.0;
}

int64_t saturatingInt64(double v) { return saturateCast<int64_t>(v); }

void storeFromDouble(void* data, DType t, int64_t i, double v) {
    auto* b = static_cast<uint8_t*>(data);
    switch (t) {
        case DType::kF32:
            store(data, i, float(v));
            break;
        case DType::kF64:
            store(data, i, v);
            break;
        case DType::kF16:
            store(data, i, uint16_t(encodeNarrowFloat(t, v, false)));
            break;
        case DType::kBF16:
            store(data, i, uint16_t(encodeNarrowFloat(t, v, false)));
            break;
        case DType::kFP8:
        case DType::kFP8E5M2:
        case DType::kFP8E4M3FNUZ:
        case DType::kFP8E5M2FNUZ:
        case DType::kFP4:
            b[i] = uint8_t(encodeNarrowFloat(t, v, true));
            break;
        case DType::kE8M0:
            b[i] = encodeE8M0(v, true, E8M0Rounding::kNearest);
            break;
        case DType::kI8:
            b[i] = uint8_t(saturateCast<int8_t>(v));
            break;
        case DType::kU8:
            b[i] = saturateCast<uint8_t>(v);
            break;
        case DType::kBool:
            b[i] = v != 0.0 ? 1 : 0;
            break;
        case DType::kI16:
            store(data, i, saturateCast<int16_t>(v));
            break;
        case DType::kU16:
            store(data, i, saturateCast<uint16_t>(v));
            break;
        case DType::kI32:
            store(data, i, saturateCast<int32_t>(v));
            break;
        case DType::kU32:
            store(data, i, saturateCast<uint32_t>(v));
            break;
        case DType::kI64:
            store(data, i, saturateCast<int64_t>(v));
            break;
        case DType::kU64:
            store(data, i, saturateCast<uint64_t>(v));
            break;
        case DType::kI4:
            b[i] = uint8_t(int8_t(saturateTrunc(v, -8, 7)));
            break;
        case DType::kU4:
            b[i] = uint8_t(saturateTrunc(v, 0, 15));
            break;
        case DType::kI2:
            b[i] = uint8_t(int8_t(saturateTrunc(v, -2, 1)));
            break;
        case DType::kU2:
            b[i] = uint8_t(saturateTrunc(v, 0, 3));
            break;
    }
}

}  // namespace kiln::ir
