// Data movement: Identity/Dropout, Concat, Slice, Gather, Shape (Cast/CastLike: cast.cpp).
#include <algorithm>
#include <limits>

#include "importer.h"
#include "ops.h"
#include "shape_math.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertIdentity) {
    (void)inputs;
    // Dropout is the identity at inference (training_mode must be a constant false).
    const bool dropout = node.op_type() == "Dropout";
    if (dropout && ctx.hasInput(2)) {
        const Constant* training = ctx.constant(2);
        if (!training || training->toInt64s() != std::vector<int64_t>{0})
            return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "training_mode must be a constant false");
    }
    if (const Constant* c = ctx.constant(0)) {  // keep constants foldable for shape inputs
        ctx.setOutputConstant(0, *c);
        outputs.push_back(nullptr);
    } else {
        ITensor* x = ctx.tensor(0);
        if (!x || !pushLayer(ctx, ctx.network().addIdentity(*x), outputs)) return false;
    }
    if (dropout && node.output_size() > 1 && !node.output(1).empty()) {
        // The mask is all true at inference; it needs a static shape to be a constant.
        const Constant* c = ctx.constant(0);
        std::vector<int64_t> dims;
        if (c)
            dims = c->dims;
        else {
            const Dims d = outputs[0]->getDimensions();
            for (int i = 0; i < d.nbDims; ++i) dims.push_back(d.d[i]);
        }
        for (int64_t v : dims)
            if (v < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "the mask output of a dynamically shaped input");
        Constant allTrue;
        allTrue.type = DataType::kBOOL;
        allTrue.bytes = {1};
        if (!shape::fillOutput(ctx, dims, allTrue, outputs)) return false;
    }
    return true;
}

KILN_ONNX_CONVERTER(convertConcat) {
    (void)node;
    (void)inputs;
    std::vector<ITensor*> parts;
    for (int i = 0; i < ctx.nbInputs(); ++i) {
        ITensor* t = ctx.tensor(i);
        if (!t) return false;
        parts.push_back(t);
    }
    if (parts.empty()) return ctx.fail(ErrorCode::kINVALID_NODE, "no inputs");
    int64_t axis = ctx.attrInt("axis", 1);
    if (!normalizeAxis(axis, parts[0]->getDimensions().nbDims))
        return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    IConcatenationLayer* c = ctx.network().addConcatenation(parts.data(), static_cast<int32_t>(parts.size()));
    if (c) c->setAxis(static_cast<int32_t>(axis));
    return pushLayer(ctx, c, outputs);
}

