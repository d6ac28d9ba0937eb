// DFT (opset 17: axis attribute; opset 20: axis input) -> IDFTLayer. A
// constant dft_length or axis becomes a layer parameter; otherwise the tensor
// is wired to the layer and read at run time.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertDFT) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const bool axisInput = ctx.opset() >= 20;
    int64_t axis = axisInput ? -2 : ctx.attrInt("axis", 1);
    ITensor* axisTensor = nullptr;
    if (axisInput && ctx.hasInput(2)) {
        if (const Constant* c = ctx.constant(2)) {
            if (c->count() != 1) return ctx.fail(ErrorCode::kINVALID_NODE, "axis must be a scalar");
            axis = c->toInt64s()[0];
        } else if (!(axisTensor = ctx.tensor(2))) {
            return false;
        }
    }
    IDFTLayer* layer = ctx.network().addDFT(*x, static_cast<int32_t>(axis));
    if (!layer) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the DFT layer");
    if (axisTensor) layer->setInput(2, *axisTensor);
    layer->setInverse(ctx.attrInt("inverse", 0) != 0);
    layer->setOnesided(ctx.attrInt("onesided", 0) != 0);
    if (ctx.hasInput(1)) {
        if (const Constant* c = ctx.constant(1)) {
            if (c->count() != 1) return ctx.fail(ErrorCode::kINVALID_NODE, "dft_length must be a scalar");
            const int64_t n = c->toInt64s()[0];
            if (n < 1) return ctx.fail(ErrorCode::kINVALID_VALUE, "dft_length must be >= 1");
            layer->setDFTLength(n);
        } else {
            ITensor* n = ctx.tensor(1);
            if (!n) return false;
            layer->setInput(1, *n);
        }
    }
    return pushLayer(ctx, layer, outputs);
}

}  // namespace kiln::onnx
