// Seeded random tensor contents; see random_data.h.
#include "random_data.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <random>

namespace kiln::cli {

uint16_t floatToHalf(float f) {
    const uint32_t x = std::bit_cast<uint32_t>(f);
    const uint16_t sign = uint16_t((x >> 16) & 0x8000u);
    const uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) return uint16_t(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0u));  // inf / NaN
    if (absx >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // rounds past 65504: inf
    if (absx < 0x38800000u) {
        // Subnormal half (or zero): scale into units of 2^-24 and round.
        const float mag = std::bit_cast<float>(absx);
        return uint16_t(sign | uint16_t(std::nearbyint(mag * 16777216.0f)));
    }
    // Normal: rebias the exponent, round the 13 dropped mantissa bits to even.
    const uint32_t rebased = absx - ((127u - 15u) << 23);
    const uint32_t rounded = rebased + 0xfffu + ((rebased >> 13) & 1u);
    return uint16_t(sign | (rounded >> 13));
}

uint16_t floatToBf16(float f) {
    const uint32_t x = std::bit_cast<uint32_t>(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 0x40u);  // keep NaN a NaN
    return uint16_t((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

namespace {
// Uniform in [-1, 1) from the top 24 bits of one draw.
float unitFloat(std::mt19937& rng) { return float(rng() >> 8) * (2.0f / 16777216.0f) - 1.0f; }

template <typename T>
void fillInts(void* dst, size_t count, std::mt19937& rng, uint32_t modulo) {
    for (size_t i = 0; i < count; ++i) {
        const T v = T(rng() % modulo);
        std::memcpy(static_cast<uint8_t*>(dst) + i * sizeof(T), &v, sizeof(T));
    }
}
}  // namespace

bool fillRandom(DataType type, void* dst, size_t count, uint32_t seed) {
    std::mt19937 rng(seed);
    auto* bytes = static_cast<uint8_t*>(dst);
    switch (type) {
        case DataType::kFLOAT:
            for (size_t i = 0; i < count; ++i) {
                const float v = unitFloat(rng);
                std::memcpy(bytes + i * 4, &v, 4);
            }
            return true;
        case DataType::kHALF:
        case DataType::kBF16:
            for (size_t i = 0; i < count; ++i) {
                const float v = unitFloat(rng);
                const uint16_t h = type == DataType::kHALF ? floatToHalf(v) : floatToBf16(v);
                std::memcpy(bytes + i * 2, &h, 2);
            }
            return true;
        case DataType::kFP8:
            // E4M3 with exponent field <= 7: magnitudes below 2, never NaN.
            for (size_t i = 0; i < count; ++i) bytes[i] = uint8_t((rng() & 0x80u) | (rng() % 0x40u));
            return true;
        case DataType::kINT8:
            fillInts<int8_t>(dst, count, rng, 10);
            return true;
        case DataType::kUINT8:
            fillInts<uint8_t>(dst, count, rng, 10);
            return true;
        case DataType::kINT32:
            fillInts<int32_t>(dst, count, rng, 10);
            return true;
        case DataType::kINT64:
            fillInts<int64_t>(dst, count, rng, 10);
            return true;
        case DataType::kBOOL:
        case DataType::kUINT2:
            fillInts<uint8_t>(dst, count, rng, 2);
            return true;
        case DataType::kDOUBLE:
            for (size_t i = 0; i < count; ++i) {
                const double v = unitFloat(rng);
                std::memcpy(bytes + i * 8, &v, 8);
            }
            return true;
        case DataType::kINT16:
            fillInts<int16_t>(dst, count, rng, 10);
            return true;
        case DataType::kUINT16:
            fillInts<uint16_t>(dst, count, rng, 10);
            return true;
        case DataType::kUINT32:
            fillInts<uint32_t>(dst, count, rng, 10);
            return true;
        case DataType::kUINT64:
            fillInts<uint64_t>(dst, count, rng, 10);
            return true;
        case DataType::kINT4:
        case DataType::kUINT4:
            fillInts<uint8_t>(dst, count, rng, 8);  // 0..7: valid for both
            return true;
        case DataType::kINT2:
            fillInts<uint8_t>(dst, count, rng, 2);  // 0..1
            return true;
        case DataType::kFP8E5M2:
        case DataType::kFP8E4M3FNUZ:
        case DataType::kFP8E5M2FNUZ:
            // Exponent field well below the top and sign kept apart from the
            // FNUZ NaN code (0x80): small finite values only.
            for (size_t i = 0; i < count; ++i) bytes[i] = uint8_t((rng() & 0x80u) | (1u + rng() % 0x3fu));
            return true;
        case DataType::kFP4:
            fillInts<uint8_t>(dst, count, rng, 16);  // every code is finite
            return true;
        case DataType::kE8M0:
            for (size_t i = 0; i < count; ++i) bytes[i] = uint8_t(124 + rng() % 8);  // 2^-3 .. 2^4
            return true;
    }
    return false;
}

}  // namespace kiln::cli
