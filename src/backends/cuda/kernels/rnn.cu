// RNN on CUDA (the IR op behind ONNX RNN / GRU / LSTM), as the CPU reference
// (backends/cpu/ref/rnn.cpp) and docs/ops.md: every direction, activation set,
// clip, sequence lengths, initial states, peepholes, input_forget,
// linear_before_reset and both layouts. float32 computes in float64 (as the
// reference), float16/bfloat16 in float32.
//
// Structure: the input projections of every time step are one batched tiled
// GEMM (W x_t + Wb for all t, b, direction) into the workspace; then, per time
// step (a host loop of launches on the stream), the recurrent GEMM
// R h_(t-1) + Rb and one kernel for the gates and the state update (GRU
// without linear_before_reset needs a second kernel: its candidate multiplies
// R_h by r * h_(t-1) of the whole row). Every (direction, batch row) walks its
// own sequence length; rows past their length keep their state and their Y
// rows are zero.
#include <algorithm>
#include <cmath>
#include <string>

#include "device_common.cuh"
#include "ir/ops/rnn.h"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;
using ir::RNNCell;

template <class S>
using AccT = std::conditional_t<std::is_same_v<S, float>, double, float>;

template <class A, class T>
__device__ __forceinline__ A toAcc(T v) {
    if constexpr (std::is_same_v<T, A>)
        return v;
    else
        return A(Elem<T>::load(v));
}

// ---- batched C_z[m, n] = bias_z[n] + sum_k A_z[m, k] * B_z[n, k] ----

constexpr int kTile = 16;

struct GemmDims {
    int64_t M, N, K;
    int64_t lda, strideA, ldb, strideB, strideBias, ldc, strideC;
};

// Each output sums its bias first, then the products in k order, as the
// reference does. A grid-stride loop over tiles (uniform per block) keeps
// every size within the grid limits; blockIdx.y is the batch.
template <class A, class TA, class TB>
__global__ void gemmNTKernel(const TA* __restrict__ a, const TB* __restrict__ b, const TB* __restrict__ bias,
                             A* __restrict__ c, GemmDims g) {
    __shared__ A as[kTile][kTile + 1];
    __shared__ A bs[kTile][kTile + 1];
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int64_t z = blockIdx.y;
    const TA* az = a + z * g.strideA;
    const TB* bz = b + z * g.strideB;
    const int64_t tilesN = (g.N + kTile - 1) / kTile, tiles = ((g.M + kTile - 1) / kTile) * tilesN;
    for (int64_t tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
        const int64_t m0 = (tile / tilesN) * kTile, n0 = (tile % tilesN) * kTile;
        const int64_t m = m0 + ty, n = n0 + tx;
        A acc = bias && n < g.N ? toAcc<A>(bias[z * g.strideBias + n]) : A(0);
        for (int64_t k0 = 0; k0 < g.K; k0 += kTile) {
            const int64_t k = k0 + tx;
            as[ty][tx] = m0 + ty < g.M && k < g.K ? toAcc<A>(az[(m0 + ty) * g.lda + k]) : A(0);
            bs[ty][tx] = n0 + ty < g.N && k < g.K ? toAcc<A>(bz[(n0 + ty) * g.ldb + k]) : A(0);
            __syncthreads();
            const int kn = g.K - k0 < kTile ? int(g.K - k0) : kTile;
            for (int kk = 0; kk < kn; ++kk) acc += as[ty][kk] * bs[tx][kk];
            __syncthreads();
        }
        if (m < g.M && n < g.N) c[z * g.strideC + m * g.ldc + n] = acc;
    }
}

template <class A, class TA, class TB>
void gemmNT(const TA* a, const TB* b, const TB* bias, A* c, const GemmDims& g, int64_t batch, cudaStream_t s) {
    if (g.M <= 0 || g.N <= 0 || batch <= 0) return;
    const int64_t tiles = ((g.M + kTile - 1) / kTile) * ((g.N + kTile - 1) / kTile);
    const dim3 grid(unsigned(std::min<int64_t>(tiles, 65535 * 4)), unsigned(batch));
    gemmNTKernel<A, TA, TB><<<grid, dim3(kTile, kTile), 0, s>>>(a, b, bias, c, g);
}

