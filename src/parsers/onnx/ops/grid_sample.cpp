// GridSample (opset 16: bilinear/nearest/bicubic on 4-D input; opset 20 and
// later: linear/nearest/cubic on 3-D to 5-D input) -> IGridSampleLayer.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertGridSample) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    ITensor* grid = x ? ctx.tensor(1) : nullptr;
    if (!x || !grid) return false;
    // Opset 20 renamed the modes; both spellings mean the same sampling.
    const std::string mode = ctx.attrString("mode", ctx.opset() >= 20 ? "linear" : "bilinear");
    InterpolationMode interp;
    if (mode == "linear" || mode == "bilinear")
        interp = InterpolationMode::kLINEAR;
    else if (mode == "nearest")
        interp = InterpolationMode::kNEAREST;
    else if (mode == "cubic" || mode == "bicubic")
        interp = InterpolationMode::kCUBIC;
    else
        return ctx.fail(ErrorCode::kINVALID_VALUE, "unknown mode '" + mode + "'");
    const std::string padding = ctx.attrString("padding_mode", "zeros");
    SampleMode sample;
    if (padding == "zeros")
        sample = SampleMode::kFILL;
    else if (padding == "border")
        sample = SampleMode::kCLAMP;
    else if (padding == "reflection")
        sample = SampleMode::kREFLECT;
    else
        return ctx.fail(ErrorCode::kINVALID_VALUE, "unknown padding_mode '" + padding + "'");
    const int64_t align = ctx.attrInt("align_corners", 0);
    if (align != 0 && align != 1) return ctx.fail(ErrorCode::kINVALID_VALUE, "align_corners must be 0 or 1");
    IGridSampleLayer* layer = ctx.network().addGridSample(*x, *grid);
    if (!layer) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the GridSample layer");
    layer->setInterpolationMode(interp);
    layer->setAlignCorners(align == 1);
    layer->setSampleMode(sample);
    return pushLayer(ctx, layer, outputs);
}

}  // namespace kiln::onnx
