// BatchNormalization -> IScaleLayer kCHANNEL with folded coefficients (constant
// parameters), or elementwise layers (parameters as tensors, training_mode).
#include <cmath>

#include "ops.h"
#include "shape_math.h"

namespace kiln::onnx {

namespace {

// BatchNormalization with elementwise layers: parameters given as tensors, or
// training_mode (statistics of this batch, plus the updated running statistics).
bool batchNormLayers(ConverterContext& ctx, ITensor& x, std::vector<ITensor*>& outputs) {
    using EW = ElementWiseOperation;
    const int32_t rank = x.getDimensions().nbDims;
    if (rank < 2) return ctx.fail(ErrorCode::kINVALID_NODE, "input must be [N, C, ...]");
    ITensor* p[4];
    for (int i = 0; i < 4; ++i)
        if (!(p[i] = ctx.tensor(i + 1))) return false;
    Dims perChannel;  // [1, C, 1, ...]: broadcasts against x
    perChannel.nbDims = rank;
    for (int i = 0; i < rank; ++i) perChannel.d[i] = i == 1 ? -1 : 1;
    auto channel = [&](ITensor& t) -> ITensor* {
        IShuffleLayer* r = addReshape(ctx, t, perChannel, "_per_channel");
        return r ? r->getOutput(0) : nullptr;
    };
    auto ew = [&](ITensor* a, ITensor* b, EW op) -> ITensor* {
        return a && b ? shape::binary(ctx, *a, *b, op) : nullptr;
    };
    auto reduceMean = [&](ITensor* t) -> ITensor* {
        uint32_t axes = 1u;
        for (int i = 2; i < rank; ++i) axes |= 1u << i;
        IReduceLayer* r = t ? ctx.network().addReduce(*t, ReduceOperation::kAVG, axes, true) : nullptr;
        if (r) ctx.nameLayer(r, "_stat");
        return r ? r->getOutput(0) : nullptr;
    };
    auto asType = [&](ITensor* t) -> ITensor* {  // float constants in x's type
        if (!t || t->getType() == x.getType()) return t;
        ICastLayer* c = ctx.network().addCast(*t, x.getType());
        return c ? c->getOutput(0) : nullptr;
    };
    const bool training = ctx.attrInt("training_mode", 0) != 0;
    ITensor* eps = asType(addScalar(ctx, ctx.attrFloat("epsilon", 1e-5f), rank));
    ITensor* mean = training ? reduceMean(&x) : channel(*p[2]);
    ITensor* diff = ew(&x, mean, EW::kSUB);
    ITensor* var = training ? reduceMean(ew(diff, diff, EW::kPROD)) : channel(*p[3]);
    ITensor* std = ew(var, eps, EW::kSUM);
    IUnaryLayer* sqrt = std ? ctx.network().addUnary(*std, UnaryOperation::kSQRT) : nullptr;
    ITensor* norm = sqrt ? ew(diff, sqrt->getOutput(0), EW::kDIV) : nullptr;
    ITensor* y = ew(ew(norm, channel(*p[0]), EW::kPROD), channel(*p[1]), EW::kSUM);
    if (!y) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the batch normalization");
    outputs.push_back(y);
    if (!training) return true;
    // running = input_running * momentum + batch_statistic * (1 - momentum), per channel.
    const float momentum = ctx.attrFloat("momentum", 0.9f);
    ITensor* m = asType(addScalar(ctx, momentum, 1));
    ITensor* rest = asType(addScalar(ctx, 1.f - momentum, 1));
    for (auto [stat, running] : {std::pair{mean, p[2]}, std::pair{var, p[3]}}) {
        ITensor* flatStat = shape::flat(ctx, *stat);
        ITensor* updated = ew(ew(running, m, EW::kPROD), ew(flatStat, rest, EW::kPROD), EW::kSUM);
        if (!updated) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the running statistics");
        outputs.push_back(updated);
    }
    return true;
}

}  // namespace

KILN_ONNX_CONVERTER(convertBatchNormalization) {
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const Constant* c[4];
    bool constants = ctx.attrInt("training_mode", 0) == 0 && node.output_size() <= 1;
    for (int i = 0; i < 4 && constants; ++i) constants = (c[i] = ctx.constant(i + 1)) != nullptr;
    if (!constants) return batchNormLayers(ctx, *x, outputs);
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
    bool wantStats = false;
    for (int i = 1; i < node.output_size(); ++i) wantStats |= !node.output(i).empty();
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
    if (wantStats) return convertLayerNormalizationStats(ctx, node, *x, *scale, *bias, outputs);
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
