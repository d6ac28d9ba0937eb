// Tactic "kiln_conv1x1": 1x1 Convolution / FusedConvolution stored channels
// first (any spatial rank, flattened to S positions), unit strides, no pads,
// one group, at most kMaxC input channels:
//   Y[n, m, s] = act(B[m] + sum_c W[m, c] X[n, c, s] + Z[n, m, s]).
// With few input channels the layer moves far more bytes than it computes,
// and cuDNN runs it as an implicit GEMM well below bandwidth (1.27 ms for
// MobileNetV2's float32 [128,16,112,112] -> 96 expansion on an H200, where
// its 0.72 GB take about 0.2 ms); nor do cuDNN's or cuBLASLt's epilogues
// have a clip (ReLU6), which this kernel applies for free.
// A thread holds P consecutive positions' C inputs in registers (P-element
// vector loads along s, P = 4, 2, 1 for C up to 16, 32, 64) and loops over the block's chunk of output channels,
// whose weights and bias sit in shared memory as float: every weight read is
// a broadcast, every output a P-element vector store along s.
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

// Register-resident inputs: C * P floats per thread, at most 64 (two blocks
// of kBlock threads per SM cap a thread at 128 registers).
constexpr int kMaxC = 64;
// Shared floats per block: a chunk of Mc output channels' weights (Mc * C) and bias (Mc).
constexpr int kSharedFloats = 8192;

struct C1Geom {
    int64_t N, S;  // images, positions per image
    int C, M, Mc;  // input and output channels, output channels per block
};

// W and B keep their own float types (uniform per launch).
struct C1Types {
    ir::DType w = ir::DType::kF32, b = ir::DType::kF32;
};

// Positions per thread when vectorized: 4, 2 or 1 for C up to 16, 32, 64.
template <int CMax>
constexpr int kVecPositions = CMax <= 16 ? 4 : CMax <= 32 ? 2 : 1;

// acc[p] += sum over c < C of wr[c] * xv[c][p]. The weights are a broadcast
// from shared memory, 16 bytes at a time when C is a multiple of 4 (wr is
// then 16-byte aligned): a quarter of the shared-memory reads per product.
template <int CMax, int P>
__device__ __forceinline__ void accumulateChannels(const float* wr, int C, const float (&xv)[CMax][P],
                                                   float (&acc)[P]) {
    static_assert(CMax % 4 == 0, "CMax is a multiple of 4");
    if ((C & 3) == 0) {
#pragma unroll
        for (int c = 0; c < CMax; c += 4) {
            if (c < C) {
                const float4 w4 = *reinterpret_cast<const float4*>(wr + c);
                const float w[4] = {w4.x, w4.y, w4.z, w4.w};
#pragma unroll
                for (int j = 0; j < 4; ++j)
#pragma unroll
                    for (int p = 0; p < P; ++p) acc[p] = fmaf(w[j], xv[c + j][p], acc[p]);
            }
        }
    } else {
#pragma unroll
        for (int c = 0; c < CMax; ++c) {
            if (c < C) {
#pragma unroll
                for (int p = 0; p < P; ++p) acc[p] = fmaf(wr[c], xv[c][p], acc[p]);
            }
        }
    }
}

