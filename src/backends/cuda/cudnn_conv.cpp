// Convolution (cudnnConvolutionForward) and Deconvolution
// (cudnnConvolutionBackwardData) through cuDNN 9, one tactic per algorithm.
// cuDNN takes symmetric pads only; float32 runs with FMA math (no TF32),
// 16-bit types with tensor cores and float32 accumulation. The bias is added
// by cudnnAddTensor after the convolution.
#include <mutex>

#include "cudnn_common.h"
#include "ir/ops/channels_last.h"
#include "ir/ops/convolution.h"
#include "ir/ops/fused_convolution.h"
#include "library_tactics.h"

namespace kiln::cuda::lib {

namespace {

// The channels-first view of a stored shape (channels_last nodes store [N, S.., C]).
ir::Shape firstView(const ir::Node& n, const ir::Shape& s) {
    return ir::isChannelsLast(n) ? ir::channelsFirstShape(s) : s;
}

// The geometry cuDNN can take (from the stored shapes); false when it cannot.
bool geometryFor(const ir::Node& n, const ir::Shape& xStored, const ir::Shape& wStored, bool transposed,
                 ir::ConvGeometry& g) {
    if (transposed && ir::isChannelsLast(n)) return false;
    const ir::Shape x = firstView(n, xStored), w = firstView(n, wStored);
    if (x.size() < 3 || x.size() > 5 || !ir::isStatic(x) || !ir::isStatic(w)) return false;
    if (!ir::resolveConvGeometry(n, x, w, transposed, g).ok()) return false;
    for (int i = 0; i < g.spatialRank; ++i) {
        if (g.padsBegin[size_t(i)] != g.padsEnd[size_t(i)] || g.padsBegin[size_t(i)] < 0) return false;
        if (transposed && g.outputPadding[size_t(i)] >= g.strides[size_t(i)]) return false;
    }
    return true;
}

bool typesOk(const ir::Node& n, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out,
             cudnnDataType_t& dt) {
    if (in.size() < 2 || out.size() != 1 || !n.hasInput(0) || !n.hasInput(1) || !cudnnType(in[0].dtype, dt))
        return false;
    if (in[1].dtype != in[0].dtype || out[0].dtype != in[0].dtype) return false;
    return !(n.hasInput(2) && in.size() > 2 && in[2].dtype != in[0].dtype);
}

struct ConvSetup {
    TensorDesc x, y, bias;
    FilterDesc w;
    ConvDesc conv;
};

// Descriptors for one problem: `xs` is the convolution's input side (Y for
// a deconvolution, which runs backward data), `ys` its output side; the
// shapes are the stored ones.
Status makeSetup(const ir::Node& n, const ir::ConvGeometry& g, const ir::Shape& xs, const ir::Shape& ws,
                 const ir::Shape& ys, cudnnDataType_t dt, bool bias, ConvSetup& s) {
    const bool cl = ir::isChannelsLast(n);
    KILN_RETURN_IF_ERROR(makeTensorDesc(firstView(n, xs), dt, s.x, cl));
    KILN_RETURN_IF_ERROR(makeTensorDesc(firstView(n, ys), dt, s.y, cl));
    KILN_RETURN_IF_ERROR(makeFilterDesc(firstView(n, ws), dt, s.w, cl));
    if (bias) KILN_RETURN_IF_ERROR(makeBiasDesc(g.outChannels, xs.size(), dt, s.bias));
    std::vector<int> pads, strides, dils;
    if (g.spatialRank == 1) {
        pads.push_back(0);
        strides.push_back(1);
        dils.push_back(1);
    }
    for (int i = 0; i < g.spatialRank; ++i) {
        pads.push_back(int(g.padsBegin[size_t(i)]));
        strides.push_back(int(g.strides[size_t(i)]));
        dils.push_back(int(g.dilations[size_t(i)]));
    }
    KILN_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&s.conv.h));
    const cudnnDataType_t compute = CUDNN_DATA_FLOAT;
    KILN_CUDNN_CHECK(cudnnSetConvolutionNdDescriptor(s.conv.h, int(pads.size()), pads.data(), strides.data(),
                                                     dils.data(), CUDNN_CROSS_CORRELATION, compute));
    KILN_CUDNN_CHECK(cudnnSetConvolutionGroupCount(s.conv.h, int(g.group)));
    KILN_CUDNN_CHECK(
        cudnnSetConvolutionMathType(s.conv.h, dt == CUDNN_DATA_FLOAT ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH));
    (void)n;
    return Status::Ok();
}

