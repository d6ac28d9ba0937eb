// ScatterElements, ScatterND and the deprecated Scatter -> IScatterLayer.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertScatter) {
    (void)inputs;
    ITensor* data = ctx.tensor(0);
    ITensor* indices = data ? ctx.tensor(1) : nullptr;
    ITensor* updates = indices ? ctx.tensor(2) : nullptr;
    if (!updates) return false;
    const bool nd = node.op_type() == "ScatterND";
    const std::string red = ctx.attrString("reduction", "none");
    ScatterReduction reduction;
    if (red == "none")
        reduction = ScatterReduction::kNONE;
    else if (red == "add")
        reduction = ScatterReduction::kSUM;
    else if (red == "mul")
        reduction = ScatterReduction::kPROD;
    else if (red == "max")
        reduction = ScatterReduction::kMAX;
    else if (red == "min")
        reduction = ScatterReduction::kMIN;
    else
        return ctx.fail(ErrorCode::kINVALID_VALUE, "unknown reduction '" + red + "'");
    IScatterLayer* s =
        ctx.network().addScatter(*data, *indices, *updates, nd ? ScatterMode::kND : ScatterMode::kELEMENT);
    if (s) {
        s->setReduction(reduction);
        if (!nd) {
            int64_t axis = ctx.attrInt("axis", 0);
            if (!normalizeAxis(axis, data->getDimensions().nbDims))
                return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
            s->setAxis(static_cast<int32_t>(axis));
        }
    }
    return pushLayer(ctx, s, outputs);
}

}  // namespace kiln::onnx
