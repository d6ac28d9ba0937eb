// Tactic "kiln_conv_small_k": Convolution / FusedConvolution stored channels
// first, one group, whose reduction per output is short: K = C·KH·KW at most
// kMaxK terms (1x1 layers of few channels, a first layer's 3x3 over 3 colour
// channels):  Y[n, m, o] = act(B[m] + sum_k W[m, k] X[n, patch(o, k)] + Z[n, m, o]).
// Such layers move far more bytes than they compute, and cuDNN runs them as
// implicit GEMMs well below bandwidth (on an H200, in MobileNetV2's float32
// blocks: 1.27 ms for the [128,16,112,112] -> 96 1x1 expansion, 0.47 ms for the
// stem's 3x3 stride-2 [128,3,224,224] -> 32, where moving their bytes takes
// about 0.2 and 0.08 ms); nor do cuDNN's or cuBLASLt's epilogues have a clip
// (ReLU6), which this kernel applies for free.
// A thread holds the K inputs of its output position(s) in registers and loops
// over the block's chunk of output channels, whose weights and bias sit in
// shared memory as float: every weight read is a broadcast. 1x1 layers with
// unit strides and no pads (any spatial rank) take P = 4, 2, 1 consecutive
// positions per thread for K up to 16, 32, 64, with P-element loads and stores
// along the positions; other 2-D layers gather one position's patch through
// a per-block table of tap offsets (taps outside the image read as 0).
#include <algorithm>

#include "conv_act.cuh"
#include "device_common.cuh"
#include "ir/ops/channels_last.h"
#include "ir/ops/convolution.h"
#include "kernels.h"
#include "packed_io.cuh"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;

// Register-resident inputs: K * P floats per thread, at most 64 (two blocks
// of kBlock threads per SM cap a thread at 128 registers).
constexpr int kMaxK = 64;
// Shared floats for a chunk of Mc output channels' weights (Mc * K) and bias (Mc).
constexpr int kSharedFloats = 8192;

struct SkGeom {
    int64_t N;
    int C, M, Mc, K;     // channels in and out, output channels per block, patch length
    int64_t S, OS;       // input and output positions per image
    int H, W, OW;        // patch layers (2-D): input extent, output width
    int sh, sw, ph, pw;  // strides, pads begin
    int kh, kw, dh, dw;  // kernel extent, dilations
};

// W and B keep their own float types (uniform per launch).
struct SkTypes {
    ir::DType w = ir::DType::kF32, b = ir::DType::kF32;
};

// Positions per thread for vectorized 1x1 layers: 4, 2 or 1 for K up to 16, 32, 64.
template <int KMax>
constexpr int kVecPositions = KMax <= 16   ? 4
                              : KMax <= 32 ? 2
                                           : 1;

// acc[p] += sum over k < K of wr[k] * xv[k][p]. The weights are a broadcast
// from shared memory, 16 bytes at a time when K is a multiple of 4 (wr is
// then 16-byte aligned): a quarter of the shared-memory reads per product.
template <int KMax, int P>
__device__ __forceinline__ void accumulatePatch(const float* wr, int K, const float (&xv)[KMax][P], float (&acc)[P]) {
    static_assert(KMax % 4 == 0, "KMax is a multiple of 4");
    if ((K & 3) == 0) {
#pragma unroll
        for (int k = 0; k < KMax; k += 4) {
            if (k < K) {
                const float4 w4 = *reinterpret_cast<const float4*>(wr + k);
                const float w[4] = {w4.x, w4.y, w4.z, w4.w};
#pragma unroll
                for (int j = 0; j < 4; ++j)
#pragma unroll
                    for (int p = 0; p < P; ++p) acc[p] = fmaf(w[j], xv[k + j][p], acc[p]);
            }
        }
    } else {
#pragma unroll
        for (int k = 0; k < KMax; ++k) {
            if (k < K) {
#pragma unroll
                for (int p = 0; p < P; ++p) acc[p] = fmaf(wr[k], xv[k][p], acc[p]);
            }
        }
    }
}

// What a tap in the pads reads (never written).
__device__ float4 gSmallKZeros = {0.f, 0.f, 0.f, 0.f};

