// Schemas of the reduction family: Softmax, Reduce, Normalization, TopK.
// Semantics and attributes are specified in docs/ops.md.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "op_families.h"
#include "reduction.h"

namespace kiln::ir {

namespace {

bool isFloatType(DType t) { return dtypeIsArithmeticFloat(t); }

Status requireFloat(const TensorDesc& d, const char* what) {
    if (isFloatType(d.dtype)) return Status::Ok();
    return Status::Error(std::string(what) + " must be float32, float16, bfloat16 or float64, got " +
                         std::string(dtypeName(d.dtype)));
}

Status requireFlag(const Node& node, const char* name, int64_t dflt) {
    const int64_t v = node.attrs.getInt(name, dflt);
    if (v == 0 || v == 1) return Status::Ok();
    return Status::Error(std::string("attribute '") + name + "' must be 0 or 1, got " + std::to_string(v));
}

// Normalizes axes in place against `rank`; rejects out-of-range and repeated
// axes (a repeated axis would silently reduce twice in a naive kernel).
Status normalizeAxes(std::vector<int64_t>& axes, int64_t rank) {
    std::vector<bool> seen(size_t(rank), false);
    for (auto& a : axes) {
        const int64_t given = a;
        if (!normalizeAxis(a, rank))
            return Status::Error("axis " + std::to_string(given) + " is out of range for rank " +
                                 std::to_string(rank));
        if (seen[size_t(a)]) return Status::Error("axis " + std::to_string(given) + " is repeated");
        seen[size_t(a)] = true;
    }
    return Status::Ok();
}

// ---------------------------------------------------------------- Softmax

Status inferSoftmax(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const TensorDesc& x = in[0];
    KILN_RETURN_IF_ERROR(requireFloat(x, "input X"));
    int64_t axis = node.attrs.getInt("axis", -1);
    if (!normalizeAxis(axis, int64_t(x.shape.size())))
        return Status::Error("axis " + std::to_string(node.attrs.getInt("axis", -1)) +
                             " is out of range for input of shape " + shapeToString(x.shape));
    KILN_RETURN_IF_ERROR(requireFlag(node, "log", 0));
    out[0] = {x.dtype, x.shape, nullptr};
    return Status::Ok();
}

// ----------------------------------------------------------------- Reduce

Status inferReduce(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const TensorDesc& x = in[0];
    const std::string op = node.attrs.getString("op", "sum");
    static const char* const kOps[] = {"sum", "prod", "max",        "min",     "mean",
                                       "l1",  "l2",   "sum_square", "log_sum", "log_sum_exp"};
    if (std::none_of(std::begin(kOps), std::end(kOps), [&](const char* o) { return op == o; }))
        return Status::Error("unknown reduce op '" + op + "'");
    const bool intOk = op == "sum" || op == "prod" || op == "max" || op == "min" || op == "mean";
    const bool isInt = dtypeIsArithmeticInteger(x.dtype);
    if (!isFloatType(x.dtype) && !(intOk && isInt))
        return Status::Error("reduce '" + op + "' does not support input dtype " + std::string(dtypeName(x.dtype)) +
                             (intOk ? " (float and integer types only)" : " (float types only)"));
    KILN_RETURN_IF_ERROR(requireFlag(node, "keepdims", 1));
    const bool keepdims = node.attrs.getInt("keepdims", 1) != 0;
    ReduceAxes axes;
    KILN_RETURN_IF_ERROR(resolveReduceAxes(node, in, axes));

    const int64_t rank = int64_t(x.shape.size());
    Shape s;
    if (!axes.known) {
        // Which dims survive is known only at run time; the rank is known.
        s.assign(size_t(keepdims ? rank : rank - axes.count), -1);
    } else {
    for (int64_t i = 0; i < rank; ++i) {
            if (!axes.mask[size_t(i)])
                s.push_back(x.shape[size_t(i)]);
            else if (keepdims)
                s.push_back(1);
        }
    }
    out[0] = {x.dtype, std::move(s), nullptr};
    return Status::Ok();
}

// ---------------------------------------------------------- Normalization

// Scale/Bias of layer norm must broadcast to X without enlarging it.
Status checkBroadcastsTo(const TensorDesc& p, const Shape& x, const char* what) {
    const Shape& s = p.shape;
    bool ok = s.size() <= x.size();
    for (size_t i = 0; ok && i < s.size(); ++i) {
        const int64_t ds = s[i], dx = x[x.size() - s.size() + i];
        ok = ds == 1 || ds == dx || ds < 0 || dx < 0;
    }
    if (ok) return Status::Ok();
    return Status::Error(std::string(what) + " of shape " + shapeToString(s) + " does not broadcast to X " +
                         shapeToString(x));
}

Status checkPerChannel(const TensorDesc& p, int64_t c, const char* what) {
    if (p.shape.size() == 1 && (p.shape[0] == c || p.shape[0] < 0 || c < 0)) return Status::Ok();
    // [1, C, 1, ...]: the broadcastable form TensorRT users pass; same values in the same order.
    bool channelOnly = p.shape.size() >= 2 && (p.shape[1] == c || p.shape[1] < 0 || c < 0);
    for (size_t d = 0; d < p.shape.size(); ++d)
        if (d != 1 && p.shape[d] != 1) channelOnly = false;
    if (channelOnly) return Status::Ok();
    return Status::Error(std::string(what) + " must have shape [C] or [1, C, 1, ...] with C = " + std::to_string(c) + ", got " +
                         shapeToString(p.shape));
}

Status inferNormalization(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const TensorDesc& x = in[0];
    KILN_RETURN_IF_ERROR(requireFloat(x, "input X"));
    KILN_RETURN_IF_ERROR(requireFloat(in[1], "Scale"));
    KILN_RETURN_IF_ERROR(requireFloat(in[2], "Bias"));
    const double eps = node.attrs.getFloat("epsilon", 1e-5);
    if (!(eps >= 0.0) || !std::isfinite(eps))
        return Status::Error("epsilon must be finite and >= 0, got " + std::to_string(eps));

    const std::string kind = node.attrs.getString("kind", "layer");
    const int64_t rank = int64_t(x.shape.size());
    if (kind == "layer") {
        if (rank < 1) return Status::Error("layer normalization needs an input of rank >= 1");
        std::vector<int64_t> axes = node.attrs.getInts("axes", {-1});
        if (axes.empty()) return Status::Error("layer normalization needs at least one axis");
        KILN_RETURN_IF_ERROR(normalizeAxes(axes, rank));
        KILN_RETURN_IF_ERROR(checkBroadcastsTo(in[1], x.shape, "Scale"));
        KILN_RETURN_IF_ERROR(checkBroadcastsTo(in[2], x.shape, "Bias"));
    } else if (kind == "instance" || kind == "group") {
        if (rank < 2)
            return Status::Error(kind + " normalization needs X [N, C, ...], got shape " + shapeToString(x.shape));
        const int64_t c = x.shape[1];
        KILN_RETURN_IF_ERROR(checkPerChannel(in[1], c, "Scale"));
        KILN_RETURN_IF_ERROR(checkPerChannel(in[2], c, "Bias"));
        if (kind == "group") {
            const int64_t g = node.attrs.getInt("num_groups", 1);
            if (g < 1) return Status::Error("num_groups must be >= 1, got " + std::to_string(g));
            if (c >= 0 && c % g != 0)
                return Status::Error("channels " + std::to_string(c) + " are not divisible by num_groups " +
                                     std::to_string(g));
        }
    } else {
        return Status::Error("unknown normalization kind '" + kind + "' (layer, instance or group)");
    }
    out[0] = {x.dtype, x.shape, nullptr};
    return Status::Ok();
}

// ------------------------------------------------------------------- TopK

Status inferTopK(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const TensorDesc& x = in[0];
    if (!isFloatType(x.dtype) && !dtypeIsArithmeticInteger(x.dtype))
        return Status::Error("input X must be a float or integer type, got " + std::string(dtypeName(x.dtype)));
    const std::string op = node.attrs.getString("op", "max");
    if (op != "max" && op != "min") return Status::Error("unknown TopK op '" + op + "' (max or min)");
    const int64_t rank = int64_t(x.shape.size());
    int64_t axis = node.attrs.getInt("axis", -1);
    if (!normalizeAxis(axis, rank))
        return Status::Error("axis " + std::to_string(node.attrs.getInt("axis", -1)) +
                             " is out of range for input of shape " + shapeToString(x.shape));
    const int64_t idx = node.attrs.getInt("index_dtype", int64_t(DType::kI64));
    if (idx != int64_t(DType::kI64) && idx != int64_t(DType::kI32))
        return Status::Error("index_dtype must be 3 (int32) or 8 (int64), got " + std::to_string(idx));

    int64_t k = 0;
    bool kKnown = true;
    if (node.hasInput(1)) {
        const TensorDesc& kd = in[1];
        if (kd.dtype != DType::kI64) return Status::Error("K must be int64, got " + std::string(dtypeName(kd.dtype)));
        if (!(kd.shape.empty() || (kd.shape.size() == 1 && kd.shape[0] == 1)))
            return Status::Error("K must be a scalar or of shape [1], got " + shapeToString(kd.shape));
        kKnown = kd.data != nullptr;
        if (kKnown) std::memcpy(&k, kd.data, sizeof(k));
    } else {
        if (!node.attrs.has("k")) return Status::Error("needs attribute 'k' or input K");
        k = node.attrs.getInt("k");
    }
    const int64_t extent = x.shape[size_t(axis)];
    if (kKnown && (k < 0 || (extent >= 0 && k > extent)))
        return Status::Error("k = " + std::to_string(k) + " is out of range [0, " + std::to_string(extent) +
                             "] for axis " + std::to_string(axis) + " of shape " + shapeToString(x.shape));
    if (!kKnown) k = -1;  // the extent along the axis is known at run time only
    Shape s = x.shape;
    s[size_t(axis)] = k;
    out[0] = {x.dtype, s, nullptr};
    out[1] = {DType(idx), s, nullptr};
    return Status::Ok();
}

}  // namespace

Status resolveReduceAxes(const Node& node, const std::vector<TensorDesc>& in, ReduceAxes& out) {
    const int64_t rank = int64_t(in[0].shape.size());
    std::vector<int64_t> axes;
    out = {};
    if (node.hasInput(1) && in.size() > 1) {
        const TensorDesc& a = in[1];
        if (a.dtype != DType::kI32 && a.dtype != DType::kI64)
            return Status::Error("input 1 (Axes) must be int32 or int64, got " + std::string(dtypeName(a.dtype)));
        if (a.shape.size() != 1 || a.shape[0] < 0)
            return Status::Error("input 1 (Axes) must be 1-D of known length, got shape " + shapeToString(a.shape));
        out.count = a.shape[0];
        if (out.count > rank)
            return Status::Error("input 1 (Axes) lists " + std::to_string(out.count) + " axes for rank " +
                                 std::to_string(rank));
        if (!a.data && out.count > 0) {
            out.known = false;
            return Status::Ok();
        }
        for (int64_t i = 0; i < out.count; ++i) axes.push_back(int64_t(loadAsDouble(a.data, a.dtype, i)));
    } else {
        axes = node.attrs.getInts("axes");
    }
    KILN_RETURN_IF_ERROR(normalizeAxes(axes, rank));
    const bool noop = node.attrs.getInt("noop_with_empty_axes", 0) != 0;
    out.mask.assign(size_t(rank), axes.empty() && !noop);
    for (int64_t a : axes) out.mask[size_t(a)] = true;
    out.count = int64_t(std::count(out.mask.begin(), out.mask.end(), true));
    return Status::Ok();
}

void registerReductionOps(std::vector<OpSchema>& t) {
    t.push_back({"Softmax", 1, 1, 1, 1, &inferSoftmax});
    t.push_back({"Reduce", 1, 2, 1, 1, &inferReduce});
    t.push_back({"Normalization", 3, 3, 1, 1, &inferNormalization});
    t.push_back({"TopK", 1, 2, 2, 2, &inferTopK});
}

}  // namespace kiln::ir
