// Tactic "kiln_depthwise": 2-D depthwise Convolution / FusedConvolution
// (group == C == M, no Z) as memory-bound direct kernels with the bias and the
// activation (relu, or clip: MobileNet's ReLU6) in the epilogue, the input
// clip (the ReLU6 before the layer) on each load, float32 accumulation. cuDNN
// runs these layers as implicit GEMMs at several times their bandwidth time,
// and the ReLU6 after each as a kernel of its own.
//  * channels-first: blocks walk (n, c) planes with the channel's weights in
//    registers; a thread computes kUnrollFirst outputs of a plane, neighbouring
//    threads neighbouring outputs (coalesced).
//  * channels-last: a thread takes V consecutive channels of one output pixel
//    with 16-byte loads (kUnrollLast such items at once); the weights (float
//    [KH*KW][C]) and the bias are staged in shared memory per block, amortized
//    by a grid of one wave of resident blocks striding over the items.
// Coordinates inside one image are int32 (checked on the host); image and
// plane offsets int64.
#include <algorithm>
#include <type_traits>

#include "conv_act.cuh"
#include "device_common.cuh"
#include "ir/ops/channels_last.h"
#include "ir/ops/convolution.h"
#include "kernels.h"
#include "packed_io.cuh"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;

struct DwGeom {
    int64_t N;
    int C, H, W, OH, OW;
    int kh, kw, sh, sw, dh, dw, ph, pw;
};

// W and B keep their own float types (chosen at run time, uniform per launch).
struct DwTypes {
    ir::DType w = ir::DType::kF32, b = ir::DType::kF32;
};

// FusedConvolution's input clip (ir/ops/fused_convolution.h) on each loaded X
// element: the MobileNetV2 ReLU6 between a 1x1 expansion and its depthwise
// layer, so the clipped tensor is never written. Without one the range is
// (-inf, inf): the same two selects, no branch. Padding's zeros stay zeros.
struct XClamp {
    float lo = -INFINITY, hi = INFINITY;
};
__device__ __forceinline__ float clampX(float v, const XClamp& c) {
    v = v < c.lo ? c.lo : v;  // NaN propagates, as Activation clip
    return c.hi < v ? c.hi : v;
}

// loadFloatAny through the read-only cache.
__device__ __forceinline__ float ldgFloatAny(const void* p, ir::DType t, int64_t i) {
    switch (t) {
        case ir::DType::kF16:
            return __half2float(__ldg(static_cast<const __half*>(p) + i));
        case ir::DType::kBF16:
            return __bfloat162float(__ldg(static_cast<const __nv_bfloat16*>(p) + i));
        default:
            return __ldg(static_cast<const float*>(p) + i);
    }
}

// Calls fn(Tag<T>{}) with T the storage type of a float W or B (dtype
// uniform per launch): one branch, then loads of one type that can all be in
// flight together (a switch per element serializes them).
template <class Fn>
__device__ __forceinline__ void withFloatType(ir::DType t, Fn&& fn) {
    switch (t) {
        case ir::DType::kF16:
            fn(Tag<__half>{});
            break;
        case ir::DType::kBF16:
            fn(Tag<__nv_bfloat16>{});
            break;
        default:
            fn(Tag<float>{});
    }
}

// out[i] = p[at + i] as float, N loads at once.
template <int N>
__device__ __forceinline__ void ldgFloats(const void* p, ir::DType t, int64_t at, float (&out)[N]) {
    withFloatType(t, [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T* q = static_cast<const T*>(p) + at;
#pragma unroll
        for (int i = 0; i < N; ++i) out[i] = float(Elem<T>::load(__ldg(q + i)));
    });
}

// Copies n elements of src into shared memory as float, element i to
// sm[dst(i)], with kStageBatch loads of a thread in flight at once: all
// unconditional (indices past the end load the last element and store to
// the thread's own unused slot sm[scratch]), as a conditional use would sink
// the load under a branch and serialize the batch. The slot is per thread:
// one slot for the block is a write-write race (racecheck reports it).
constexpr int kStageBatch = 4;