// Shared memory: weights [Mc][K] and bias [Mc] as float, then (patch layers)
// the taps' row and column offsets and element offsets in the image [K] each.
inline size_t sharedBytes(const SkGeom& q, bool patch) {
    return size_t(q.Mc) * size_t(q.K + 1) * sizeof(float) + (patch ? size_t(3 * q.K) * sizeof(int) : 0);
}

// Patch == false: 1x1, unit strides, no pads (positions o = s, P at a time);
// true: P == 1, 2-D, any strides, pads, dilations.
template <class S, int KMax, int P, bool Patch>
__global__ void __launch_bounds__(kBlock, 2)
    convSmallK(const S* __restrict__ x, const void* __restrict__ w, const void* __restrict__ b, const S* __restrict__ z,
               S* __restrict__ y, SkGeom q, SkTypes t, ConvAct act) {
    static_assert(!Patch || P == 1, "patch layers take one position per thread");
    extern __shared__ float4 smem4[];             // float4: 16-byte aligned rows
    float* sw = reinterpret_cast<float*>(smem4);  // [mc][K]
    float* sb = sw + q.Mc * q.K;                  // [mc]
    int* tapDy = reinterpret_cast<int*>(sb + q.Mc);
    int* tapDx = tapDy + q.K;
    int* tapOff = tapDx + q.K;
    const int K = q.K, m0 = int(blockIdx.y) * q.Mc, mc = min(q.Mc, q.M - m0);
    for (int i = threadIdx.x; i < mc * K; i += blockDim.x) sw[i] = loadFloatAny(w, t.w, int64_t(m0) * K + i);
    for (int i = threadIdx.x; i < mc; i += blockDim.x) sb[i] = b ? loadFloatAny(b, t.b, m0 + i) : 0.f;
    if constexpr (Patch) {
        // Tap k = (c * KH + i) * KW + j, W's own order.
        for (int k = threadIdx.x; k < K; k += blockDim.x) {
            const int j = k % q.kw, i = (k / q.kw) % q.kh, c = k / (q.kw * q.kh);
            tapDy[k] = i * q.dh;
            tapDx[k] = j * q.dw;
            tapOff[k] = (c * q.H + i * q.dh) * q.W + j * q.dw;
        }
    }
    __syncthreads();

    const int64_t perImage = q.OS / P, groups = q.N * perImage;
    const int64_t step = int64_t(gridDim.x) * blockDim.x;
    for (int64_t gi = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; gi < groups; gi += step) {
        const int64_t n = gi / perImage, o0 = (gi - n * perImage) * P;
        const S* xn = x + n * q.C * q.S;
        float xv[KMax][P];
        if constexpr (Patch) {
            const int oh = int(o0 / q.OW), ow = int(o0 - int64_t(oh) * q.OW);
            const int ih0 = oh * q.sh - q.ph, iw0 = ow * q.sw - q.pw, base = ih0 * q.W + iw0;
#pragma unroll
            for (int k = 0; k < KMax; ++k) {
                if (k < K) {
                    const int ih = ih0 + tapDy[k], iw = iw0 + tapDx[k];
                    const bool inside = (unsigned(ih) < unsigned(q.H)) & (unsigned(iw) < unsigned(q.W));
                    // The address is selected, not the value: the K loads stay unconditional
                    // and in flight together (a selected value sinks each load under a branch).
                    const S* src = inside ? xn + (base + tapOff[k]) : reinterpret_cast<const S*>(&gSmallKZeros);
                    xv[k][0] = float(Elem<S>::load(*src));
                }
            }
        } else {
#pragma unroll
            for (int k = 0; k < KMax; ++k)
                if (k < K) loadPacked<S, P>(xn + int64_t(k) * q.S + o0, xv[k]);
        }
        const int64_t yBase = (n * q.M + m0) * q.OS + o0;
        for (int mm = 0; mm < mc; ++mm) {
            float acc[P];
#pragma unroll
            for (int p = 0; p < P; ++p) acc[p] = sb[mm];
            accumulatePatch<KMax, P>(sw + mm * K, K, xv, acc);
            const int64_t at = yBase + int64_t(mm) * q.OS;
            if (z) {
                float zv[P];
                loadPacked<S, P>(z + at, zv);
#pragma unroll
                for (int p = 0; p < P; ++p) acc[p] += zv[p];
            }
#pragma unroll
            for (int p = 0; p < P; ++p) acc[p] = applyConvAct(acc[p], act);
            storePacked<S, P>(y + at, acc);
        }
    }
}

