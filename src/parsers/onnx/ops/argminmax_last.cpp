// ArgMax / ArgMin. select_last_index = 0 is convertArgMinMax (topk_split.cpp);
// select_last_index = 1 takes the arg max/min of the input reversed along the
// axis (TopK keeps the first of equal values) and maps index i back to n-1-i.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertArgMinMaxLastIndex) {
    if (ctx.attrInt("select_last_index", 0) == 0) return convertArgMinMax(ctx, node, inputs, outputs);
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const std::vector<int64_t> d = dimsOf(*x);
    const int32_t rank = static_cast<int32_t>(d.size());
    int64_t axis = ctx.attrInt("axis", 0);
    if (!normalizeAxis(axis, rank)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    const int64_t n = d[size_t(axis)];
    if (n < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "select_last_index along a dynamic extent");
    Dims start, size, stride;
    start.nbDims = size.nbDims = stride.nbDims = rank;
    for (int32_t i = 0; i < rank; ++i) {
        start.d[i] = 0;
        size.d[i] = d[size_t(i)] < 0 ? -1 : d[size_t(i)];
        stride.d[i] = 1;
    }
    start.d[axis] = n - 1;
    stride.d[axis] = -1;
    ITensor* reversed = layerOutput(ctx, ctx.network().addSlice(*x, start, size, stride), "_reverse");
    if (!reversed) return false;
    const auto op = node.op_type() == "ArgMax" ? TopKOperation::kMAX : TopKOperation::kMIN;
    ITopKLayer* t = ctx.network().addTopK(*reversed, op, 1, 1u << axis);
    if (!t) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the top-k");
    ctx.nameLayer(t, "_topk");
    ITensor* idx = castTo(ctx, *t->getOutput(1), DataType::kINT64, "_index64");
    ITensor* last = idx ? scalarOfType(ctx, double(n - 1), rank, DataType::kINT64) : nullptr;
    ITensor* y = last ? binary(ctx, *last, *idx, ElementWiseOperation::kSUB, "_unreverse") : nullptr;
    if (y && ctx.attrInt("keepdims", 1) == 0) {
        std::vector<int64_t> kept;
        for (int32_t i = 0; i < rank; ++i)
            if (i != axis) kept.push_back(d[size_t(i)]);
        y = reshapeTo(ctx, *y, kept, "_squeeze");
    }
    if (!y) return false;
    outputs.push_back(y);
    return true;
}

}  // namespace kiln::onnx
