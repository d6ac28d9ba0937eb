// Einsum -> IEinsumLayer (the equation is checked by the layer's shape inference).
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertEinsum) {
    (void)node;
    (void)inputs;
    if (!ctx.hasAttr("equation")) return ctx.fail(ErrorCode::kINVALID_NODE, "the equation attribute is required");
    std::vector<ITensor*> ins;
    for (int32_t i = 0; i < ctx.nbInputs(); ++i) {
        ITensor* t = ctx.tensor(i);
        if (!t) return false;
        ins.push_back(t);
    }
    if (ins.empty()) return ctx.fail(ErrorCode::kINVALID_NODE, "no inputs");
    const std::string eq = ctx.attrString("equation", "");
    return pushLayer(ctx, ctx.network().addEinsum(ins.data(), static_cast<int32_t>(ins.size()), eq.c_str()), outputs);
}

}  // namespace kiln::onnx
