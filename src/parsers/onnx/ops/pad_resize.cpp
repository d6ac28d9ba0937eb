// Pad (constant zero padding) -> IPaddingLayer; Resize/Upsample -> IResizeLayer.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertPad) {
    (void)inputs;
    (void)node;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const int32_t rank = x->getDimensions().nbDims;
    if (ctx.attrString("mode", "constant") != "constant")
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "only mode 'constant' is supported");
    std::vector<int64_t> pads;
    float value = 0.f;
    if (ctx.opset() < 11) {
        pads = ctx.attrInts(ctx.opset() < 2 ? "paddings" : "pads");
        value = ctx.attrFloat("value", 0.f);
    } else {
        const Constant* p = ctx.constant(1);
        if (!p) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "pads (input 1) must be a constant");
        pads = p->toInt64s();
        if (ctx.hasInput(2)) {
            const Constant* v = ctx.constant(2);
            if (!v || v->count() != 1) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "constant_value must be a constant scalar");
            value = v->toFloats()[0];
        }
        if (ctx.hasInput(3)) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "the axes input");
    }
    if (value != 0.f) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "padding values other than 0");
    if (static_cast<int32_t>(pads.size()) != 2 * rank) return ctx.fail(ErrorCode::kINVALID_NODE, "pads must have 2*rank entries");
    // kiln pads the innermost dims: skip the leading dims that are not padded.
    int32_t first = 0;
    while (first < rank && pads[first] == 0 && pads[rank + first] == 0) ++first;
    if (first == rank) return pushLayer(ctx, ctx.network().addIdentity(*x), outputs);
    Dims pre, post;
    pre.nbDims = post.nbDims = rank - first;
    for (int i = first; i < rank; ++i) {
        pre.d[i - first] = pads[i];
        post.d[i - first] = pads[rank + i];
    }
    return pushLayer(ctx, ctx.network().addPaddingNd(*x, pre, post), outputs);
}

KILN_ONNX_CONVERTER(convertResize) {
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const Dims d = x->getDimensions();
    const bool upsample = node.op_type() == "Upsample";
    std::vector<float> scales;
    std::vector<int64_t> sizes;
    if (upsample && ctx.opset() < 9) {
        scales = ctx.attrFloats("scales");
    } else {
        // Upsample-9 / Resize-10: scales is input 1; Resize-11+: roi, scales, sizes.
        const int scalesInput = (upsample || ctx.opset() < 11) ? 1 : 2;
        if (ctx.hasInput(scalesInput)) {
            const Constant* c = ctx.constant(scalesInput);
            if (!c) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "scales must be a constant");
            scales = c->toFloats();
        }
        if (!upsample && ctx.opset() >= 11 && ctx.hasInput(3)) {
            const Constant* c = ctx.constant(3);
            if (!c) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "sizes must be a constant");
            sizes = c->toInt64s();
        }
    }
    if (ctx.hasAttr("axes") || ctx.attrInt("antialias", 0) != 0)
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "axes/antialias");
    const std::string mode = ctx.attrString("mode", "nearest");
    std::string coord = ctx.attrString("coordinate_transformation_mode", "half_pixel");
    if (upsample || ctx.opset() < 11) coord = "asymmetric";  // the only behaviour before Resize-11
    const std::string nearest = ctx.attrString("nearest_mode", ctx.opset() < 11 ? "floor" : "round_prefer_floor");

    IResizeLayer* r = ctx.network().addResize(*x);
    if (!r) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the resize");
    if (!sizes.empty()) {
        if (static_cast<int32_t>(sizes.size()) != d.nbDims) return ctx.fail(ErrorCode::kINVALID_NODE, "sizes length != rank");
        r->setOutputDimensions(toDims(sizes));
    } else {
        if (static_cast<int32_t>(scales.size()) != d.nbDims) return ctx.fail(ErrorCode::kINVALID_NODE, "scales length != rank");
        r->setScales(scales.data(), static_cast<int32_t>(scales.size()));
    }
    if (mode == "nearest") r->setResizeMode(InterpolationMode::kNEAREST);
    else if (mode == "linear" || mode == "bilinear") r->setResizeMode(InterpolationMode::kLINEAR);
    else if (mode == "cubic") r->setResizeMode(InterpolationMode::kCUBIC);
    else return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "mode '" + mode + "'");
    // pytorch_half_pixel equals half_pixel except for output extents of 1; that
    // case is rejected below rather than computed differently.
    if (coord == "half_pixel" || coord == "pytorch_half_pixel") r->setCoordinateTransformation(ResizeCoordinateTransformation::kHALF_PIXEL);
    else if (coord == "asymmetric") r->setCoordinateTransformation(ResizeCoordinateTransformation::kASYMMETRIC);
    else if (coord == "align_corners") r->setCoordinateTransformation(ResizeCoordinateTransformation::kALIGN_CORNERS);
    else return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "coordinate_transformation_mode '" + coord + "'");
    if (coord == "pytorch_half_pixel") {
        const Dims od = r->getOutput(0)->getDimensions();
        for (int i = 0; i < od.nbDims; ++i)
            if (od.d[i] == 1) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "pytorch_half_pixel with an output extent of 1");
    }
    if (nearest == "round_prefer_floor") r->setNearestRounding(ResizeRoundMode::kHALF_DOWN);
    else if (nearest == "round_prefer_ceil") r->setNearestRounding(ResizeRoundMode::kHALF_UP);
    else if (nearest == "floor") r->setNearestRounding(ResizeRoundMode::kFLOOR);
    else if (nearest == "ceil") r->setNearestRounding(ResizeRoundMode::kCEIL);
    else return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "nearest_mode '" + nearest + "'");
    return pushLayer(ctx, r, outputs);
}

}  // namespace kiln::onnx