template <class T, class Dst>
__device__ __forceinline__ void stageBatched(const T* __restrict__ src, int n, float* sm, int scratch, Dst dst) {
    const int stride = int(blockDim.x);
    for (int base = threadIdx.x; base < n; base += kStageBatch * stride) {
        float v[kStageBatch];
#pragma unroll
        for (int k = 0; k < kStageBatch; ++k) v[k] = float(Elem<T>::load(__ldg(src + min(base + k * stride, n - 1))));
#pragma unroll
        for (int k = 0; k < kStageBatch; ++k) {
            const int i = base + k * stride;
            sm[i < n ? dst(i) : scratch] = v[k];
        }
    }
}

// Shared floats of the staged weights: W as [kVol][C], B (or zeros), a scratch slot per thread.
inline size_t stagedFloats(int kVol, int C) { return size_t(kVol + 1) * size_t(C) + kBlock; }

// The block copies W ([C][kVol]) into sm as [kVol][C] and B (or zeros) after it.
__device__ __forceinline__ void stageWeights(const void* __restrict__ w, const void* __restrict__ b, DwTypes t,
                                             int kVol, int C, float* sm) {
    const int scratch = (kVol + 1) * C + int(threadIdx.x);  // stageBatched's, per thread
    withFloatType(t.w, [&](auto tag) {
        using T = typename decltype(tag)::type;
        stageBatched(static_cast<const T*>(w), kVol * C, sm, scratch, [=](int i) {
            const int c = i / kVol;
            return (i - c * kVol) * C + c;
        });
    });
    if (!b) {
        for (int c = threadIdx.x; c < C; c += blockDim.x) sm[kVol * C + c] = 0.f;
        return;
    }
    withFloatType(t.b, [&](auto tag) {
        using T = typename decltype(tag)::type;
        stageBatched(static_cast<const T*>(b), C, sm, scratch, [=](int c) { return kVol * C + c; });
    });
}

// V consecutive channels (16 bytes when V > 1), activated, back to storage.
template <class S, int V>
__device__ __forceinline__ void storeV(S* p, const float (&in)[V], const ConvAct& act) {
    float out[V];
#pragma unroll
    for (int j = 0; j < V; ++j) out[j] = applyConvAct(in[j], act);
    storePacked<S, V>(p, out);
}

// V floats of shared memory; 16-byte reads when V is a multiple of 4 (p is then 16-byte aligned).
template <int V>
__device__ __forceinline__ void loadShared(const float* p, float (&out)[V]) {
    if constexpr (V % 4 == 0) {
#pragma unroll
        for (int j = 0; j < V; j += 4) {
            const float4 f = *reinterpret_cast<const float4*>(p + j);
            out[j] = f.x;
            out[j + 1] = f.y;
            out[j + 2] = f.z;
            out[j + 3] = f.w;
        }
    } else {
#pragma unroll
        for (int j = 0; j < V; ++j) out[j] = p[j];
    }
}

// Taps are branch-free so that the loads of all taps (and of the outputs a
// thread takes at once) are independent and in flight together: a tap outside
// the image loads zeros from gDwZeros instead (the select is of the address;
// selecting the value or the sum lets the compiler sink the load under a
// branch). So padding adds w * 0: exact for finite weights (an infinite or
// NaN weight makes the border NaN, as in cuDNN). A first version, branching
// per tap row with one output per thread, was latency-bound at 0.6-1 TB/s on
// an H200.
__device__ uint4 gDwZeros = {0u, 0u, 0u, 0u};  // never written

template <class S>
__device__ __forceinline__ const S* tapSource(bool inside, const S* p) {
    return inside ? p : reinterpret_cast<const S*>(&gDwZeros);
}

// Outputs per thread at once and resident blocks asked of ptxas (which bounds
// registers): picked from ptxas -v for no spills at 3x3 and 5x5.
constexpr int kUnrollFirst = 4, kMinBlocksFirst = 6;
// Channels-last items per thread: a 16-bit item already holds 8 channels.
template <class S>
constexpr int kUnrollLast = sizeof(S) == 4 ? 2 : 1;
template <class S>
constexpr int kMinBlocksLast = sizeof(S) == 4 ? 3 : 4;

