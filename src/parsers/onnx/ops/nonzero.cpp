// NonZero -> INonZeroLayer.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertNonZero) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    return x && pushLayer(ctx, ctx.network().addNonZero(*x), outputs);
}

}  // namespace kiln::onnx
