// FusedAttention (docs/ops.md) on tensor cores: Y = softmax(scale * Q K^T + M) V
// in one pass over the keys (the online softmax of FlashAttention-2), so the
// [.., Sq, Sk] scores never reach memory. 16-bit Q, K, V (float16 or
// bfloat16), head sizes 64 and 128, float32 scores and accumulators.
//
// A block takes 64 query rows of one batch entry; each of its 4 warps owns 16
// rows. Per tile of 64 keys the block stages K and V in shared memory; each
// warp computes its 16x64 scores with mma.sync m16n8k16 into registers,
// updates its rows' running maximum and sum there, and feeds the
// probabilities, packed to 16 bits, straight back as the A operand of P V:
// the accumulator layout of two adjacent 8-key score blocks is the A layout
// of one 16-key step. Q stays in registers for the whole pass.
#include <cfloat>

#include <vector>

#include "device_common.cuh"
#include "ir/ops/fused_attention.h"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

constexpr int kRows = 64;  // query rows per block
constexpr int kKeys = 64;  // keys per tile
constexpr int kWarps = kRows / 16;
constexpr int kPad = 8;  // 16-bit elements after each shared row: conflict-free fragment loads, 16-byte rows
constexpr int kMaxBatchDims = 6;

// Where the mask element of (batch entry, query row, key) lives: strides per
// axis of [batch.., Sq, Sk], 0 along broadcast axes.
struct MaskIndex {
    int64_t batchDims[kMaxBatchDims];
    int64_t batchStrides[kMaxBatchDims];
    int nBatchDims;
    int64_t rowStride, keyStride;
};

// Element strides of the operands (ir/ops/fused_attention.h): per batch
// entry and head, and between rows (K: between keys, or for Kᵀ between its
// rows of D); blockIdx.x = batch * heads + head.
struct Strides {
    int64_t qB, qH, qS, kB, kH, kS, vB, vH, vS, yB, yH, yS;
    int heads;
};

// Shared layout: Q [64][D], V [64 keys][D], K as [64 keys][D] (trans_k) or
// Kᵀ [D][64 keys]; each row padded by kPad.
template <int D, bool TransK>
struct Smem {
    static constexpr int kLd = D + kPad;
    static constexpr int kKLd = TransK ? kLd : kKeys + kPad;
    static constexpr size_t kQ = size_t(kRows) * kLd, kV = size_t(kKeys) * kLd;
    static constexpr size_t kK = size_t(TransK ? kKeys : D) * kKLd;
    static constexpr size_t bytes() { return (kQ + kK + kV) * 2; }
};

// One m16n8k16 tensor-core product C += A B, float32 accumulators; and two
// floats packed as one fragment register of T.
#define KILN_MMA_16816(TYPE)                                                    \
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32." TYPE "." TYPE         \
                 ".f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n" \
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])               \
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1))
template <class T>
struct Mma {
    __device__ static void run(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
        if constexpr (std::is_same_v<T, __half>)
            KILN_MMA_16816("f16");
        else
            KILN_MMA_16816("bf16");
    }
    __device__ static uint32_t pack(float lo, float hi) {
        if constexpr (std::is_same_v<T, __half>) {
            __half2 h = __floats2half2_rn(lo, hi);
            return *reinterpret_cast<uint32_t*>(&h);
        } else {
            __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
            return *reinterpret_cast<uint32_t*>(&h);
        }
    }
};
#undef KILN_MMA_16816

// Two 16-bit elements (one fragment register) at p.
template <class T>
__device__ __forceinline__ uint32_t ld32(const T* p) {
    return *reinterpret_cast<const uint32_t*>(p);
}

// The B fragment (k16 x n8) of a matrix stored [k][n] row-major: two 8x8
// blocks (k rows 0-7 and 8-15 from `rows`) read transposed by ldmatrix.
__device__ __forceinline__ void ldTransB(const void* rows, int ld, uint32_t& b0, uint32_t& b1) {
    const int t = threadIdx.x % 32;
    const unsigned addr =
        unsigned(__cvta_generic_to_shared(static_cast<const unsigned char*>(rows) + size_t(t & 15) * ld * 2));
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0,%1}, [%2];\n" : "=r"(b0), "=r"(b1) : "r"(addr));
}

constexpr int kThreads = kWarps * 32;