// U outputs of one channels-first plane at positions pos[] (all inside it).
// K > 0: a KxK kernel, unrolled (`#pragma unroll` unrolls constant trip
// counts only), weights in wr; K == 0: any q.kh x q.kw, weights read from w.
template <class S, int K, int U>
__device__ __forceinline__ void planeOutputs(const S* __restrict__ xp, S* __restrict__ yc, const int (&pos)[U],
                                             const DwGeom& q, const float (&wr)[K > 0 ? K* K : 1],
                                             const void* __restrict__ w, ir::DType wt, int64_t wc, float bias,
                                             const XClamp& xc, const ConvAct& act) {
    const int kh = K > 0 ? K : q.kh, kw = K > 0 ? K : q.kw;
    int ih0[U], iw0[U];
    float acc[U];
#pragma unroll
    for (int u = 0; u < U; ++u) {
        const int oh = pos[u] / q.OW, ow = pos[u] - oh * q.OW;
        ih0[u] = oh * q.sh - q.ph;
        iw0[u] = ow * q.sw - q.pw;
        acc[u] = bias;
    }
#pragma unroll
    for (int i = 0; i < kh; ++i) {
#pragma unroll
        for (int j = 0; j < kw; ++j) {
            float wv;
            if constexpr (K > 0)
                wv = wr[i * K + j];
            else
                wv = ldgFloatAny(w, wt, wc + i * kw + j);
#pragma unroll
            for (int u = 0; u < U; ++u) {
                const int ih = ih0[u] + i * q.dh, iw = iw0[u] + j * q.dw;
                const bool inside = (unsigned(ih) < unsigned(q.H)) & (unsigned(iw) < unsigned(q.W));
                const float xv = float(Elem<S>::load(*tapSource(inside, xp + (ih * q.W + iw))));
                acc[u] = fmaf(wv, clampX(xv, xc), acc[u]);
            }
        }
    }
#pragma unroll
    for (int u = 0; u < U; ++u) yc[pos[u]] = Elem<S>::store(applyConvAct(acc[u], act));
}

// Channels-first. Blocks walk (n, c) planes along y; a plane is cut into
// kUnrollFirst chunks of `chunk` outputs and a thread takes position p of
// every chunk (neighbouring threads, neighbouring outputs: coalesced).
// Small planes come with chunk == plane: one output per thread.
template <class S, int K>
__global__ void __launch_bounds__(kBlock, kMinBlocksFirst)
    dwChannelsFirst(const S* __restrict__ x, const void* __restrict__ w, const void* __restrict__ b, S* __restrict__ y,
                    DwGeom q, DwTypes t, XClamp xc, ConvAct act, int chunk) {
    constexpr int U = kUnrollFirst;
    const int plane = q.OH * q.OW;
    const int64_t planes = q.N * q.C, inPlane = int64_t(q.H) * q.W;
    for (int64_t nc = blockIdx.y; nc < planes; nc += gridDim.y) {
        const int c = int(nc % q.C);
        const int64_t wc = int64_t(c) * q.kh * q.kw;
        const S* xp = x + nc * inPlane;
        S* yc = y + nc * plane;
        const float bias = b ? ldgFloatAny(b, t.b, c) : 0.f;
        float wr[K > 0 ? K * K : 1] = {};
        if constexpr (K > 0) ldgFloats(w, t.w, wc, wr);
        for (int p = blockIdx.x * blockDim.x + threadIdx.x; p < chunk; p += gridDim.x * blockDim.x) {
            if (p + (U - 1) * chunk < plane) {
                int pos[U];
#pragma unroll
                for (int u = 0; u < U; ++u) pos[u] = p + u * chunk;
                planeOutputs<S, K, U>(xp, yc, pos, q, wr, w, t.w, wc, bias, xc, act);
            } else {
                for (int at = p; at < plane; at += chunk) {
                    const int pos[1] = {at};
                    planeOutputs<S, K, 1>(xp, yc, pos, q, wr, w, t.w, wc, bias, xc, act);
                }
            }
        }
    }
}

