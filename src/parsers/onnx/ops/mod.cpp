// ONNX Mod -> IElementWiseLayer kMOD (fmod = 0: the result takes the divisor's
// sign, as Python's %) or kFMOD (fmod = 1: the dividend's sign, as C fmod).
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertMod) {
    (void)node;
    (void)inputs;
    ITensor* a = ctx.tensor(0);
    ITensor* b = a ? ctx.tensor(1) : nullptr;
    if (!b) return false;
    const int64_t fmod = ctx.attrInt("fmod", 0);
    if (fmod != 0 && fmod != 1) return ctx.fail(ErrorCode::kINVALID_VALUE, "fmod must be 0 or 1");
    if (a->getType() != b->getType()) return ctx.fail(ErrorCode::kINVALID_NODE, "the inputs' types differ");
    const auto op = fmod ? ElementWiseOperation::kFMOD : ElementWiseOperation::kMOD;
    return pushLayer(ctx, ctx.network().addElementWise(*a, *b, op), outputs);
}

}  // namespace kiln::onnx
