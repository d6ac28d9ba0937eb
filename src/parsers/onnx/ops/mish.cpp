// Mish(x) = x * tanh(softplus(x)).
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertMish) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    ITensor* sp = layerOutput(ctx, ctx.network().addActivation(*x, ActivationType::kSOFTPLUS), "_softplus");
    ITensor* th = sp ? layerOutput(ctx, ctx.network().addActivation(*sp, ActivationType::kTANH), "_tanh") : nullptr;
    if (!th) return false;
    return pushLayer(ctx, ctx.network().addElementWise(*x, *th, ElementWiseOperation::kPROD), outputs);
}

}  // namespace kiln::onnx