// ---- activations (the reference's ActFn) ----

enum Act : int {
    kRelu,
    kTanh,
    kSigmoid,
    kLeakyRelu,
    kThresholdedRelu,
    kScaledTanh,
    kHardSigmoid,
    kElu,
    kSoftsign,
    kSoftplus
};

int actOf(const std::string& n) {
    if (n == "relu") return kRelu;
    if (n == "sigmoid") return kSigmoid;
    if (n == "leaky_relu") return kLeakyRelu;
    if (n == "thresholded_relu") return kThresholdedRelu;
    if (n == "scaled_tanh") return kScaledTanh;
    if (n == "hard_sigmoid") return kHardSigmoid;
    if (n == "elu") return kElu;
    if (n == "softsign") return kSoftsign;
    if (n == "softplus") return kSoftplus;
    return kTanh;
}

template <class A>
__device__ __forceinline__ A mTanh(A x) {
    if constexpr (std::is_same_v<A, float>)
        return tanhf(x);
    else
        return tanh(x);
}
template <class A>
__device__ __forceinline__ A mExp(A x) {
    if constexpr (std::is_same_v<A, float>)
        return expf(x);
    else
        return exp(x);
}
template <class A>
__device__ __forceinline__ A mLog1p(A x) {
    if constexpr (std::is_same_v<A, float>)
        return log1pf(x);
    else
        return log1p(x);
}

template <class A>
__device__ A applyAct(int act, double alphaD, double betaD, A x) {
    const A alpha = A(alphaD), beta = A(betaD);
    switch (act) {
        case kRelu:
            return x > 0 ? x : A(0);
        case kTanh:
            return mTanh(x);
        case kSigmoid:
            return A(1) / (A(1) + mExp(-x));
        case kLeakyRelu:
            return x >= 0 ? x : alpha * x;
        case kThresholdedRelu:
            return x > alpha ? x : A(0);
        case kScaledTanh:
            return alpha * mTanh(beta * x);
        case kHardSigmoid: {
            const A v = alpha * x + beta;
            const A lo = v < A(1) ? v : A(1);  // std::min(1.0, v)
            return A(0) < lo ? lo : A(0);      // std::max(0.0, lo)
        }
        case kElu:
            return x >= 0 ? x : alpha * (mExp(x) - A(1));
        case kSoftsign:
            return x / (A(1) + fabs(x));
        case kSoftplus:
            return x > A(30) ? x : mLog1p(mExp(x));
    }
    return x;
}

struct RnnParams {
    int cell;  // RNNCell
    int64_t T, B, I, H, D, GH;
    bool batchFirst, reverseOnly, lbr, inputForget;
    double clip;
    int perDir;
    int act[6];
    double alpha[6], beta[6];
    const void* lens;  // nullptr: every row runs T steps
    bool lens64;
};

__device__ __forceinline__ int64_t seqLen(const RnnParams& p, int64_t b) {
    if (!p.lens) return p.T;
    const int64_t v =
        p.lens64 ? static_cast<const int64_t*>(p.lens)[b] : int64_t(static_cast<const int32_t*>(p.lens)[b]);
    return v < 0 ? 0 : (v > p.T ? p.T : v);  // the reference rejects lengths outside [0, T]
}

template <class A>
__device__ __forceinline__ A clipV(const RnnParams& p, A v) {
    if (!(p.clip > 0)) return v;
    const A c = A(p.clip);
    return v < -c ? -c : (c < v ? c : v);  // std::clamp(v, -c, c)
}

template <class A>
__device__ __forceinline__ A fn(const RnnParams& p, int64_t d, int k, A x) {
    const int i = int(d) * p.perDir + k;
    return applyAct<A>(p.act[i], p.alpha[i], p.beta[i], x);
}

__device__ __forceinline__ int64_t stateAt(const RnnParams& p, int64_t d, int64_t b) {
    return p.batchFirst ? (b * p.D + d) * p.H : (d * p.B + b) * p.H;
}
__device__ __forceinline__ int64_t yAt(const RnnParams& p, int64_t d, int64_t b, int64_t t) {
    return p.batchFirst ? ((b * p.T + t) * p.D + d) * p.H : ((t * p.D + d) * p.B + b) * p.H;
}

