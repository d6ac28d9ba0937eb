// Convolution family schemas: Convolution and Deconvolution (docs/ops.md).
#include "convolution.h"

#include <limits>
#include <string>
#include <variant>

#include "channels_last.h"
#include "op_families.h"

namespace kiln::ir {

namespace {

// Attribute values are bounded so that the extent arithmetic below (done in
// 128 bits) stays meaningful; no real network comes near these.
constexpr int64_t kMaxAttrValue = int64_t(1) << 31;

using Wide = __int128;

std::string str(int64_t v) { return std::to_string(v); }

bool isReferenceFloat(DType t) { return dtypeIsArithmeticFloat(t); }

// Reads a per-spatial-axis int list attribute (absent or empty: the default).
Status readAxisInts(const Attrs& attrs, const std::string& key, int k, int64_t dflt, int64_t minValue,
                    std::vector<int64_t>& out) {
    out.assign(size_t(k), dflt);
    auto it = attrs.all().find(key);
    if (it == attrs.all().end()) return Status::Ok();
    const auto* list = std::get_if<std::vector<int64_t>>(&it->second);
    if (!list) return Status::Error("attribute '" + key + "' must be a list of ints");
    if (list->empty()) return Status::Ok();
    if (int(list->size()) != k)
        return Status::Error("attribute '" + key + "' has " + str(int64_t(list->size())) + " entries, expected " +
                             str(k) + " (one per spatial axis)");
    for (int i = 0; i < k; ++i) {
        const int64_t v = (*list)[size_t(i)];
        if (v < minValue || v > kMaxAttrValue)
            return Status::Error("attribute '" + key + "'[" + str(i) + "] = " + str(v) + " is out of range [" +
                                 str(minValue) + ", " + str(kMaxAttrValue) + "]");
    }
    out = *list;
    return Status::Ok();
}

Status readInt(const Attrs& attrs, const std::string& key, int64_t dflt, int64_t minValue, int64_t maxValue,
               int64_t& out) {
    out = dflt;
    auto it = attrs.all().find(key);
    if (it == attrs.all().end()) return Status::Ok();
    const auto* v = std::get_if<int64_t>(&it->second);
    if (!v) return Status::Error("attribute '" + key + "' must be an int");
    if (*v < minValue || *v > maxValue)
        return Status::Error("attribute '" + key + "' = " + str(*v) + " is out of range [" + str(minValue) + ", " +
                             str(maxValue) + "]");
    out = *v;
    return Status::Ok();
}

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

Status readAutoPad(const Attrs& attrs, AutoPad& out) {
    out = AutoPad::kNotSet;
    auto it = attrs.all().find("auto_pad");
    if (it == attrs.all().end()) return Status::Ok();
    const auto* s = std::get_if<std::string>(&it->second);
    if (!s) return Status::Error("attribute 'auto_pad' must be a string");
    if (*s == "NOTSET" || s->empty()) out = AutoPad::kNotSet;
    else if (*s == "SAME_UPPER") out = AutoPad::kSameUpper;
    else if (*s == "SAME_LOWER") out = AutoPad::kSameLower;
    else if (*s == "VALID") out = AutoPad::kValid;
    else return Status::Error("attribute 'auto_pad' = '" + *s + "' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID");
    return Status::Ok();
}

Wide floorDiv(Wide a, Wide b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
Wide ceilDiv(Wide a, Wide b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

Status checkExtent(int axis, Wide o, int64_t& out) {
    if (o < 1) return Status::Error("output extent of spatial axis " + str(axis) + " is " + str(int64_t(o)) +
                                    " (< 1)");
    if (o > Wide(std::numeric_limits<int64_t>::max()))
        return Status::Error("output extent of spatial axis " + str(axis) + " overflows int64");
    out = int64_t(o);
    return Status::Ok();
}

// One spatial axis of a Convolution. S and K may be -1 (unknown).
Status convAxis(int axis, int64_t S, int64_t K, AutoPad ap, bool ceilMode, ConvGeometry& g) {
    const int64_t s = g.strides[axis], d = g.dilations[axis];
    int64_t& pb = g.padsBegin[axis];
    int64_t& pe = g.padsEnd[axis];
    int64_t& O = g.outShape[size_t(axis) + 2];
    O = -1;
    if (ap == AutoPad::kSameUpper || ap == AutoPad::kSameLower) {
        pb = pe = 0;
        if (S < 0) return Status::Ok();
        KILN_RETURN_IF_ERROR(checkExtent(axis, ceilDiv(S, s), O));
        if (K < 0) return Status::Ok();
        Wide total = Wide(O - 1) * s + Wide(d) * (K - 1) + 1 - S;
        if (total < 0) total = 0;
        const int64_t half = int64_t(total / 2), rest = int64_t(total - total / 2);
        // The odd unit goes to the end for SAME_UPPER, to the beginning for SAME_LOWER.
        pb = ap == AutoPad::kSameUpper ? half : rest;
        pe = ap == AutoPad::kSameUpper ? rest : half;
        return Status::Ok();
    }
    if (ap == AutoPad::kValid) pb = pe = 0;
    if (S < 0 || K < 0) return Status::Ok();
    const Wide span = Wide(S) + pb + pe - (Wide(d) * (K - 1) + 1);
    if (span < 0)
        return Status::Error("spatial axis " + str(axis) + ": dilated kernel extent " +
                             str(int64_t(Wide(d) * (K - 1) + 1)) + " exceeds the padded input extent " +
                             str(int64_t(Wide(S) + pb + pe)) + " (output extent < 1)");
    return checkExtent(axis, (ceilMode ? ceilDiv(span, s) : floorDiv(span, s)) + 1, O);
}

// One spatial axis of a Deconvolution, following ONNX ConvTranspose.
Status deconvAxis(int axis, int64_t S, int64_t K, AutoPad ap, const std::vector<int64_t>* outputShape,
                  ConvGeometry& g) {
    const int64_t s = g.strides[axis], d = g.dilations[axis], op = g.outputPadding[axis];
    int64_t& pb = g.padsBegin[axis];
    int64_t& pe = g.padsEnd[axis];
    int64_t& O = g.outShape[size_t(axis) + 2];
    O = -1;
    const bool known = S >= 0 && K >= 0;
    // Output extent with no padding at all.
    const Wide full = known ? Wide(s) * (S - 1) + op + Wide(d) * (K - 1) + 1 : 0;
    if (full > Wide(std::numeric_limits<int64_t>::max()))
        return Status::Error("output extent of spatial axis " + str(axis) + " overflows int64");
    if (outputShape || ap == AutoPad::kSameUpper || ap == AutoPad::kSameLower) {
        // The output extent is given; pads follow from it.
        if (outputShape) O = (*outputShape)[size_t(axis)];
        else if (S >= 0) KILN_RETURN_IF_ERROR(checkExtent(axis, Wide(S) * s, O));
        pb = pe = 0;
        if (!known || O < 0) return Status::Ok();
        Wide total = full - O;
        // A negative total means more outputs than the kernel reaches: they are
        // appended at the end (bias only), as onnxruntime does.
        const Wide split = total < 0 ? 0 : total;
        const Wide half = split / 2, rest = split - split / 2;
        // ONNX: SAME_UPPER puts the odd unit at the end, every other mode at the beginning.
        pb = int64_t(ap == AutoPad::kSameUpper ? half : rest);
        pe = int64_t(total - pb);
        return Status::Ok();
    }
    if (ap == AutoPad::kValid) pb = pe = 0;
    if (!known) return Status::Ok();
    return checkExtent(axis, full - pb - pe, O);
}

}  // namespace

Status resolveConvGeometry(const Node& node, const Shape& x, const Shape& w, bool transposed, ConvGeometry& g) {
    if (x.size() < 3 || x.size() > 5)
        return Status::Error("X must be [N, C, S1..Sk] with k = 1..3 spatial dims, got shape " + shapeToString(x));
    if (w.size() != x.size())
        return Status::Error("W must have rank " + str(int64_t(x.size())) + " like X, got shape " +
                             shapeToString(w) + " for X " + shapeToString(x));
    for (int64_t v : x)
        if (v < -1) return Status::Error("X has an invalid dim in shape " + shapeToString(x));
    for (int64_t v : w)
        if (v < -1) return Status::Error("W has an invalid dim in shape " + shapeToString(w));

    const int k = int(x.size()) - 2;
    const Attrs& a = node.attrs;
    g = ConvGeometry{};
    g.spatialRank = k;
    KILN_RETURN_IF_ERROR(readInt(a, "group", 1, 1, kMaxAttrValue, g.group));
    int64_t ceilMode = 0;
    KILN_RETURN_IF_ERROR(readInt(a, "ceil_mode", 0, 0, 1, ceilMode));
    AutoPad ap;
    KILN_RETURN_IF_ERROR(readAutoPad(a, ap));
    KILN_RETURN_IF_ERROR(readAxisInts(a, "strides", k, 1, 1, g.strides));
    KILN_RETURN_IF_ERROR(readAxisInts(a, "dilations", k, 1, 1, g.dilations));
    KILN_RETURN_IF_ERROR(readAxisInts(a, "pads_begin", k, 0, 0, g.padsBegin));
    KILN_RETURN_IF_ERROR(readAxisInts(a, "pads_end", k, 0, 0, g.padsEnd));
    g.outputPadding.assign(size_t(k), 0);
    std::vector<int64_t> outputShape;
    bool hasOutputShape = false;
    if (transposed) {
        KILN_RETURN_IF_ERROR(readAxisInts(a, "output_padding", k, 0, 0, g.outputPadding));
        hasOutputShape = a.has("output_shape");
        if (hasOutputShape) {
            KILN_RETURN_IF_ERROR(readAxisInts(a, "output_shape", k, -1, 1, outputShape));
            if (outputShape[0] == -1)
                return Status::Error("attribute 'output_shape' must have " + str(k) + " entries");
        }
    }

    const int64_t group = g.group;
    const int64_t C = x[1];
    g.inChannels = C;
    if (C >= 0 && C % group != 0)
        return Status::Error("input channels C=" + str(C) + " are not divisible by group=" + str(group));
    if (!transposed) {
        // W [M, C/group, K..]
        g.outChannels = w[0];
        if (w[0] >= 0 && w[0] % group != 0)
            return Status::Error("output channels M=" + str(w[0]) + " (W dim 0) are not divisible by group=" +
                                 str(group));
        if (C >= 0 && w[1] >= 0 && Wide(w[1]) * group != C)
            return Status::Error("W dim 1 is " + str(w[1]) + " but X has C=" + str(C) + " channels and group=" +
                                 str(group) + " (expected C/group=" + str(C / group) + ")");
    } else {
        // W [C, M/group, K..]
        if (C >= 0 && w[0] >= 0 && w[0] != C)
            return Status::Error("W dim 0 is " + str(w[0]) + " but X has C=" + str(C) + " channels");
        if (w[1] >= 0 && Wide(w[1]) * group > Wide(std::numeric_limits<int64_t>::max()))
            return Status::Error("output channels W dim 1 * group overflow int64");
        g.outChannels = w[1] >= 0 ? w[1] * group : -1;
    }

    g.kernel.assign(w.begin() + 2, w.end());
    for (int i = 0; i < k; ++i)
        if (g.kernel[size_t(i)] == 0)
            return Status::Error("W has kernel extent 0 on spatial axis " + str(i) + ": " + shapeToString(w));

    g.outShape.assign(x.size(), -1);
    g.outShape[0] = x[0];
    g.outShape[1] = g.outChannels;
    for (int i = 0; i < k; ++i) {
        const int64_t S = x[size_t(i) + 2], K = g.kernel[size_t(i)];
        // Bounding the dilated kernel extent (and, below, the deconvolution's
        // unpadded extent) keeps every pad representable in int64.
        if (K > 0 && Wide(g.dilations[size_t(i)]) * (K - 1) + 1 > Wide(std::numeric_limits<int64_t>::max()))
            return Status::Error("dilated kernel extent of spatial axis " + str(i) + " overflows int64");
        if (transposed)
            KILN_RETURN_IF_ERROR(deconvAxis(i, S, K, ap, hasOutputShape ? &outputShape : nullptr, g));
        else
            KILN_RETURN_IF_ERROR(convAxis(i, S, K, ap, ceilMode != 0, g));
    }
    return Status::Ok();
}

namespace {

Status inferConvLike(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out,
                     bool transposed) {
    if (!hasInput(node, in, 0) || !hasInput(node, in, 1)) return Status::Error("inputs X and W are required");
    const char* names[] = {"X", "W", "B"};
    for (size_t i = 0; i < in.size() && i < 3; ++i)
        if (hasInput(node, in, i) && !isReferenceFloat(in[i].dtype))
            return Status::Error(std::string(names[i]) + " has dtype " + std::string(dtypeName(in[i].dtype)) +
                                 "; expected float32, float16, bfloat16 or float64");

    ConvGeometry g;
    KILN_RETURN_IF_ERROR(resolveConvGeometry(node, in[0].shape, in[1].shape, transposed, g));
    if (hasInput(node, in, 2)) {
        const Shape& b = in[2].shape;
        if (b.size() != 1 || (b[0] >= 0 && g.outChannels >= 0 && b[0] != g.outChannels))
            return Status::Error("B must be [M] = [" + str(g.outChannels) + "], got shape " + shapeToString(b));
    }
    out[0].dtype = in[0].dtype;
    out[0].shape = g.outShape;
    out[0].data = nullptr;
    return Status::Ok();
}

Status inferChannelsFirstConvolution(const Node& node, const std::vector<TensorDesc>& in,
                                     std::vector<TensorDesc>& out) {
    return inferConvLike(node, in, out, false);
}

Status inferConvolution(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    // channels_last: X [N, S.., C], W [M, K.., C/group], Y [N, O.., M] (channels_last.h).
    if (isChannelsLast(node)) return inferChannelsLast(node, in, out, {0, 1}, &inferChannelsFirstConvolution);
    return inferConvLike(node, in, out, false);
}

Status inferDeconvolution(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    return inferConvLike(node, in, out, true);
}

}  // namespace

void registerConvolutionOps(std::vector<OpSchema>& t) {
    t.push_back({"Convolution", 2, 3, 1, 1, &inferConvolution});
    t.push_back({"Deconvolution", 2, 3, 1, 1, &inferDeconvolution});
}

}  // namespace kiln::ir
