// TopK / ArgMax / ArgMin -> ITopKLayer; Split -> one ISliceLayer per output.
#include "ops.h"
#include "shape_math.h"

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
    ITensor* kTensor = nullptr;  // K known only at run time
    if (ctx.opset() >= 10) {
        if (const Constant* c = ctx.constant(1)) {
            if (c->count() != 1) return ctx.fail(ErrorCode::kINVALID_NODE, "K (input 1) must hold one value");
        k = c->toInt64s()[0];
        } else {
            kTensor = ctx.tensor(1);
            kTensor = kTensor ? shape::toI64(ctx, *kTensor) : nullptr;
            if (!kTensor) return false;
            k = 0;
        }
    }
    // sorted=0 allows any order, so kiln's sorted results are valid either way.
    const auto op = ctx.attrInt("largest", 1) ? TopKOperation::kMAX : TopKOperation::kMIN;
    ITopKLayer* t = ctx.network().addTopK(*x, op, static_cast<int32_t>(k), 1u << axis);
    if (t && kTensor) t->setInput(1, *kTensor);
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

namespace {

// One slice of x along `axis` per output, with starts and sizes computed at run
// time (split sizes given as a tensor, or a dynamic extent).
bool splitAtRunTime(ConverterContext& ctx, ITensor& x, int32_t axis, int64_t n, ITensor* split,
                    std::vector<ITensor*>& outputs) {
    const int32_t rank = x.getDimensions().nbDims;
    ITensor* dims = shape::dimsOf(ctx, x);
    ITensor* zeros = dims ? shape::i64(ctx, std::vector<int64_t>(size_t(rank), 0)) : nullptr;
    if (!zeros) return false;
    std::vector<ITensor*> starts, sizes;
    if (split) {
        split = shape::toI64(ctx, *split);
        split = split ? shape::flat(ctx, *split) : nullptr;
        if (!split) return false;
        for (int64_t i = 0; i < n; ++i) {
            ITensor* size = shape::gather(ctx, *split, {i});
            ITensor* start = nullptr;
            if (i == 0) {
                start = shape::i64(ctx, {0});
            } else {
                std::vector<int64_t> before;
                for (int64_t j = 0; j < i; ++j) before.push_back(j);
                ITensor* head = shape::gather(ctx, *split, before);
                IReduceLayer* sum = head ? ctx.network().addReduce(*head, ReduceOperation::kSUM, 1u, true) : nullptr;
                if (sum) ctx.nameLayer(sum, "_offset");
                start = sum ? sum->getOutput(0) : nullptr;
            }
            if (!size || !start) return false;
            starts.push_back(start);
            sizes.push_back(size);
        }
    } else {
        // Equal parts of ceil(extent / n); the last ones may be smaller or empty.
        ITensor* extent = shape::gather(ctx, *dims, {axis});
        ITensor* zero = extent ? shape::i64(ctx, {0}) : nullptr;
        ITensor* negN = zero ? shape::i64(ctx, {-n}) : nullptr;
        ITensor* q = negN ? shape::binary(ctx, *extent, *negN, ElementWiseOperation::kFLOOR_DIV) : nullptr;
        ITensor* part = q ? shape::binary(ctx, *zero, *q, ElementWiseOperation::kSUB) : nullptr;
        if (!part) return false;
        for (int64_t i = 0; i < n; ++i) {
            ITensor* idx = shape::i64(ctx, {i});
            ITensor* begin = idx ? shape::binary(ctx, *idx, *part, ElementWiseOperation::kPROD) : nullptr;
            begin = begin ? shape::binary(ctx, *begin, *extent, ElementWiseOperation::kMIN) : nullptr;
            ITensor* left = begin ? shape::binary(ctx, *extent, *begin, ElementWiseOperation::kSUB) : nullptr;
            ITensor* size = left ? shape::binary(ctx, *left, *part, ElementWiseOperation::kMIN) : nullptr;
            if (!size) return false;
            starts.push_back(begin);
            sizes.push_back(size);
        }
    }
    for (int64_t i = 0; i < n; ++i) {
        ITensor* start = shape::scatterAxes(ctx, *starts[size_t(i)], {axis}, *zeros, rank);
        ITensor* size = start ? shape::scatterAxes(ctx, *sizes[size_t(i)], {axis}, *dims, rank) : nullptr;
        if (!size) return false;
        Dims unit;
        unit.nbDims = rank;
        for (int j = 0; j < rank; ++j) unit.d[j] = 1;
        ISliceLayer* s = ctx.network().addSlice(x, unit, unit, unit);
        if (!s) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected a slice");
        s->setInput(1, *start);
        s->setInput(2, *size);
        ctx.nameLayer(s, ("_" + std::to_string(i)).c_str());
        outputs.push_back(s->getOutput(0));
    }
    return true;
}

}  // namespace

KILN_ONNX_CONVERTER(convertSplit) {
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const Dims d = x->getDimensions();
    int64_t axis = ctx.attrInt("axis", 0);
    if (!normalizeAxis(axis, d.nbDims)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    const int64_t extent = d.d[axis];
    const int64_t n = node.output_size();
    if (n < 1) return ctx.fail(ErrorCode::kINVALID_NODE, "Split needs at least one output");
    std::vector<int64_t> split;
    if (ctx.opset() < 13) {
        split = ctx.attrInts("split");
    } else if (ctx.hasInput(1)) {
        const Constant* c = ctx.constant(1);
        if (!c) return splitAtRunTime(ctx, *x, int32_t(axis), n, ctx.tensor(1), outputs);
        split = c->toInt64s();
    }
    if (extent < 0 && split.empty()) return splitAtRunTime(ctx, *x, int32_t(axis), n, nullptr, outputs);
    if (split.empty()) {
        // Equal parts; opset 18's num_outputs allows a smaller last part.
        const int64_t part = extent / n + (extent % n != 0);  // ceil without overflowing
        int64_t left = extent;
        for (int64_t i = 0; i < n; ++i) {
            split.push_back(std::min(part, left));
            left -= split.back();
        }
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
    if (extent >= 0 && offset != extent)
        return ctx.fail(ErrorCode::kINVALID_NODE, "split sizes do not add up to the extent");
    return true;
}

}  // namespace kiln::onnx