// cp.async: 16 bytes global -> shared without a register round trip, so a
// whole tile's loads are in flight at once; with `valid` false it writes zeros.
__device__ __forceinline__ void cpAsync16(void* dst, const void* src, bool valid) {
    const unsigned d = unsigned(__cvta_generic_to_shared(dst));
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(src), "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void cpAsyncCommit() { asm volatile("cp.async.commit_group;\n" ::); }
// Waits until at most one committed group is still in flight.
__device__ __forceinline__ void cpAsyncWaitAllButOne() { asm volatile("cp.async.wait_group 1;\n" ::); }

// Starts copying `rows` rows of `cols` elements (row stride `stride` in global
// memory, 16-byte aligned) into shared rows of stride ld; rows at or beyond
// `valid` and columns at or beyond `validCols` (a multiple of 8) become zeros.
template <class T>
__device__ void stageAsync(T* dst, int ld, const T* src, int64_t stride, int rows, int cols, int valid, int validCols) {
    constexpr int kVec = 8;  // 16-bit elements per 16 bytes
    const int perRow = cols / kVec;
    for (int i = threadIdx.x; i < rows * perRow; i += kThreads) {
        const int r = i / perRow, c = (i % perRow) * kVec;
        const bool ok = r < valid && c < validCols;
        cpAsync16(dst + r * ld + c, ok ? src + r * stride + c : src, ok);
    }
}

// Kᵀ [D, Sk] whose rows are not 16-byte aligned (Sk not a multiple of 8):
// element loads, issued a batch at a time before their stores.
template <class T, int D>
__device__ void stageKtUnaligned(T* dst, int ld, const T* src, int64_t stride, int key0, int keys) {
    constexpr int kPerThread = D * kKeys / kThreads, kBatch = 8;
    static_assert(kPerThread % kBatch == 0, "whole batches");
#pragma unroll 1
    for (int b = 0; b < kPerThread / kBatch; ++b) {
        T r[kBatch];
#pragma unroll
        for (int u = 0; u < kBatch; ++u) {
            const int i = (b * kBatch + u) * kThreads + int(threadIdx.x), d = i / kKeys, j = i % kKeys;
            r[u] = j < keys ? src[int64_t(d) * stride + key0 + j] : T(0.f);
        }
#pragma unroll
        for (int u = 0; u < kBatch; ++u) {
            const int i = (b * kBatch + u) * kThreads + int(threadIdx.x);
            dst[(i / kKeys) * ld + i % kKeys] = r[u];
        }
    }
}

template <class T, int D, bool TransK>
__global__ void __launch_bounds__(kThreads)
    attentionKernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
                    const T* __restrict__ mask, T* __restrict__ y, int sq, int sk, float scale, bool nanToZero,
                    bool ktAligned, MaskIndex mi, Strides st) {
    using S = Smem<D, TransK>;
    extern __shared__ __align__(128) unsigned char smem[];
    T* sQ = reinterpret_cast<T*>(smem);
    T* sK = sQ + S::kQ;
    T* sV = sK + S::kK;

    const int64_t b = blockIdx.x;
    const int row0 = blockIdx.y * kRows;
    const int warp = threadIdx.x / 32, t = threadIdx.x % 32;
    const int quadRow = t / 4, quadCol = 2 * (t % 4);
    const int64_t bi = b / st.heads, hi = b % st.heads;
    const T* qb = q + bi * st.qB + hi * st.qH;
    const T* kb = k + bi * st.kB + hi * st.kH;
    const T* vb = v + bi * st.vB + hi * st.vH;
    int64_t mbase = 0;
    if (mask) {
        int64_t rem = b;
        for (int a = mi.nBatchDims - 1; a >= 0; --a) {
            mbase += (rem % mi.batchDims[a]) * mi.batchStrides[a];
            rem /= mi.batchDims[a];
        }
    }
    // One K tile (into sK) and one V tile (into sV), each committed as its own
    // group: K of the next tile loads while this one's softmax and P V run, V
    // while the next scores are computed.
    auto loadK = [&](int key0) {
        const int keys = min(kKeys, sk - key0);
        if (TransK)
            stageAsync(sK, S::kKLd, kb + int64_t(key0) * st.kS, st.kS, kKeys, D, keys, D);
        else if (ktAligned)
            stageAsync(sK, S::kKLd, kb + key0, st.kS, D, kKeys, D, keys);
        else
            stageKtUnaligned<T, D>(sK, S::kKLd, kb, st.kS, key0, keys);
        cpAsyncCommit();
    };
    auto loadV = [&](int key0) {
        stageAsync(sV, S::kLd, vb + int64_t(key0) * st.vS, st.vS, kKeys, D, min(kKeys, sk - key0), D);
        cpAsyncCommit();
    };
    stageAsync(sQ, S::kLd, qb + int64_t(row0) * st.qS, st.qS, kRows, D, sq - row0, D);
    loadK(0);  // one group with Q
    loadV(0);
    cpAsyncWaitAllButOne();
    __syncthreads();

    // This warp's 16 rows of Q as A fragments, one per 16-wide step of D.
    uint32_t qa[D / 16][4];
    const T* qw = sQ + (warp * 16 + quadRow) * S::kLd + quadCol;
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
        qa[kk][0] = ld32(qw + kk * 16);
        qa[kk][1] = ld32(qw + 8 * S::kLd + kk * 16);
        qa[kk][2] = ld32(qw + kk * 16 + 8);
        qa[kk][3] = ld32(qw + 8 * S::kLd + kk * 16 + 8);
    }
    // The thread's two rows: quadRow and quadRow + 8 of the warp's 16.
    const int qrow[2] = {row0 + warp * 16 + quadRow, row0 + warp * 16 + quadRow + 8};
    float o[D / 8][4];
