// Compress -> the positions of the true conditions (INonZeroLayer) gathered
// along the axis (or from the flattened input without one).
#include "ops.h"
#include "shape_math.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertCompress) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    ITensor* cond = x ? ctx.tensor(1) : nullptr;
    if (!cond) return false;
    const int32_t rank = x->getDimensions().nbDims;
    int64_t axis = 0;
    if (ctx.hasAttr("axis")) {
        axis = ctx.attrInt("axis", 0);
        if (!normalizeAxis(axis, rank)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    } else {
        x = shape::flat(ctx, *x);  // no axis: select from the flattened input
        if (!x) return false;
    }
    INonZeroLayer* nz = ctx.network().addNonZero(*cond);
    if (!nz) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the nonzero layer");
    ctx.nameLayer(nz, "_positions");
    ITensor* positions = shape::flat(ctx, *nz->getOutput(0));  // [1, count] -> [count]
    if (!positions) return false;
    return pushLayer(ctx, ctx.network().addGather(*x, *positions, int32_t(axis)), outputs);
}

}  // namespace kiln::onnx
