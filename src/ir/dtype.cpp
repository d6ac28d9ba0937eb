#include "dtype.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace kiln::ir {

size_t dtypeSize(DType t) {
    switch (t) {
        case DType::kF32: return 4;
        case DType::kF16: return 2;
        case DType::kI8: return 1;
        case DType::kI32: return 4;
        case DType::kBool: return 1;
        case DType::kU8: return 1;
        case DType::kFP8: return 1;
        case DType::kBF16: return 2;
        case DType::kI64: return 8;
        case DType::kF64: return 8;
    }
    return 0;
}

std::string_view dtypeName(DType t) {
    switch (t) {
        case DType::kF32: return "float32";
        case DType::kF16: return "float16";
        case DType::kI8: return "int8";
        case DType::kI32: return "int32";
        case DType::kBool: return "bool";
        case DType::kU8: return "uint8";
        case DType::kFP8: return "fp8e4m3";
        case DType::kBF16: return "bfloat16";
        case DType::kI64: return "int64";
        case DType::kF64: return "float64";
    }
    return "invalid";
}

bool dtypeValid(int raw) { return raw >= 0 && raw < kNumDTypes; }

bool dtypeIsFloat(DType t) {
    return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16 || t == DType::kFP8 || t == DType::kF64;
}

bool dtypeIsInteger(DType t) {
    return t == DType::kI8 || t == DType::kU8 || t == DType::kI32 || t == DType::kI64;
}

uint16_t floatToHalf(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    const uint32_t sign = (x >> 16) & 0x8000u;
    const uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) {  // inf or nan
        return uint16_t(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u | ((absx >> 13) & 0x3ffu) : 0u));
    }
    if (absx >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // rounds to inf
    if (absx < 0x38800000u) {  // subnormal or zero in half
        // value = absx as float; half subnormal unit is 2^-24
        float a;
        std::memcpy(&a, &absx, 4);
        const float scaled = a * 16777216.0f;  // 2^24
        // round half to even
        float r = std::nearbyint(scaled);
        return uint16_t(sign | uint32_t(r));
    }
    uint32_t mant = absx & 0x7fffffu;
    uint32_t exp = (absx >> 23) - 127 + 15;
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
        float v = std::ldexp(float(mant), -24);
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

// E4M3 (OCP FP8): bias 7, no infinities, 0x7f/0xff are NaN, max 448.
uint8_t floatToFP8E4M3(float f) {
    if (std::isnan(f)) return 0x7f;
    const uint8_t sign = std::signbit(f) ? 0x80 : 0;
    float a = std::fabs(f);
    if (a >= 464.0f) return uint8_t(sign | 0x7e);  // saturate to 448
    if (a < std::ldexp(1.0f, -10)) {               // below half the smallest subnormal
        return sign;
    }
    int e;
    std::frexp(a, &e);  // a = m * 2^e, m in [0.5,1)
    int exp = e - 1;    // a = 1.x * 2^exp
    if (exp < -6) {     // subnormal: unit 2^-9
        int m = int(std::nearbyint(a * 512.0f));
        if (m >= 8) return uint8_t(sign | 0x08);  // rounded up to the smallest normal
        return uint8_t(sign | m);
    }
    float mant = a / std::ldexp(1.0f, exp) - 1.0f;  // [0,1)
    int m = int(std::nearbyint(mant * 8.0f));
    if (m == 8) {
        m = 0;
        ++exp;
    }
    if (exp > 8 || (exp == 8 && m > 6)) return uint8_t(sign | 0x7e);
    return uint8_t(sign | ((exp + 7) << 3) | m);
}

float fp8E4M3ToFloat(uint8_t v) {
    const bool neg = v & 0x80;
    const int exp = (v >> 3) & 0xf;
    const int mant = v & 7;
    float r;
    if (exp == 15 && mant == 7) return std::nanf("");
    if (exp == 0) r = std::ldexp(float(mant), -9);
    else r = std::ldexp(1.0f + mant / 8.0f, exp - 7);
    return neg ? -r : r;
}

double loadAsDouble(const void* data, DType t, int64_t i) {
    switch (t) {
        case DType::kF32: return static_cast<const float*>(data)[i];
        case DType::kF16: return halfToFloat(static_cast<const uint16_t*>(data)[i]);
        case DType::kBF16: return bf16ToFloat(static_cast<const uint16_t*>(data)[i]);
        case DType::kFP8: return fp8E4M3ToFloat(static_cast<const uint8_t*>(data)[i]);
        case DType::kI8: return static_cast<const int8_t*>(data)[i];
        case DType::kU8: return static_cast<const uint8_t*>(data)[i];
        case DType::kBool: return static_cast<const uint8_t*>(data)[i] ? 1.0 : 0.0;
        case DType::kI32: return static_cast<const int32_t*>(data)[i];
        case DType::kI64: return double(static_cast<const int64_t*>(data)[i]);
        case DType::kF64: return static_cast<const double*>(data)[i];
    }
    return 0.0;
}

namespace {
template <typename T>
T saturateCast(double v) {
    if (std::isnan(v)) return T(0);
    const double lo = double(std::numeric_limits<T>::lowest());
    const double hi = double(std::numeric_limits<T>::max());
    return v <= lo ? std::numeric_limits<T>::lowest() : v >= hi ? std::numeric_limits<T>::max() : T(v);
}
}  // namespace

void storeFromDouble(void* data, DType t, int64_t i, double v) {
    switch (t) {
        case DType::kF32: static_cast<float*>(data)[i] = float(v); break;
        case DType::kF16: static_cast<uint16_t*>(data)[i] = floatToHalf(float(v)); break;
        case DType::kBF16: static_cast<uint16_t*>(data)[i] = floatToBF16(float(v)); break;
        case DType::kFP8: static_cast<uint8_t*>(data)[i] = floatToFP8E4M3(float(v)); break;
        case DType::kI8: static_cast<int8_t*>(data)[i] = saturateCast<int8_t>(v); break;
        case DType::kU8: static_cast<uint8_t*>(data)[i] = saturateCast<uint8_t>(v); break;
        case DType::kBool: static_cast<uint8_t*>(data)[i] = v != 0.0 ? 1 : 0; break;
        case DType::kI32: static_cast<int32_t*>(data)[i] = saturateCast<int32_t>(v); break;
        case DType::kI64: static_cast<int64_t*>(data)[i] = saturateCast<int64_t>(v); break;
        case DType::kF64: static_cast<double*>(data)[i] = v; break;
    }
}

}  // namespace kiln::ir
