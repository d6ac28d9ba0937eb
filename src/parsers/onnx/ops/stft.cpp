// STFT (opset 17) -> ISTFTLayer; frame_step and frame_length may be
// constants or run-time tensors.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertSTFT) {
    (void)node;
    (void)inputs;
    ITensor* signal = ctx.tensor(0);
    ITensor* step = signal ? ctx.tensor(1) : nullptr;
    if (!step) return false;
    ISTFTLayer* layer = ctx.network().addSTFT(*signal, *step);
    if (!layer) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the STFT layer");
    if (ctx.hasInput(2)) {
        ITensor* window = ctx.tensor(2);
        if (!window) return false;
        layer->setWindow(*window);
    }
    if (ctx.hasInput(3)) {
        ITensor* length = ctx.tensor(3);
        if (!length) return false;
        layer->setFrameLength(*length);
    }
    layer->setOnesided(ctx.attrInt("onesided", 1) != 0);
    return pushLayer(ctx, layer, outputs);
}

}  // namespace kiln::onnx
