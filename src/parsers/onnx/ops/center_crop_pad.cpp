// CenterCropPad (opset 18) -> one ISliceLayer in kFILL mode: per listed axis
// the window of the target extent is centred on the input, so a smaller
// target crops (start (in - target) / 2, rounded down) and a larger one pads
// with zeros (begin padding (target - in) / 2, rounded down); both are the
// start (in - target) / 2 truncated toward zero. A constant `shape` with known
// extents gives a static slice; otherwise start and size are computed in the
// network (Shape, Gather, ElementWise, Concat) and wired as the slice's inputs.
#include <algorithm>

#include "ops.h"

namespace kiln::onnx {

namespace {

ITensor* int64Const(ConverterContext& ctx, const std::vector<int64_t>& v) {
    return ctx.addConstantTensor(Constant::fromInt64s({static_cast<int64_t>(v.size())}, v));
}

// Element i of a 1-D int64 tensor, as a [1] tensor.
ITensor* element(ConverterContext& ctx, ITensor& t, int64_t i) {
    ITensor* idx = int64Const(ctx, {i});
    IGatherLayer* g = idx ? ctx.network().addGather(t, *idx, 0) : nullptr;
    return g ? g->getOutput(0) : nullptr;
}

// Start and size computed from Shape(x) and the run-time target shape.
bool runtimeCrop(ConverterContext& ctx, ITensor& x, ITensor& target, const std::vector<int64_t>& axes,
                 std::vector<ITensor*>& outputs) {
    const int32_t rank = x.getDimensions().nbDims;
    IShapeLayer* shape = ctx.network().addShape(x);
    ITensor* two = int64Const(ctx, {2});
    ITensor* zero = int64Const(ctx, {0});
    if (!shape || !two || !zero) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected Shape(x)");
    std::vector<ITensor*> starts, sizes;
    for (int32_t d = 0; d < rank; ++d) {
        ITensor* in = element(ctx, *shape->getOutput(0), d);
        if (!in) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected a shape gather");
        const auto at = std::find(axes.begin(), axes.end(), d);
        if (at == axes.end()) {
            starts.push_back(zero);
            sizes.push_back(in);
            continue;
        }
        ITensor* want = element(ctx, target, at - axes.begin());
        IElementWiseLayer* diff = want ? ctx.network().addElementWise(*in, *want, ElementWiseOperation::kSUB) : nullptr;
        IElementWiseLayer* half =
            diff ? ctx.network().addElementWise(*diff->getOutput(0), *two, ElementWiseOperation::kDIV) : nullptr;
        if (!half) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the start arithmetic");
        starts.push_back(half->getOutput(0));  // integer division truncates toward zero
        sizes.push_back(want);
    }
    IConcatenationLayer* start = ctx.network().addConcatenation(starts.data(), rank);
    IConcatenationLayer* size = ctx.network().addConcatenation(sizes.data(), rank);
    if (!start || !size) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the start/size vectors");
    start->setAxis(0);
    size->setAxis(0);
    Dims zeros, ones;
    zeros.nbDims = ones.nbDims = rank;
    for (int32_t d = 0; d < rank; ++d) zeros.d[d] = 0, ones.d[d] = 1;
    ISliceLayer* slice = ctx.network().addSlice(x, zeros, zeros, ones);
    if (!slice) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the slice");
    slice->setInput(1, *start->getOutput(0));
    slice->setInput(2, *size->getOutput(0));
    slice->setMode(SampleMode::kFILL);  // fill value 0
    return pushLayer(ctx, slice, outputs);
}

}  // namespace

KILN_ONNX_CONVERTER(convertCenterCropPad) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const Dims in = x->getDimensions();
    std::vector<int64_t> axes = ctx.attrInts("axes");
    if (axes.empty())
        for (int32_t i = 0; i < in.nbDims; ++i) axes.push_back(i);
    for (size_t j = 0; j < axes.size(); ++j)
        if (!normalizeAxis(axes[j], in.nbDims) ||
            std::count(axes.begin(), axes.begin() + static_cast<int64_t>(j), axes[j]) != 0)
            return ctx.fail(ErrorCode::kINVALID_NODE, "axes has an out-of-range or repeated entry");
    const Constant* target = ctx.constant(1);
    bool known = target != nullptr;
    for (int64_t a : axes) known = known && in.d[a] >= 0;
    if (!known) {
        ITensor* t = ctx.tensor(1);
        return t && runtimeCrop(ctx, *x, *t, axes, outputs);
    }
    const auto sizes = target->toInt64s();
    if (sizes.size() != axes.size())
        return ctx.fail(ErrorCode::kINVALID_NODE, "shape has " + std::to_string(sizes.size()) + " entries for " +
                                                      std::to_string(axes.size()) + " axes");
    Dims start = in, stride = in, size = in;  // other axes: whole (dynamic extents stay -1 = whole)
    for (int32_t i = 0; i < in.nbDims; ++i) start.d[i] = 0, stride.d[i] = 1;
    for (size_t j = 0; j < axes.size(); ++j) {
        if (sizes[j] < 0) return ctx.fail(ErrorCode::kINVALID_VALUE, "shape entries must be >= 0");
        const int64_t a = axes[j], diff = in.d[a] - sizes[j];
        start.d[a] = diff / 2;  // truncates toward zero: floor for crops, -floor(pad / 2) for pads
        size.d[a] = sizes[j];
    }
    for (int32_t i = 0; i < in.nbDims; ++i)
        if (size.d[i] < 0) {
            ITensor* t = ctx.tensor(1);
            return t && runtimeCrop(ctx, *x, *t, axes, outputs);
        }
    ISliceLayer* slice = ctx.network().addSlice(*x, start, size, stride);
    if (!slice) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the slice");
    slice->setMode(SampleMode::kFILL);  // fill value 0
    return pushLayer(ctx, slice, outputs);
}

}  // namespace kiln::onnx
