// CenterCropPad (opset 18) -> one ISliceLayer in kFILL mode: per listed axis
// the window of the target extent is centred on the input, so a smaller
// target crops (start (in - target) / 2, rounded down) and a larger one pads
// with zeros (begin padding (target - in) / 2, rounded down). Needs a constant
// `shape` and known extents on the listed axes.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertCenterCropPad) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const Constant* target = ctx.constant(1);
    if (!target)
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE,
                        "shape must be a constant (a run-time shape needs data-dependent output shapes)");
    const Dims in = x->getDimensions();
    std::vector<int64_t> axes = ctx.attrInts("axes");
    if (axes.empty())
        for (int32_t i = 0; i < in.nbDims; ++i) axes.push_back(i);
    const auto sizes = target->toInt64s();
    if (sizes.size() != axes.size())
        return ctx.fail(ErrorCode::kINVALID_NODE, "shape has " + std::to_string(sizes.size()) + " entries for " +
                                                      std::to_string(axes.size()) + " axes");
    Dims start = in, size = in, stride = in;
    for (int32_t i = 0; i < in.nbDims; ++i) start.d[i] = 0, stride.d[i] = 1;
    std::vector<bool> seen(static_cast<size_t>(in.nbDims), false);
    for (size_t j = 0; j < axes.size(); ++j) {
        int64_t a = axes[j];
        if (!normalizeAxis(a, in.nbDims) || seen[static_cast<size_t>(a)])
            return ctx.fail(ErrorCode::kINVALID_NODE, "axis " + std::to_string(axes[j]) + " is out of range or repeated");
        seen[static_cast<size_t>(a)] = true;
        if (in.d[a] < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "the extent of axis " + std::to_string(a) + " is dynamic");
        if (sizes[j] < 0) return ctx.fail(ErrorCode::kINVALID_VALUE, "shape entries must be >= 0");
        const int64_t diff = in.d[a] - sizes[j];
        start.d[a] = diff >= 0 ? diff / 2 : -((-diff) / 2);
        size.d[a] = sizes[j];
    }
    for (int32_t i = 0; i < in.nbDims; ++i)
        if (size.d[i] < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "the extent of axis " + std::to_string(i) + " is dynamic");
    ISliceLayer* slice = ctx.network().addSlice(*x, start, size, stride);
    if (!slice) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the slice");
    slice->setMode(SampleMode::kFILL);  // fill value 0
    return pushLayer(ctx, slice, outputs);
}

}  // namespace kiln::onnx
