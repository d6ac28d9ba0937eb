// Tactic "kiln_depthwise": 2-D depthwise Convolution / FusedConvolution
// (group == C == M, no Z) as memory-bound direct kernels with the bias and the
// activation (relu, or clip: MobileNet's ReLU6) in the epilogue, float32
// accumulation. cuDNN runs these layers as implicit GEMMs at several times
// their bandwidth time, and the ReLU6 after each as a kernel of its own.
//  * channels-first: a block walks (n, c) planes, one thread per output with
//    neighbours along the output row (coalesced); the channel's weights are
//    uniform across the block.
//  * channels-last: a thread takes V consecutive channels of one output pixel
//    with 16-byte loads; the weights (float [KH*KW][C]) and the bias are staged
//    in shared memory per block, amortized by a bounded grid-stride grid.
// Coordinates inside one image are int32 (checked on the host); image and
// plane offsets int64.
#include <algorithm>
#include <climits>
#include <type_traits>

#include "conv_act.cuh"
#include "device_common.cuh"
#include "ir/ops/channels_last.h"
#include "ir/ops/convolution.h"
#include "kernels.h"

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

// V consecutive elements as float: one 16-byte load (as uint4, which keeps
// 16-bit element structs out of local memory) when V fills 16 bytes.
template <class S, int V>
__device__ __forceinline__ void loadV(const S* p, float (&out)[V]) {
    if constexpr (V > 1) {
        static_assert(V * sizeof(S) == 16, "a vector is 16 bytes");
        const uint4 u = *reinterpret_cast<const uint4*>(p);
        const uint32_t word[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
        for (int j = 0; j < V; ++j) {
            if constexpr (std::is_same_v<S, float>)
                out[j] = __uint_as_float(word[j]);
            else
                out[j] = unpack16<S>(word[j / 2], j % 2);
        }
    } else {
        out[0] = float(Elem<S>::load(*p));
    }
}

template <class S, int V>
__device__ __forceinline__ void storeV(S* p, const float (&in)[V], const ConvAct& act) {
    if constexpr (V > 1) {
        uint32_t word[4];
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            if constexpr (std::is_same_v<S, float>)
                word[j] = __float_as_uint(applyConvAct(in[j], act));
            else
                word[j] = pack16<S>(applyConvAct(in[2 * j], act), applyConvAct(in[2 * j + 1], act));
        }
        *reinterpret_cast<uint4*>(p) = make_uint4(word[0], word[1], word[2], word[3]);
    } else {
        *p = Elem<S>::store(applyConvAct(in[0], act));
    }
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

// Channels-first. K > 0: a KxK kernel, unrolled (`#pragma unroll` unrolls
// constant trip counts only) with its weights in registers; K == 0: any
// q.kh x q.kw. Blocks walk planes along y, the outputs of a plane along x.
template <class S, int K>
__global__ void __launch_bounds__(kBlock)
    dwChannelsFirst(const S* __restrict__ x, const void* __restrict__ w, const void* __restrict__ b, S* __restrict__ y,
                    DwGeom q, DwTypes t, ConvAct act) {
    const int kh = K > 0 ? K : q.kh, kw = K > 0 ? K : q.kw, plane = q.OH * q.OW;
    const int64_t planes = q.N * q.C, inPlane = int64_t(q.H) * q.W;
    for (int64_t nc = blockIdx.y; nc < planes; nc += gridDim.y) {
        const int c = int(nc % q.C);
        const int64_t wc = int64_t(c) * kh * kw;
        const S* xc = x + nc * inPlane;
        S* yc = y + nc * plane;
        const float bias = b ? ldgFloatAny(b, t.b, c) : 0.f;
        float wr[K > 0 ? K * K : 1];
        if constexpr (K > 0) {
#pragma unroll
            for (int i = 0; i < K * K; ++i) wr[i] = ldgFloatAny(w, t.w, wc + i);
        }
        for (int p = blockIdx.x * blockDim.x + threadIdx.x; p < plane; p += gridDim.x * blockDim.x) {
            const int oh = p / q.OW, ow = p - oh * q.OW;
            const int ih0 = oh * q.sh - q.ph, iw0 = ow * q.sw - q.pw;
            float acc = bias;
#pragma unroll
            for (int i = 0; i < kh; ++i) {
                const int ih = ih0 + i * q.dh;
                if (unsigned(ih) >= unsigned(q.H)) continue;
                const S* row = xc + ih * q.W;
#pragma unroll
                for (int j = 0; j < kw; ++j) {
                    const int iw = iw0 + j * q.dw;
                    if (unsigned(iw) >= unsigned(q.W)) continue;
                    float wv;
                    if constexpr (K > 0)
                        wv = wr[i * K + j];
                    else
                        wv = ldgFloatAny(w, t.w, wc + i * kw + j);
                    acc += wv * float(Elem<S>::load(row[iw]));
                }
            }
            yc[p] = Elem<S>::store(applyConvAct(acc, act));
        }
    }
}

// Channels-last. Item r of an image is (pixel, channel group of V), the
// groups of a pixel on consecutive threads. `staged`: the block first copies
// W (stored [C][KH*KW]) into shared memory as [KH*KW][C] and the bias after it.
template <class S, int V, int K>
__global__ void __launch_bounds__(kBlock)
    dwChannelsLast(const S* __restrict__ x, const void* __restrict__ w, const void* __restrict__ b, S* __restrict__ y,
                   DwGeom q, DwTypes t, ConvAct act, bool staged) {
    extern __shared__ float4 smem4[];  // float4: 16-byte aligned rows
    float* sm = reinterpret_cast<float*>(smem4);
    const int C = q.C, kh = K > 0 ? K : q.kh, kw = K > 0 ? K : q.kw, kVol = kh * kw;
    if (staged) {
        for (int i = threadIdx.x; i < kVol * C; i += blockDim.x) {
            const int c = i / kVol;
            sm[(i - c * kVol) * C + c] = loadFloatAny(w, t.w, i);
        }
        for (int c = threadIdx.x; c < C; c += blockDim.x) sm[kVol * C + c] = b ? loadFloatAny(b, t.b, c) : 0.f;
        __syncthreads();
    }
    const int groups = C / V, perImage = q.OH * q.OW * groups;
    const int64_t total = q.N * perImage, imageIn = int64_t(q.H) * q.W * C, imageOut = int64_t(q.OH) * q.OW * C;
    const int64_t step = int64_t(gridDim.x) * blockDim.x;
    for (int64_t item = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; item < total; item += step) {
        const int64_t n = item / perImage;
        const int r = int(item - n * perImage);
        const int pix = r / groups, c0 = (r - pix * groups) * V;
        const int oh = pix / q.OW, ow = pix - oh * q.OW;
        const int ih0 = oh * q.sh - q.ph, iw0 = ow * q.sw - q.pw;
        const S* xn = x + n * imageIn + c0;
        float acc[V];
        if (staged) {
            loadShared<V>(sm + kVol * C + c0, acc);
        } else {
#pragma unroll
            for (int j = 0; j < V; ++j) acc[j] = b ? ldgFloatAny(b, t.b, c0 + j) : 0.f;
        }
#pragma unroll
        for (int i = 0; i < kh; ++i) {
            const int ih = ih0 + i * q.dh;
            if (unsigned(ih) >= unsigned(q.H)) continue;
#pragma unroll
            for (int j = 0; j < kw; ++j) {
                const int iw = iw0 + j * q.dw;
                if (unsigned(iw) >= unsigned(q.W)) continue;
                const int tap = i * kw + j;
                float xv[V], wv[V];
                loadV<S, V>(xn + (ih * q.W + iw) * C, xv);
                if (staged) {
                    loadShared<V>(sm + tap * C + c0, wv);
                } else {
#pragma unroll
                    for (int k = 0; k < V; ++k) wv[k] = ldgFloatAny(w, t.w, int64_t(c0 + k) * kVol + tap);
                }
#pragma unroll
                for (int k = 0; k < V; ++k) acc[k] += wv[k] * xv[k];
            }
        }
        storeV<S, V>(y + n * imageOut + int64_t(pix) * C + c0, acc, act);
    }
}

bool hasInput(const ir::Node& n, size_t i) { return i < n.inputs.size() && n.inputs[i] >= 0; }

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

// Every coordinate inside one image fits int32: element offsets of an image
// (H*W*C, OH*OW*C) and the furthest tap o*s + k*d (below H + pads + s + d*k).
bool fitsInt32(const ir::ConvGeometry& g, const ir::Shape& x) {
    constexpr int64_t kMax = INT_MAX;
    const int64_t C = x[1];
    for (int i = 0; i < 2; ++i) {
        const size_t a = size_t(i);
        const int64_t S = x[a + 2], O = g.outShape[a + 2], K = g.kernel[a];
        if (S > kMax || O > kMax || g.strides[a] > kMax || g.dilations[a] > kMax || g.padsBegin[a] > kMax) return false;
        if (double(O) * double(g.strides[a]) + double(K) * double(g.dilations[a]) >= double(kMax)) return false;
    }
    return double(x[2]) * double(x[3]) * double(C) < double(kMax) &&
           double(g.outShape[2]) * double(g.outShape[3]) * double(C) < double(kMax);
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

// Smallest warp multiple covering a plane, up to kBlock: small planes (7x7) waste fewer threads.
int planeBlock(int plane) { return std::min(kBlock, std::max(32, (plane + 31) / 32 * 32)); }

template <class S>
void launchChannelsFirst(const DwGeom& q, const void* x, const void* w, const void* b, void* y, DwTypes t, ConvAct act,
                         cudaStream_t stream) {
    const int plane = q.OH * q.OW, block = planeBlock(plane);
    const dim3 grid(unsigned((plane + block - 1) / block), unsigned(std::min<int64_t>(q.N * q.C, 65535)));
    withKernelSize(q, [&](auto k) {
        dwChannelsFirst<S, decltype(k)::value>
            <<<grid, block, 0, stream>>>(static_cast<const S*>(x), w, b, static_cast<S*>(y), q, t, act);
    });
}

constexpr size_t kStageLimit = 48 * 1024;  // static shared-memory limit without opt-in

template <class S>
void launchChannelsLast(const DwGeom& q, const void* x, const void* w, const void* b, void* y, DwTypes t, ConvAct act,
                        int smCount, cudaStream_t stream) {
    constexpr int kV = Vec16<S>::kN;
    const bool vec = q.C % kV == 0 && aligned16(x) && aligned16(y);
    const size_t stageBytes = size_t(q.kh * q.kw + 1) * size_t(q.C) * sizeof(float);
    const bool staged = stageBytes <= kStageLimit;
    const int64_t items = q.N * q.OH * q.OW * (vec ? q.C / kV : q.C);
    // A bounded grid so each block's staging serves many items.
    const int64_t maxBlocks = int64_t(8) * (smCount > 0 ? smCount : 132);
    const unsigned grid = unsigned(std::max<int64_t>(1, std::min((items + kBlock - 1) / kBlock, maxBlocks)));
    const size_t smem = staged ? stageBytes : 0;
    withKernelSize(q, [&](auto k) {
        constexpr int K = decltype(k)::value;
        if (vec)
            dwChannelsLast<S, kV, K>
                <<<grid, kBlock, smem, stream>>>(static_cast<const S*>(x), w, b, static_cast<S*>(y), q, t, act, staged);
        else
            dwChannelsLast<S, 1, K>
                <<<grid, kBlock, smem, stream>>>(static_cast<const S*>(x), w, b, static_cast<S*>(y), q, t, act, staged);
    });
}

}  // namespace

bool depthwiseConvolutionSupports(const ir::Node& n, const std::vector<ir::TensorDesc>& in,
                                  const std::vector<ir::TensorDesc>& out) {
    if (n.op != "Convolution" && n.op != "FusedConvolution") return false;
    if (in.size() < 2 || out.size() != 1 || !hasInput(n, 0) || !hasInput(n, 1) || hasInput(n, 3) || !convActKnown(n))
        return false;
    const ir::DType xt = in[0].dtype;
    if (!isDeviceFloat(xt) || out[0].dtype != xt || !isDeviceFloat(in[1].dtype)) return false;
    if (hasInput(n, 2) && (in.size() < 3 || !isDeviceFloat(in[2].dtype))) return false;
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
    if (hasInput(a.node, 3) && a.inputs.size() > 3) return Status::Error("depthwise convolution: Z is not supported");
    ir::ConvGeometry g;
    KILN_RETURN_IF_ERROR(depthwiseGeometry(a.node, X.shape, W.shape, g));
    if (g.outShape != firstView(a.node, Y.shape))
        return Status::Error("output buffer shape " + ir::shapeToString(Y.shape) + " does not hold the output " +
                             ir::shapeToString(g.outShape));
    const bool bias = hasInput(a.node, 2) && a.inputs.size() > 2 && a.inputs[2].data;
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
    const void* b = bias ? a.inputs[2].data : nullptr;
    const bool last = ir::isChannelsLast(a.node);
    return visitFloatType(X.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        if (last)
            launchChannelsLast<S>(q, X.data, W.data, b, Y.data, t, act, a.handles.smCount, a.stream);
        else
            launchChannelsFirst<S>(q, X.data, W.data, b, Y.data, t, act, a.stream);
        KILN_CUDA_CHECK_LAUNCH();
        return Status::Ok();
    });
}

}  // namespace kiln::cuda::kernels
