// FusedAttention (docs/ops.md) on tensor cores: Y = softmax(scale * Q K^T + M) V
// in one pass over the keys (the online softmax of FlashAttention), so the
// [.., Sq, Sk] scores never reach memory. 16-bit Q, K, V (float16 or
// bfloat16), head sizes 64 and 128, float32 scores and accumulators.
//
// A block takes 64 query rows of one batch entry; each of its 4 warps owns 16
// rows. Per tile of 64 keys: the block stages K and V in shared memory, each
// warp computes its 16x64 scores with WMMA, rescales its running maximum and
// sum, writes the probabilities as 16-bit values and multiplies them by V
// with WMMA; each lane keeps half a row of the output in registers.
#include <mma.h>

#include <cfloat>

#include "device_common.cuh"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace nvcuda;

constexpr int kRows = 64;  // query rows per block
constexpr int kKeys = 64;  // keys per tile
constexpr int kWarps = kRows / 16;
constexpr int kPad = 8;  // 16-bit elements after each shared row: spreads the banks, keeps 32-byte fragments aligned
constexpr int kMaxBatchDims = 6;

// Where the mask element of (batch entry, query row, key) lives: strides per
// axis of [batch.., Sq, Sk], 0 along broadcast axes.
struct MaskIndex {
    int64_t batchDims[kMaxBatchDims];
    int64_t batchStrides[kMaxBatchDims];
    int nBatchDims;
    int64_t rowStride, keyStride;
};

template <int D, bool TransK>
struct Smem {
    static constexpr int kLd = D + kPad;                            // Q, V and K stored [key][d]
    static constexpr int kKLd = TransK ? kLd : kKeys + kPad;        // K stored [d][key] otherwise
    static constexpr int kKRows = TransK ? kKeys : D;
    static constexpr int kSLd = (D > kKeys ? D : kKeys) + 4;        // float scores, then P.V
    static constexpr int kPLd = kKeys + kPad;
    static constexpr size_t kQ = size_t(kRows) * kLd, kK = size_t(kKRows) * kKLd, kV = size_t(kKeys) * kLd;
    static constexpr size_t kP = size_t(kRows) * kPLd;                // 16-bit elements
    static constexpr size_t kS = size_t(kRows) * kSLd;                // floats
    static constexpr size_t bytes() { return kS * 4 + (kQ + kK + kV + kP) * 2; }
};

// Copies `rows` x D elements (row stride D in global memory) into shared rows
// of stride ld, zero-filling rows at or beyond `valid`; 16-byte vectors.
template <class T, int D>
__device__ void stageRows(T* dst, int ld, const T* src, int rows, int valid) {
    constexpr int kVec = 8;  // 16-bit elements per 16 bytes
    for (int i = threadIdx.x; i < rows * (D / kVec); i += blockDim.x) {
        const int r = i / (D / kVec), c = (i % (D / kVec)) * kVec;
        uint4 v = make_uint4(0, 0, 0, 0);
        if (r < valid) v = *reinterpret_cast<const uint4*>(src + size_t(r) * D + c);
        *reinterpret_cast<uint4*>(dst + r * ld + c) = v;
    }
}

