// BatchNormalization (inference) -> IScaleLayer kCHANNEL with folded coefficients.
#include <cmath>

#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertBatchNormalization) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    if (ctx.attrInt("training_mode", 0) != 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "training_mode");
    const Constant* c[4];
    for (int i = 0; i < 4; ++i) {
        c[i] = ctx.constant(i + 1);
        if (!c[i]) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "scale/B/mean/var (inputs 1-4) must be constants");
    }
    const auto scale = c[0]->toFloats(), bias = c[1]->toFloats(), mean = c[2]->toFloats(), var = c[3]->toFloats();
    const size_t n = scale.size();
    if (bias.size() != n || mean.size() != n || var.size() != n)
        return ctx.fail(ErrorCode::kINVALID_NODE, "scale/B/mean/var sizes differ");
    const float eps = ctx.attrFloat("epsilon", 1e-5f);
    // y = (x - mean) / sqrt(var + eps) * scale + bias = x * s + (bias - mean * s).
    std::vector<float> s(n), shift(n);
    for (size_t i = 0; i < n; ++i) {
        s[i] = scale[i] / std::sqrt(var[i] + eps);
        shift[i] = bias[i] - mean[i] * s[i];
    }
    Weights none{DataType::kFLOAT, nullptr, 0};
    IScaleLayer* layer = ctx.network().addScaleNd(*x, ScaleMode::kCHANNEL, ctx.keepFloats(shift), ctx.keepFloats(s),
                                                  none, 1);
    return pushLayer(ctx, layer, outputs);
}

}  // namespace kiln::onnx

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertInstanceNormalization) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    ITensor* scale = x ? ctx.tensor(1) : nullptr;
    ITensor* bias = scale ? ctx.tensor(2) : nullptr;
    if (!bias) return false;
    const int32_t rank = x->getDimensions().nbDims;
    if (rank < 3) return ctx.fail(ErrorCode::kINVALID_NODE, "input must be [N, C, spatial...]");
    uint32_t axes = 0;
    for (int i = 2; i < rank; ++i) axes |= 1u << i;  // statistics per (n, c) over the spatial dims
    INormalizationLayer* layer = ctx.network().addNormalization(*x, *scale, *bias, axes);
    if (layer) layer->setEpsilon(ctx.attrFloat("epsilon", 1e-5f));
    return pushLayer(ctx, layer, outputs);
}

KILN_ONNX_CONVERTER(convertLayerNormalization) {
    (void)inputs;
    for (int i = 1; i < node.output_size(); ++i)
        if (!node.output(i).empty()) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "the Mean/InvStdDev outputs");
    ITensor* x = ctx.tensor(0);
    ITensor* scale = x ? ctx.tensor(1) : nullptr;
    if (!scale) return false;
    ITensor* bias = nullptr;
    if (ctx.hasInput(2)) {
        bias = ctx.tensor(2);
    } else if (const Constant* s = ctx.constant(1)) {
        // No bias: a zero constant shaped like the scale.
        bias = ctx.addConstantTensor(Constant::fromFloats(s->dims, std::vector<float>(size_t(s->count()), 0.f)));
    } else {
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "a missing bias needs a constant scale");
    }
    if (!bias) return false;
    const int32_t rank = x->getDimensions().nbDims;
    int64_t axis = ctx.attrInt("axis", -1);
    if (!normalizeAxis(axis, rank)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    uint32_t axes = 0;
    for (int i = int(axis); i < rank; ++i) axes |= 1u << i;  // normalize over [axis, rank)
    INormalizationLayer* layer = ctx.network().addNormalization(*x, *scale, *bias, axes);
    if (layer) layer->setEpsilon(ctx.attrFloat("epsilon", 1e-5f));
    return pushLayer(ctx, layer, outputs);
}

}  // namespace kiln::onnx
