// Data movement: Identity/Dropout, Concat, Slice, Gather, Shape (Cast/CastLike: cast.cpp).
#include <algorithm>
#include <limits>

#include "importer.h"
#include "ops.h"

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
        if (c) dims = c->dims;
        else {
            const Dims d = outputs[0]->getDimensions();
            for (int i = 0; i < d.nbDims; ++i) dims.push_back(d.d[i]);
        }
        int64_t count = 1;
        for (int64_t v : dims) {
            if (v < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "the mask output of a dynamically shaped input");
            count *= v;
        }
        Constant mask;
        mask.type = DataType::kBOOL;
        mask.dims = dims;
        mask.bytes.assign(static_cast<size_t>(count), 1);
        ctx.setOutputConstant(1, std::move(mask));
        outputs.push_back(nullptr);
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
    if (!normalizeAxis(axis, parts[0]->getDimensions().nbDims)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    IConcatenationLayer* c = ctx.network().addConcatenation(parts.data(), static_cast<int32_t>(parts.size()));
    if (c) c->setAxis(static_cast<int32_t>(axis));
    return pushLayer(ctx, c, outputs);
}

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
        auto read = [&](int i, std::vector<int64_t>& v) {
            if (!ctx.hasInput(i)) return true;
            const Constant* c = ctx.constant(i);
            if (!c) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "input " + std::to_string(i) + " must be a constant");
            v = c->toInt64s();
            return true;
        };
        if (!read(1, starts) || !read(2, ends) || !read(3, axes) || !read(4, steps)) return false;
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
        if (n < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "slicing a dynamic dimension");
        if (step == 0) return ctx.fail(ErrorCode::kINVALID_VALUE, "step 0");
        // ONNX clamping: negative values count from the end; then starts clamp
        // to [0, n] (positive step) or [0, n-1] (negative step), ends to [0, n]
        // or [-1, n-1].
        auto wrap = [&](int64_t v) { return v < 0 ? v + n : v; };
        const int64_t s = step > 0 ? std::clamp<int64_t>(wrap(starts[k]), 0, n)
                                   : std::clamp<int64_t>(wrap(starts[k]), 0, n - 1);
        const int64_t e = step > 0 ? std::clamp<int64_t>(wrap(ends[k]), 0, n)
                                   : std::clamp<int64_t>(wrap(ends[k]), -1, n - 1);
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
    if (!normalizeAxis(axis, data->getDimensions().nbDims)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
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
    if (start != 0 || end != d.nbDims)
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "start/end on a dynamic shape");
    return pushLayer(ctx, ctx.network().addShape(*x), outputs);
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
        count *= d.d[i];
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
    if (!normalizeAxis(axis, data->getDimensions().nbDims)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    IGatherLayer* g = ctx.network().addGatherV2(*data, *indices, GatherMode::kELEMENT);
    if (g) g->setGatherAxis(static_cast<int32_t>(axis));
    return pushLayer(ctx, g, outputs);
}

}  // namespace kiln::onnx
