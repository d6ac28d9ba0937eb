// Shared device-side plumbing of the project's own CUDA kernels: element
// storage types and their compute types (16-bit floats compute in float32),
// host-side dtype dispatch, launch geometry, 16-byte vectors and strided
// index decomposition passed by value (so launches need no host copies).
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>
#include <type_traits>

#include "../cuda_check.h"
#include "../tactic.h"

namespace kiln::cuda::dev {

struct Bool8 {
    uint8_t v;
};

// Elem<S>: Compute is the arithmetic type; load/store convert.
template <class S>
struct Elem {
    using Compute = S;
    __device__ __forceinline__ static S load(S s) { return s; }
    __device__ __forceinline__ static S store(S c) { return c; }
};
template <>
struct Elem<__half> {
    using Compute = float;
    __device__ __forceinline__ static float load(__half h) { return __half2float(h); }
    __device__ __forceinline__ static __half store(float f) { return __float2half_rn(f); }
};
template <>
struct Elem<__nv_bfloat16> {
    using Compute = float;
    __device__ __forceinline__ static float load(__nv_bfloat16 h) { return __bfloat162float(h); }
    __device__ __forceinline__ static __nv_bfloat16 store(float f) { return __float2bfloat16_rn(f); }
};
template <>
struct Elem<Bool8> {
    using Compute = bool;
    __device__ __forceinline__ static bool load(Bool8 b) { return b.v != 0; }
    __device__ __forceinline__ static Bool8 store(bool b) { return {uint8_t(b ? 1 : 0)}; }
};

// FP8 E4M3 (saturating, NaN 0x7f), converted exactly as ir::floatToFP8E4M3.
struct Fp8 {
    uint8_t v;
};
template <>
struct Elem<Fp8> {
    using Compute = float;
    __device__ static float load(Fp8 f) {
        const int exp = (f.v >> 3) & 0xf, mant = f.v & 7;
        if (exp == 15 && mant == 7) return __int_as_float(0x7fc00000);
        const float r = exp == 0 ? ldexpf(float(mant), -9) : ldexpf(1.0f + float(mant) / 8.0f, exp - 7);
        return (f.v & 0x80) ? -r : r;
    }
    __device__ static Fp8 store(float f) {
        if (isnan(f)) return {0x7f};
        const uint8_t sign = signbit(f) ? 0x80 : 0;
        const float a = fabsf(f);
        if (a >= 464.0f) return {uint8_t(sign | 0x7e)};
        if (a < ldexpf(1.0f, -10)) return {sign};
        int e;
        frexpf(a, &e);
        int exp = e - 1;
        if (exp < -6) {
            const int m = int(rintf(a * 512.0f));
            return {uint8_t(m >= 8 ? (sign | 0x08) : (sign | m))};
        }
        int m = int(rintf((a / ldexpf(1.0f, exp) - 1.0f) * 8.0f));
        if (m == 8) {
            m = 0;
            ++exp;
        }
        if (exp > 8 || (exp == 8 && m > 6)) return {uint8_t(sign | 0x7e)};
        return {uint8_t(sign | ((exp + 7) << 3) | m)};
    }
};

template <class S>
using ComputeT = typename Elem<S>::Compute;
template <class S>
constexpr bool kIsFloat = std::is_floating_point_v<ComputeT<S>>;
template <class S>
constexpr bool kIsBool = std::is_same_v<S, Bool8>;
template <class S>
constexpr bool kIsInt = std::is_integral_v<S>;

template <class S>
struct Tag {
    using type = S;
};

// Calls fn(Tag<S>{}) with S the device storage type of t (fp8 is not handled).
template <class Fn>
Status visitType(ir::DType t, Fn&& fn) {
    switch (t) {
        case ir::DType::kF32:
            return fn(Tag<float>{});
        case ir::DType::kF16:
            return fn(Tag<__half>{});
        case ir::DType::kBF16:
            return fn(Tag<__nv_bfloat16>{});
        case ir::DType::kI8:
            return fn(Tag<int8_t>{});
        case ir::DType::kU8:
            return fn(Tag<uint8_t>{});
        case ir::DType::kI32:
            return fn(Tag<int32_t>{});
        case ir::DType::kI64:
            return fn(Tag<int64_t>{});
        case ir::DType::kBool:
            return fn(Tag<Bool8>{});
        case ir::DType::kF64:
            return fn(Tag<double>{});
        default:
            break;
    }
    return Status::Error("dtype " + std::string(ir::dtypeName(t)) + " is not supported on CUDA");
}

// Calls fn for the float types only (f32, f16, bf16).
template <class Fn>
Status visitFloatType(ir::DType t, Fn&& fn) {
    switch (t) {
        case ir::DType::kF32:
            return fn(Tag<float>{});
        case ir::DType::kF16:
            return fn(Tag<__half>{});
        case ir::DType::kBF16:
            return fn(Tag<__nv_bfloat16>{});
        default:
            break;
    }
    return Status::Error("dtype " + std::string(ir::dtypeName(t)) + " is not a float type supported on CUDA");
}

inline bool isDeviceFloat(ir::DType t) { return t == ir::DType::kF32 || t == ir::DType::kF16 || t == ir::DType::kBF16; }
inline bool isDeviceType(ir::DType t) { return t != ir::DType::kFP8 && ir::dtypeValid(int(t)); }

// Element i of a float32/float16/bfloat16 buffer (dtype chosen at run time,
// uniform across a launch) as float.
__device__ __forceinline__ float loadFloatAny(const void* p, ir::DType t, int64_t i) {
    switch (t) {
        case ir::DType::kF16:
            return __half2float(static_cast<const __half*>(p)[i]);
        case ir::DType::kBF16:
            return __bfloat162float(static_cast<const __nv_bfloat16*>(p)[i]);
        default:
            return static_cast<const float*>(p)[i];
    }
}

// visitType with fp8 too (Cast).
template <class Fn>
Status visitTypeWithFp8(ir::DType t, Fn&& fn) {
    if (t == ir::DType::kFP8) return fn(Tag<Fp8>{});
    return visitType(t, fn);
}

constexpr int kBlock = 256;

// Grid for a grid-stride loop over n items: enough blocks to fill the GPU
// several times over, never more than needed.
inline unsigned gridFor(int64_t n, int block = kBlock) {
    const int64_t blocks = (n + block - 1) / block;
    return unsigned(blocks < 1 ? 1 : (blocks > 65535 * 4 ? 65535 * 4 : blocks));
}

// 16 bytes of elements, for vectorized global loads and stores.
template <class T>
struct alignas(16) Vec16 {
    static constexpr int kN = sizeof(T) <= 16 ? int(16 / sizeof(T)) : 1;
    T v[kN];
};

inline bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

// Row-major decomposition of a linear index over up to 8 dims, producing one
// strided offset per operand.
constexpr int kMaxDims = 8;
template <int N>
struct StridedIndex {
    int rank = 0;
    int64_t dims[kMaxDims];
    int64_t strides[N][kMaxDims];

