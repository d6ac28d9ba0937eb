// Conv -> IConvolutionLayer, ConvTranspose -> IDeconvolutionLayer (weights and
// bias as constants, or as tensors known at run time).
#include <algorithm>

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

// Kernel (input 1) and optional bias (input 2): float32 weights when they are
// constants, else tensors handed to the layer with setInput (their values are
// then known only at run time; the kernel's shape must be known).
struct ConvWeights {
    std::vector<int64_t> dims;  // the kernel's shape
    Weights kernel{DataType::kFLOAT, nullptr, 0}, bias{DataType::kFLOAT, nullptr, 0};
    ITensor* kernelTensor = nullptr;
    ITensor* biasTensor = nullptr;
};

bool readWeights(ConverterContext& ctx, ConvWeights& cw) {
    if (const Constant* w = ctx.constant(1)) {
        cw.dims = w->dims;
        cw.kernel = ctx.keepFloats(w->toFloats());  // float32 weights; the builder picks precisions
    } else {
        if (!(cw.kernelTensor = ctx.tensor(1))) return false;
        const Dims d = cw.kernelTensor->getDimensions();
        cw.dims.assign(d.d, d.d + std::max(d.nbDims, 0));
        for (int64_t e : cw.dims)
            if (e < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "weights (input 1) of unknown shape");
    }
    if (cw.dims.size() < 3) return ctx.fail(ErrorCode::kINVALID_NODE, "weights must have rank >= 3");
    if (!ctx.hasInput(2)) return true;
    if (const Constant* b = ctx.constant(2))
        cw.bias = ctx.keepFloats(b->toFloats());
    else if (!(cw.biasTensor = ctx.tensor(2)))
        return false;
    return true;
}

Dims kernelDims(const ConvWeights& w) {
    Dims kernel;
    kernel.nbDims = static_cast<int32_t>(w.dims.size()) - 2;
    for (int i = 0; i < kernel.nbDims; ++i) kernel.d[i] = w.dims[2 + i];
    return kernel;
}

// Hands the weights given as tensors to the layer.
void attachTensors(IConvolutionLayer& layer, const ConvWeights& w) {
    if (w.kernelTensor) layer.setInput(1, *w.kernelTensor);
    if (w.biasTensor) layer.setInput(2, *w.biasTensor);
}

}  // namespace

KILN_ONNX_CONVERTER(convertConv) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    ConvWeights w;
    if (!readWeights(ctx, w)) return false;
    if (w.bias.count && w.bias.count != w.dims[0])
        return ctx.fail(ErrorCode::kINVALID_NODE, "bias size differs from the output maps");
    const Dims k = kernelDims(w);
    IConvolutionLayer* conv = ctx.network().addConvolutionNd(*x, w.dims[0], k, w.kernel, w.bias);
    if (!conv) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the convolution");
    attachTensors(*conv, w);
    if (!configure(ctx, conv, k.nbDims)) return false;
    return pushLayer(ctx, conv, outputs);
}

KILN_ONNX_CONVERTER(convertConvTranspose) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    ConvWeights w;
    if (!readWeights(ctx, w)) return false;
    // ONNX ConvTranspose weights: [C, M/group, K...].
    const int64_t nbOutputs = w.dims[1] * ctx.attrInt("group", 1);
    if (w.bias.count && w.bias.count != nbOutputs)
        return ctx.fail(ErrorCode::kINVALID_NODE, "bias size differs from the output maps");
    const Dims k = kernelDims(w);
    IDeconvolutionLayer* deconv = ctx.network().addDeconvolutionNd(*x, nbOutputs, k, w.kernel, w.bias);
    if (!deconv) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the transposed convolution");
    attachTensors(*deconv, w);
    if (!configure(ctx, deconv, k.nbDims)) return false;
    if (ctx.hasAttr("output_padding")) deconv->setOutputPadding(toDims(ctx.attrInts("output_padding")));
    if (ctx.hasAttr("output_shape")) {
        // output_shape may list the batch and channel dims too: keep the spatial ones.
        auto shape = ctx.attrInts("output_shape");
        if (static_cast<int32_t>(shape.size()) == k.nbDims + 2) shape.erase(shape.begin(), shape.begin() + 2);
        deconv->setOutputShape(toDims(shape));
    }
    return pushLayer(ctx, deconv, outputs);
}

bool configureConvolution(ConverterContext& ctx, IConvolutionLayer* conv, int32_t spatialDims) {
    return configure(ctx, conv, spatialDims);
}

}  // namespace kiln::onnx
