// Unique -> IUniqueLayer (outputs Y, indices, inverse_indices, counts).
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertUnique) {
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    IUniqueLayer* u = ctx.network().addUnique(*x);
    if (!u) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the unique layer");
    if (ctx.hasAttr("axis")) u->setAxis(int32_t(ctx.attrInt("axis", 0)));
    u->setSorted(ctx.attrInt("sorted", 1) != 0);
    ctx.nameLayer(u);
    for (int i = 0; i < node.output_size() && i < 4; ++i) outputs.push_back(u->getOutput(i));
    return true;
}

}  // namespace kiln::onnx
