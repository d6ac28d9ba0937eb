// NonMaxSuppression -> INMSLayer; its int32 indices cast to ONNX's int64.
#include "ops.h"
#include "shape_math.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertNonMaxSuppression) {
    (void)node;
    (void)inputs;
    ITensor* boxes = ctx.tensor(0);
    ITensor* scores = boxes ? ctx.tensor(1) : nullptr;
    if (!scores) return false;
    // max_output_boxes_per_class defaults to 0: nothing is selected.
    ITensor* maxOut = ctx.hasInput(2) ? ctx.tensor(2) : shape::i64(ctx, {0}, true);
    if (!maxOut) return false;
    INMSLayer* nms = ctx.network().addNMS(*boxes, *scores, *maxOut);
    if (!nms) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the NMS layer");
    for (int i : {3, 4}) {
        if (!ctx.hasInput(i)) continue;
        ITensor* t = ctx.tensor(i);
        if (!t) return false;
        nms->setInput(i, *t);
    }
    nms->setBoundingBoxFormat(ctx.attrInt("center_point_box", 0) ? BoundingBoxFormat::kCENTER_SIZES
                                                                 : BoundingBoxFormat::kCORNER_PAIRS);
    ctx.nameLayer(nms, "_nms");
    return pushLayer(ctx, ctx.network().addCast(*nms->getOutput(0), DataType::kINT64), outputs);
}

}  // namespace kiln::onnx