// Z: a FusedConvolution's residual input.
bool hasResidual(const ir::Node& n) { return n.op == "FusedConvolution" && n.hasInput(3); }

// 1x1 with unit strides and no pads: the positions map one to one.
bool pointwise(const ir::ConvGeometry& g) {
    for (int i = 0; i < g.spatialRank; ++i)
        if (g.kernel[size_t(i)] != 1 || g.strides[size_t(i)] != 1 || g.padsBegin[size_t(i)] != 0 ||
            g.padsEnd[size_t(i)] != 0)
            return false;
    return true;
}

// The geometry when this kernel takes the node on these shapes: channels
// first, one group, K <= kMaxK, pointwise (any rank) or 2-D. Unknown spatial
// dims pass (checked again at enqueue); a 2-D image's offsets fit int32.
bool smallKGeometry(const ir::Node& n, const ir::Shape& x, const ir::Shape& w, ir::ConvGeometry& g) {
    if (ir::isChannelsLast(n) || x.size() < 3 || x.size() != w.size() || !ir::isStatic(w)) return false;
    if (x[1] < 1 || w[1] != x[1] || ir::volume(w) / std::max<int64_t>(1, w[0]) > kMaxK) return false;
    if (!ir::resolveConvGeometry(n, x, w, false, g).ok() || g.group != 1) return false;
    if (pointwise(g)) return true;
    if (g.spatialRank != 2) return false;
    if (!ir::isStatic(x) || !ir::isStatic(g.outShape)) return true;
    // Every element offset formed within one image (taps in the pads included)
    // is below (C*H + reachH) * (W + reachW) in magnitude: int32 with room.
    double reach[2];
    for (size_t a = 0; a < 2; ++a)
        reach[a] = double(x[a + 2]) + double(g.padsBegin[a]) + double(g.outShape[a + 2]) * double(g.strides[a]) +
                   double(g.kernel[a]) * double(g.dilations[a]);
    return (double(x[1]) * double(x[2]) + reach[0]) * (double(x[3]) + reach[1]) < double(1 << 30);
}

// P-element accesses need every P-group aligned: positions a multiple of P, bases aligned.
bool alignedTo(const void* p, size_t bytes) { return !p || reinterpret_cast<uintptr_t>(p) % bytes == 0; }

template <class S, int KMax, int P, bool Patch>
void launchOf(const SkGeom& q, const void* x, const void* w, const void* b, const void* z, void* y, SkTypes t,
              ConvAct act, cudaStream_t stream) {
    const int64_t groups = q.N * (q.OS / P);
    const dim3 grid(gridFor(groups), unsigned((q.M + q.Mc - 1) / q.Mc));
    convSmallK<S, KMax, P, Patch><<<grid, kBlock, sharedBytes(q, Patch), stream>>>(
        static_cast<const S*>(x), w, b, static_cast<const S*>(z), static_cast<S*>(y), q, t, act);
}

template <class S, int KMax>
void launchWithK(const SkGeom& q, bool patch, const void* x, const void* w, const void* b, const void* z, void* y,
                 SkTypes t, ConvAct act, cudaStream_t stream) {
    constexpr int P = kVecPositions<KMax>;
    constexpr size_t bytes = P * sizeof(S);
    if (patch)
        launchOf<S, KMax, 1, true>(q, x, w, b, z, y, t, act, stream);
    else if (q.S % P == 0 && alignedTo(x, bytes) && alignedTo(y, bytes) && alignedTo(z, bytes))
        launchOf<S, KMax, P, false>(q, x, w, b, z, y, t, act, stream);
    else
        launchOf<S, KMax, 1, false>(q, x, w, b, z, y, t, act, stream);
}

}  // namespace

