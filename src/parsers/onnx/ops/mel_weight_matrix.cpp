// MelWeightMatrix (opset 17) -> IMelWeightMatrixLayer.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertMelWeightMatrix) {
    (void)node;
    (void)inputs;
    ITensor* in[5];
    for (int32_t i = 0; i < 5; ++i)
        if (!(in[i] = ctx.tensor(i))) return false;
    DataType dtype;
    if (!outputDataType(ctx, "output_datatype", dtype)) return false;
    IMelWeightMatrixLayer* layer = ctx.network().addMelWeightMatrix(*in[0], *in[1], *in[2], *in[3], *in[4]);
    if (!layer) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the MelWeightMatrix layer");
    layer->setDataType(dtype);
    return pushLayer(ctx, layer, outputs);
}

}  // namespace kiln::onnx