    __device__ __forceinline__ void offsets(int64_t i, int64_t (&off)[N]) const {
#pragma unroll
        for (int k = 0; k < N; ++k) off[k] = 0;
        for (int d = rank - 1; d >= 0; --d) {
            const int64_t q = i / dims[d];
            const int64_t c = i - q * dims[d];
            i = q;
#pragma unroll
            for (int k = 0; k < N; ++k) off[k] += c * strides[k][d];
        }
    }
};

// Builds a StridedIndex for `out` where operand k has element strides
// `strides[k]` over the same dims (0 for broadcast dims). Dims of extent 1 are
// dropped and adjacent dims merged when every operand is contiguous across them.
template <int N>
Status makeStridedIndex(const ir::Shape& out, const std::vector<std::vector<int64_t>>& strides, StridedIndex<N>& si) {
    std::vector<int64_t> dims;
    std::vector<std::vector<int64_t>> st(N);
    for (size_t d = 0; d < out.size(); ++d) {
        if (out[d] == 1) continue;
        bool merge = !dims.empty();
        for (int k = 0; k < N && merge; ++k) merge = st[size_t(k)].back() == strides[size_t(k)][d] * out[d];
        if (merge) {
            dims.back() *= out[d];
            for (int k = 0; k < N; ++k) st[size_t(k)].back() = strides[size_t(k)][d];
        } else {
            dims.push_back(out[d]);
            for (int k = 0; k < N; ++k) st[size_t(k)].push_back(strides[size_t(k)][d]);
        }
    }
    if (dims.size() > size_t(kMaxDims))
        return Status::Error("more than " + std::to_string(kMaxDims) + " dims after collapsing");
    si.rank = int(dims.size());
    for (size_t d = 0; d < dims.size(); ++d) {
        si.dims[d] = dims[d];
        for (int k = 0; k < N; ++k) si.strides[k][d] = st[size_t(k)][d];
    }
    return Status::Ok();
}

// Element strides of `in` broadcast (numpy rules) to the rank of `out`:
// 0 where `in` has extent 1 or lacks the dim.
inline std::vector<int64_t> broadcastStrides(const ir::Shape& in, const ir::Shape& out) {
    std::vector<int64_t> st(out.size(), 0);
    int64_t s = 1;
    for (size_t i = in.size(); i-- > 0;) {
        const size_t d = out.size() - in.size() + i;
        st[d] = in[i] == 1 ? 0 : s;
        s *= in[i];
    }
    return st;
}

inline bool broadcastsTo(const ir::Shape& in, const ir::Shape& out) {
    if (in.size() > out.size()) return false;
    for (size_t i = 0; i < in.size(); ++i) {
        const int64_t o = out[out.size() - in.size() + i];
        if (in[i] != 1 && in[i] != o) return false;
    }
    return true;
}

}  // namespace kiln::cuda::dev