// Workspace (accumulator type A): xw [T*B rows in X's order][D][GH], hr [D][B][GH],
// h, c, z, rh [D][B][H].
struct RnnWs {
    int64_t xw, hr, h, c, z, rh, total;  // element offsets
};

RnnWs rnnLayout(int64_t T, int64_t B, int64_t D, int64_t H, int64_t GH) {
    RnnWs w{};
    w.xw = 0;
    w.hr = w.xw + T * B * D * GH;
    w.h = w.hr + D * B * GH;
    w.c = w.h + D * B * H;
    w.z = w.c + D * B * H;
    w.rh = w.z + D * B * H;
    w.total = w.rh + D * B * H;
    return w;
}

template <class S, class A>
__global__ void rnnInitKernel(const S* __restrict__ h0, const S* __restrict__ c0, A* __restrict__ h, A* __restrict__ c,
                              RnnParams p) {
    const int64_t total = p.D * p.B * p.H, stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
        const int64_t j = e % p.H, b = (e / p.H) % p.B, d = e / (p.H * p.B);
        const int64_t at = stateAt(p, d, b) + j;
        h[e] = h0 ? toAcc<A>(h0[at]) : A(0);
        c[e] = c0 ? toAcc<A>(c0[at]) : A(0);
    }
}

// Zeros Y at the time steps past each row's length.
template <class S>
__global__ void rnnZeroTailKernel(S* __restrict__ y, RnnParams p) {
    const int64_t total = p.T * p.D * p.B * p.H, stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
        int64_t b, t;
        if (p.batchFirst) {
            t = (e / (p.H * p.D)) % p.T;
            b = e / (p.H * p.D * p.T);
        } else {
            b = (e / p.H) % p.B;
            t = e / (p.H * p.B * p.D);
        }
        if (t >= seqLen(p, b)) y[e] = Elem<S>::store(ComputeT<S>(0.0f));
    }
}

// One time step's gates and state update per (direction, batch row, unit).
// For GRU without linear_before_reset this is the first half (z and r * h).
template <class S, class A>
__global__ void rnnStepKernel(const A* __restrict__ xwAll, const A* __restrict__ hrAll, const S* __restrict__ P,
                              A* __restrict__ hs, A* __restrict__ cs, A* __restrict__ zs, A* __restrict__ rhs,
                              S* __restrict__ y, RnnParams p, int64_t s) {
    const int64_t total = p.D * p.B * p.H, stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
        const int64_t j = e % p.H, b = (e / p.H) % p.B, d = e / (p.H * p.B);
        const int64_t len = seqLen(p, b);
        if (s >= len) continue;
        const bool reverse = p.reverseOnly || d == 1;
        const int64_t t = reverse ? len - 1 - s : s;
        const int64_t xrow = p.batchFirst ? b * p.T + t : t * p.B + b;
        const A* xw = xwAll + (xrow * p.D + d) * p.GH;
        const A* hr = hrAll + (d * p.B + b) * p.GH;
        const int64_t H = p.H;
        A& h = hs[e];
        if (p.cell == int(RNNCell::kRNN)) {
            h = fn<A>(p, d, 0, clipV(p, xw[j] + hr[j]));
        } else if (p.cell == int(RNNCell::kGRU)) {
            const A z = fn<A>(p, d, 0, clipV(p, xw[j] + hr[j]));
            const A r = fn<A>(p, d, 0, clipV(p, xw[H + j] + hr[H + j]));
            if (!p.lbr) {  // the candidate needs r * h of the whole row: second kernel
                zs[e] = z;
                rhs[e] = r * h;
                continue;
            }
            A pre = xw[2 * H + j];
            pre += r * hr[2 * H + j];
            const A cand = fn<A>(p, d, 1, clipV(p, pre));
            h = (A(1) - z) * cand + z * h;
        } else {
            // Gates i, o, f, c; peepholes i, o, f.
            const S* Pd = P ? P + d * 3 * H : nullptr;
            const A pi = Pd ? toAcc<A>(Pd[j]) : A(0), po = Pd ? toAcc<A>(Pd[H + j]) : A(0),
                    pf = Pd ? toAcc<A>(Pd[2 * H + j]) : A(0);
            A& c = cs[e];
            const A ig = fn<A>(p, d, 0, clipV(p, xw[j] + hr[j] + pi * c));
            const A fg = p.inputForget ? A(1) - ig : fn<A>(p, d, 0, clipV(p, xw[2 * H + j] + hr[2 * H + j] + pf * c));
            const A cg = fn<A>(p, d, 1, clipV(p, xw[3 * H + j] + hr[3 * H + j]));
            c = fg * c + ig * cg;
            const A og = fn<A>(p, d, 0, clipV(p, xw[H + j] + hr[H + j] + po * c));
            h = og * fn<A>(p, d, 2, c);
        }
        if (y) y[yAt(p, d, b, t) + j] = Elem<S>::store(ComputeT<S>(h));
    }
}

