// Normalization on CUDA (layer, instance and group norm of docs/ops.md):
// Y = (X - mean) / sqrt(var + epsilon) * Scale + Bias with the biased
// variance from a two-pass mean/variance, one block per normalized row.
// float32 accumulates in double, 16-bit types in float32.
#include <algorithm>
#include <cmath>

#include "device_common.cuh"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;

template <class A>
__device__ A blockSum(A v, A* shared) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
    __syncthreads();
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    if (warp == 0) {  // only warp 0 reads the partial sums: lane 0 overwrites shared[0] below
        A r = lane < nw ? shared[lane] : A(0);
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) r += __shfl_xor_sync(0xffffffffu, r, o);
        if (lane == 0) shared[0] = r;
    }
    __syncthreads();
    return shared[0];
}

__device__ __forceinline__ int64_t offsetOf(const StridedIndex<1>& si, int64_t i) {
    if (si.rank == 0) return 0;
    if (si.rank == 1) return i * si.strides[0][0];
    int64_t off[1];
    si.offsets(i, off);
    return off[0];
}

// Where row r, element j of X, Scale and Bias live.
struct NormLayout {
    bool group;
    // layer: strided rows (kept dims) and elements (normalized dims) per operand
    StridedIndex<1> rowX, elemX, rowS, elemS, rowB, elemB;
    // group: contiguous blocks of perGroup channels x spatial
    int64_t groups, perGroup, spatial;
    int64_t rowLen;
};

template <class S, class P>
__global__ void normKernel(const S* __restrict__ x, const P* __restrict__ scale, const P* __restrict__ bias,
                           S* __restrict__ y, int64_t rows, NormLayout L, double eps) {
    using A = std::conditional_t<std::is_same_v<S, float>, double, float>;
    __shared__ A shared[32];
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const int64_t xBase = L.group ? r * L.rowLen : offsetOf(L.rowX, r);
        auto xAt = [&](int64_t j) { return L.group ? xBase + j : xBase + offsetOf(L.elemX, j); };
        A sum = 0;
        for (int64_t j = threadIdx.x; j < L.rowLen; j += blockDim.x) sum += A(Elem<S>::load(x[xAt(j)]));
        const A mean = blockSum(sum, shared) / A(L.rowLen);
        A sq = 0;
        for (int64_t j = threadIdx.x; j < L.rowLen; j += blockDim.x) {
            const A d = A(Elem<S>::load(x[xAt(j)])) - mean;
            sq += d * d;
        }
        const A invStd = A(1) / sqrt(blockSum(sq, shared) / A(L.rowLen) + A(eps));
        const int64_t sBase = L.group ? 0 : offsetOf(L.rowS, r), bBase = L.group ? 0 : offsetOf(L.rowB, r);
        const int64_t firstChannel = L.group ? (r % L.groups) * L.perGroup : 0;
        for (int64_t j = threadIdx.x; j < L.rowLen; j += blockDim.x) {
            int64_t so, bo;
            if (L.group)
                so = bo = firstChannel + j / L.spatial;
            else {
                so = sBase + offsetOf(L.elemS, j);
                bo = bBase + offsetOf(L.elemB, j);
            }
            const A v = (A(Elem<S>::load(x[xAt(j)])) - mean) * invStd * A(Elem<P>::load(scale[so])) +
                        A(Elem<P>::load(bias[bo]));
            y[xAt(j)] = Elem<S>::store(ComputeT<S>(v));
        }
    }
}

// Layer norm over contiguous rows of n <= 32*K elements with one Scale/Bias
// row for all: one warp per row, the row in registers (one read, one write),
// the same two-pass mean/variance as normKernel.
template <class S, class P, int K>
__global__ void normRowsWarp(const S* __restrict__ x, const P* __restrict__ scale, const P* __restrict__ bias,
                             S* __restrict__ y, int64_t rows, int n, double eps) {
    using A = std::conditional_t<std::is_same_v<S, float>, double, float>;
    const int lane = threadIdx.x & 31;
    const int64_t warps = (int64_t(gridDim.x) * blockDim.x) >> 5;
    for (int64_t r = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) >> 5; r < rows; r += warps) {
        const S* xr = x + r * n;
        A v[K];
        A sum = 0;
#pragma unroll
        for (int k = 0; k < K; ++k) {
            const int j = lane + k * 32;
            v[k] = j < n ? A(Elem<S>::load(xr[j])) : A(0);
            sum += v[k];
        }
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);
        const A mean = sum / A(n);
        A sq = 0;