namespace kiln::cuda::dev {

// y[i] = f(x[i]) over n elements; 16-byte loads when x is aligned, and
// 16-byte stores too when y has x's element size and is aligned.
template <class S, class Out, class F>
__global__ void mapFlatKernel(const S* __restrict__ x, Out* __restrict__ y, int64_t n, F f, bool vec) {
    constexpr int V = Vec16<S>::kN;
    constexpr bool kWideStore = sizeof(Out) == sizeof(S) && Vec16<Out>::kN == V;
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    const int64_t tid = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    int64_t done = 0;
    if (vec) {
        const int64_t nv = n / V;
        for (int64_t i = tid; i < nv; i += stride) {
            const Vec16<S> vx = reinterpret_cast<const Vec16<S>*>(x)[i];
            if constexpr (kWideStore) {
                Vec16<Out> vy;
#pragma unroll
                for (int k = 0; k < V; ++k) vy.v[k] = f(vx.v[k]);
                reinterpret_cast<Vec16<Out>*>(y)[i] = vy;
            } else {
#pragma unroll
                for (int k = 0; k < V; ++k) y[i * V + k] = f(vx.v[k]);
            }
        }
        done = nv * V;
    }
    for (int64_t i = done + tid; i < n; i += stride) y[i] = f(x[i]);
}

template <class S, class Out, class F>
Status mapFlat(const S* x, Out* y, int64_t n, F f, cudaStream_t stream) {
    if (n <= 0) return Status::Ok();
    const bool vec = aligned16(x) && (sizeof(Out) != sizeof(S) || aligned16(y));
    mapFlatKernel<S, Out, F><<<gridFor(vec ? n / Vec16<S>::kN + 1 : n), kBlock, 0, stream>>>(x, y, n, f, vec);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

}  // namespace kiln::cuda::dev
