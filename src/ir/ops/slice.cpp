// Slice (TensorRT ISliceLayer with its SampleModes) and Pad, which is a slice
// with start = -pads_begin and stride 1 (how TensorRT lowers ONNX Pad).
#include "data_movement.h"

#include <cstdint>

namespace kiln::ir::movement {

namespace {

Status parseSliceMode(const std::string& s, SampleMode& m) {
    if (s == "strict") m = SampleMode::kStrict;
    else if (s == "clamp") m = SampleMode::kClamp;
    else if (s == "wrap") m = SampleMode::kWrap;
    else if (s == "fill") m = SampleMode::kFill;
    else if (s == "reflect") m = SampleMode::kReflect;
    else return Status::Error("unknown mode '" + s + "' (expected strict, clamp, wrap, fill or reflect)");
    return Status::Ok();
}

// Reads one of start/size/stride: input `idx` overrides attribute `name`.
// `known` is cleared when the input's values are not available yet.
Status readSliceParam(const Node& node, const std::vector<TensorDesc>& in, size_t idx, const char* name, size_t rank,
                      bool required, Shape& out, bool& known) {
    known = true;
    if (hasInput(node, in, idx)) {
        const TensorDesc& t = in[idx];
        if (t.shape.size() != 1 || t.shape[0] != int64_t(rank))
            return Status::Error("input " + std::to_string(idx) + " (" + name + ") must have shape [" +
                                 std::to_string(rank) + "], got " + shapeToString(t.shape));
        if (!t.data && rank > 0) {
            known = false;  // only checked at run time
            out.assign(rank, 0);
            return Status::Ok();
        }
        return readIntTensor(t, idx, out);
    }
    if (!node.attrs.has(name)) {
        if (required) return Status::Error(std::string("missing attribute '") + name + "' (or input " +
                                           std::to_string(idx) + ")");
        out.assign(rank, 1);
        return Status::Ok();
    }
    out = node.attrs.getInts(name);
    if (out.size() != rank)
        return Status::Error(std::string("attribute '") + name + "' has " + std::to_string(out.size()) +
                             " entries, expected one per dim (" + std::to_string(rank) + ")");
    return Status::Ok();
}

// Checks the sampled coordinates of every dim against the input extent.
Status checkSliceBounds(const Shape& xs, const SliceParams& p) {
    for (size_t d = 0; d < xs.size(); ++d) {
        const int64_t n = p.size[d], dim = xs[d];
        if (n == -1) continue;  // the whole extent, known at run time only
        if (n < 0)
            return Status::Error("size " + std::to_string(n) + " of dim " + std::to_string(d) + " is negative");
        if (n == 0 || !p.startKnown || !p.strideKnown) continue;
        int64_t span, last;
        if (__builtin_mul_overflow(n - 1, p.stride[d], &span) || __builtin_add_overflow(p.start[d], span, &last))
            return Status::Error("coordinates of dim " + std::to_string(d) + " overflow int64");
        if (dim < 0) continue;  // extent known at run time only
        if (dim == 0 && p.mode != SampleMode::kFill)
            return Status::Error("dim " + std::to_string(d) + " of input " + shapeToString(xs) +
                                 " is empty: nothing to sample");
        if (p.mode != SampleMode::kStrict) continue;
        for (int64_t x : {p.start[d], last})
            if (x < 0 || x >= dim)
                return Status::Error("strict mode: dim " + std::to_string(d) + " reads index " + std::to_string(x) +
                                     ", out of bounds for extent " + std::to_string(dim) + " of input " +
                                     shapeToString(xs));
    }
    return Status::Ok();
}

}  // namespace

Status resolveSlice(const Node& node, const std::vector<TensorDesc>& in, SliceParams& p) {
    KILN_RETURN_IF_ERROR(requireInput(node, in, 0, "X"));
    const Shape& xs = in[0].shape;
    const size_t rank = xs.size();
    KILN_RETURN_IF_ERROR(parseSliceMode(node.attrs.getString("mode", "strict"), p.mode));
    p.fillValue = node.attrs.getFloat("fill_value", 0.0);
    bool sizeKnown = true;
    KILN_RETURN_IF_ERROR(readSliceParam(node, in, 1, "start", rank, true, p.start, p.startKnown));
    KILN_RETURN_IF_ERROR(readSliceParam(node, in, 2, "size", rank, true, p.size, sizeKnown));
    KILN_RETURN_IF_ERROR(readSliceParam(node, in, 3, "stride", rank, false, p.stride, p.strideKnown));
    if (hasInput(node, in, 4) && isStatic(in[4].shape) && volume(in[4].shape) != 1)
        return Status::Error("input 4 (FillValue) must hold one element, got shape " + shapeToString(in[4].shape));
    if (!sizeKnown) {
        p.size.assign(rank, -1);  // the output shape is known at run time only
        return Status::Ok();
    }
    // A size of -1 takes the input's whole extent: how an implicit-batch
    // network slices every item of a batch whose size is known only at run time.
    for (size_t d = 0; d < rank; ++d)
        if (p.size[d] == -1) p.size[d] = xs[d];
    return checkSliceBounds(xs, p);
}

Status inferSlice(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    SliceParams p;
    KILN_RETURN_IF_ERROR(resolveSlice(node, in, p));
    out[0] = {in[0].dtype, p.size, nullptr};
    return Status::Ok();
}

Status resolvePad(const Node& node, const std::vector<TensorDesc>& in, SliceParams& p) {
    KILN_RETURN_IF_ERROR(requireInput(node, in, 0, "X"));
    const Shape& xs = in[0].shape;
    const size_t rank = xs.size();

    const std::string mode = node.attrs.getString("mode", "constant");
    if (mode == "constant") p.mode = SampleMode::kFill;
    else if (mode == "reflect") p.mode = SampleMode::kReflect;
    else if (mode == "edge") p.mode = SampleMode::kClamp;
    else if (mode == "wrap") p.mode = SampleMode::kWrap;
    else return Status::Error("unknown mode '" + mode + "' (expected constant, reflect, edge or wrap)");
    p.fillValue = node.attrs.getFloat("value", 0.0);

    std::vector<int64_t> begin, end;
    if (hasInput(node, in, 1)) {
        std::vector<int64_t> pads;
        if (in[1].shape.size() != 1 || in[1].shape[0] != int64_t(2 * rank))
            return Status::Error("input 1 (Pads) must have shape [" + std::to_string(2 * rank) + "], got " +
                                 shapeToString(in[1].shape));
        if (!in[1].data && rank > 0) {
            // Pads known at run time only: so are the output extents.
            p.start.assign(rank, 0);
            p.size.assign(rank, -1);
            p.stride.assign(rank, 1);
            p.startKnown = false;
            return Status::Ok();
        }
        KILN_RETURN_IF_ERROR(readIntTensor(in[1], 1, pads));
        begin.assign(pads.begin(), pads.begin() + rank);
        end.assign(pads.begin() + rank, pads.end());
    } else {
        if (!node.attrs.has("pads_begin") || !node.attrs.has("pads_end"))
            return Status::Error("missing attributes 'pads_begin'/'pads_end' (or input 1, Pads)");
        begin = node.attrs.getInts("pads_begin");
        end = node.attrs.getInts("pads_end");
        if (begin.size() != rank || end.size() != rank)
            return Status::Error("pads_begin/pads_end have " + std::to_string(begin.size()) + "/" +
                                 std::to_string(end.size()) + " entries, expected one per dim (" +
                                 std::to_string(rank) + ")");
    }
    if (hasInput(node, in, 2) && isStatic(in[2].shape) && volume(in[2].shape) != 1)
        return Status::Error("input 2 (Value) must hold one element, got shape " + shapeToString(in[2].shape));

    p.start.assign(rank, 0);
    p.size.assign(rank, 0);
    p.stride.assign(rank, 1);
    for (size_t d = 0; d < rank; ++d) {
        int64_t sz;
        if (begin[d] == INT64_MIN || __builtin_add_overflow(begin[d], end[d], &sz) ||
            (xs[d] >= 0 && __builtin_add_overflow(sz, xs[d], &sz)))
            return Status::Error("pads of dim " + std::to_string(d) + " overflow int64");
        p.start[d] = -begin[d];
        if (xs[d] < 0) {
            p.size[d] = -1;
            continue;
        }
        if (sz < 0)
            return Status::Error("pads " + std::to_string(begin[d]) + "/" + std::to_string(end[d]) + " crop dim " +
                                 std::to_string(d) + " of input " + shapeToString(xs) + " below zero");
        p.size[d] = sz;
    }
    SliceParams bounds = p;
    for (auto& s : bounds.size) s = s < 0 ? 0 : s;  // unknown extents are checked at run time
    return checkSliceBounds(xs, bounds);
}

Status inferPad(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    SliceParams p;
    KILN_RETURN_IF_ERROR(resolvePad(node, in, p));
    out[0] = {in[0].dtype, p.size, nullptr};
    return Status::Ok();
}

}  // namespace kiln::ir::movement
