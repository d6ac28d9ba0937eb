// Pad -> ISliceLayer (fill/reflect/clamp/wrap sampling); Resize/Upsample -> IResizeLayer.
#include "ops.h"
#include "shape_math.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertPad) {
    (void)inputs;
    (void)node;
    using EW = ElementWiseOperation;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const Dims d = x->getDimensions();
    const int32_t rank = d.nbDims;
    const std::string mode = ctx.attrString("mode", "constant");
    SampleMode sample;
    if (mode == "constant")
        sample = SampleMode::kFILL;
    else if (mode == "reflect")
        sample = SampleMode::kREFLECT;
    else if (mode == "edge")
        sample = SampleMode::kCLAMP;
    else if (mode == "wrap")
        sample = SampleMode::kWRAP;
    else
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "mode '" + mode + "'");

    std::vector<int64_t> pads, axes;
    ITensor* padsT = nullptr;  // pads known only at run time
    ITensor* axesT = nullptr;  // axes known only at run time
    ITensor* value = nullptr;  // the fill value, when given as a tensor
    float attrValue = 0.f;
    if (ctx.opset() < 11) {
        pads = ctx.attrInts(ctx.opset() < 2 ? "paddings" : "pads");
        attrValue = ctx.attrFloat("value", 0.f);
    } else {
        if (const Constant* p = ctx.constant(1))
            pads = p->toInt64s();
        else if (!(padsT = ctx.tensor(1)))
            return false;
        if (ctx.hasInput(2) && !(value = ctx.tensor(2))) return false;
        if (ctx.hasInput(3)) {
            if (const Constant* a = ctx.constant(3)) {
                axes = a->toInt64s();
            } else {
                // Axes known at run time: normalized, then used to place the pads.
                axesT = ctx.tensor(3);
                axesT = axesT ? shape::toI64(ctx, *axesT) : nullptr;
                axesT = axesT ? shape::flat(ctx, *axesT) : nullptr;
                axesT = axesT ? shape::normalizeAxes(ctx, *axesT, rank) : nullptr;
                if (!axesT) return false;
                if (axesT->getDimensions().d[0] < 0)
                    return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "axes of unknown length");
            }
        }
    }
    if (axes.empty() && !axesT)
        for (int32_t i = 0; i < rank; ++i) axes.push_back(i);
    for (auto& a : axes)
        if (!normalizeAxis(a, rank)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    const int64_t m = axesT ? axesT->getDimensions().d[0] : int64_t(axes.size());
    // Axes are distinct dims; checked before anything loops over m (a mutated shape may say 2^63 - 2).
    if (m > rank)
        return ctx.fail(ErrorCode::kINVALID_NODE,
                        std::to_string(m) + " padded axes for an input of rank " + std::to_string(rank));
    if (!padsT && int64_t(pads.size()) != 2 * m)
        return ctx.fail(ErrorCode::kINVALID_NODE, "pads must have 2 entries per axis");
    for (int64_t p : pads)  // keeps -pad and extent + pads below overflow checks
        if (p < -(int64_t(1) << 62) || p > (int64_t(1) << 62))
            return ctx.fail(ErrorCode::kINVALID_VALUE, "pad " + std::to_string(p) + " is beyond +-2^62");
    if (!value && attrValue != 0.f) {
        value = addScalar(ctx, attrValue, 0);
        ICastLayer* c = value ? ctx.network().addCast(*value, x->getType()) : nullptr;  // in x's type
        if (c) ctx.nameLayer(c, "_value");
        value = c ? c->getOutput(0) : nullptr;
        if (!value) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the pad value");
    }

    // A pad is a slice starting at -pads_begin over extent + begin + end,
    // reading outside the input per the mode.
    Dims start, size, stride;
    start.nbDims = size.nbDims = stride.nbDims = rank;
    bool staticShape = !padsT && !axesT;
    for (int i = 0; i < rank; ++i) {
        start.d[i] = 0;
        size.d[i] = d.d[i];
        stride.d[i] = 1;
    }
    for (int64_t k = 0; k < m && staticShape; ++k) {
        const int64_t a = axes[size_t(k)];
        start.d[a] = -pads[size_t(k)];
        if (d.d[a] < 0)
            staticShape = false;
        else if (__builtin_add_overflow(d.d[a], pads[size_t(k)], &size.d[a]) ||
                 __builtin_add_overflow(size.d[a], pads[size_t(m + k)], &size.d[a]))
            return ctx.fail(ErrorCode::kINVALID_VALUE, "a padded extent overflows int64");
        if (staticShape && size.d[a] < 0)
            return ctx.fail(ErrorCode::kINVALID_VALUE, "pads crop a dimension below zero");
    }
    ITensor* startT = nullptr;
    ITensor* sizeT = nullptr;
    if (!staticShape) {
        ITensor* p = padsT ? shape::toI64(ctx, *padsT) : shape::i64(ctx, pads);
        p = p ? shape::flat(ctx, *p) : nullptr;
        std::vector<int64_t> first, second;
        for (int64_t k = 0; k < m; ++k) first.push_back(k), second.push_back(m + k);
        ITensor* zeros = p ? shape::i64(ctx, std::vector<int64_t>(size_t(rank), 0)) : nullptr;
        ITensor* b = zeros ? shape::gather(ctx, *p, first) : nullptr;
        ITensor* e = b ? shape::gather(ctx, *p, second) : nullptr;
        auto place = [&](ITensor& v) {
            return axesT ? shape::scatterAxes(ctx, v, *axesT, *zeros, rank)
                         : shape::scatterAxes(ctx, v, axes, *zeros, rank);
        };
        ITensor* bFull = e ? place(*b) : nullptr;
        ITensor* eFull = bFull ? place(*e) : nullptr;
        ITensor* dims = eFull ? shape::dimsOf(ctx, *x) : nullptr;
        startT = dims ? shape::binary(ctx, *zeros, *bFull, EW::kSUB) : nullptr;
        ITensor* grown = startT ? shape::binary(ctx, *dims, *bFull, EW::kSUM) : nullptr;
        sizeT = grown ? shape::binary(ctx, *grown, *eFull, EW::kSUM) : nullptr;
        if (!sizeT) return false;
    }
    ISliceLayer* s = ctx.network().addSlice(*x, start, size, stride);
    if (!s) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the slice");
    s->setMode(sample);
    if (startT) s->setInput(1, *startT);
    if (sizeT) s->setInput(2, *sizeT);
    if (value && sample == SampleMode::kFILL) s->setInput(4, *value);
    return pushLayer(ctx, s, outputs);
}