#pragma unroll
    for (int n = 0; n < D / 8; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.f;
    float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};

    for (int key0 = 0; key0 < sk; key0 += kKeys) {
        if (key0 > 0) {  // this tile's K has arrived (its V may still be in flight)
            cpAsyncWaitAllButOne();
            __syncthreads();
        }
        // Scores: 8 blocks of 8 keys, each 16 rows x 8 keys in 4 registers.
        float s[kKeys / 8][4];
#pragma unroll
        for (int j = 0; j < kKeys / 8; ++j) {
            s[j][0] = s[j][1] = s[j][2] = s[j][3] = 0.f;
#pragma unroll
            for (int kk = 0; kk < D / 16; ++kk) {
                uint32_t b0, b1;
                if constexpr (TransK) {
                    const T* kr = sK + (j * 8 + quadRow) * S::kKLd + kk * 16 + quadCol;
                    b0 = ld32(kr);
                    b1 = ld32(kr + 8);
                } else {
                    ldTransB(sK + kk * 16 * S::kKLd + j * 8, S::kKLd, b0, b1);
                }
                Mma<T>::run(s[j], qa[kk], b0, b1);
            }
        }
        __syncthreads();  // every warp is done with sK
        if (key0 + kKeys < sk)
            loadK(key0 + kKeys);
        else
            cpAsyncCommit();  // an empty group keeps the waits' count
        // Scale, mask, and this tile's maximum of each of the thread's rows.
        float tileMax[2] = {-INFINITY, -INFINITY};
#pragma unroll
        for (int j = 0; j < kKeys / 8; ++j)
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                const int r = e / 2, key = key0 + j * 8 + quadCol + (e % 2);
                float x = -INFINITY;
                if (key < sk) {
                    x = s[j][e] * scale;
                    if (mask && qrow[r] < sq)
                        x += dev::Elem<T>::load(
                            mask[mbase + int64_t(qrow[r]) * mi.rowStride + int64_t(key) * mi.keyStride]);
                }
                s[j][e] = x;
                tileMax[r] = fmaxf(tileMax[r], x);
            }
        float alpha[2];
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            // The 4 threads of a quad hold one row between them.
            tileMax[r] = fmaxf(tileMax[r], __shfl_xor_sync(0xffffffffu, tileMax[r], 1));
            tileMax[r] = fmaxf(tileMax[r], __shfl_xor_sync(0xffffffffu, tileMax[r], 2));
            const float mNew = fmaxf(m[r], tileMax[r]);
            // A row with every key masked so far keeps zero weights (no inf - inf).
            alpha[r] = mNew == -INFINITY ? 1.f : __expf(m[r] - mNew);
            m[r] = mNew;
        }
        float sum[2] = {0.f, 0.f};
#pragma unroll
        for (int j = 0; j < kKeys / 8; ++j)
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                const int r = e / 2;
                const float p = m[r] == -INFINITY ? 0.f : __expf(s[j][e] - m[r]);
                s[j][e] = p;
                sum[r] += p;
            }
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            sum[r] += __shfl_xor_sync(0xffffffffu, sum[r], 1);
            sum[r] += __shfl_xor_sync(0xffffffffu, sum[r], 2);
            l[r] = l[r] * alpha[r] + sum[r];
        }