template <bool Transposed>
Status workspaceFor(int algo, const ir::Node& n, const std::vector<ir::TensorDesc>& in,
                    const std::vector<ir::TensorDesc>& out, size_t& bytes) {
    cudnnDataType_t dt;
    ir::ConvGeometry g;
    if (!typesOk(n, in, out, dt) || !geometryFor(n, in[0].shape, in[1].shape, Transposed, g))
        return Status::Error("not supported by cuDNN");
    Handles* h = nullptr;
    KILN_RETURN_IF_ERROR(buildHandles(h));
    ConvSetup s;
    if (Transposed) {
        KILN_RETURN_IF_ERROR(makeSetup(n, g, g.outShape, in[1].shape, in[0].shape, dt, false, s));
        KILN_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(h->cudnn, s.w.h, s.y.h, s.conv.h, s.x.h,
                                                                      cudnnConvolutionBwdDataAlgo_t(algo), &bytes));
    } else {
        KILN_RETURN_IF_ERROR(makeSetup(n, g, in[0].shape, in[1].shape, out[0].shape, dt, false, s));
        KILN_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(h->cudnn, s.x.h, s.w.h, s.conv.h, s.y.h,
                                                                 cudnnConvolutionFwdAlgo_t(algo), &bytes));
    }
    return Status::Ok();
}

using ActDesc = CudnnHandle<cudnnActivationDescriptor_t, cudnnDestroyActivationDescriptor>;

// FusedConvolution through cudnnConvolutionBiasActivationForward: needs the
// bias; identity activation only with the implicit precomputed GEMM.
bool fusedOk(const ir::Node& n, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out,
             int algo) {
    if (n.op != "FusedConvolution" || !n.hasInput(2) || in.size() < 3) return false;
    const std::string act = n.attrs.getString("activation", "none");
    if (act != "relu" && !(act == "none" && algo == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM)) return false;
    if (n.hasInput(3) && (in.size() < 4 || in[3].dtype != out[0].dtype || in[3].shape != out[0].shape)) return false;
    return in[2].dtype == in[0].dtype;
}

template <bool Transposed>
class ConvKernel final : public Kernel {
public:
    explicit ConvKernel(int algo, bool fused = false) : algo_(algo), fused_(fused) {}