#pragma unroll
        for (int k = 0; k < K; ++k)
            if (lane + k * 32 < n) {
                v[k] -= mean;
                sq += v[k] * v[k];
            }
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) sq += __shfl_xor_sync(0xffffffffu, sq, o);
        const A invStd = A(1) / sqrt(sq / A(n) + A(eps));
        S* yr = y + r * n;
#pragma unroll
        for (int k = 0; k < K; ++k) {
            const int j = lane + k * 32;
            if (j < n)
                yr[j] =
                    Elem<S>::store(ComputeT<S>(v[k] * invStd * A(Elem<P>::load(scale[j])) + A(Elem<P>::load(bias[j]))));
        }
    }
}

// Blocks for the warp-per-row kernels: 8 warps (rows) per block.
unsigned warpRowBlocks(int64_t rows) { return unsigned(std::min<int64_t>((rows + 7) / 8, 65535 * 8)); }

template <class S, class P, int K>
void launchNormRowsWarp(const S* x, const P* scale, const P* bias, S* y, int64_t rows, int n, double eps,
                        cudaStream_t stream) {
    normRowsWarp<S, P, K><<<warpRowBlocks(rows), kBlock, 0, stream>>>(x, scale, bias, y, rows, n, eps);
}

// As normRowsWarp for 16-bit rows whose length n is a multiple of 8: each
// lane moves 8 elements (16 bytes) per load and store, so a warp's pass
// covers 256 elements and a row takes C <= 4 passes (ViT's and BERT's 768: 3),
// instead of 2-byte accesses (0.043 ms a LayerNorm of [128, 197, 768] on the
// H200, 42% of its copy bandwidth).
template <class S, class P, int C>
__global__ void normRowsVec(const S* __restrict__ x, const P* __restrict__ scale, const P* __restrict__ bias,
                            S* __restrict__ y, int64_t rows, int n, double eps) {
    static_assert(sizeof(S) == 2, "16-bit rows");
    const int lane = threadIdx.x & 31, vecs = n >> 3;
    const int64_t warps = (int64_t(gridDim.x) * blockDim.x) >> 5;
    for (int64_t r = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) >> 5; r < rows; r += warps) {
        const uint4* xr = reinterpret_cast<const uint4*>(x + r * n);
        float v[C][8];
        float sum = 0;
#pragma unroll
        for (int c = 0; c < C; ++c) {
            const int q = c * 32 + lane;
            uint4 u = make_uint4(0, 0, 0, 0);
            if (q < vecs) u = xr[q];
            S h[8];
            memcpy(h, &u, sizeof u);
#pragma unroll
            for (int e = 0; e < 8; ++e) {
                v[c][e] = q < vecs ? float(Elem<S>::load(h[e])) : 0.f;
                sum += v[c][e];
            }
        }
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);
        const float mean = sum / float(n);
        float sq = 0;
#pragma unroll
        for (int c = 0; c < C; ++c)
            if (c * 32 + lane < vecs) {
#pragma unroll
                for (int e = 0; e < 8; ++e) {
                    v[c][e] -= mean;
                    sq += v[c][e] * v[c][e];
                }
            }
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) sq += __shfl_xor_sync(0xffffffffu, sq, o);
        const float invStd = 1.f / sqrtf(sq / float(n) + float(eps));
        uint4* yr = reinterpret_cast<uint4*>(y + r * n);
