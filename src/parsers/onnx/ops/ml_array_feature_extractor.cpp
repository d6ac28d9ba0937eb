// ai.onnx.ml ArrayFeatureExtractor -> IGatherLayer on the last axis with the
// indices flattened: Z = X[..., indices]. A 1-D X gives [1, n], as ONNX
// Runtime does.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertArrayFeatureExtractor) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    ITensor* idx = x ? ctx.tensor(1) : nullptr;
    if (!idx) return false;
    const int32_t rank = x->getDimensions().nbDims;
    if (rank < 1) return ctx.fail(ErrorCode::kINVALID_NODE, "X must have rank >= 1");
    if (idx->getType() != DataType::kINT64 && idx->getType() != DataType::kINT32)
        return ctx.fail(ErrorCode::kINVALID_NODE, "Y (indices) must be int64");
    ITensor* flat = idx;
    if (idx->getDimensions().nbDims != 1) {
        IShuffleLayer* r = addReshape(ctx, *idx, toDims({-1}), "_flatten");
        if (!r) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the reshape of Y");
        flat = r->getOutput(0);
    }
    ITensor* data = x;
    if (rank == 1) {
        IShuffleLayer* r = addReshape(ctx, *x, toDims({1, -1}), "_row");
        if (!r) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the reshape of X");
        data = r->getOutput(0);
    }
    const int32_t axis = (rank == 1 ? 2 : rank) - 1;
    return pushLayer(ctx, ctx.network().addGather(*data, *flat, axis), outputs);
}

}  // namespace kiln::onnx
