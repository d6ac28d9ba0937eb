// Conv -> IConvolutionLayer, ConvTranspose -> IDeconvolutionLayer (weights and
// bias must be constants).
#include "ops.h"

namespace kiln::onnx {

namespace {

// Strides, dilations, groups and padding are shared by Conv and ConvTranspose.
bool configure(ConverterContext& ctx, IConvolutionLayer* conv, int32_t k) {
    auto listOr = [&](const char* name, int64_t def) {
        auto v = ctx.attrInts(name);
        if (v.empty()) v.assign(k, def);
        return v;
    };
    const auto strides = listOr("strides", 1), dilations = listOr("dilations", 1);
    if (static_cast<int32_t>(strides.size()) != k || static_cast<int32_t>(dilations.size()) != k)
        return ctx.fail(ErrorCode::kINVALID_NODE, "strides/dilations must have one entry per spatial dim");
    conv->setStrideNd(toDims(strides));
    conv->setDilationNd(toDims(dilations));
    conv->setNbGroups(ctx.attrInt("group", 1));

    const std::string autoPad = ctx.attrString("auto_pad", "NOTSET");
    if (autoPad == "SAME_UPPER") {
        conv->setPaddingMode(PaddingMode::kSAME_UPPER);
    } else if (autoPad == "SAME_LOWER") {
        conv->setPaddingMode(PaddingMode::kSAME_LOWER);
    } else if (autoPad == "NOTSET" || autoPad == "VALID") {
        auto pads = ctx.attrInts("pads");
        if (autoPad == "VALID" || pads.empty()) pads.assign(2 * k, 0);
        if (static_cast<int32_t>(pads.size()) != 2 * k)
            return ctx.fail(ErrorCode::kINVALID_NODE, "pads must have 2 entries per spatial dim");
        // ONNX pads: [begin_1..begin_k, end_1..end_k].
        conv->setPrePadding(toDims({pads.begin(), pads.begin() + k}));
        conv->setPostPadding(toDims({pads.begin() + k, pads.end()}));
    } else {
        return ctx.fail(ErrorCode::kINVALID_VALUE, "unknown auto_pad '" + autoPad + "'");
    }
    return true;
}

// Kernel (input 1, must be constant) and optional bias (input 2) as float32 weights.
bool readWeights(ConverterContext& ctx, int64_t nbOutputs, const Constant*& w, Weights& kernel, Weights& bias) {
    w = ctx.constant(1);
    if (!w) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "weights (input 1) must be a constant");
    if (w->dims.size() < 3) return ctx.fail(ErrorCode::kINVALID_NODE, "weights must have rank >= 3");
    kernel = ctx.keepFloats(w->toFloats());  // float32 weights; the builder picks precisions
    bias = Weights{DataType::kFLOAT, nullptr, 0};
    if (!ctx.hasInput(2)) return true;
    const Constant* b = ctx.constant(2);
    if (!b) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "bias (input 2) must be a constant");
    if (nbOutputs >= 0 && b->count() != nbOutputs)
        return ctx.fail(ErrorCode::kINVALID_NODE, "bias size differs from the output maps");
    bias = ctx.keepFloats(b->toFloats());
    return true;
}

Dims kernelDims(const Constant& w) {
    Dims kernel;
    kernel.nbDims = static_cast<int32_t>(w.dims.size()) - 2;
    for (int i = 0; i < kernel.nbDims; ++i) kernel.d[i] = w.dims[2 + i];
    return kernel;
}

}  // namespace

KILN_ONNX_CONVERTER(convertConv) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const Constant* w0 = ctx.constant(1);
    const Constant* w = nullptr;
    Weights kernel, bias;
    if (!readWeights(ctx, w0 && !w0->dims.empty() ? w0->dims[0] : -1, w, kernel, bias)) return false;
    const Dims k = kernelDims(*w);
    IConvolutionLayer* conv = ctx.network().addConvolutionNd(*x, w->dims[0], k, kernel, bias);
    if (!conv) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the convolution");
    if (!configure(ctx, conv, k.nbDims)) return false;
    return pushLayer(ctx, conv, outputs);
}

KILN_ONNX_CONVERTER(convertConvTranspose) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    if (ctx.hasAttr("output_shape") || ctx.hasAttr("output_padding"))
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "output_shape/output_padding are not supported");
    const Constant* w = nullptr;
    Weights kernel, bias;
    if (!readWeights(ctx, -1, w, kernel, bias)) return false;
    // ONNX ConvTranspose weights: [C, M/group, K...].
    const int64_t nbOutputs = w->dims[1] * ctx.attrInt("group", 1);
    if (bias.count && bias.count != nbOutputs) return ctx.fail(ErrorCode::kINVALID_NODE, "bias size differs from the output maps");
    const Dims k = kernelDims(*w);
    IDeconvolutionLayer* deconv = ctx.network().addDeconvolutionNd(*x, nbOutputs, k, kernel, bias);
    if (!deconv) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the transposed convolution");
    if (!configure(ctx, deconv, k.nbDims)) return false;
    return pushLayer(ctx, deconv, outputs);
}

bool configureConvolution(ConverterContext& ctx, IConvolutionLayer* conv, int32_t spatialDims) {
    return configure(ctx, conv, spatialDims);
}

}  // namespace kiln::onnx
