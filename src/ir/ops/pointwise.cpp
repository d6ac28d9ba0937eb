// Pointwise family schemas: ElementWise, Unary, Activation, PRelu, Select,
// Cast, Scale (docs/ops.md). Shape inference validates dtypes, attributes and
// broadcasting; unknown dims (-1) propagate.
#include <algorithm>
#include <string>

#include "op_families.h"

namespace kiln::ir {

namespace {

std::string dt(DType t) { return std::string(dtypeName(t)); }

Status requireInputs(const Node& n, size_t count) {
    for (size_t i = 0; i < count; ++i)
        if (!n.hasInput(i)) return Status::Error("input " + std::to_string(i) + " is required");
    return Status::Ok();
}

// float32/float16/bfloat16 (computed in float32) and float64.
bool isFloatCompute(DType t) { return dtypeIsArithmeticFloat(t); }
// Those and the 8..64-bit integers (the narrow storage types are excluded).
bool isNumeric(DType t) { return dtypeIsArithmetic(t); }
bool isSignedNumeric(DType t) { return dtypeIsArithmetic(t) && dtypeIsSigned(t); }

bool oneOf(const std::string& s, std::initializer_list<const char*> names) {
    return std::any_of(names.begin(), names.end(), [&](const char* n) { return s == n; });
}

// ---- ElementWise ----

Status inferElementWise(const Node& n, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    KILN_RETURN_IF_ERROR(requireInputs(n, 2));
    const std::string op = n.attrs.getString("op");
    const bool logical = oneOf(op, {"and", "or", "xor"});
    const bool compare = oneOf(op, {"equal", "greater", "less", "greater_equal", "less_equal"});
    const bool arith = oneOf(op, {"sum", "sub", "prod", "div", "pow", "max", "min", "floor_div", "mod", "fmod"});
    const bool shift = oneOf(op, {"shift_left", "shift_right"});
    if (!logical && !compare && !arith && !shift) return Status::Error("unknown op '" + op + "'");
    const DType t = in[0].dtype;
    if (in[1].dtype != t) return Status::Error("A and B dtypes differ: " + dt(t) + " vs " + dt(in[1].dtype));
    // and/or/xor: logical on bool, bitwise on integers.
    if (logical && t != DType::kBool && !dtypeIsArithmeticInteger(t))
        return Status::Error("'" + op + "' needs bool or integer inputs, got " + dt(t));
    if (shift && !(dtypeIsArithmeticInteger(t) && !dtypeIsSigned(t)))
        return Status::Error("'" + op + "' needs unsigned integer inputs, got " + dt(t));
    if (compare && !isNumeric(t) && t != DType::kBool)
        return Status::Error("'" + op + "' does not support dtype " + dt(t));
    if (arith && !isNumeric(t)) return Status::Error("'" + op + "' does not support dtype " + dt(t));
    Shape shape;
    if (!broadcastShapes(in[0].shape, in[1].shape, shape))
        return Status::Error("cannot broadcast A " + shapeToString(in[0].shape) + " with B " +
                             shapeToString(in[1].shape));
    out[0] = {compare ? DType::kBool : t, shape, nullptr};
    return Status::Ok();
}

// ---- Unary ----

Status inferUnary(const Node& n, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    KILN_RETURN_IF_ERROR(requireInputs(n, 1));
    const std::string op = n.attrs.getString("op");
    const DType t = in[0].dtype;
    bool ok;
    if (op == "not") {  // logical on bool, bitwise on integers
        ok = t == DType::kBool || dtypeIsArithmeticInteger(t);
    } else if (op == "abs" || op == "sign") {
        ok = isNumeric(t);
    } else if (op == "neg") {
        ok = isSignedNumeric(t);
    } else if (oneOf(op, {"exp", "log", "sqrt", "recip", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
                          "asinh", "acosh", "atanh", "ceil", "floor", "round", "erf", "isnan", "isinf"})) {
        ok = isFloatCompute(t);
    } else {
        return Status::Error("unknown op '" + op + "'");
    }
    if (!ok) return Status::Error("'" + op + "' does not support dtype " + dt(t));
    out[0] = {(op == "isnan" || op == "isinf") ? DType::kBool : t, in[0].shape, nullptr};
    return Status::Ok();
}

// ---- Activation ----

Status inferActivation(const Node& n, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    KILN_RETURN_IF_ERROR(requireInputs(n, 1));
    const std::string type = n.attrs.getString("type");
    if (!oneOf(type, {"relu", "sigmoid", "tanh", "leaky_relu", "elu", "selu", "softsign", "softplus", "clip",
                      "hard_sigmoid", "scaled_tanh", "thresholded_relu", "gelu_erf", "gelu_tanh", "silu"}))
        return Status::Error("unknown activation type '" + type + "'");
    const DType t = in[0].dtype;
    const bool intOk = (type == "relu" || type == "clip") && dtypeIsArithmeticInteger(t);
    if (!isFloatCompute(t) && !intOk) return Status::Error("activation '" + type + "' does not support dtype " + dt(t));
    out[0] = {t, in[0].shape, nullptr};
    return Status::Ok();
}

// ---- PRelu ----

Status inferPRelu(const Node& n, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    KILN_RETURN_IF_ERROR(requireInputs(n, 2));
    const TensorDesc& x = in[0];
    const TensorDesc& slope = in[1];
    if (!isSignedNumeric(x.dtype)) return Status::Error("PRelu does not support dtype " + dt(x.dtype));
    if (slope.dtype != x.dtype) return Status::Error("Slope dtype " + dt(slope.dtype) + " differs from X " + dt(x.dtype));
    // Slope broadcasts to X; X itself never grows.
    bool ok = slope.shape.size() <= x.shape.size();
    for (size_t i = 0; ok && i < slope.shape.size(); ++i) {
        const int64_t s = slope.shape[i], d = x.shape[x.shape.size() - slope.shape.size() + i];
        ok = s == 1 || s == d || s < 0 || d < 0;
    }
    if (!ok)
        return Status::Error("Slope " + shapeToString(slope.shape) + " does not broadcast to X " +
                             shapeToString(x.shape));
    out[0] = {x.dtype, x.shape, nullptr};
    return Status::Ok();
}

// ---- Select ----

Status inferSelect(const Node& n, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    KILN_RETURN_IF_ERROR(requireInputs(n, 3));
    if (in[0].dtype != DType::kBool) return Status::Error("Cond must be bool, got " + dt(in[0].dtype));
    if (in[1].dtype != in[2].dtype) return Status::Error("A and B dtypes differ: " + dt(in[1].dtype) + " vs " + dt(in[2].dtype));
    Shape ab, shape;
    if (!broadcastShapes(in[1].shape, in[2].shape, ab) || !broadcastShapes(in[0].shape, ab, shape))
        return Status::Error("cannot broadcast Cond " + shapeToString(in[0].shape) + ", A " + shapeToString(in[1].shape) +
                             " and B " + shapeToString(in[2].shape));
    out[0] = {in[1].dtype, shape, nullptr};
    return Status::Ok();
}

// ---- Cast ----

Status inferCast(const Node& n, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    KILN_RETURN_IF_ERROR(requireInputs(n, 1));
    if (!n.attrs.has("to")) return Status::Error("attribute 'to' is required");
    const int64_t to = n.attrs.getInt("to");
    if (to < 0 || to >= kNumDTypes) return Status::Error("attribute 'to' = " + std::to_string(to) + " is not a dtype");
    if (!dtypeValid(int(in[0].dtype))) return Status::Error("input has an invalid dtype");
    const std::string rounding = n.attrs.getString("round_mode", "up");
    if (!oneOf(rounding, {"up", "down", "nearest"}))
        return Status::Error("attribute 'round_mode' = '" + rounding + "' is not up, down or nearest");
    out[0] = {DType(to), in[0].shape, nullptr};
    return Status::Ok();
}

// ---- Scale ----

Status inferScale(const Node& n, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    KILN_RETURN_IF_ERROR(requireInputs(n, 1));
    const TensorDesc& x = in[0];
    if (!isFloatCompute(x.dtype)) return Status::Error("Scale does not support X dtype " + dt(x.dtype));
    const std::string mode = n.attrs.getString("mode", "uniform");
    // The coefficient counts allowed; -1 marks one not known until run time.
    std::vector<int64_t> counts;
    if (mode == "uniform") {
        counts = {1};
    } else if (mode == "channel") {
        int64_t axis = n.attrs.getInt("channel_axis", 1);
        if (!normalizeAxis(axis, int64_t(x.shape.size())))
            return Status::Error("channel_axis " + std::to_string(n.attrs.getInt("channel_axis", 1)) +
                                 " out of range for X of rank " + std::to_string(x.shape.size()));
        counts = {x.shape[size_t(axis)]};
    } else if (mode == "elementwise") {
        const Shape item(x.shape.begin() + (x.shape.empty() ? 0 : 1), x.shape.end());
        counts = {volume(item), volume(x.shape)};
    } else {
        return Status::Error("unknown mode '" + mode + "'");
    }
    static const char* const kNames[] = {"", "shift", "scale", "power"};
    for (size_t i = 1; i < in.size(); ++i) {
        if (!n.hasInput(i)) continue;
        if (!isFloatCompute(in[i].dtype))
            return Status::Error(std::string(kNames[i]) + " has unsupported dtype " + dt(in[i].dtype));
        const int64_t c = volume(in[i].shape);
        const bool ok = c < 0 || std::any_of(counts.begin(), counts.end(), [&](int64_t w) { return w < 0 || w == c; });
        if (!ok)
            return Status::Error(std::string(kNames[i]) + " " + shapeToString(in[i].shape) + " has " +
                                 std::to_string(c) + " values; " + mode + " mode with X " + shapeToString(x.shape) +
                                 " needs " + std::to_string(counts[0]));
    }
    out[0] = {x.dtype, x.shape, nullptr};
    return Status::Ok();
}

}  // namespace

void registerPointwiseOps(std::vector<OpSchema>& t) {
    t.push_back({"ElementWise", 2, 2, 1, 1, &inferElementWise});
    t.push_back({"Unary", 1, 1, 1, 1, &inferUnary});
    t.push_back({"Activation", 1, 1, 1, 1, &inferActivation});
    t.push_back({"PRelu", 2, 2, 1, 1, &inferPRelu});
    t.push_back({"Select", 3, 3, 1, 1, &inferSelect});
    t.push_back({"Cast", 1, 1, 1, 1, &inferCast});
    t.push_back({"Scale", 1, 4, 1, 1, &inferScale});
}

}  // namespace kiln::ir