namespace {

// The full-rank output sizes of Resize-18's keep_aspect_ratio_policy: one scale
// for every axis of `axes`, the smallest (not_larger) or largest (not_smaller)
// of sizes/in, and out = round(in * scale) on those axes.
ITensor* keepAspectRatio(ConverterContext& ctx, ITensor& x, ITensor& sizes, const std::vector<int64_t>& axes,
                         bool notLarger) {
    using EW = ElementWiseOperation;
    ITensor* dims = shape::dimsOf(ctx, x);
    ITensor* in = dims ? shape::gather(ctx, *dims, axes) : nullptr;
    ICastLayer* inF = in ? ctx.network().addCast(*in, DataType::kFLOAT) : nullptr;
    ICastLayer* szF = inF ? ctx.network().addCast(sizes, DataType::kFLOAT) : nullptr;
    if (!szF) return nullptr;
    ITensor* ratio = shape::binary(ctx, *szF->getOutput(0), *inF->getOutput(0), EW::kDIV);
    IReduceLayer* scale =
        ratio ? ctx.network().addReduce(*ratio, notLarger ? ReduceOperation::kMIN : ReduceOperation::kMAX, 1u, true)
              : nullptr;
    ITensor* scaled = scale ? shape::binary(ctx, *inF->getOutput(0), *scale->getOutput(0), EW::kPROD) : nullptr;
    IUnaryLayer* rounded = scaled ? ctx.network().addUnary(*scaled, UnaryOperation::kROUND) : nullptr;
    ITensor* out = rounded ? shape::toI64(ctx, *rounded->getOutput(0)) : nullptr;
    return out ? shape::scatterAxes(ctx, *out, axes, *dims, x.getDimensions().nbDims) : nullptr;
}

}  // namespace

