// Loads and stores of P consecutive float32/float16/bfloat16 elements as one
// 4-, 8- or 16-byte access, converted to and from float. The elements travel
// as 32-bit words (uint32_t/uint2/uint4), which keeps arrays of 16-bit
// element structs out of local memory.
#pragma once
#include <type_traits>

#include "device_common.cuh"

namespace kiln::cuda::dev {

// Element k (0 or 1) of a pair of 16-bit floats packed in a 32-bit word, as float.
template <class S>
__device__ __forceinline__ float unpack16(uint32_t word, int k) {
    const auto bits = uint16_t(k ? word >> 16 : word & 0xffffu);
    if constexpr (std::is_same_v<S, __half>)
        return __half2float(__ushort_as_half(bits));
    else
        return __bfloat162float(__ushort_as_bfloat16(bits));
}

template <class S>
__device__ __forceinline__ uint32_t pack16(float lo, float hi) {
    if constexpr (std::is_same_v<S, __half>)
        return uint32_t(__half_as_ushort(__float2half_rn(lo))) | uint32_t(__half_as_ushort(__float2half_rn(hi))) << 16;
    else
        return uint32_t(__bfloat16_as_ushort(__float2bfloat16_rn(lo))) |
               uint32_t(__bfloat16_as_ushort(__float2bfloat16_rn(hi))) << 16;
}

// The 32-bit words of a P-element access of S (at least one, for 16-bit P == 1 too).
template <class S, int P>
constexpr int kPackedWords = (P * int(sizeof(S)) + 3) / 4;

// out[j] = p[j] for j < P; p aligned to P * sizeof(S) when P > 1.
template <class S, int P>
__device__ __forceinline__ void loadPacked(const S* p, float (&out)[P]) {
    constexpr int kWords = kPackedWords<S, P>;
    if constexpr (P == 1) {
        out[0] = float(Elem<S>::load(*p));
        return;
    } else {
        static_assert(P * sizeof(S) == 4 * kWords && (kWords == 1 || kWords == 2 || kWords == 4), "4, 8 or 16 bytes");
        uint32_t word[kWords];
        if constexpr (kWords == 4) {
            const uint4 u = *reinterpret_cast<const uint4*>(p);
            word[0] = u.x, word[1] = u.y, word[2] = u.z, word[3] = u.w;
        } else if constexpr (kWords == 2) {
            const uint2 u = *reinterpret_cast<const uint2*>(p);
            word[0] = u.x, word[1] = u.y;
        } else {
            word[0] = *reinterpret_cast<const uint32_t*>(p);
        }
#pragma unroll
        for (int j = 0; j < P; ++j) {
            if constexpr (std::is_same_v<S, float>)
                out[j] = __uint_as_float(word[j]);
            else
                out[j] = unpack16<S>(word[j / 2], j % 2);
        }
    }
}

// p[j] = in[j] for j < P (rounded to nearest); p aligned as for loadPacked.
template <class S, int P>
__device__ __forceinline__ void storePacked(S* p, const float (&in)[P]) {
    constexpr int kWords = kPackedWords<S, P>;
    if constexpr (P == 1) {
        *p = Elem<S>::store(in[0]);
        return;
    } else {
        uint32_t word[kWords];
#pragma unroll
        for (int j = 0; j < kWords; ++j) {
            if constexpr (std::is_same_v<S, float>)
                word[j] = __float_as_uint(in[j]);
            else
                word[j] = pack16<S>(in[2 * j], in[2 * j + 1]);
        }
        if constexpr (kWords == 4)
            *reinterpret_cast<uint4*>(p) = make_uint4(word[0], word[1], word[2], word[3]);
        else if constexpr (kWords == 2)
            *reinterpret_cast<uint2*>(p) = make_uint2(word[0], word[1]);
        else
            *reinterpret_cast<uint32_t*>(p) = word[0];
    }
}

}  // namespace kiln::cuda::dev