// U channels-last items (pixel, group of V channels) of indices item[]: the
// staged weights sm ([KH*KW][C], then the bias) or, unstaged, W and B.
template <class S, int V, int K, bool Staged, int U>
__device__ __forceinline__ void pixelGroups(const S* __restrict__ x, const void* __restrict__ w,
                                            const void* __restrict__ b, S* __restrict__ y, const DwGeom& q,
                                            const DwTypes& t, const XClamp& xc, const ConvAct& act, const float* sm,
                                            const int64_t (&item)[U]) {
    const int C = q.C, kh = K > 0 ? K : q.kh, kw = K > 0 ? K : q.kw, kVol = kh * kw;
    const int groups = C / V, perImage = q.OH * q.OW * groups;
    const S* xn[U];
    S* yp[U];
    int c0[U], ih0[U], iw0[U];
    float acc[U][V];
#pragma unroll
    for (int u = 0; u < U; ++u) {
        const int64_t n = item[u] / perImage;
        const int r = int(item[u] - n * perImage);
        const int pix = r / groups, oh = pix / q.OW, ow = pix - oh * q.OW;
        c0[u] = (r - pix * groups) * V;
        ih0[u] = oh * q.sh - q.ph;
        iw0[u] = ow * q.sw - q.pw;
        xn[u] = x + n * (int64_t(q.H) * q.W * C) + c0[u];
        yp[u] = y + n * (int64_t(q.OH) * q.OW * C) + int64_t(pix) * C + c0[u];
        if constexpr (Staged) {
            loadShared<V>(sm + kVol * C + c0[u], acc[u]);
        } else {
#pragma unroll
            for (int k = 0; k < V; ++k) acc[u][k] = b ? ldgFloatAny(b, t.b, c0[u] + k) : 0.f;
        }
    }
#pragma unroll
    for (int i = 0; i < kh; ++i) {
#pragma unroll
        for (int j = 0; j < kw; ++j) {
            const int tap = i * kw + j;
#pragma unroll
            for (int u = 0; u < U; ++u) {
                const int ih = ih0[u] + i * q.dh, iw = iw0[u] + j * q.dw;
                const bool inside = (unsigned(ih) < unsigned(q.H)) & (unsigned(iw) < unsigned(q.W));
                float xv[V], wv[V];
                loadPacked<S, V>(tapSource(inside, xn[u] + (ih * q.W + iw) * C), xv);
#pragma unroll
                for (int k = 0; k < V; ++k) xv[k] = clampX(xv[k], xc);
                if constexpr (Staged) {
                    loadShared<V>(sm + tap * C + c0[u], wv);
                } else {
#pragma unroll
                    for (int k = 0; k < V; ++k) wv[k] = ldgFloatAny(w, t.w, int64_t(c0[u] + k) * kVol + tap);
                }
#pragma unroll
                for (int k = 0; k < V; ++k) acc[u][k] = fmaf(wv[k], xv[k], acc[u][k]);
            }
        }
    }
#pragma unroll
    for (int u = 0; u < U; ++u) storeV<S, V>(yp[u], acc[u], act);
}

