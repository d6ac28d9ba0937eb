// OneHot(indices, depth, values) -> IOneHotLayer(indices, values, depth).
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertOneHot) {
    (void)node;
    (void)inputs;
    ITensor* indices = ctx.tensor(0);
    ITensor* depth = indices ? ctx.tensor(1) : nullptr;
    ITensor* values = depth ? ctx.tensor(2) : nullptr;
    if (!values) return false;
    const int64_t axis = ctx.attrInt("axis", -1);
    const int32_t outRank = indices->getDimensions().nbDims + 1;
    if (axis < -outRank || axis >= outRank) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    return pushLayer(ctx, ctx.network().addOneHot(*indices, *values, *depth, static_cast<int32_t>(axis)), outputs);
}

}  // namespace kiln::onnx
