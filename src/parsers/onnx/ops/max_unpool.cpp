// MaxUnpool (opsets 9, 11, 22) -> IMaxUnpoolLayer; a run-time output_shape
// tensor is wired as input 2.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertMaxUnpool) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    ITensor* idx = x ? ctx.tensor(1) : nullptr;
    if (!idx) return false;
    const auto kernel = ctx.attrInts("kernel_shape");
    const size_t k = kernel.size();
    if (k < 1 || k > 3) return ctx.fail(ErrorCode::kINVALID_NODE, "kernel_shape must have 1 to 3 entries");
    IMaxUnpoolLayer* layer = ctx.network().addMaxUnpool(*x, *idx, toDims(kernel));
    if (!layer) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the MaxUnpool layer");
    if (ctx.hasAttr("strides")) {
        if (ctx.attrInts("strides").size() != k)
            return ctx.fail(ErrorCode::kINVALID_NODE, "strides need one entry per spatial dim");
        layer->setStrideNd(toDims(ctx.attrInts("strides")));
    }
    if (ctx.hasAttr("pads")) {
        const auto pads = ctx.attrInts("pads");
        if (pads.size() != 2 * k) return ctx.fail(ErrorCode::kINVALID_NODE, "pads need 2 entries per spatial dim");
        layer->setPrePadding(toDims({pads.begin(), pads.begin() + static_cast<int64_t>(k)}));
        layer->setPostPadding(toDims({pads.begin() + static_cast<int64_t>(k), pads.end()}));
    }
    if (ctx.hasInput(2)) {
        if (const Constant* c = ctx.constant(2)) {
            const auto shape = c->toInt64s();
            if (shape.size() != k + 2) return ctx.fail(ErrorCode::kINVALID_NODE, "output_shape must list every dim");
            layer->setOutputShape(toDims(shape));
        } else {
            ITensor* shape = ctx.tensor(2);
            if (!shape) return false;
            layer->setInput(2, *shape);
        }
    }
    return pushLayer(ctx, layer, outputs);
}

}  // namespace kiln::onnx