// Channels-last. Item r of an image is (pixel, channel group of V), the
// groups of a pixel on consecutive threads; a thread takes kUnrollLast items
// a grid stride apart at once. Staged: the block first copies W (stored
// [C][KH*KW]) into shared memory as [KH*KW][C] and the bias after it; else
// (weights over kStageLimit, any kernel size: K == 0) they are read from W and B.
template <class S, int V, int K, bool Staged>
__global__ void __launch_bounds__(kBlock, kMinBlocksLast<S>)
    dwChannelsLast(const S* __restrict__ x, const void* __restrict__ w, const void* __restrict__ b, S* __restrict__ y,
                   DwGeom q, DwTypes t, XClamp xc, ConvAct act) {
    constexpr int U = kUnrollLast<S>;
    extern __shared__ float4 smem4[];  // float4: 16-byte aligned rows
    float* sm = reinterpret_cast<float*>(smem4);
    const int C = q.C, kVol = q.kh * q.kw;
    if constexpr (Staged) {
        stageWeights(w, b, t, kVol, C, sm);
        __syncthreads();
    }
    const int64_t total = q.N * q.OH * q.OW * (C / V), step = int64_t(gridDim.x) * blockDim.x;
    int64_t at = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    for (; at + (U - 1) * step < total; at += U * step) {
        int64_t item[U];
#pragma unroll
        for (int u = 0; u < U; ++u) item[u] = at + u * step;
        pixelGroups<S, V, K, Staged, U>(x, w, b, y, q, t, xc, act, sm, item);
    }
    for (; at < total; at += step) {
        const int64_t item[1] = {at};
        pixelGroups<S, V, K, Staged, 1>(x, w, b, y, q, t, xc, act, sm, item);
    }
}

ir::Shape firstView(const ir::Node& n, const ir::Shape& s) {
    return ir::isChannelsLast(n) ? ir::channelsFirstShape(s) : s;
}

// The geometry of a 2-D depthwise convolution (W [C, 1, KH, KW] channels-first)
// from the stored shapes; an error when the node is not one.
Status depthwiseGeometry(const ir::Node& n, const ir::Shape& xStored, const ir::Shape& wStored, ir::ConvGeometry& g) {
    if (xStored.size() != 4 || wStored.size() != 4) return Status::Error("X and W must have rank 4");
    const ir::Shape x = firstView(n, xStored), w = firstView(n, wStored);
    // resolveConvGeometry reads the attributes only: a FusedConvolution's are its Convolution's.
    KILN_RETURN_IF_ERROR(ir::resolveConvGeometry(n, x, w, false, g));
    if (x[1] <= 0 || g.group != x[1] || g.outChannels != x[1] || w[1] != 1)
        return Status::Error("not depthwise: X " + ir::shapeToString(xStored) + ", W " + ir::shapeToString(wStored) +
                             ", group " + std::to_string(g.group));
    return Status::Ok();
}

// Every coordinate and element offset inside one image fits int32 with room
// to spare (below 2^30, so that a position plus a chunk cannot overflow
// either), the addresses formed for taps outside the image included.
bool fitsInt32(const ir::ConvGeometry& g, const ir::Shape& x) {
    constexpr double kLimit = double(1 << 30);
    double reach[2];  // bound on |coordinate| of any tap, per axis
    for (size_t a = 0; a < 2; ++a) {
        reach[a] = double(x[a + 2]) + double(g.padsBegin[a]) + double(g.outShape[a + 2]) * double(g.strides[a]) +
                   double(g.kernel[a]) * double(g.dilations[a]);
        if (reach[a] >= kLimit) return false;
    }
    const double C = double(x[1]);
    return (reach[0] * double(x[3]) + reach[1]) * C < kLimit && double(x[2]) * double(x[3]) * C < kLimit &&
           double(g.outShape[2]) * double(g.outShape[3]) * C < kLimit;
}

DwGeom geomOf(const ir::ConvGeometry& g, const ir::Shape& x) {
    DwGeom q{};
    q.N = x[0];
    q.C = int(x[1]);
    q.H = int(x[2]);
    q.W = int(x[3]);
    q.OH = int(g.outShape[2]);
    q.OW = int(g.outShape[3]);
    q.kh = int(g.kernel[0]);
    q.kw = int(g.kernel[1]);
    q.sh = int(g.strides[0]);
    q.sw = int(g.strides[1]);
    q.dh = int(g.dilations[0]);
    q.dw = int(g.dilations[1]);
    q.ph = int(g.padsBegin[0]);
    q.pw = int(g.padsBegin[1]);
    return q;
}