// GRU without linear_before_reset: candidate = g(W_h x + Wb_h + Rb_h + R_h (r * h)).
template <class S, class A>
__global__ void rnnGruCandidateKernel(const A* __restrict__ xwAll, const S* __restrict__ R, const S* __restrict__ bias,
                                      A* __restrict__ hs, const A* __restrict__ zs, const A* __restrict__ rhs,
                                      S* __restrict__ y, RnnParams p, int64_t s) {
    const int64_t total = p.D * p.B * p.H, stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
        const int64_t j = e % p.H, b = (e / p.H) % p.B, d = e / (p.H * p.B);
        const int64_t len = seqLen(p, b);
        if (s >= len) continue;
        const bool reverse = p.reverseOnly || d == 1;
        const int64_t t = reverse ? len - 1 - s : s;
        const int64_t xrow = p.batchFirst ? b * p.T + t : t * p.B + b;
        const int64_t H = p.H, k = 2 * H + j;
        A pre = xwAll[(xrow * p.D + d) * p.GH + k];
        pre += bias ? toAcc<A>(bias[d * 2 * p.GH + p.GH + k]) : A(0);
        const S* Rrow = R + (d * p.GH + k) * H;
        const A* rh = rhs + (d * p.B + b) * H;
        for (int64_t q = 0; q < H; ++q) pre += rh[q] * toAcc<A>(Rrow[q]);
        const A cand = fn<A>(p, d, 1, clipV(p, pre));
        const A z = zs[e];
        A& h = hs[e];
        h = (A(1) - z) * cand + z * h;
        if (y) y[yAt(p, d, b, t) + j] = Elem<S>::store(ComputeT<S>(h));
    }
}

template <class S, class A>
__global__ void rnnFinalKernel(const A* __restrict__ h, const A* __restrict__ c, S* __restrict__ yh, S* __restrict__ yc,
                               RnnParams p) {
    const int64_t total = p.D * p.B * p.H, stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
        const int64_t j = e % p.H, b = (e / p.H) % p.B, d = e / (p.H * p.B);
        const int64_t at = stateAt(p, d, b) + j;
        if (yh) yh[at] = Elem<S>::store(ComputeT<S>(h[e]));
        if (yc) yc[at] = Elem<S>::store(ComputeT<S>(c[e]));
    }
}

bool given(const LaunchArgs& a, size_t i) {
    return i < a.inputs.size() && i < a.node.inputs.size() && a.node.inputs[i] >= 0 && a.inputs[i].data;
}

size_t accBytes(ir::DType t) { return t == ir::DType::kF32 ? sizeof(double) : sizeof(float); }