template <class T, int D, bool TransK>
__global__ void __launch_bounds__(kWarps * 32) attentionKernel(const T* __restrict__ q, const T* __restrict__ k,
                                                                const T* __restrict__ v, const T* __restrict__ mask,
                                                                T* __restrict__ y, int sq, int sk, float scale,
                                                                MaskIndex mi) {
    using S = Smem<D, TransK>;
    extern __shared__ __align__(128) unsigned char smem[];
    float* sS = reinterpret_cast<float*>(smem);
    T* sQ = reinterpret_cast<T*>(sS + S::kS);
    T* sK = sQ + S::kQ;
    T* sV = sK + S::kK;
    T* sP = sV + S::kV;

    const int64_t b = blockIdx.x;
    const int row0 = blockIdx.y * kRows;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const T* qb = q + b * int64_t(sq) * D;
    const T* kb = k + b * int64_t(sk) * D;
    const T* vb = v + b * int64_t(sk) * D;
    int64_t mbase = 0;
    if (mask) {
        int64_t rem = b;
        for (int a = mi.nBatchDims - 1; a >= 0; --a) {
            mbase += (rem % mi.batchDims[a]) * mi.batchStrides[a];
            rem /= mi.batchDims[a];
        }
    }
    stageRows<T, D>(sQ, S::kLd, qb + int64_t(row0) * D, kRows, sq - row0);

    // This lane's half row of the warp's 16 rows.
    constexpr int kHalf = D / 2, kKeyHalf = kKeys / 2;
    const int lrow = lane / 2, wrow = warp * 16 + lrow, qrow = row0 + wrow;
    float o[kHalf];
#pragma unroll
    for (int c = 0; c < kHalf; ++c) o[c] = 0.f;
    float m = -INFINITY, l = 0.f;
    float* sSw = sS + warp * 16 * S::kSLd;
    T* sPw = sP + warp * 16 * S::kPLd;

    for (int key0 = 0; key0 < sk; key0 += kKeys) {
        const int keys = min(kKeys, sk - key0);
        __syncthreads();  // the previous tile's K and V are no longer read
        if (TransK) {
            stageRows<T, D>(sK, S::kKLd, kb + int64_t(key0) * D, kKeys, keys);
        } else {  // K is [D, Sk]: rows of odd length, element by element
            for (int i = threadIdx.x; i < D * kKeys; i += blockDim.x) {
                const int d = i / kKeys, j = i % kKeys;
                sK[d * S::kKLd + j] = j < keys ? kb[int64_t(d) * sk + key0 + j] : T(0.f);
            }
        }
        stageRows<T, D>(sV, S::kLd, vb + int64_t(key0) * D, kKeys, keys);
        __syncthreads();

        // Scores: the warp's 16 rows against the tile's 64 keys.
#pragma unroll
        for (int n = 0; n < kKeys / 16; ++n) {
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
            wmma::fill_fragment(acc, 0.f);
#pragma unroll
            for (int kk = 0; kk < D / 16; ++kk) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> fa;
                wmma::load_matrix_sync(fa, sQ + warp * 16 * S::kLd + kk * 16, S::kLd);
                if constexpr (TransK) {
                    wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> fb;
                    wmma::load_matrix_sync(fb, sK + n * 16 * S::kKLd + kk * 16, S::kKLd);
                    wmma::mma_sync(acc, fa, fb, acc);
                } else {
                    wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::row_major> fb;
                    wmma::load_matrix_sync(fb, sK + kk * 16 * S::kKLd + n * 16, S::kKLd);
                    wmma::mma_sync(acc, fa, fb, acc);
                }
            }
            wmma::store_matrix_sync(sSw + n * 16, acc, S::kSLd, wmma::mem_row_major);
        }
        __syncwarp();

        // Online softmax over this lane's half of its row's keys.
        const int c0 = (lane % 2) * kKeyHalf;
        float s[kKeyHalf];
        float tileMax = -INFINITY;
#pragma unroll
        for (int j = 0; j < kKeyHalf; ++j) {
            const int key = key0 + c0 + j;
            float x = -INFINITY;
            if (c0 + j < keys) {
                x = sSw[lrow * S::kSLd + c0 + j] * scale;
                if (mask && qrow < sq)
                    x += dev::Elem<T>::load(mask[mbase + int64_t(qrow) * mi.rowStride + int64_t(key) * mi.keyStride]);
            }
            s[j] = x;
            tileMax = fmaxf(tileMax, x);
        }
        tileMax = fmaxf(tileMax, __shfl_xor_sync(0xffffffffu, tileMax, 1));
        const float mNew = fmaxf(m, tileMax);
        // A row with every key masked so far keeps zero weights (no inf - inf).
        const float alpha = mNew == -INFINITY ? 1.f : __expf(m - mNew);
        float sum = 0.f;
#pragma unroll
        for (int j = 0; j < kKeyHalf; ++j) {
            const float p = mNew == -INFINITY ? 0.f : __expf(s[j] - mNew);
            sum += p;
            sPw[lrow * S::kPLd + c0 + j] = dev::Elem<T>::store(p);
        }
        sum += __shfl_xor_sync(0xffffffffu, sum, 1);
        l = l * alpha + sum;
        m = mNew;
        __syncwarp();

        // P V into the score scratch, then into the registers.
#pragma unroll
        for (int n = 0; n < D / 16; ++n) {
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
            wmma::fill_fragment(acc, 0.f);
#pragma unroll
            for (int kk = 0; kk < kKeys / 16; ++kk) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> fa;
                wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::row_major> fb;
                wmma::load_matrix_sync(fa, sPw + kk * 16, S::kPLd);
                wmma::load_matrix_sync(fb, sV + kk * 16 * S::kLd + n * 16, S::kLd);
                wmma::mma_sync(acc, fa, fb, acc);
            }
            wmma::store_matrix_sync(sSw + n * 16, acc, S::kSLd, wmma::mem_row_major);
        }
        __syncwarp();
        const int d0 = (lane % 2) * kHalf;
#pragma unroll
        for (int c = 0; c < kHalf; ++c) o[c] = o[c] * alpha + sSw[lrow * S::kSLd + d0 + c];
        __syncwarp();
    }

    if (qrow >= sq) return;
    const float inv = 1.f / l;  // 0/0 (NaN) for a row with every key masked, as the reference
    T* yr = y + (b * sq + qrow) * int64_t(D) + (lane % 2) * kHalf;
#pragma unroll
    for (int c = 0; c < kHalf; c += 8) {
        alignas(16) T packed[8];
#pragma unroll
        for (int e = 0; e < 8; ++e) packed[e] = dev::Elem<T>::store(o[c + e] * inv);
        *reinterpret_cast<uint4*>(yr + c) = *reinterpret_cast<const uint4*>(packed);
    }
}