// Calls fn with the kernel extent as a constant: 3 and 5 (square) unrolled, 0 for any other.
template <class Fn>
void withKernelSize(const DwGeom& q, Fn&& fn) {
    if (q.kh == 3 && q.kw == 3)
        fn(std::integral_constant<int, 3>{});
    else if (q.kh == 5 && q.kw == 5)
        fn(std::integral_constant<int, 5>{});
    else
        fn(std::integral_constant<int, 0>{});
}

// Smallest warp multiple covering n, up to kBlock: small planes (7x7) waste fewer threads.
int blockFor(int n) { return std::min(kBlock, std::max(32, (n + 31) / 32 * 32)); }

template <class S>
void launchChannelsFirst(const DwGeom& q, const void* x, const void* w, const void* b, void* y, DwTypes t, XClamp xc,
                         ConvAct act, cudaStream_t stream) {
    const int plane = q.OH * q.OW;
    // kUnrollFirst chunks when each fills a warp; else one output per thread.
    const int chunk = plane >= kUnrollFirst * 32 ? (plane + kUnrollFirst - 1) / kUnrollFirst : plane;
    const int block = blockFor(chunk);
    const dim3 grid(unsigned((chunk + block - 1) / block), unsigned(std::min<int64_t>(q.N * q.C, 65535)));
    withKernelSize(q, [&](auto k) {
        dwChannelsFirst<S, decltype(k)::value>
            <<<grid, block, 0, stream>>>(static_cast<const S*>(x), w, b, static_cast<S*>(y), q, t, xc, act, chunk);
    });
}

constexpr size_t kStageLimit = 48 * 1024;  // dynamic shared memory without opt-in

// At most one wave of resident blocks: every block stages the weights once
// and all run to the end together (no partial last wave).
template <class Kernel>
unsigned waveGrid(Kernel kernel, size_t smem, int smCount, int64_t blocksNeeded) {
    int perSm = 0;
    if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, kernel, kBlock, smem) != cudaSuccess) {
        (void)cudaGetLastError();  // the query only sizes the grid
        perSm = 0;
    }
    const int64_t wave = int64_t(smCount > 0 ? smCount : 132) * std::max(perSm, 1);
    return unsigned(std::max<int64_t>(1, std::min(blocksNeeded, wave)));
}

template <class S, int V, int K, bool Staged>
void launchChannelsLastV(const DwGeom& q, const void* x, const void* w, const void* b, void* y, DwTypes t, XClamp xc,
                         ConvAct act, int smCount, cudaStream_t stream) {
    const size_t smem = Staged ? stagedFloats(q.kh * q.kw, q.C) * sizeof(float) : 0;
    const int64_t items = q.N * q.OH * q.OW * (q.C / V);
    const int64_t perBlock = int64_t(kBlock) * kUnrollLast<S>;
    const unsigned grid = waveGrid(dwChannelsLast<S, V, K, Staged>, smem, smCount, (items + perBlock - 1) / perBlock);
    dwChannelsLast<S, V, K, Staged>
        <<<grid, kBlock, smem, stream>>>(static_cast<const S*>(x), w, b, static_cast<S*>(y), q, t, xc, act);
}

template <class S, int V>
void launchChannelsLastOf(const DwGeom& q, const void* x, const void* w, const void* b, void* y, DwTypes t, XClamp xc,
                          ConvAct act, int smCount, cudaStream_t stream) {
    if (stagedFloats(q.kh * q.kw, q.C) * sizeof(float) > kStageLimit)
        return launchChannelsLastV<S, V, 0, false>(q, x, w, b, y, t, xc, act, smCount, stream);
    withKernelSize(q, [&](auto k) {
        launchChannelsLastV<S, V, decltype(k)::value, true>(q, x, w, b, y, t, xc, act, smCount, stream);
    });
}