    Status enqueue(LaunchArgs& a) const override {
        const ir::Node& n = a.node;
        const DeviceTensor& X = a.inputs[0];
        const DeviceTensor& W = a.inputs[1];
        DeviceTensor& Y = a.outputs[0];
        cudnnDataType_t dt;
        if (!cudnnType(X.dtype, dt)) return Status::Error("unsupported dtype for cuDNN");
        ir::ConvGeometry g;
        ir::Node convNode = n;
        if (fused_) convNode.op = "Convolution";
        if (!geometryFor(convNode, X.shape, W.shape, Transposed, g))
            return Status::Error("run-time shapes not supported by the cuDNN tactic");
        if (g.outShape != firstView(n, Y.shape))
            return Status::Error("output buffer shape " + ir::shapeToString(Y.shape) +
                                 " does not hold the output " + ir::shapeToString(g.outShape));
        if (Y.numel() == 0) return Status::Ok();
        const bool bias = n.hasInput(2) && a.inputs.size() > 2;
        ConvSetup s;
        KILN_RETURN_IF_ERROR(Transposed ? makeSetup(n, g, Y.shape, W.shape, X.shape, dt, bias, s)
                                        : makeSetup(n, g, X.shape, W.shape, Y.shape, dt, bias, s));
        KILN_CUDNN_CHECK(cudnnSetStream(a.handles.cudnn, a.stream));
        const float one = 1.0f, zero = 0.0f;
        if (fused_ && !Transposed) {
            if (!bias) return Status::Error("the fused cuDNN tactic needs the bias");
            ActDesc act;
            KILN_CUDNN_CHECK(cudnnCreateActivationDescriptor(&act.h));
            const bool relu = n.attrs.getString("activation", "none") == "relu";
            KILN_CUDNN_CHECK(cudnnSetActivationDescriptor(
                act.h, relu ? CUDNN_ACTIVATION_RELU : CUDNN_ACTIVATION_IDENTITY, CUDNN_PROPAGATE_NAN, 0.0));
            const bool hasZ = n.hasInput(3) && a.inputs.size() > 3;
            if (hasZ && (a.inputs[3].shape != Y.shape || a.inputs[3].dtype != Y.dtype))
                return Status::Error("Z must have the output's shape and dtype");
            const float alpha2 = hasZ ? 1.0f : 0.0f;
            const void* z = hasZ ? a.inputs[3].data : Y.data;
            KILN_CUDNN_CHECK(cudnnConvolutionBiasActivationForward(
                a.handles.cudnn, &one, s.x.h, X.data, s.w.h, W.data, s.conv.h, cudnnConvolutionFwdAlgo_t(algo_),
                a.workspace, a.workspaceBytes, &alpha2, s.y.h, z, s.bias.h, a.inputs[2].data, act.h, s.y.h, Y.data));
            return Status::Ok();
        }
        if (X.numel() == 0 || W.numel() == 0) {
            KILN_CUDA_CHECK(cudaMemsetAsync(Y.data, 0, Y.bytes(), a.stream));
        } else if (Transposed) {
            KILN_CUDNN_CHECK(cudnnConvolutionBackwardData(a.handles.cudnn, &one, s.w.h, W.data, s.y.h, X.data, s.conv.h,
                                                          cudnnConvolutionBwdDataAlgo_t(algo_), a.workspace,
                                                          a.workspaceBytes, &zero, s.x.h, Y.data));
        } else {
            KILN_CUDNN_CHECK(cudnnConvolutionForward(a.handles.cudnn, &one, s.x.h, X.data, s.w.h, W.data, s.conv.h,
                                                     cudnnConvolutionFwdAlgo_t(algo_), a.workspace, a.workspaceBytes,
                                                     &zero, s.y.h, Y.data));
        }
        if (bias) {
            const TensorDesc& yd = Transposed ? s.x : s.y;
            KILN_CUDNN_CHECK(cudnnAddTensor(a.handles.cudnn, &one, s.bias.h, a.inputs[2].data, &one, yd.h, Y.data));
        }
        return Status::Ok();
    }

private:
    int algo_;
    bool fused_;
};

}  // namespace

// cuDNN's non-fused Winograd misses kiln's float32 tolerance (seen on the
// H200: 1.7e-5 relative on a 72-term 3x3 convolution, where exact float32
// summation stays within 1.6e-5); 16-bit types keep it.
template <int Algo>
bool algoAllowed(const ir::Node&, const Descs& in) {
    return !(Algo == CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED && !in.empty() && in[0].dtype == ir::DType::kF32);
}