namespace {

// ONNX Slice whose starts/ends/steps (or sliced extents) are known only at run
// time: the clamping rules computed with shape arithmetic, per sliced axis.
bool sliceAtRunTime(ConverterContext& ctx, ITensor& x, std::vector<int64_t> axes, ITensor* axesTensor,
                    std::vector<ITensor*>& outputs) {
    using EW = ElementWiseOperation;
    const int32_t rank = x.getDimensions().nbDims;
    auto vec = [&](int i) -> ITensor* {
        ITensor* t = ctx.tensor(i);
        t = t ? shape::toI64(ctx, *t) : nullptr;
        return t ? shape::flat(ctx, *t) : nullptr;
    };
    ITensor* s = vec(1);
    ITensor* e = s ? vec(2) : nullptr;
    if (!e) return false;
    const Dims sd = s->getDimensions();
    if (sd.d[0] < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "starts of unknown length");
    const int64_t m = sd.d[0];
    // Each start names a distinct axis; checked before sizing anything by m (a mutated shape may say 2^29).
    if (m > rank)
        return ctx.fail(ErrorCode::kINVALID_NODE,
                        std::to_string(m) + " starts for an input of rank " + std::to_string(rank));
    if (axesTensor) {
        // Axes known at run time: normalized, then used as gather/scatter indices.
        if (axesTensor->getDimensions().d[0] != m)
            return ctx.fail(ErrorCode::kINVALID_NODE, "starts and axes lengths differ");
        if (!(axesTensor = shape::normalizeAxes(ctx, *axesTensor, rank))) return false;
    } else {
        if (axes.empty())
            for (int64_t i = 0; i < m; ++i) axes.push_back(i);
        if (int64_t(axes.size()) != m) return ctx.fail(ErrorCode::kINVALID_NODE, "starts and axes lengths differ");
        for (auto& a : axes)
            if (!normalizeAxis(a, rank)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    }
    // Per-axis values placed into a full-rank vector.
    auto place = [&](ITensor& v, ITensor& fallback) {
        return axesTensor ? shape::scatterAxes(ctx, v, *axesTensor, fallback, rank)
                          : shape::scatterAxes(ctx, v, axes, fallback, rank);
    };
    ITensor* k = ctx.hasInput(4) ? vec(4) : shape::i64(ctx, std::vector<int64_t>(size_t(m), 1));
    ITensor* dims = k ? shape::dimsOf(ctx, x) : nullptr;
    IGatherLayer* nLayer = dims && axesTensor ? ctx.network().addGather(*dims, *axesTensor, 0) : nullptr;
    ITensor* n = axesTensor ? (nLayer ? nLayer->getOutput(0) : nullptr)
                 : dims     ? shape::gather(ctx, *dims, axes)
                            : nullptr;
    ITensor* zero = n ? shape::i64(ctx, {0}) : nullptr;
    ITensor* one = zero ? shape::i64(ctx, {1}) : nullptr;
    ITensor* minusOne = one ? shape::i64(ctx, {-1}) : nullptr;
    ITensor* nMinus1 = minusOne ? shape::binary(ctx, *n, *one, EW::kSUB) : nullptr;
    if (!nMinus1) return false;
    // Negative values count from the end.
    auto wrap = [&](ITensor& v) -> ITensor* {
        ITensor* neg = shape::binary(ctx, v, *zero, EW::kLESS);
        ITensor* plus = neg ? shape::binary(ctx, v, *n, EW::kSUM) : nullptr;
        return plus ? shape::select(ctx, *neg, *plus, v) : nullptr;
    };
    ITensor* sw = wrap(*s);
    ITensor* ew = sw ? wrap(*e) : nullptr;
    ITensor* forward = ew ? shape::binary(ctx, *k, *zero, EW::kGREATER) : nullptr;
    // Starts clamp to [0, n] (forward) or [0, n-1]; ends to [0, n] or [-1, n-1].
    ITensor* sHi = forward ? shape::select(ctx, *forward, *n, *nMinus1) : nullptr;
    ITensor* eLo = sHi ? shape::select(ctx, *forward, *zero, *minusOne) : nullptr;
    ITensor* eHi = eLo ? shape::select(ctx, *forward, *n, *nMinus1) : nullptr;
    ITensor* sc = eHi ? shape::clamp(ctx, *sw, *zero, *sHi) : nullptr;
    ITensor* ec = sc ? shape::clamp(ctx, *ew, *eLo, *eHi) : nullptr;
    // count = max(0, ceil((e - s) / k)) = max(0, -floor((s - e) / k)), either sign of k.
    ITensor* back = ec ? shape::binary(ctx, *sc, *ec, EW::kSUB) : nullptr;
    ITensor* q = back ? shape::binary(ctx, *back, *k, EW::kFLOOR_DIV) : nullptr;
    ITensor* cnt = q ? shape::binary(ctx, *zero, *q, EW::kSUB) : nullptr;
    cnt = cnt ? shape::binary(ctx, *cnt, *zero, EW::kMAX) : nullptr;
    ITensor* zeros = cnt ? shape::i64(ctx, std::vector<int64_t>(size_t(rank), 0)) : nullptr;
    ITensor* ones = zeros ? shape::i64(ctx, std::vector<int64_t>(size_t(rank), 1)) : nullptr;
    ITensor* start = ones ? place(*sc, *zeros) : nullptr;
    ITensor* size = start ? place(*cnt, *dims) : nullptr;
    ITensor* stride = size ? place(*k, *ones) : nullptr;
    if (!stride) return false;
    Dims unit;
    unit.nbDims = rank;
    for (int i = 0; i < rank; ++i) unit.d[i] = 1;
    ISliceLayer* layer = ctx.network().addSlice(x, unit, unit, unit);
    if (!layer) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the slice");
    layer->setInput(1, *start);
    layer->setInput(2, *size);
    layer->setInput(3, *stride);
    return pushLayer(ctx, layer, outputs);
}

}  // namespace

KILN_ONNX_CONVERTER(convertSlice) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const Dims d = x->getDimensions();
    std::vector<int64_t> starts, ends, axes, steps;
    if (ctx.opset() < 10) {
        starts = ctx.attrInts("starts");
        ends = ctx.attrInts("ends");
        axes = ctx.attrInts("axes");
    } else {
        ITensor* axesTensor = nullptr;
        if (ctx.hasInput(3)) {
            if (const Constant* c = ctx.constant(3)) {
                axes = c->toInt64s();
            } else {
                axesTensor = ctx.tensor(3);
                axesTensor = axesTensor ? shape::toI64(ctx, *axesTensor) : nullptr;
                axesTensor = axesTensor ? shape::flat(ctx, *axesTensor) : nullptr;
                if (!axesTensor) return false;
            }
        }
        bool known = !axesTensor;
        for (int i : {1, 2, 4}) known = known && (!ctx.hasInput(i) || ctx.constant(i));
        if (!known) return sliceAtRunTime(ctx, *x, axes, axesTensor, outputs);
        if (ctx.hasInput(1)) starts = ctx.constant(1)->toInt64s();
        if (ctx.hasInput(2)) ends = ctx.constant(2)->toInt64s();
        if (ctx.hasInput(4)) steps = ctx.constant(4)->toInt64s();
    }
    if (axes.empty())
        for (size_t i = 0; i < starts.size(); ++i) axes.push_back(int64_t(i));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
        return ctx.fail(ErrorCode::kINVALID_NODE, "starts/ends/axes/steps lengths differ");
    Dims start, size, stride;
    start.nbDims = size.nbDims = stride.nbDims = d.nbDims;
    for (int i = 0; i < d.nbDims; ++i) {
        start.d[i] = 0;
        size.d[i] = -1;  // -1: the whole extent
        stride.d[i] = 1;
    }
    for (size_t k = 0; k < starts.size(); ++k) {
        int64_t a = axes[k];
        if (!normalizeAxis(a, d.nbDims)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
        const int64_t n = d.d[a], step = steps[k];
        if (n < 0)
            return ctx.opset() >= 10 ? sliceAtRunTime(ctx, *x, axes, nullptr, outputs)
                                     : ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "slicing a dynamic dimension");
        if (step == 0) return ctx.fail(ErrorCode::kINVALID_VALUE, "step 0");
        // ONNX clamping: negative values count from the end; then starts clamp
        // to [0, n] (positive step) or [0, n-1] (negative step), ends to [0, n]
        // or [-1, n-1].
        auto wrap = [&](int64_t v) { return v < 0 ? v + n : v; };
        const int64_t s =
            step > 0 ? std::clamp<int64_t>(wrap(starts[k]), 0, n) : std::clamp<int64_t>(wrap(starts[k]), 0, n - 1);
        const int64_t e =
            step > 0 ? std::clamp<int64_t>(wrap(ends[k]), 0, n) : std::clamp<int64_t>(wrap(ends[k]), -1, n - 1);
        const int64_t count = step > 0 ? (e - s + step - 1) / step : (s - e + (-step) - 1) / (-step);
        start.d[a] = s;
        size.d[a] = std::max<int64_t>(count, 0);
        stride.d[a] = step;
    }
    return pushLayer(ctx, ctx.network().addSlice(*x, start, size, stride), outputs);
}

