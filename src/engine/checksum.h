// The engine file checksum: a 64-bit, 4-lane multiply-rotate hash in the
// style of XXH64's main loop (not bit-compatible with XXH64).
//
// Why this design: it runs at memory speed (four independent lanes, 8 bytes
// per lane step) and it provably detects every change confined to one 8-byte
// word, hence every single-bit flip. Each step below is a bijection of the
// word it absorbs and of the lane state it updates (multiplication by an odd
// constant, addition and rotation are all invertible mod 2^64), so a changed
// word changes its lane's final state; the merge is a bijection of each lane
// given the others, and the final mix is a bijection too. The length is mixed
// in, so inputs that differ only by trailing zero bytes also differ. (Real
// XXH64's merge step is not injective per lane, hence the variant.)
#pragma once
#include <cstddef>
#include <cstdint>

namespace kiln::engine {

class Checksum64 {
public:
    void update(const void* data, size_t n);
    uint64_t finish() const;  // does not modify the state

private:
    void stripe(const uint8_t* p);  // absorbs 32 bytes, one word per lane

    uint64_t lane_[4] = {0x60ea27eeadc0b5d6ull, 0xc2b2ae3d27d4eb4full, 0ull, 0x61c8864e7a143579ull};
    uint8_t buf_[32] = {};
    size_t bufLen_ = 0;
    uint64_t total_ = 0;
};

uint64_t checksum64(const void* data, size_t n);

}  // namespace kiln::engine
