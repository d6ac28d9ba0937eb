// LRN -> ILRNLayer (the same cross-channel window and formula as ONNX).
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertLRN) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    if (!ctx.hasAttr("size")) return ctx.fail(ErrorCode::kINVALID_NODE, "the size attribute is required");
    const int64_t size = ctx.attrInt("size", 1);
    if (size < 1) return ctx.fail(ErrorCode::kINVALID_VALUE, "size must be positive");
    if (x->getDimensions().nbDims < 3) return ctx.fail(ErrorCode::kINVALID_NODE, "input must be [N, C, D1, ...]");
    return pushLayer(ctx,
                     ctx.network().addLRN(*x, size, ctx.attrFloat("alpha", 1e-4f), ctx.attrFloat("beta", 0.75f),
                                          ctx.attrFloat("bias", 1.0f)),
                     outputs);
}

}  // namespace kiln::onnx