template <class S, int CMax, int P>
__global__ void __launch_bounds__(kBlock, 2)
    conv1x1ChannelsFirst(const S* __restrict__ x, const void* __restrict__ w, const void* __restrict__ b,
                         const S* __restrict__ z, S* __restrict__ y, C1Geom q, C1Types t, ConvAct act) {
    extern __shared__ float4 smem4[];  // float4: 16-byte aligned rows
    float* smem = reinterpret_cast<float*>(smem4);
    const int C = q.C, m0 = int(blockIdx.y) * q.Mc, mc = min(q.Mc, q.M - m0);
    float* sw = smem;             // [mc][C]
    float* sb = smem + q.Mc * C;  // [mc]
    for (int i = threadIdx.x; i < mc * C; i += blockDim.x) sw[i] = loadFloatAny(w, t.w, int64_t(m0) * C + i);
    for (int i = threadIdx.x; i < mc; i += blockDim.x) sb[i] = b ? loadFloatAny(b, t.b, m0 + i) : 0.f;
    __syncthreads();

    const int64_t perImage = q.S / P, groups = q.N * perImage;
    const int64_t step = int64_t(gridDim.x) * blockDim.x;
    for (int64_t gi = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; gi < groups; gi += step) {
        const int64_t n = gi / perImage, s0 = (gi - n * perImage) * P;
        const S* xp = x + n * C * q.S + s0;
        float xv[CMax][P];
#pragma unroll
        for (int c = 0; c < CMax; ++c)
            if (c < C) loadPacked<S, P>(xp + int64_t(c) * q.S, xv[c]);
        const int64_t yBase = (n * q.M + m0) * q.S + s0;
        for (int mm = 0; mm < mc; ++mm) {
            float acc[P];
#pragma unroll
            for (int p = 0; p < P; ++p) acc[p] = sb[mm];
            accumulateChannels<CMax, P>(sw + mm * C, C, xv, acc);
            const int64_t at = yBase + int64_t(mm) * q.S;
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

bool hasInput(const ir::Node& n, size_t i) { return i < n.inputs.size() && n.inputs[i] >= 0; }

// Z: a FusedConvolution's residual input.
bool hasResidual(const ir::Node& n) { return n.op == "FusedConvolution" && hasInput(n, 3); }

// The geometry when the node is a channels-first 1x1 convolution this kernel
// takes on these shapes (unknown spatial dims pass: checked again at enqueue).
bool conv1x1Geometry(const ir::Node& n, const ir::Shape& x, const ir::Shape& w, ir::ConvGeometry& g) {
    if (ir::isChannelsLast(n) || x.size() < 3 || x.size() != w.size() || !ir::isStatic(w)) return false;
    if (x[1] < 1 || x[1] > kMaxC || w[1] != x[1]) return false;
    if (!ir::resolveConvGeometry(n, x, w, false, g).ok() || g.group != 1) return false;
    for (int i = 0; i < g.spatialRank; ++i)
        if (g.kernel[size_t(i)] != 1 || g.strides[size_t(i)] != 1 || g.padsBegin[size_t(i)] != 0 ||
            g.padsEnd[size_t(i)] != 0)
            return false;
    return true;
}

template <class S, int CMax, int P>
void launchOf(const C1Geom& q, const void* x, const void* w, const void* b, const void* z, void* y, C1Types t,
              ConvAct act, cudaStream_t stream) {
    const int64_t groups = q.N * (q.S / P);
    const dim3 grid(gridFor(groups), unsigned((q.M + q.Mc - 1) / q.Mc));
    const size_t smem = size_t(q.Mc) * size_t(q.C + 1) * sizeof(float);
    conv1x1ChannelsFirst<S, CMax, P><<<grid, kBlock, smem, stream>>>(
        static_cast<const S*>(x), w, b, static_cast<const S*>(z), static_cast<S*>(y), q, t, act);
}

// P-element accesses need every P-group aligned: S a multiple of P and the bases aligned.
bool alignedTo(const void* p, size_t bytes) { return !p || reinterpret_cast<uintptr_t>(p) % bytes == 0; }

template <class S, int CMax>
void launchWithC(const C1Geom& q, const void* x, const void* w, const void* b, const void* z, void* y, C1Types t,
                 ConvAct act, cudaStream_t stream) {
    constexpr int P = kVecPositions<CMax>;
    constexpr size_t bytes = P * sizeof(S);
    if (q.S % P == 0 && alignedTo(x, bytes) && alignedTo(y, bytes) && alignedTo(z, bytes))
        launchOf<S, CMax, P>(q, x, w, b, z, y, t, act, stream);
    else
        launchOf<S, CMax, 1>(q, x, w, b, z, y, t, act, stream);
}

}  // namespace

bool conv1x1Supports(const ir::Node& n, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    if (n.op != "Convolution" && n.op != "FusedConvolution") return false;
    if (in.size() < 2 || out.size() != 1 || !hasInput(n, 0) || !hasInput(n, 1) || !convActKnown(n)) return false;
    const ir::DType xt = in[0].dtype;
    if (!isDeviceFloat(xt) || out[0].dtype != xt || !isDeviceFloat(in[1].dtype)) return false;
    if (hasInput(n, 2) && (in.size() < 3 || !isDeviceFloat(in[2].dtype))) return false;
    if (hasResidual(n) && (in.size() < 4 || in[3].dtype != xt)) return false;
    ir::ConvGeometry g;
    return conv1x1Geometry(n, in[0].shape, in[1].shape, g);
}

Status conv1x1(LaunchArgs& a) {
    const DeviceTensor& X = a.inputs[0];
    const DeviceTensor& W = a.inputs[1];
    DeviceTensor& Y = a.outputs[0];
    if (!isDeviceFloat(X.dtype) || Y.dtype != X.dtype || !isDeviceFloat(W.dtype))
        return Status::Error("1x1 convolution: X, Y must share a float type and W be a float type");
    ir::ConvGeometry g;
    if (!conv1x1Geometry(a.node, X.shape, W.shape, g))
        return Status::Error("1x1 convolution: X " + ir::shapeToString(X.shape) + ", W " +
                             ir::shapeToString(W.shape) + " is not a channels-first 1x1 convolution of at most " +
                             std::to_string(kMaxC) + " input channels");
    if (g.outShape != Y.shape)
        return Status::Error("output buffer shape " + ir::shapeToString(Y.shape) + " does not hold the output " +
                             ir::shapeToString(g.outShape));
    C1Types t;
    t.w = W.dtype;
    const bool bias = hasInput(a.node, 2) && a.inputs.size() > 2 && a.inputs[2].data;
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
    C1Geom q{};
    q.N = X.shape[0];
    q.C = int(X.shape[1]);
    q.M = int(g.outChannels);
    q.S = ir::volume(X.shape) / std::max<int64_t>(1, q.N * q.C);
    q.Mc = std::min(q.M, kSharedFloats / (q.C + 1));
    if (int64_t(q.M + q.Mc - 1) / q.Mc > 65535) return Status::Error("1x1 convolution: too many output channels");
    const void* b = bias ? a.inputs[2].data : nullptr;
    return visitFloatType(X.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        if (q.C <= 16)
            launchWithC<S, 16>(q, X.data, W.data, b, z, Y.data, t, convActOf(a.node), a.stream);
        else if (q.C <= 32)
            launchWithC<S, 32>(q, X.data, W.data, b, z, Y.data, t, convActOf(a.node), a.stream);
        else
            launchWithC<S, kMaxC>(q, X.data, W.data, b, z, Y.data, t, convActOf(a.node), a.stream);
        KILN_CUDA_CHECK_LAUNCH();
        return Status::Ok();
    });
}

}  // namespace kiln::cuda::kernels