#pragma unroll
        for (int n = 0; n < D / 8; ++n) {
            o[n][0] *= alpha[0];
            o[n][1] *= alpha[0];
            o[n][2] *= alpha[1];
            o[n][3] *= alpha[1];
        }
        cpAsyncWaitAllButOne();  // this tile's V (the next K may still be in flight)
        __syncthreads();
        // P V: 4 steps of 16 keys; P's A fragment is two adjacent score blocks.
#pragma unroll
        for (int kk = 0; kk < kKeys / 16; ++kk) {
            const uint32_t pa[4] = {Mma<T>::pack(s[2 * kk][0], s[2 * kk][1]), Mma<T>::pack(s[2 * kk][2], s[2 * kk][3]),
                                    Mma<T>::pack(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                                    Mma<T>::pack(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
            for (int n = 0; n < D / 8; ++n) {
                uint32_t b0, b1;
                ldTransB(sV + kk * 16 * S::kLd + n * 8, S::kLd, b0, b1);
                Mma<T>::run(o[n], pa, b0, b1);
            }
        }
        __syncthreads();  // every warp is done with sV
        if (key0 + kKeys < sk)
            loadV(key0 + kKeys);
        else
            cpAsyncCommit();
    }

#pragma unroll
    for (int r = 0; r < 2; ++r) {
        if (qrow[r] >= sq) continue;
        // 0/0 (NaN) for a row with every key masked, as the reference; zeros with nan_to_zero.
        const float inv = nanToZero && m[r] == -INFINITY ? 0.f : 1.f / l[r];
        T* yr = y + bi * st.yB + hi * st.yH + qrow[r] * st.yS + quadCol;
#pragma unroll
        for (int n = 0; n < D / 8; ++n)
            *reinterpret_cast<uint32_t*>(yr + n * 8) = Mma<T>::pack(o[n][2 * r] * inv, o[n][2 * r + 1] * inv);
    }
}

// What one launch needs besides the node's tensors.
struct Params {
    int64_t batches;  // B * H blocks of rows
    int sq, sk;
    float scale;
    bool nanToZero;
    MaskIndex mi;
    Strides st;
    int64_t qOff, kOff, vOff, yOff;  // the views' element offsets
};

template <class T, int D, bool TransK>
Status launch(LaunchArgs& a, const Params& p) {
    const T* k = a.inputs[1].as<const T>() + p.kOff;
    // Kᵀ's rows are copied 16 bytes at a time when every row starts 16-byte aligned.
    const bool ktAligned = p.st.kS % 8 == 0 && reinterpret_cast<uintptr_t>(k) % 16 == 0;
    auto kernel = attentionKernel<T, D, TransK>;
    const size_t bytes = Smem<D, TransK>::bytes();
    static const cudaError_t opted =  // once per instantiation: more than the default 48 KiB
        cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes));
    KILN_CUDA_CHECK(opted);
    const dim3 grid(unsigned(p.batches), unsigned((p.sq + kRows - 1) / kRows));
    const T* mask = a.inputs.size() > 3 ? static_cast<const T*>(a.inputs[3].data) : nullptr;
    kernel<<<grid, kWarps * 32, bytes, a.stream>>>(
        a.inputs[0].as<const T>() + p.qOff, k, a.inputs[2].as<const T>() + p.vOff, mask, a.outputs[0].as<T>() + p.yOff,
        p.sq, p.sk, p.scale, p.nanToZero, ktAligned, p.mi, p.st);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

template <class T>
Status dispatch(LaunchArgs& a, int d, bool transK, const Params& p) {
    if (d == 64) return transK ? launch<T, 64, true>(a, p) : launch<T, 64, false>(a, p);
    return transK ? launch<T, 128, true>(a, p) : launch<T, 128, false>(a, p);
}

bool hasMask(const ir::Node& node, size_t nInputs) {
    return nInputs > 3 && node.inputs.size() > 3 && node.inputs[3] >= 0;
}

std::vector<ir::TensorDesc> describe(const std::vector<DeviceTensor>& ts) {
    std::vector<ir::TensorDesc> d;
    for (const auto& t : ts) d.push_back({t.dtype, t.shape, nullptr});
    return d;
}

// Rows are staged with 16-byte copies and written 4 bytes at a time: every
// stride and offset of Q, K and V a multiple of 8 elements, of Y of 2.
bool stridesFit(const ir::AttentionLayout& l, bool transK) {
    for (const auto* o : {&l.q, &l.v, transK ? &l.k : nullptr}) {
        if (!o) continue;
        for (int64_t x : {o->offset, o->batch, o->head, o->row})
            if (x % 8 != 0) return false;
    }
    for (int64_t x : {l.y.offset, l.y.batch, l.y.head, l.y.row})
        if (x % 2 != 0) return false;
    return true;
}

}  // namespace