template <class T, int D, bool TransK>
Status launch(LaunchArgs& a, int64_t batches, int sq, int sk, float scale, const MaskIndex& mi) {
    auto kernel = attentionKernel<T, D, TransK>;
    const size_t bytes = Smem<D, TransK>::bytes();
    static const cudaError_t opted =  // once per instantiation: more than the default 48 KiB
        cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes));
    KILN_CUDA_CHECK(opted);
    const dim3 grid(unsigned(batches), unsigned((sq + kRows - 1) / kRows));
    const T* mask = a.inputs.size() > 3 ? static_cast<const T*>(a.inputs[3].data) : nullptr;
    kernel<<<grid, kWarps * 32, bytes, a.stream>>>(a.inputs[0].as<const T>(), a.inputs[1].as<const T>(),
                                                   a.inputs[2].as<const T>(), mask, a.outputs[0].as<T>(), sq, sk,
                                                   scale, mi);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

template <class T>
Status dispatch(LaunchArgs& a, int d, bool transK, int64_t batches, int sq, int sk, float scale,
                const MaskIndex& mi) {
    if (d == 64) return transK ? launch<T, 64, true>(a, batches, sq, sk, scale, mi)
                               : launch<T, 64, false>(a, batches, sq, sk, scale, mi);
    return transK ? launch<T, 128, true>(a, batches, sq, sk, scale, mi)
                  : launch<T, 128, false>(a, batches, sq, sk, scale, mi);
}

bool hasMask(const ir::Node& node, size_t nInputs) { return nInputs > 3 && node.inputs.size() > 3 && node.inputs[3] >= 0; }

}  // namespace

bool fusedAttentionSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                            const std::vector<ir::TensorDesc>& out) {
    if (in.size() < 3 || out.size() != 1) return false;
    const ir::DType t = in[0].dtype;
    if (t != ir::DType::kF16 && t != ir::DType::kBF16) return false;
    for (const auto& d : in)
        if (d.dtype != t) return false;
    const size_t r = in[0].shape.size();
    if (r < 2 || r - 2 > size_t(kMaxBatchDims) || in[2].shape.size() != r) return false;
    const int64_t d = in[0].shape[r - 1];
    // Y's rows are written as 16-byte vectors; Sq and Sk index with int.
    // Blocks: one grid row per 64 query rows (at most 65535 rows of blocks).
    return (d == 64 || d == 128) && in[2].shape[r - 1] == d && in[0].shape[r - 2] <= int64_t(65535) * kRows &&
           in[2].shape[r - 2] < (int64_t(1) << 30);
}

Status fusedAttention(LaunchArgs& a) {
    const DeviceTensor &Q = a.inputs[0], &V = a.inputs[2];
    const size_t r = Q.shape.size();
    const int sq = int(Q.shape[r - 2]), d = int(Q.shape[r - 1]), sk = int(V.shape[r - 2]);
    const int64_t batches = int64_t(sq) * d > 0 ? Q.numel() / (int64_t(sq) * d) : 0;
    if (batches == 0 || sq == 0) return Status::Ok();
    if (sk == 0) return Status::Error("FusedAttention: no keys (softmax over an empty axis)");
    MaskIndex mi{};
    mi.nBatchDims = int(r - 2);
    for (size_t i = 0; i + 2 < r; ++i) mi.batchDims[i] = Q.shape[i];
    if (hasMask(a.node, a.inputs.size())) {
        // Strides of the mask over [batch.., Sq, Sk], right-aligned, 0 where it broadcasts.
        const ir::Shape& ms = a.inputs[3].shape;
        int64_t strides[kMaxBatchDims + 2] = {}, st = 1;
        for (size_t i = 0; i < ms.size(); ++i) {
            const size_t axis = r - 1 - i;
            const int64_t ext = ms[ms.size() - 1 - i];
            strides[axis] = ext == 1 ? 0 : st;
            st *= ext;
        }
        for (size_t i = 0; i + 2 < r; ++i) mi.batchStrides[i] = strides[i];
        mi.rowStride = strides[r - 2];
        mi.keyStride = strides[r - 1];
    }
    const bool transK = a.node.attrs.getInt("trans_k", 0) != 0;
    for (const void* p : {a.inputs[0].data, transK ? a.inputs[1].data : nullptr, a.inputs[2].data, a.outputs[0].data})
        if (reinterpret_cast<uintptr_t>(p) % 16 != 0)
            return Status::Error("FusedAttention: a tensor is not 16-byte aligned");
    const float scale = float(a.node.attrs.getFloat("scale", 1.0));
    if (batches > int64_t(INT32_MAX)) return Status::Error("FusedAttention: too many batch entries");
    if (Q.dtype == ir::DType::kF16) return dispatch<__half>(a, d, transK, batches, sq, sk, scale, mi);
    return dispatch<__nv_bfloat16>(a, d, transK, batches, sq, sk, scale, mi);
}

}  // namespace kiln::cuda::kernels
