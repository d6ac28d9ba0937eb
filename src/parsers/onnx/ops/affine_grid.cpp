// AffineGrid (opset 20) -> IAffineGridLayer.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertAffineGrid) {
    (void)node;
    (void)inputs;
    ITensor* theta = ctx.tensor(0);
    ITensor* size = theta ? ctx.tensor(1) : nullptr;
    if (!size) return false;
    const int64_t align = ctx.attrInt("align_corners", 0);
    if (align != 0 && align != 1) return ctx.fail(ErrorCode::kINVALID_VALUE, "align_corners must be 0 or 1");
    IAffineGridLayer* layer = ctx.network().addAffineGrid(*theta, *size);
    if (!layer) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the AffineGrid layer");
    layer->setAlignCorners(align == 1);
    return pushLayer(ctx, layer, outputs);
}

}  // namespace kiln::onnx
