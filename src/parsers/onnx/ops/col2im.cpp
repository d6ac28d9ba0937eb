// Col2Im (opset 18) -> ICol2ImLayer. Constant image_shape / block_shape
// become layer parameters; run-time ones are wired as inputs 1 and 2.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertCol2Im) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    Dims shapes[2] = {};
    ITensor* runtime[2] = {nullptr, nullptr};
    for (int32_t i = 0; i < 2; ++i) {
        if (const Constant* c = ctx.constant(i + 1)) {
            const auto v = c->toInt64s();
            if (v.empty() || v.size() > static_cast<size_t>(Dims::MAX_DIMS))
                return ctx.fail(ErrorCode::kINVALID_NODE, "image_shape and block_shape need 1 to 8 entries");
            shapes[i] = toDims(v);
        } else if (!(runtime[i] = ctx.tensor(i + 1))) {
            return false;
        }
    }
    ICol2ImLayer* layer = ctx.network().addCol2Im(*x, shapes[0], shapes[1]);
    if (!layer) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the Col2Im layer");
    for (int32_t i = 0; i < 2; ++i)
        if (runtime[i]) layer->setInput(i + 1, *runtime[i]);
    if (ctx.hasAttr("strides")) layer->setStrideNd(toDims(ctx.attrInts("strides")));
    if (ctx.hasAttr("dilations")) layer->setDilationNd(toDims(ctx.attrInts("dilations")));
    if (ctx.hasAttr("pads")) {
        const auto pads = ctx.attrInts("pads");
        if (pads.size() % 2 != 0 || pads.size() > 2 * static_cast<size_t>(Dims::MAX_DIMS))
            return ctx.fail(ErrorCode::kINVALID_NODE, "pads must list begins then ends");
        const size_t k = pads.size() / 2;
        layer->setPrePadding(toDims({pads.begin(), pads.begin() + static_cast<int64_t>(k)}));
        layer->setPostPadding(toDims({pads.begin() + static_cast<int64_t>(k), pads.end()}));
    }
    return pushLayer(ctx, layer, outputs);
}

}  // namespace kiln::onnx