KILN_ONNX_CONVERTER(convertGather) {
    (void)node;
    (void)inputs;
    ITensor* data = ctx.tensor(0);
    ITensor* indices = data ? ctx.tensor(1) : nullptr;
    if (!indices) return false;
    int64_t axis = ctx.attrInt("axis", 0);
    if (!normalizeAxis(axis, data->getDimensions().nbDims))
        return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    return pushLayer(ctx, ctx.network().addGather(*data, *indices, static_cast<int32_t>(axis)), outputs);
}

KILN_ONNX_CONVERTER(convertShape) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const Dims d = x->getDimensions();
    int64_t start = ctx.attrInt("start", 0), end = ctx.attrInt("end", d.nbDims);
    if (start < 0) start += d.nbDims;
    if (end < 0) end += d.nbDims;
    start = std::clamp<int64_t>(start, 0, d.nbDims);
    end = std::clamp<int64_t>(end, start, d.nbDims);
    std::vector<int64_t> dims;
    bool known = true;
    for (int64_t i = start; i < end; ++i) {
        dims.push_back(d.d[i]);
        known = known && d.d[i] >= 0;
    }
    if (known) {
        // Static shape: fold, so Reshape/Slice consumers see constants.
        ctx.setOutputConstant(0, Constant::fromInt64s({int64_t(dims.size())}, dims));
        outputs.push_back(nullptr);
        return true;
    }
    IShapeLayer* shapeLayer = ctx.network().addShape(*x);
    if (start == 0 && end == d.nbDims) return pushLayer(ctx, shapeLayer, outputs);
    if (!shapeLayer) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the shape layer");
    ctx.nameLayer(shapeLayer, "_all");
    std::vector<int64_t> picked;  // dims [start, end)
    for (int64_t i = start; i < end; ++i) picked.push_back(i);
    ITensor* part = shape::gather(ctx, *shapeLayer->getOutput(0), picked);
    if (!part) return false;
    outputs.push_back(part);
    return true;
}

}  // namespace kiln::onnx

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertWhere) {
    (void)node;
    (void)inputs;
    ITensor* cond = ctx.tensor(0);
    ITensor* a = cond ? ctx.tensor(1) : nullptr;
    ITensor* b = a ? ctx.tensor(2) : nullptr;
    if (!b) return false;
    return pushLayer(ctx, ctx.network().addSelect(*cond, *a, *b), outputs);
}

}  // namespace kiln::onnx

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertSize) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const Dims d = x->getDimensions();
    int64_t count = 1;
    for (int i = 0; i < d.nbDims; ++i) {
        if (d.d[i] < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "Size of a dynamically shaped tensor");
        if (__builtin_mul_overflow(count, d.d[i], &count))
            return ctx.fail(ErrorCode::kINVALID_NODE, "the input has more elements than int64 holds");
    }
    ctx.setOutputConstant(0, Constant::fromInt64s({}, {count}));  // folded: a scalar int64
    outputs.push_back(nullptr);
    return true;
}

KILN_ONNX_CONVERTER(convertGatherElements) {
    (void)node;
    (void)inputs;
    ITensor* data = ctx.tensor(0);
    ITensor* indices = data ? ctx.tensor(1) : nullptr;
    if (!indices) return false;
    int64_t axis = ctx.attrInt("axis", 0);
    if (!normalizeAxis(axis, data->getDimensions().nbDims))
        return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    IGatherLayer* g = ctx.network().addGatherV2(*data, *indices, GatherMode::kELEMENT);
    if (g) g->setGatherAxis(static_cast<int32_t>(axis));
    return pushLayer(ctx, g, outputs);
}

}  // namespace kiln::onnx
