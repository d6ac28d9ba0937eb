// Resize: ONNX Resize-19 (nearest / N-linear / cubic, antialias) without
// axes and keep_aspect_ratio_policy (the parser resolves those). Extension beyond docs/ops.md:
// coord_transform "tf_crop_and_resize" with a `roi` attribute (floats,
// 2*rank: starts then ends, normalized), where extrapolation_value applies.
#include <cmath>

#include "data_movement.h"

namespace kiln::ir::movement {

namespace {

Status parseResizeEnums(const Attrs& a, ResizeParams& p) {
    const std::string mode = a.getString("mode", "nearest");
    if (mode == "nearest") p.mode = ResizeMode::kNearest;
    else if (mode == "linear") p.mode = ResizeMode::kLinear;
    else if (mode == "cubic") p.mode = ResizeMode::kCubic;
    else return Status::Error("unknown mode '" + mode + "' (expected nearest, linear or cubic)");

    const std::string ct = a.getString("coord_transform", "half_pixel");
    if (ct == "half_pixel") p.coord = CoordTransform::kHalfPixel;
    else if (ct == "asymmetric") p.coord = CoordTransform::kAsymmetric;
    else if (ct == "align_corners") p.coord = CoordTransform::kAlignCorners;
    else if (ct == "pytorch_half_pixel") p.coord = CoordTransform::kPytorchHalfPixel;
    else if (ct == "tf_half_pixel_for_nn") p.coord = CoordTransform::kTfHalfPixelForNN;
    else if (ct == "half_pixel_symmetric") p.coord = CoordTransform::kHalfPixelSymmetric;
    else if (ct == "tf_crop_and_resize") p.coord = CoordTransform::kTfCropAndResize;
    else return Status::Error("unknown coord_transform '" + ct + "'");

    const std::string nm = a.getString("nearest_mode", "round_prefer_floor");
    if (nm == "round_prefer_floor") p.nearest = NearestMode::kRoundPreferFloor;
    else if (nm == "round_prefer_ceil") p.nearest = NearestMode::kRoundPreferCeil;
    else if (nm == "floor") p.nearest = NearestMode::kFloor;
    else if (nm == "ceil") p.nearest = NearestMode::kCeil;
    else return Status::Error("unknown nearest_mode '" + nm + "'");

    p.cubicA = a.getFloat("cubic_coeff_a", -0.75);
    p.excludeOutside = a.getInt("exclude_outside", 0) != 0;
    p.antialias = a.getInt("antialias", 0) != 0;
    p.extrapolationValue = a.getFloat("extrapolation_value", 0.0);
    return Status::Ok();
}

// Reads a float input of `count` elements (Scales, Roi); `known` is cleared
// when its values are not available yet.
Status readFloatInput(const TensorDesc& t, size_t i, const char* what, size_t count, std::vector<double>& out,
                      bool& known) {
    if (!dtypeIsFloat(t.dtype))
        return Status::Error("input " + std::to_string(i) + " (" + what + ") must be a float type, got " +
                             std::string(dtypeName(t.dtype)));
    if (t.shape.size() != 1 || t.shape[0] != int64_t(count))
        return Status::Error("input " + std::to_string(i) + " (" + what + ") must have shape [" +
                             std::to_string(count) + "], got " + shapeToString(t.shape));
    if (!t.data) {
        known = false;
        return Status::Ok();
    }
    out.resize(count);
    for (size_t k = 0; k < count; ++k) out[k] = loadAsDouble(t.data, t.dtype, int64_t(k));
    return Status::Ok();
}

}  // namespace

Status resolveResize(const Node& node, const std::vector<TensorDesc>& in, ResizeParams& p) {
    KILN_RETURN_IF_ERROR(requireInput(node, in, 0, "X"));
    const TensorDesc& x = in[0];
    const size_t rank = x.shape.size();
    if (rank < 1) return Status::Error("X must have rank >= 1, got a scalar");
    KILN_RETURN_IF_ERROR(parseResizeEnums(node.attrs, p));
    if (p.mode != ResizeMode::kNearest && x.dtype == DType::kBool)
        return Status::Error("bool input supports only mode 'nearest'");

    p.roi.assign(2 * rank, 0.0);
    for (size_t d = 0; d < rank; ++d) p.roi[rank + d] = 1.0;
    bool valuesKnown = true;
    if (p.coord == CoordTransform::kTfCropAndResize && (node.attrs.has("roi") || hasInput(node, in, 3))) {
        if (hasInput(node, in, 3)) {
            KILN_RETURN_IF_ERROR(readFloatInput(in[3], 3, "Roi", 2 * rank, p.roi, valuesKnown));
        } else {
        p.roi = node.attrs.getFloats("roi");
        if (p.roi.size() != 2 * rank)
            return Status::Error("attribute 'roi' has " + std::to_string(p.roi.size()) + " entries, expected " +
                                 std::to_string(2 * rank) + " (starts then ends)");
    }
    }

    const bool sizesInput = hasInput(node, in, 1), scalesInput = hasInput(node, in, 2);
    const int sources =
        int(sizesInput) + int(scalesInput) + int(node.attrs.has("sizes")) + int(node.attrs.has("scales"));
    if (sources != 1)
        return Status::Error(
            "give exactly one of input 1 (Sizes), input 2 (Scales), attribute 'sizes' or attribute "
            "'scales' (got " +
                             std::to_string(sources) + ")");
    p.outShape.assign(rank, -1);
    p.scales.assign(rank, 0.0);
    if (sizesInput && in[1].shape.size() == 1 && in[1].shape[0] == int64_t(rank) && !in[1].data) valuesKnown = false;
    if (scalesInput) KILN_RETURN_IF_ERROR(readFloatInput(in[2], 2, "Scales", rank, p.scales, valuesKnown));
    if (!valuesKnown) return Status::Ok();  // the output extents are known at run time only
    if (scalesInput || node.attrs.has("scales")) {
        p.scalesGiven = true;
        if (!scalesInput) p.scales = node.attrs.getFloats("scales");
        if (p.scales.size() != rank)
            return Status::Error("attribute 'scales' has " + std::to_string(p.scales.size()) +
                                 " entries, expected one per dim (" + std::to_string(rank) + ")");
        for (size_t d = 0; d < rank; ++d) {
            const double s = p.scales[d];
            if (!(s > 0.0) || !std::isfinite(s))
                return Status::Error("scale " + std::to_string(s) + " of dim " + std::to_string(d) +
                                     " must be positive and finite");
            const double extent = p.roi[rank + d] - p.roi[d];  // 1 unless tf_crop_and_resize
            if (x.shape[d] >= 0) {
                const double o = std::floor(double(x.shape[d]) * extent * s);
                if (!(o >= 0.0) || o > 9.0e18)
                    return Status::Error("output extent of dim " + std::to_string(d) + " is out of range");
                p.outShape[d] = int64_t(o);
            }
        }
    } else {
        std::vector<int64_t> sizes;
        if (sizesInput) {
            if (in[1].shape.size() != 1)
                return Status::Error("input 1 (Sizes) must be 1-D, got shape " + shapeToString(in[1].shape));
            KILN_RETURN_IF_ERROR(readIntTensor(in[1], 1, sizes));
        } else {
            sizes = node.attrs.getInts("sizes");
        }
        if (sizes.size() != rank)
            return Status::Error("sizes " + shapeToString(sizes) + " must have one entry per dim (" +
                                 std::to_string(rank) + ")");
        for (size_t d = 0; d < rank; ++d) {
            // -1 keeps the input extent (the hidden batch of implicit-batch networks).
            if (sizes[d] == -1 && !sizesInput) {
                p.outShape[d] = x.shape[d];
                p.scales[d] = 1.0;
                continue;
            }
            if (sizes[d] < 0)
                return Status::Error("size " + std::to_string(sizes[d]) + " of dim " + std::to_string(d) +
                                     " is negative");
            p.outShape[d] = sizes[d];
            if (x.shape[d] > 0) p.scales[d] = double(sizes[d]) / double(x.shape[d]);
        }
    }
    for (size_t d = 0; d < rank; ++d)
        if (x.shape[d] == 0 && p.outShape[d] > 0)
            return Status::Error("dim " + std::to_string(d) + " of X " + shapeToString(x.shape) +
                                 " is empty: nothing to resize to " + std::to_string(p.outShape[d]));
    return Status::Ok();
}

Status inferResize(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    ResizeParams p;
    KILN_RETURN_IF_ERROR(resolveResize(node, in, p));
    out[0] = {in[0].dtype, p.outShape, nullptr};
    return Status::Ok();
}

double resizeSourceCoord(const ResizeParams& p, size_t d, int64_t xi, int64_t inLen, bool& outside) {
    outside = false;
    const double x = double(xi), in = double(inLen), s = p.scales[d];
    const double outInt = double(p.outShape[d]);
    // As the ONNX reference: with scales, the resized length is in*scale
    // (not rounded), which matters for align_corners when in*scale is fractional.
    const double out = p.scalesGiven ? in * s : outInt;
    switch (p.coord) {
        case CoordTransform::kHalfPixel: return (x + 0.5) / s - 0.5;
        case CoordTransform::kAsymmetric: return x / s;
        case CoordTransform::kAlignCorners: return out == 1 ? 0.0 : x * (in - 1) / (out - 1);
        case CoordTransform::kPytorchHalfPixel: return out > 1 ? (x + 0.5) / s - 0.5 : 0.0;
        case CoordTransform::kTfHalfPixelForNN: return (x + 0.5) / s;
        case CoordTransform::kHalfPixelSymmetric: {
            // Keeps the centre of the input on the centre of the output when
            // the integer output length differs from in*scale.
            const double adjustment = outInt / (s * in);
            const double offset = in / 2 * (1 - adjustment);
            return offset + (x + 0.5) / s - 0.5;
        }
        case CoordTransform::kTfCropAndResize: {
            const size_t rank = p.outShape.size();
            const double start = p.roi[d], end = p.roi[rank + d];
            // The spec's length_resized: the actual (cropped) output length.
            const double xo = outInt == 1 ? 0.5 * (start + end) * (in - 1)
                                          : start * (in - 1) + x * (end - start) * (in - 1) / (outInt - 1);
            outside = xo < 0 || xo > in - 1;
            return xo;
        }
    }
    return 0.0;
}

}  // namespace kiln::ir::movement
