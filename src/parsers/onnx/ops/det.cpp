// Det -> IDeterminantLayer (a kiln layer: elimination with pivoting cannot be
// expressed exactly with the other layers).
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertDet) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    return pushLayer(ctx, ctx.network().addDeterminant(*x), outputs);
}

}  // namespace kiln::onnx
