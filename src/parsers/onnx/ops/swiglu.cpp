// Swish with any alpha and SwiGLU (opset 28): swish(x) = x * sigmoid(alpha * x),
// SwiGLU(a, b) = swish(a) * b. alpha = 1 is the SiLU activation layer; any
// other alpha scales the sigmoid's argument first.
#include "layer_chain.h"

namespace kiln::onnx {

ITensor* addSwish(LayerChain& c, ITensor* x, float alpha) {
    if (!x) return nullptr;
    if (alpha == 1.f) return c.activation(x, ActivationType::kSILU);
    const int32_t rank = x->getDimensions().nbDims;
    ITensor* gate = c.activation(c.mul(x, c.scalar(alpha, rank, x->getType())), ActivationType::kSIGMOID);
    return c.mul(x, gate);
}

KILN_ONNX_CONVERTER(convertSwiGLU) {
    (void)node;
    (void)inputs;
    if (ctx.nbInputs() != 2) return ctx.fail(ErrorCode::kINVALID_NODE, "SwiGLU takes two inputs (a, b)");
    ITensor* a = ctx.tensor(0);
    ITensor* b = a ? ctx.tensor(1) : nullptr;
    if (!b) return false;
    if (!isFloatType(a->getType()) || b->getType() != a->getType())
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "a and b must share one float type");
    LayerChain c(ctx);
    ITensor* y = c.mul(addSwish(c, a, ctx.attrFloat("alpha", 1.f)), b);
    if (!y) return false;
    outputs.push_back(y);
    return true;
}

}  // namespace kiln::onnx