#pragma unroll
        for (int c = 0; c < C; ++c) {
            const int q = c * 32 + lane;
            if (q >= vecs) continue;
            S h[8];
#pragma unroll
            for (int e = 0; e < 8; ++e) {
                const int j = q * 8 + e;
                h[e] = Elem<S>::store(ComputeT<S>(v[c][e] * invStd * float(Elem<P>::load(scale[j])) +
                                                  float(Elem<P>::load(bias[j]))));
            }
            uint4 u;
            memcpy(&u, h, sizeof u);
            yr[q] = u;
        }
    }
}

// Contiguous rows of X, one contiguous Scale/Bias row shared by all rows.
bool plainRows(const NormLayout& L, int64_t rows) {
    auto unit = [](const StridedIndex<1>& e) { return e.rank == 1 && e.strides[0][0] == 1; };
    auto shared = [](const StridedIndex<1>& r) { return r.rank == 0 || (r.rank == 1 && r.strides[0][0] == 0); };
    const bool rowsContiguous = rows == 1 || (L.rowX.rank == 1 && L.rowX.strides[0][0] == L.rowLen);
    return !L.group && L.rowLen > 1 && L.rowLen <= 1024 && unit(L.elemX) && rowsContiguous && unit(L.elemS) &&
           unit(L.elemB) && shared(L.rowS) && shared(L.rowB);
}

template <class S, class P>
void launchNormRows(const S* x, const P* scale, const P* bias, S* y, int64_t rows, int n, double eps,
                    cudaStream_t stream) {
    if constexpr (sizeof(S) == 2) {
        const bool aligned = ((reinterpret_cast<uintptr_t>(x) | reinterpret_cast<uintptr_t>(y)) & 15) == 0;
        if (aligned && n % 8 == 0 && n <= 1024) {
            auto launch = [&](auto kernel) {
                kernel<<<warpRowBlocks(rows), kBlock, 0, stream>>>(x, scale, bias, y, rows, n, eps);
            };
            if (n <= 256)
                launch(normRowsVec<S, P, 1>);
            else if (n <= 512)
                launch(normRowsVec<S, P, 2>);
            else if (n <= 768)
                launch(normRowsVec<S, P, 3>);
            else
                launch(normRowsVec<S, P, 4>);
            return;
        }
    }
    if (n <= 128)
        launchNormRowsWarp<S, P, 4>(x, scale, bias, y, rows, n, eps, stream);
    else if (n <= 256)
        launchNormRowsWarp<S, P, 8>(x, scale, bias, y, rows, n, eps, stream);
    else if (n <= 512)
        launchNormRowsWarp<S, P, 16>(x, scale, bias, y, rows, n, eps, stream);
    else if (n <= 768)
        launchNormRowsWarp<S, P, 24>(x, scale, bias, y, rows, n, eps, stream);
    else
        launchNormRowsWarp<S, P, 32>(x, scale, bias, y, rows, n, eps, stream);
}

// Strides of p broadcast to x (0 on broadcast dims); false if it does not broadcast.
bool paramStrides(const ir::Shape& p, const ir::Shape& x, std::vector<int64_t>& st) {
    if (!broadcastsTo(p, x)) return false;
    st = broadcastStrides(p, x);
    return true;
}

Status split(const ir::Shape& x, const std::vector<bool>& mask, const std::vector<int64_t>& st, StridedIndex<1>& rows,
             StridedIndex<1>& elems) {
    ir::Shape kept, red;
    std::vector<int64_t> ks, rs;
    for (size_t d = 0; d < x.size(); ++d) {
        (mask[d] ? red : kept).push_back(x[d]);
        (mask[d] ? rs : ks).push_back(st[d]);
    }
    KILN_RETURN_IF_ERROR(makeStridedIndex<1>(kept, {ks}, rows));
    return makeStridedIndex<1>(red, {rs}, elems);
}

}  // namespace

bool normalizationSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in,
                           const std::vector<ir::TensorDesc>& out) {
    return in.size() == 3 && out.size() == 1 && isDeviceFloat(in[0].dtype) && in[1].dtype == in[2].dtype &&
           (in[1].dtype == in[0].dtype || in[1].dtype == ir::DType::kF32) && out[0].dtype == in[0].dtype &&
           in[0].shape.size() <= size_t(kMaxDims);
}