template <int Algo>
bool convSupports(const ir::Node& n, const Descs& in, const Descs& out) {
    size_t bytes = 0;
    return n.op == "Convolution" && algoAllowed<Algo>(n, in) && workspaceFor<false>(Algo, n, in, out, bytes).ok();
}
template <int Algo>
size_t convWorkspace(const ir::Node& n, const Descs& in, const Descs& out) {
    size_t bytes = 0;
    return workspaceFor<false>(Algo, n, in, out, bytes).ok() ? bytes : 0;
}
template <int Algo>
Status createConv(const ir::Node&, const Descs&, const Descs&, std::unique_ptr<Kernel>& k) {
    k = std::make_unique<ConvKernel<false>>(Algo);
    return Status::Ok();
}
template <int Algo>
bool fusedConvSupports(const ir::Node& n, const Descs& in, const Descs& out) {
    if (ir::xClipOf(n).on || !fusedOk(n, in, out, Algo) || !algoAllowed<Algo>(n, in)) return false;
    ir::Node conv = n;
    conv.op = "Convolution";
    const Descs convIn(in.begin(), in.begin() + 3);
    size_t bytes = 0;
    return workspaceFor<false>(Algo, conv, convIn, out, bytes).ok();
}
template <int Algo>
size_t fusedConvWorkspace(const ir::Node& n, const Descs& in, const Descs& out) {
    ir::Node conv = n;
    conv.op = "Convolution";
    const Descs convIn(in.begin(), in.begin() + std::min<size_t>(in.size(), 3));
    size_t bytes = 0;
    return workspaceFor<false>(Algo, conv, convIn, out, bytes).ok() ? bytes : 0;
}
template <int Algo>
Status createFusedConv(const ir::Node&, const Descs&, const Descs&, std::unique_ptr<Kernel>& k) {
    k = std::make_unique<ConvKernel<false>>(Algo, true);
    return Status::Ok();
}

template <int Algo>
bool deconvSupports(const ir::Node& n, const Descs& in, const Descs& out) {
    size_t bytes = 0;
    return n.op == "Deconvolution" && workspaceFor<true>(Algo, n, in, out, bytes).ok();
}
template <int Algo>
size_t deconvWorkspace(const ir::Node& n, const Descs& in, const Descs& out) {
    size_t bytes = 0;
    return workspaceFor<true>(Algo, n, in, out, bytes).ok() ? bytes : 0;
}
template <int Algo>
Status createDeconv(const ir::Node&, const Descs&, const Descs&, std::unique_ptr<Kernel>& k) {
    k = std::make_unique<ConvKernel<true>>(Algo);
    return Status::Ok();
}

#define KILN_CONV_ALGO(a)                                                          \
    template bool convSupports<a>(const ir::Node&, const Descs&, const Descs&);    \
    template size_t convWorkspace<a>(const ir::Node&, const Descs&, const Descs&); \
    template Status createConv<a>(const ir::Node&, const Descs&, const Descs&, std::unique_ptr<Kernel>&);
#define KILN_FUSED_ALGO(a)                                                              \
    template bool fusedConvSupports<a>(const ir::Node&, const Descs&, const Descs&);    \
    template size_t fusedConvWorkspace<a>(const ir::Node&, const Descs&, const Descs&); \
    template Status createFusedConv<a>(const ir::Node&, const Descs&, const Descs&, std::unique_ptr<Kernel>&);
#define KILN_DECONV_ALGO(a)                                                          \
    template bool deconvSupports<a>(const ir::Node&, const Descs&, const Descs&);    \
    template size_t deconvWorkspace<a>(const ir::Node&, const Descs&, const Descs&); \
    template Status createDeconv<a>(const ir::Node&, const Descs&, const Descs&, std::unique_ptr<Kernel>&);

KILN_CONV_ALGO(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM)
KILN_CONV_ALGO(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM)
KILN_CONV_ALGO(CUDNN_CONVOLUTION_FWD_ALGO_GEMM)
KILN_CONV_ALGO(CUDNN_CONVOLUTION_FWD_ALGO_FFT)
KILN_CONV_ALGO(CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING)
KILN_CONV_ALGO(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD)
KILN_CONV_ALGO(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED)
KILN_FUSED_ALGO(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM)
KILN_FUSED_ALGO(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM)
KILN_FUSED_ALGO(CUDNN_CONVOLUTION_FWD_ALGO_GEMM)
KILN_FUSED_ALGO(CUDNN_CONVOLUTION_FWD_ALGO_FFT)
KILN_FUSED_ALGO(CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING)
KILN_FUSED_ALGO(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD)
KILN_FUSED_ALGO(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED)
KILN_DECONV_ALGO(CUDNN_CONVOLUTION_BWD_DATA_ALGO_1)
KILN_DECONV_ALGO(CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING)
KILN_DECONV_ALGO(CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED)

}  // namespace kiln::cuda::lib