bool smallKConvolutionSupports(const ir::Node& n, const std::vector<ir::TensorDesc>& in,
                               const std::vector<ir::TensorDesc>& out) {
    if (n.op != "Convolution" && n.op != "FusedConvolution") return false;
    if (in.size() < 2 || out.size() != 1 || !n.hasInput(0) || !n.hasInput(1) || !convActKnown(n) || ir::xClipOf(n).on)
        return false;
    const ir::DType xt = in[0].dtype;
    if (!isDeviceFloat(xt) || out[0].dtype != xt || !isDeviceFloat(in[1].dtype)) return false;
    if (n.hasInput(2) && (in.size() < 3 || !isDeviceFloat(in[2].dtype))) return false;
    if (hasResidual(n) && (in.size() < 4 || in[3].dtype != xt)) return false;
    ir::ConvGeometry g;
    return smallKGeometry(n, in[0].shape, in[1].shape, g);
}

Status smallKConvolution(LaunchArgs& a) {
    const DeviceTensor& X = a.inputs[0];
    const DeviceTensor& W = a.inputs[1];
    DeviceTensor& Y = a.outputs[0];
    if (!isDeviceFloat(X.dtype) || Y.dtype != X.dtype || !isDeviceFloat(W.dtype))
        return Status::Error("small-K convolution: X, Y must share a float type and W be a float type");
    ir::ConvGeometry g;
    if (!smallKGeometry(a.node, X.shape, W.shape, g))
        return Status::Error("small-K convolution: X " + ir::shapeToString(X.shape) + ", W " +
                             ir::shapeToString(W.shape) +
                             " is not a channels-first, one-group convolution of at most " + std::to_string(kMaxK) +
                             " terms per output (1x1, or 2-D)");
    if (g.outShape != Y.shape)
        return Status::Error("output buffer shape " + ir::shapeToString(Y.shape) + " does not hold the output " +
                             ir::shapeToString(g.outShape));
    SkTypes t;
    t.w = W.dtype;
    const bool bias = a.node.hasInput(2) && a.inputs.size() > 2 && a.inputs[2].data;
    if (bias) {
        if (a.inputs[2].shape != ir::Shape{g.outChannels}) return Status::Error("bias shape must be [M]");
        if (!isDeviceFloat(a.inputs[2].dtype)) return Status::Error("bias must be a float type");
        t.b = a.inputs[2].dtype;
    }
    const void* z = nullptr;
    if (hasResidual(a.node) && a.inputs.size() > 3) {
        if (a.inputs[3].shape != Y.shape || a.inputs[3].dtype != Y.dtype)
            return Status::Error("Z must have the output's shape and dtype");
        z = a.inputs[3].data;
    }
    if (Y.numel() <= 0) return Status::Ok();
    const bool patch = !pointwise(g);
    SkGeom q{};
    q.N = X.shape[0];
    q.C = int(X.shape[1]);
    q.M = int(g.outChannels);
    q.K = int(ir::volume(W.shape) / W.shape[0]);
    q.S = ir::volume(X.shape) / std::max<int64_t>(1, q.N * q.C);
    q.OS = ir::volume(Y.shape) / std::max<int64_t>(1, q.N * q.M);
    if (patch) {
        q.H = int(X.shape[2]);
        q.W = int(X.shape[3]);
        q.OW = int(Y.shape[3]);
        q.sh = int(g.strides[0]);
        q.sw = int(g.strides[1]);
        q.ph = int(g.padsBegin[0]);
        q.pw = int(g.padsBegin[1]);
        q.kh = int(g.kernel[0]);
        q.kw = int(g.kernel[1]);
        q.dh = int(g.dilations[0]);
        q.dw = int(g.dilations[1]);
    }
    q.Mc = std::min(q.M, kSharedFloats / (q.K + 1));
    if (int64_t(q.M + q.Mc - 1) / q.Mc > 65535) return Status::Error("small-K convolution: too many output channels");
    const void* b = bias ? a.inputs[2].data : nullptr;
    const ConvAct act = convActOf(a.node);
    return visitFloatType(X.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        if (q.K <= 16)
            launchWithK<S, 16>(q, patch, X.data, W.data, b, z, Y.data, t, act, a.stream);
        else if (q.K <= 32)
            launchWithK<S, 32>(q, patch, X.data, W.data, b, z, Y.data, t, act, a.stream);
        else
            launchWithK<S, kMaxK>(q, patch, X.data, W.data, b, z, Y.data, t, act, a.stream);
        KILN_CUDA_CHECK_LAUNCH();
        return Status::Ok();
    });
}

}  // namespace kiln::cuda::kernels
