// Celu(x) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) = alpha * elu(x / alpha).
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertCelu) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const float alpha = ctx.attrFloat("alpha", 1.0f);
    if (alpha == 0.f) return ctx.fail(ErrorCode::kINVALID_VALUE, "alpha must be nonzero");
    const int32_t rank = x->getDimensions().nbDims;
    ITensor* a = scalarOfType(ctx, alpha, rank, x->getType());
    ITensor* scaled = a ? binary(ctx, *x, *a, ElementWiseOperation::kDIV, "_scale") : nullptr;
    IActivationLayer* elu = scaled ? ctx.network().addActivation(*scaled, ActivationType::kELU) : nullptr;
    if (elu) elu->setAlpha(1.f);
    ITensor* e = scaled ? layerOutput(ctx, elu, "_elu") : nullptr;
    if (!e) return false;
    return pushLayer(ctx, ctx.network().addElementWise(*e, *a, ElementWiseOperation::kPROD), outputs);
}

}  // namespace kiln::onnx
