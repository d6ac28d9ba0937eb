// RoiAlign (opsets 10, 16, 22) -> IRoiAlignLayer. Opset 10 has no
// coordinate_transformation_mode and behaves as 'output_half_pixel'.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertRoiAlign) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    ITensor* rois = x ? ctx.tensor(1) : nullptr;
    ITensor* idx = rois ? ctx.tensor(2) : nullptr;
    if (!idx) return false;
    const std::string mode = ctx.attrString("mode", "avg");
    if (mode != "avg" && mode != "max") return ctx.fail(ErrorCode::kINVALID_VALUE, "unknown mode '" + mode + "'");
    const std::string ctm =
        ctx.attrString("coordinate_transformation_mode", ctx.opset() >= 16 ? "half_pixel" : "output_half_pixel");
    if (ctm != "half_pixel" && ctm != "output_half_pixel")
        return ctx.fail(ErrorCode::kINVALID_VALUE, "unknown coordinate_transformation_mode '" + ctm + "'");
    const int64_t h = ctx.attrInt("output_height", 1), w = ctx.attrInt("output_width", 1);
    const int64_t ratio = ctx.attrInt("sampling_ratio", 0);
    if (h < 1 || w < 1 || ratio < 0)
        return ctx.fail(ErrorCode::kINVALID_VALUE, "output_height/width must be >= 1 and sampling_ratio >= 0");
    IRoiAlignLayer* layer = ctx.network().addRoiAlign(*x, *rois, *idx);
    if (!layer) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the RoiAlign layer");
    layer->setOutputSize(h, w);
    layer->setSamplingRatio(ratio);
    layer->setSpatialScale(ctx.attrFloat("spatial_scale", 1.f));
    layer->setPoolingType(mode == "max" ? PoolingType::kMAX : PoolingType::kAVERAGE);
    layer->setAligned(ctm == "half_pixel");
    return pushLayer(ctx, layer, outputs);
}

}  // namespace kiln::onnx
