// GatherND -> IGatherLayer in kND mode (batch_dims = elementwise dims).
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertGatherND) {
    (void)node;
    (void)inputs;
    ITensor* data = ctx.tensor(0);
    ITensor* indices = data ? ctx.tensor(1) : nullptr;
    if (!indices) return false;
    if (indices->getType() != DataType::kINT64 && indices->getType() != DataType::kINT32)
        return ctx.fail(ErrorCode::kINVALID_NODE, "indices must be int64");
    const int64_t batchDims = ctx.attrInt("batch_dims", 0);
    if (batchDims < 0) return ctx.fail(ErrorCode::kINVALID_VALUE, "batch_dims must be >= 0");
    IGatherLayer* g = ctx.network().addGatherV2(*data, *indices, GatherMode::kND);
    if (g) g->setNbElementWiseDims(static_cast<int32_t>(batchDims));
    return pushLayer(ctx, g, outputs);
}

}  // namespace kiln::onnx