template <class S>
Status launchRnn(LaunchArgs& a, const RnnParams& p) {
    using A = AccT<S>;
    const RnnWs L = rnnLayout(p.T, p.B, p.D, p.H, p.GH);
    if (a.workspaceBytes < size_t(L.total) * sizeof(A))
        return Status::Error("RNN: the workspace holds " + std::to_string(a.workspaceBytes) + " bytes, " +
                             std::to_string(size_t(L.total) * sizeof(A)) + " needed");
    A* ws = static_cast<A*>(a.workspace);
    A *xw = ws + L.xw, *hr = ws + L.hr, *h = ws + L.h, *c = ws + L.c, *z = ws + L.z, *rh = ws + L.rh;
    const S* X = a.inputs[0].as<const S>();
    const S* W = a.inputs[1].as<const S>();
    const S* R = a.inputs[2].as<const S>();
    const S* bias = given(a, 3) ? a.inputs[3].as<const S>() : nullptr;
    const S* h0 = given(a, 5) ? a.inputs[5].as<const S>() : nullptr;
    const S* c0 = given(a, 6) ? a.inputs[6].as<const S>() : nullptr;
    const S* P = given(a, 7) ? a.inputs[7].as<const S>() : nullptr;
    S* Y = a.outputs[0].as<S>();
    S* Yh = a.outputs.size() > 1 ? a.outputs[1].as<S>() : nullptr;
    S* Yc = a.outputs.size() > 2 ? a.outputs[2].as<S>() : nullptr;
    const int64_t states = p.D * p.B * p.H;
    if (states == 0) return Status::Ok();
    cudaStream_t st = a.stream;

    rnnInitKernel<S, A><<<gridFor(states), kBlock, 0, st>>>(h0, c0, h, c, p);
    KILN_CUDA_CHECK_LAUNCH();
    if (p.T > 0 && Y) {
        rnnZeroTailKernel<S><<<gridFor(p.T * states), kBlock, 0, st>>>(Y, p);
        KILN_CUDA_CHECK_LAUNCH();
    }
    if (p.T > 0) {
        // xw[(row, d), k] = Wb[d, k] + sum_i X[row, i] W[d, k, i] for every row of X.
        GemmDims gx{};
        gx.M = p.T * p.B, gx.N = p.GH, gx.K = p.I;
        gx.lda = p.I, gx.strideA = 0;
        gx.ldb = p.I, gx.strideB = p.GH * p.I;
        gx.strideBias = 2 * p.GH;
        gx.ldc = p.D * p.GH, gx.strideC = p.GH;
        gemmNT<A, S, S>(X, W, bias, xw, gx, p.D, st);
        KILN_CUDA_CHECK_LAUNCH();
    }
    const bool gruSplit = p.cell == int(RNNCell::kGRU) && !p.lbr;
    GemmDims gr{};
    gr.M = p.B, gr.N = gruSplit ? 2 * p.H : p.GH, gr.K = p.H;
    gr.lda = p.H, gr.strideA = p.B * p.H;
    gr.ldb = p.H, gr.strideB = p.GH * p.H;
    gr.strideBias = 2 * p.GH;
    gr.ldc = p.GH, gr.strideC = p.B * p.GH;
    const unsigned grid = gridFor(states);
    for (int64_t s = 0; s < p.T; ++s) {
        // hr[d, b, k] = Rb[d, k] + sum_j h[d, b, j] R[d, k, j]
        gemmNT<A, A, S>(h, R, bias ? bias + p.GH : nullptr, hr, gr, p.D, st);
        KILN_CUDA_CHECK_LAUNCH();
        rnnStepKernel<S, A><<<grid, kBlock, 0, st>>>(xw, hr, P, h, c, z, rh, Y, p, s);
        KILN_CUDA_CHECK_LAUNCH();
        if (gruSplit) {
            rnnGruCandidateKernel<S, A><<<grid, kBlock, 0, st>>>(xw, R, bias, h, z, rh, Y, p, s);
            KILN_CUDA_CHECK_LAUNCH();
        }
    }
    if (Yh || Yc) {
        rnnFinalKernel<S, A><<<grid, kBlock, 0, st>>>(h, c, Yh, p.cell == int(RNNCell::kLSTM) ? Yc : nullptr, p);
        KILN_CUDA_CHECK_LAUNCH();
    }
    return Status::Ok();
}

// T, B, I of X under the layout.
bool rnnDims(const ir::RNNParams& rp, const ir::Shape& x, int64_t& T, int64_t& B, int64_t& I) {
    if (x.size() != 3) return false;
    T = rp.batchFirst ? x[1] : x[0];
    B = rp.batchFirst ? x[0] : x[1];
    I = x[2];
    return T >= 0 && B >= 0 && I >= 0;
}

}  // namespace

