#include "checksum.h"

#include <bit>
#include <cstring>

namespace kiln::engine {
namespace {

constexpr uint64_t kP1 = 0x9E3779B185EBCA87ull;  // the XXH64 primes (all odd)
constexpr uint64_t kP2 = 0xC2B2AE3D27D4EB4Full;
constexpr uint64_t kP3 = 0x165667B19E3779F9ull;
constexpr uint64_t kP4 = 0x85EBCA77C2B2AE63ull;

uint64_t load64(const uint8_t* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
    return w;
}

// Bijective in `w` for a fixed `acc` and in `acc` for a fixed `w`.
uint64_t round(uint64_t acc, uint64_t w) { return std::rotl(acc + w * kP2, 31) * kP1; }

}  // namespace

void Checksum64::stripe(const uint8_t* p) {
    lane_[0] = round(lane_[0], load64(p));
    lane_[1] = round(lane_[1], load64(p + 8));
    lane_[2] = round(lane_[2], load64(p + 16));
    lane_[3] = round(lane_[3], load64(p + 24));
}

void Checksum64::update(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    total_ += n;
    if (bufLen_) {
        const size_t take = n < 32 - bufLen_ ? n : 32 - bufLen_;
        std::memcpy(buf_ + bufLen_, p, take);
        bufLen_ += take;
        p += take;
        n -= take;
        if (bufLen_ < 32) return;
        stripe(buf_);
        bufLen_ = 0;
    }
    // Lanes in locals: `p` may alias the members, which would otherwise force
    // a store and reload of every lane per stripe.
    uint64_t l0 = lane_[0], l1 = lane_[1], l2 = lane_[2], l3 = lane_[3];
    for (; n >= 32; p += 32, n -= 32) {
        l0 = round(l0, load64(p));
        l1 = round(l1, load64(p + 8));
        l2 = round(l2, load64(p + 16));
        l3 = round(l3, load64(p + 24));
    }
    lane_[0] = l0, lane_[1] = l1, lane_[2] = l2, lane_[3] = l3;
    std::memcpy(buf_, p, n);
    bufLen_ = n;
}

uint64_t Checksum64::finish() const {
    uint64_t lane[4] = {lane_[0], lane_[1], lane_[2], lane_[3]};
    // The 0..31 buffered bytes: whole words go to lanes 0, 1, 2; a partial
    // word is zero-padded (the length below tells the padding apart).
    uint8_t tail[32] = {};
    std::memcpy(tail, buf_, bufLen_);
    for (size_t i = 0; i * 8 < bufLen_; ++i) lane[i] = round(lane[i], load64(tail + i * 8));

    uint64_t h = total_;
    for (uint64_t l : lane) h = std::rotl(h ^ l, 27) * kP1 + kP4;
    // Final avalanche (xorshift and odd multiply: bijective).
    h ^= h >> 33;
    h *= kP2;
    h ^= h >> 29;
    h *= kP3;
    h ^= h >> 32;
    return h;
}

uint64_t checksum64(const void* data, size_t n) {
    Checksum64 c;
    c.update(data, n);
    return c.finish();
}

}  // namespace kiln::engine
