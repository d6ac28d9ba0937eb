// HannWindow / HammingWindow / BlackmanWindow (opset 17) -> IWindowLayer.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertWindow) {
    (void)inputs;
    ITensor* size = ctx.tensor(0);
    if (!size) return false;
    const std::string& op = node.op_type();
    const WindowType type = op == "HannWindow"      ? WindowType::kHANN
                            : op == "HammingWindow" ? WindowType::kHAMMING
                                                    : WindowType::kBLACKMAN;
    DataType dtype;
    if (!outputDataType(ctx, "output_datatype", dtype)) return false;
    IWindowLayer* layer = ctx.network().addWindow(*size, type);
    if (!layer) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the window layer");
    layer->setPeriodic(ctx.attrInt("periodic", 1) != 0);
    layer->setDataType(dtype);
    return pushLayer(ctx, layer, outputs);
}

}  // namespace kiln::onnx