KILN_ONNX_CONVERTER(convertResize) {
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const Dims d = x->getDimensions();
    const int32_t rank = d.nbDims;
    const bool upsample = node.op_type() == "Upsample";
    const bool legacy = upsample || ctx.opset() < 11;  // Upsample, Resize-10: scales only, asymmetric
    // Each of roi/scales/sizes: a parse-time constant or a run-time tensor.
    ITensor* scalesT = nullptr;
    ITensor* sizesT = nullptr;
    ITensor* roiT = nullptr;
    std::vector<float> scales, roi;
    std::vector<int64_t> sizes;
    auto take = [&](int i, ITensor*& t) {
        if (!ctx.hasInput(i)) return true;
        if (const Constant* c = ctx.constant(i); c && c->count() == 0) return true;  // an empty placeholder
        t = ctx.tensor(i);
        return t != nullptr;
    };
    if (upsample && ctx.opset() < 9) {
        scales = ctx.attrFloats("scales");
    } else if (!take(legacy ? 1 : 2, scalesT) || (!legacy && (!take(3, sizesT) || !take(1, roiT)))) {
        return false;
    }
    std::vector<int64_t> axes = ctx.attrInts("axes");
    if (axes.empty())
        for (int32_t i = 0; i < rank; ++i) axes.push_back(i);
    for (auto& a : axes)
        if (!normalizeAxis(a, rank)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    const std::string policy = ctx.attrString("keep_aspect_ratio_policy", "stretch");
    if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "keep_aspect_ratio_policy '" + policy + "'");

    IResizeLayer* r = ctx.network().addResize(*x);
    if (!r) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the resize");
    const bool partial = int32_t(axes.size()) != rank;
    if (sizesT) {
        ITensor* sz = shape::toI64(ctx, *sizesT);
        sz = sz ? shape::flat(ctx, *sz) : nullptr;
        if (sz && policy != "stretch")
            sz = keepAspectRatio(ctx, *x, *sz, axes, policy == "not_larger");
        else if (sz && partial) {
            ITensor* dims = shape::dimsOf(ctx, *x);
            sz = dims ? shape::scatterAxes(ctx, *sz, axes, *dims, rank) : nullptr;
        }
        if (!sz) return false;
        r->setInput(1, *sz);
    } else if (scalesT) {
        ITensor* sc = shape::flat(ctx, *scalesT);
        if (sc && partial) {
            ITensor* ones = addScalar(ctx, 1.f, 0);
            ones = ones ? shape::flat(ctx, *ones) : nullptr;
            std::vector<int64_t> rep(size_t(rank), 0);
            ones = ones ? shape::gather(ctx, *ones, rep) : nullptr;
            sc = ones ? shape::scatterAxes(ctx, *sc, axes, *ones, rank) : nullptr;
        }
        if (!sc) return false;
        r->setInput(2, *sc);
    } else {
        if (int32_t(scales.size()) != rank) return ctx.fail(ErrorCode::kINVALID_NODE, "scales length != rank");
        r->setScales(scales.data(), int32_t(scales.size()));
    }
    if (roiT && partial) {
        // The region of the listed axes: starts then ends; the others take all of [0, 1].
        const int64_t k = int64_t(axes.size());
        std::vector<int64_t> first, second;
        for (int64_t i = 0; i < k; ++i) first.push_back(i), second.push_back(k + i);
        auto filled = [&](float v) -> ITensor* {
            ITensor* c = addScalar(ctx, v, 0);
            c = c ? shape::flat(ctx, *c) : nullptr;
            return c ? shape::gather(ctx, *c, std::vector<int64_t>(size_t(rank), 0)) : nullptr;
        };
        ITensor* roi = shape::flat(ctx, *roiT);
        ITensor* zeros = roi ? filled(0.f) : nullptr;
        ITensor* ones = zeros ? filled(1.f) : nullptr;
        ITensor* s0 = ones ? shape::gather(ctx, *roi, first) : nullptr;
        ITensor* e0 = s0 ? shape::gather(ctx, *roi, second) : nullptr;
        ITensor* starts = e0 ? shape::scatterAxes(ctx, *s0, axes, *zeros, rank) : nullptr;
        ITensor* ends = starts ? shape::scatterAxes(ctx, *e0, axes, *ones, rank) : nullptr;
        roiT = ends ? shape::concat(ctx, {starts, ends}) : nullptr;
        if (!roiT) return false;
    }
    if (roiT) r->setInput(3, *roiT);

    const std::string mode = ctx.attrString("mode", "nearest");
    if (mode == "nearest")
        r->setResizeMode(InterpolationMode::kNEAREST);
    else if (mode == "linear" || mode == "bilinear")
        r->setResizeMode(InterpolationMode::kLINEAR);
    else if (mode == "cubic")
        r->setResizeMode(InterpolationMode::kCUBIC);
    else
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "mode '" + mode + "'");
    const std::string coord = legacy ? "asymmetric" : ctx.attrString("coordinate_transformation_mode", "half_pixel");
    using CT = ResizeCoordinateTransformation;
    if (coord == "half_pixel" || coord == "pytorch_half_pixel")
        r->setCoordinateTransformation(CT::kHALF_PIXEL);
    else if (coord == "asymmetric")
        r->setCoordinateTransformation(CT::kASYMMETRIC);
    else if (coord == "align_corners")
        r->setCoordinateTransformation(CT::kALIGN_CORNERS);
    else if (coord == "tf_half_pixel_for_nn")
        r->setCoordinateTransformation(CT::kTF_HALF_PIXEL_FOR_NN);
    else if (coord == "half_pixel_symmetric")
        r->setCoordinateTransformation(CT::kHALF_PIXEL_SYMMETRIC);
    else if (coord == "tf_crop_and_resize")
        r->setCoordinateTransformation(CT::kTF_CROP_AND_RESIZE);
    else
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "coordinate_transformation_mode '" + coord + "'");
    if (coord == "pytorch_half_pixel") r->setSelectorForSinglePixel(ResizeSelector::kUPPER);
    const std::string nearest = ctx.attrString("nearest_mode", ctx.opset() < 11 ? "floor" : "round_prefer_floor");
    if (nearest == "round_prefer_floor")
        r->setNearestRounding(ResizeRoundMode::kHALF_DOWN);
    else if (nearest == "round_prefer_ceil")
        r->setNearestRounding(ResizeRoundMode::kHALF_UP);
    else if (nearest == "floor")
        r->setNearestRounding(ResizeRoundMode::kFLOOR);
    else if (nearest == "ceil")
        r->setNearestRounding(ResizeRoundMode::kCEIL);
    else
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "nearest_mode '" + nearest + "'");
    r->setCubicCoeff(ctx.attrFloat("cubic_coeff_a", -0.75f));
    r->setExcludeOutside(ctx.attrInt("exclude_outside", 0) != 0);
    r->setAntialias(ctx.attrInt("antialias", 0) != 0);
    r->setExtrapolationValue(ctx.attrFloat("extrapolation_value", 0.f));
    return pushLayer(ctx, r, outputs);
}

}  // namespace kiln::onnx
