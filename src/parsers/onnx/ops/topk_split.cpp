// TopK / ArgMax / ArgMin -> ITopKLayer; Split -> one ISliceLayer per output.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertTopK) {
    (void)inputs;
    (void)node;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const int32_t rank = x->getDimensions().nbDims;
    int64_t axis = ctx.attrInt("axis", -1);
    if (!normalizeAxis(axis, rank)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    int64_t k = ctx.attrInt("k", 1);
    if (ctx.opset() >= 10) {
        const Constant* c = ctx.constant(1);
        if (!c || c->count() != 1) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "K (input 1) must be a constant scalar");
        k = c->toInt64s()[0];
    }
    // sorted=0 allows any order, so kiln's sorted results are valid either way.
    const auto op = ctx.attrInt("largest", 1) ? TopKOperation::kMAX : TopKOperation::kMIN;
    ITopKLayer* t = ctx.network().addTopK(*x, op, static_cast<int32_t>(k), 1u << axis);
    if (!pushLayer(ctx, t, outputs)) return false;
    outputs.push_back(t->getOutput(1));
    return true;
}

KILN_ONNX_CONVERTER(convertArgMinMax) {
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const Dims d = x->getDimensions();
    int64_t axis = ctx.attrInt("axis", 0);
    if (!normalizeAxis(axis, d.nbDims)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    if (ctx.attrInt("select_last_index", 0) != 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "select_last_index");
    const auto op = node.op_type() == "ArgMax" ? TopKOperation::kMAX : TopKOperation::kMIN;
    ITopKLayer* t = ctx.network().addTopK(*x, op, 1, 1u << axis);  // ties keep the lower index, as ONNX
    if (!t) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the top-k");
    ctx.nameLayer(t, "_topk");
    ITensor* indices = t->getOutput(1);
    if (ctx.attrInt("keepdims", 1) != 0) {
        outputs.push_back(indices);
        return true;
    }
    std::vector<int64_t> dims;
    for (int i = 0; i < d.nbDims; ++i)
        if (i != axis) dims.push_back(d.d[i]);
    int unknown = 0;
    for (int64_t v : dims) unknown += v < 0;
    if (unknown > 1) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "keepdims=0 with several dynamic dims");
    IShuffleLayer* s = addReshape(ctx, *indices, toDims(dims), "");
    if (s) s->setZeroIsPlaceholder(false);
    return pushLayer(ctx, s, outputs);
}

KILN_ONNX_CONVERTER(convertSplit) {
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const Dims d = x->getDimensions();
    int64_t axis = ctx.attrInt("axis", 0);
    if (!normalizeAxis(axis, d.nbDims)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    const int64_t extent = d.d[axis];
    if (extent < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "splitting a dynamic dimension");
    std::vector<int64_t> split;
    if (ctx.opset() < 13) {
        split = ctx.attrInts("split");
    } else if (ctx.hasInput(1)) {
        const Constant* c = ctx.constant(1);
        if (!c) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "split (input 1) must be a constant");
        split = c->toInt64s();
    }
    const int64_t n = node.output_size();
    if (split.empty()) {
        // Equal parts; opset 18's num_outputs allows a smaller last part.
        const int64_t part = (extent + n - 1) / n;
        for (int64_t i = 0; i < n; ++i) split.push_back(std::min(part, extent - i * part));
    }
    if (static_cast<int64_t>(split.size()) != n) return ctx.fail(ErrorCode::kINVALID_NODE, "split count != outputs");
    int64_t offset = 0;
    for (int64_t i = 0; i < n; ++i) {
        Dims start, size, stride;
        start.nbDims = size.nbDims = stride.nbDims = d.nbDims;
        for (int j = 0; j < d.nbDims; ++j) {
            start.d[j] = 0;
            size.d[j] = -1;  // whole extent
            stride.d[j] = 1;
        }
        start.d[axis] = offset;
        size.d[axis] = split[i];
        offset += split[i];
        ISliceLayer* s = ctx.network().addSlice(*x, start, size, stride);
        if (!s) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected a slice");
        ctx.nameLayer(s, ("_" + std::to_string(i)).c_str());
        outputs.push_back(s->getOutput(0));
    }
    if (offset != extent) return ctx.fail(ErrorCode::kINVALID_NODE, "split sizes do not add up to the extent");
    return true;
}

}  // namespace kiln::onnx