template <class S>
void launchChannelsLast(const DwGeom& q, const void* x, const void* w, const void* b, void* y, DwTypes t, XClamp xc,
                        ConvAct act, int smCount, cudaStream_t stream) {
    constexpr int kV = Vec16<S>::kN;
    if (q.C % kV == 0 && aligned16(x) && aligned16(y))
        launchChannelsLastOf<S, kV>(q, x, w, b, y, t, xc, act, smCount, stream);
    else
        launchChannelsLastOf<S, 1>(q, x, w, b, y, t, xc, act, smCount, stream);
}

}  // namespace

bool depthwiseConvolutionSupports(const ir::Node& n, const std::vector<ir::TensorDesc>& in,
                                  const std::vector<ir::TensorDesc>& out) {
    if (n.op != "Convolution" && n.op != "FusedConvolution") return false;
    if (in.size() < 2 || out.size() != 1 || !n.hasInput(0) || !n.hasInput(1) || n.hasInput(3) || !convActKnown(n))
        return false;
    const ir::DType xt = in[0].dtype;
    if (!isDeviceFloat(xt) || out[0].dtype != xt || !isDeviceFloat(in[1].dtype)) return false;
    if (n.hasInput(2) && (in.size() < 3 || !isDeviceFloat(in[2].dtype))) return false;
    if (!ir::isStatic(in[1].shape)) return false;
    ir::ConvGeometry g;
    if (!depthwiseGeometry(n, in[0].shape, in[1].shape, g).ok()) return false;
    // Unknown dims (dynamic shapes) are checked again at enqueue.
    const ir::Shape x = firstView(n, in[0].shape);
    return !ir::isStatic(x) || !ir::isStatic(g.outShape) || fitsInt32(g, x);
}

Status depthwiseConvolution(LaunchArgs& a) {
    const DeviceTensor& X = a.inputs[0];
    const DeviceTensor& W = a.inputs[1];
    DeviceTensor& Y = a.outputs[0];
    if (!isDeviceFloat(X.dtype) || Y.dtype != X.dtype || !isDeviceFloat(W.dtype))
        return Status::Error("depthwise convolution: X, Y must share a float type and W be a float type");
    if (a.node.hasInput(3) && a.inputs.size() > 3) return Status::Error("depthwise convolution: Z is not supported");
    ir::ConvGeometry g;
    KILN_RETURN_IF_ERROR(depthwiseGeometry(a.node, X.shape, W.shape, g));
    if (g.outShape != firstView(a.node, Y.shape))
        return Status::Error("output buffer shape " + ir::shapeToString(Y.shape) + " does not hold the output " +
                             ir::shapeToString(g.outShape));
    const bool bias = a.node.hasInput(2) && a.inputs.size() > 2 && a.inputs[2].data;
    DwTypes t;
    t.w = W.dtype;
    if (bias) {
        if (a.inputs[2].shape != ir::Shape{g.outChannels}) return Status::Error("bias shape must be [M]");
        if (!isDeviceFloat(a.inputs[2].dtype)) return Status::Error("bias must be a float type");
        t.b = a.inputs[2].dtype;
    }
    if (Y.numel() <= 0) return Status::Ok();
    const ir::Shape x = firstView(a.node, X.shape);
    if (!fitsInt32(g, x)) return Status::Error("depthwise convolution: one image exceeds int32 indexing");
    const DwGeom q = geomOf(g, x);
    const ConvAct act = convActOf(a.node);
    XClamp xc;
    if (const ir::XClip clip = ir::xClipOf(a.node); clip.on) {
        if (!clip.holdsZero()) return Status::Error("depthwise convolution: the input clip's range must hold 0");
        xc.lo = float(clip.lo);
        xc.hi = float(clip.hi);
    }
    const void* b = bias ? a.inputs[2].data : nullptr;
    const bool last = ir::isChannelsLast(a.node);
    return visitFloatType(X.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        if (last)
            launchChannelsLast<S>(q, X.data, W.data, b, Y.data, t, xc, act, a.handles.smCount, a.stream);
        else
            launchChannelsFirst<S>(q, X.data, W.data, b, Y.data, t, xc, act, a.stream);
        KILN_CUDA_CHECK_LAUNCH();
        return Status::Ok();
    });
}

}  // namespace kiln::cuda::kernels
