// GroupNormalization -> INormalizationLayer with num_groups. Opset 18 gives
// scale/bias per group ([G]); they are expanded to per channel ([C]) by a
// gather of group c / (C / G), which folds when they are constants.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertGroupNormalization) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    ITensor* scale = x ? ctx.tensor(1) : nullptr;
    ITensor* bias = scale ? ctx.tensor(2) : nullptr;
    if (!bias) return false;
    const std::vector<int64_t> d = dimsOf(*x);
    if (d.size() < 3) return ctx.fail(ErrorCode::kINVALID_NODE, "input must be [N, C, D1, ...]");
    if (!ctx.hasAttr("num_groups")) return ctx.fail(ErrorCode::kINVALID_NODE, "the num_groups attribute is required");
    const int64_t groups = ctx.attrInt("num_groups", 1), channels = d[1];
    if (channels < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "a dynamic channel count");
    if (groups < 1 || channels % groups != 0)
        return ctx.fail(ErrorCode::kINVALID_VALUE, "num_groups " + std::to_string(groups) + " does not divide " +
                                                       std::to_string(channels) + " channels");
    auto perChannel = [&](ITensor* p, const char* what) -> ITensor* {
        const std::vector<int64_t> pd = dimsOf(*p);
        if (pd.size() != 1 || (pd[0] != channels && pd[0] != groups)) {
            ctx.fail(ErrorCode::kINVALID_NODE, std::string(what) + " must be [C] or [num_groups]");
            return nullptr;
        }
        if (pd[0] != channels) {  // [G] -> [C]
            if (!tableFits(ctx, 1, channels)) return nullptr;
            std::vector<int64_t> idx(static_cast<size_t>(channels));
            for (int64_t c = 0; c < channels; ++c) idx[size_t(c)] = c / (channels / groups);
            ITensor* i = ctx.addConstantTensor(Constant::fromInt64s({channels}, idx));
            p = i ? layerOutput(ctx, ctx.network().addGather(*p, *i, 0), "_per_channel") : nullptr;
        }
        if (!p) return nullptr;
        // [1, C, 1, ...] broadcasts against X for every kind of the layer.
        std::vector<int64_t> bd(d.size(), 1);
        bd[1] = channels;
        return reshapeTo(ctx, *p, bd, "_broadcast");
    };
    scale = perChannel(scale, "scale");
    bias = scale ? perChannel(bias, "bias") : nullptr;
    if (!bias) return false;
    uint32_t axes = 0;
    for (size_t i = 1; i < d.size(); ++i) axes |= 1u << i;  // G = 1: over C and the spatial dims
    INormalizationLayer* n = ctx.network().addNormalization(*x, *scale, *bias, axes);
    if (n) {
        n->setEpsilon(ctx.attrFloat("epsilon", 1e-5f));
        n->setNbGroups(groups);
    }
    return pushLayer(ctx, n, outputs);
}

}  // namespace kiln::onnx
