// CumSum / CumProd -> ICumulativeLayer (the axis stays a tensor: it may be a
// network input, read at run time).
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertCumulative) {
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    ITensor* axis = x ? ctx.tensor(1) : nullptr;
    if (!axis) return false;
    const auto op = node.op_type() == "CumProd" ? CumulativeOperation::kPROD : CumulativeOperation::kSUM;
    return pushLayer(
        ctx,
        ctx.network().addCumulative(*x, *axis, op, ctx.attrInt("exclusive", 0) != 0, ctx.attrInt("reverse", 0) != 0),
        outputs);
}

}  // namespace kiln::onnx