bool rnnSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    if (in.size() < 3 || in.size() > 8 || out.empty() || out.size() > 3 || !isDeviceFloat(in[0].dtype)) return false;
    ir::RNNParams rp;
    if (!ir::resolveRNN(node, rp).ok() || rp.activations.size() > 6) return false;
    for (size_t i = 1; i < in.size(); ++i) {
        if (i >= node.inputs.size() || node.inputs[i] < 0) continue;
        if (i == 4 ? (in[i].dtype != ir::DType::kI32 && in[i].dtype != ir::DType::kI64) : in[i].dtype != in[0].dtype)
            return false;
    }
    for (const auto& o : out)
        if (o.dtype != in[0].dtype) return false;
    int64_t T, B, I;
    return rnnDims(rp, in[0].shape, T, B, I);
}

size_t rnnWorkspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&) {
    ir::RNNParams rp;
    int64_t T, B, I;
    if (in.empty() || !ir::resolveRNN(node, rp).ok() || !rnnDims(rp, in[0].shape, T, B, I)) return 0;
    const RnnWs L = rnnLayout(T, B, rp.numDirections, rp.hiddenSize, rp.numGates * rp.hiddenSize);
    return size_t(L.total) * accBytes(in[0].dtype);
}

Status rnn(LaunchArgs& a) {
    ir::RNNParams rp;
    KILN_RETURN_IF_ERROR(ir::resolveRNN(a.node, rp).withContext("RNN: "));
    const DeviceTensor& X = a.inputs[0];
    RnnParams p{};
    if (!rnnDims(rp, X.shape, p.T, p.B, p.I))
        return Status::Error("RNN: X must be rank 3, got " + ir::shapeToString(X.shape));
    p.cell = int(rp.cell);
    p.H = rp.hiddenSize;
    p.D = rp.numDirections;
    p.GH = rp.numGates * rp.hiddenSize;
    p.batchFirst = rp.batchFirst;
    p.reverseOnly = rp.direction == ir::RNNDir::kReverse;
    p.lbr = rp.linearBeforeReset;
    p.inputForget = rp.inputForget;
    p.clip = rp.clip;
    p.perDir = int(rp.activations.size() / size_t(p.D));
    if (rp.activations.size() > 6) return Status::Error("RNN: too many activations");
    for (size_t i = 0; i < rp.activations.size(); ++i) {
        p.act[i] = actOf(rp.activations[i]);
        p.alpha[i] = rp.alpha[i];
        p.beta[i] = rp.beta[i];
    }
    if (a.inputs[1].numel() != p.D * p.GH * p.I || a.inputs[2].numel() != p.D * p.GH * p.H)
        return Status::Error("RNN: W or R does not match X and hidden_size");
    if (given(a, 3) && a.inputs[3].numel() != p.D * 2 * p.GH) return Status::Error("RNN: B must be [D, 2*G*H]");
    if (given(a, 4)) {
        if (a.inputs[4].numel() != p.B) return Status::Error("RNN: sequence_lens must have one entry per batch row");
        p.lens = a.inputs[4].data;
        p.lens64 = a.inputs[4].dtype == ir::DType::kI64;
    }
    for (size_t i : {size_t(5), size_t(6)})
        if (given(a, i) && a.inputs[i].numel() != p.D * p.B * p.H)
            return Status::Error("RNN: initial states must be [D, B, H] (or [B, D, H])");
    if (given(a, 7) && a.inputs[7].numel() != p.D * 3 * p.H) return Status::Error("RNN: P must be [D, 3*H]");
    if (a.outputs[0].data && a.outputs[0].numel() != p.T * p.D * p.B * p.H)
        return Status::Error("RNN: Y has the wrong size");
    for (size_t o = 1; o < a.outputs.size(); ++o)
        if (a.outputs[o].data && a.outputs[o].numel() != p.D * p.B * p.H)
            return Status::Error("RNN: Y_h / Y_c have the wrong size");
    return visitFloatType(X.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        return launchRnn<S>(a, p);
    });
}

}  // namespace kiln::cuda::kernels