bool fusedAttentionSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                            const std::vector<ir::TensorDesc>& out) {
    if (in.size() < 3 || out.size() != 1) return false;
    const ir::DType t = in[0].dtype;
    if (t != ir::DType::kF16 && t != ir::DType::kBF16) return false;
    for (const auto& d : in)
        if (d.dtype != t) return false;
    ir::AttentionLayout l;
    if (!ir::attentionLayout(node, in, l).ok()) return false;
    const size_t r = in[0].shape.size();
    if (!l.strided && (r < 2 || r - 2 > size_t(kMaxBatchDims) || in[2].shape.size() != r)) return false;
    // Sq and Sk index with int. Blocks: one grid row per 64 query rows (at
    // most 65535 rows of blocks), one grid column per batch entry and head.
    return (l.D == 64 || l.D == 128) && l.Dv == l.D && l.Sq <= int64_t(65535) * kRows && l.Sk < (int64_t(1) << 30) &&
           l.B * l.H <= int64_t(INT32_MAX) && stridesFit(l, node.attrs.getInt("trans_k", 0) != 0);
}

Status fusedAttention(LaunchArgs& a) {
    ir::AttentionLayout l;
    KILN_RETURN_IF_ERROR(ir::attentionLayout(a.node, describe(a.inputs), l).withContext("FusedAttention: "));
    Params p{};
    p.batches = l.B * l.H;
    p.sq = int(l.Sq);
    p.sk = int(l.Sk);
    const int d = int(l.D);
    if (p.batches == 0 || p.sq == 0) return Status::Ok();
    if (p.sk == 0) return Status::Error("FusedAttention: no keys (softmax over an empty axis)");
    const size_t nb = l.batchDims.size();
    if (nb > size_t(kMaxBatchDims)) return Status::Error("FusedAttention: too many batch dims");
    p.mi.nBatchDims = int(nb);
    for (size_t i = 0; i < nb; ++i) p.mi.batchDims[i] = l.batchDims[i];
    if (hasMask(a.node, a.inputs.size())) {
        // Strides of the mask over [batch.., Sq, Sk], right-aligned, 0 where it broadcasts.
        const ir::Shape& ms = a.inputs[3].shape;
        const size_t r = nb + 2;
        int64_t strides[kMaxBatchDims + 2] = {}, st = 1;
        for (size_t i = 0; i < ms.size(); ++i) {
            const size_t axis = r - 1 - i;
            const int64_t ext = ms[ms.size() - 1 - i];
            strides[axis] = ext == 1 ? 0 : st;
            st *= ext;
        }
        for (size_t i = 0; i < nb; ++i) p.mi.batchStrides[i] = strides[i];
        p.mi.rowStride = strides[r - 2];
        p.mi.keyStride = strides[r - 1];
    }
    const bool transK = a.node.attrs.getInt("trans_k", 0) != 0;
    p.st = {l.q.batch, l.q.head,  l.q.row,  l.k.batch, l.k.head, transK ? l.k.row : l.k.col, l.v.batch, l.v.head,
            l.v.row,   l.y.batch, l.y.head, l.y.row,   int(l.H)};
    p.qOff = l.q.offset, p.kOff = l.k.offset, p.vOff = l.v.offset, p.yOff = l.y.offset;
    auto aligned = [](const void* base, int64_t offset, size_t align) {
        return (reinterpret_cast<uintptr_t>(base) + size_t(offset) * 2) % align == 0;  // 16-bit elements
    };
    if (!aligned(a.inputs[0].data, p.qOff, 16) || !aligned(a.inputs[1].data, p.kOff, transK ? 16 : 1) ||
        !aligned(a.inputs[2].data, p.vOff, 16) || !aligned(a.outputs[0].data, p.yOff, 4))
        return Status::Error("FusedAttention: a tensor is not aligned for the kernel's vector copies");
    if (!stridesFit(l, transK)) return Status::Error("FusedAttention: strides the kernel cannot take");
    p.scale = float(a.node.attrs.getFloat("scale", 1.0));
    p.nanToZero = a.node.attrs.getInt("nan_to_zero", 0) != 0;
    if (a.inputs[0].dtype == ir::DType::kF16) return dispatch<__half>(a, d, transK, p);
    return dispatch<__nv_bfloat16>(a, d, transK, p);
}

}  // namespace kiln::cuda::kernels