Status normalization(LaunchArgs& a) {
    const DeviceTensor &X = a.inputs[0], &Sc = a.inputs[1], &B = a.inputs[2];
    DeviceTensor& Y = a.outputs[0];
    if (Y.shape != X.shape || Y.dtype != X.dtype || Sc.dtype != B.dtype)
        return Status::Error("normalization: output does not match X, or Scale and Bias differ in dtype");
    const double eps = a.node.attrs.getFloat("epsilon", 1e-5);
    const std::string kind = a.node.attrs.getString("kind", "layer");
    NormLayout L{};
    int64_t rows = 0;
    if (kind == "layer") {
        const std::vector<int64_t> axes = a.node.attrs.getInts("axes", {-1});
        if (axes.empty()) return Status::Error("normalization: layer needs at least one axis");
        std::vector<bool> mask(X.shape.size(), false);
        for (int64_t ax : axes) {
            if (!ir::normalizeAxis(ax, int64_t(X.shape.size())) || mask[size_t(ax)])
                return Status::Error("normalization: invalid or repeated axis");
            mask[size_t(ax)] = true;
        }
        std::vector<int64_t> ss, bs;
        if (!paramStrides(Sc.shape, X.shape, ss) || !paramStrides(B.shape, X.shape, bs))
            return Status::Error("normalization: Scale or Bias does not broadcast to X");
        KILN_RETURN_IF_ERROR(split(X.shape, mask, ir::stridesOf(X.shape), L.rowX, L.elemX));
        KILN_RETURN_IF_ERROR(split(X.shape, mask, ss, L.rowS, L.elemS));
        KILN_RETURN_IF_ERROR(split(X.shape, mask, bs, L.rowB, L.elemB));
        L.rowLen = 1;
        rows = 1;
        for (size_t d = 0; d < X.shape.size(); ++d) (mask[d] ? L.rowLen : rows) *= X.shape[d];
    } else if (kind == "instance" || kind == "group") {
        if (X.shape.size() < 2) return Status::Error("normalization: X must be [N, C, ...]");
        if (X.numel() == 0) return Status::Ok();
        const int64_t batch = X.shape[0], channels = X.shape[1];
        L.group = true;
        L.spatial = X.numel() / (batch * channels);
        L.groups = kind == "instance" ? channels : a.node.attrs.getInt("num_groups", 1);
        if (L.groups < 1 || channels % L.groups != 0)
            return Status::Error("normalization: channels do not split into groups");
        if (Sc.numel() != channels || B.numel() != channels)
            return Status::Error("normalization: Scale and Bias must have C elements");
        L.perGroup = channels / L.groups;
        L.rowLen = L.perGroup * L.spatial;
        rows = batch * L.groups;
    } else {
        return Status::Error("normalization: unknown kind '" + kind + "'");
    }
    if (rows <= 0 || L.rowLen <= 0) return Status::Ok();
    const unsigned grid = unsigned(std::min<int64_t>(rows, 65535 * 8));
    return visitFloatType(X.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        if (plainRows(L, rows)) {
            if (Sc.dtype == X.dtype)
                launchNormRows<S, S>(X.as<const S>(), Sc.as<const S>(), B.as<const S>(), Y.as<S>(), rows, int(L.rowLen),
                                     eps, a.stream);
            else
                launchNormRows<S, float>(X.as<const S>(), Sc.as<const float>(), B.as<const float>(), Y.as<S>(), rows,
                                         int(L.rowLen), eps, a.stream);
        } else if (Sc.dtype == X.dtype)
            normKernel<S, S><<<grid, kBlock, 0, a.stream>>>(X.as<const S>(), Sc.as<const S>(), B.as<const S>(),
                                                            Y.as<S>(), rows, L, eps);
        else
            normKernel<S, float><<<grid, kBlock, 0, a.stream>>>(X.as<const S>(), Sc.as<const float>(),
                                                                B.as<const float>(), Y.as<S>(), rows, L, eps);
        KILN_CUDA_CHECK_LAUNCH();
        return Status::Ok();
    });
}

}  // namespace kiln::cuda::kernels
