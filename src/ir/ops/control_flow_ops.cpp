// Schemas of the loop and conditional boundary ops (src/ir/control_flow.h,
// docs/ops.md). The executor runs the loop ops itself; the conditional ops
// have reference kernels.
#include "op_families.h"

namespace kiln::ir {

namespace {

bool isScalar(const TensorDesc& t) { return t.shape.empty() || (t.shape.size() == 1 && t.shape[0] == 1); }

// Where two shapes of one rank differ, the extent is known only at run time.
Shape merge(const Shape& a, const Shape& b) {
    Shape r = a;
    for (size_t d = 0; d < r.size(); ++d)
        if (a[d] != b[d]) r[d] = -1;
    return r;
}

Status inferRecurrence(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    out[0] = {in[0].dtype, in[0].shape, nullptr};
    if (hasInput(node, in, 1) && !in[1].shape.empty() && in[1].shape.size() == in[0].shape.size()) {
        if (in[1].dtype != in[0].dtype)
            return Status::Error("the next value is " + std::string(dtypeName(in[1].dtype)) + ", the initial value " +
                                 std::string(dtypeName(in[0].dtype)));
        out[0].shape = merge(in[0].shape, in[1].shape);  // the state may change shape between iterations
    } else if (hasInput(node, in, 1) && in[1].shape.size() != in[0].shape.size() && !in[1].shape.empty()) {
        return Status::Error("the next value has rank " + std::to_string(in[1].shape.size()) + ", the initial value " +
                             std::to_string(in[0].shape.size()));
    }
    return Status::Ok();
}

Status inferIterator(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    int64_t axis = node.attrs.getInt("axis", 0);
    if (!normalizeAxis(axis, int64_t(in[0].shape.size())))
        return Status::Error("axis " + std::to_string(node.attrs.getInt("axis", 0)) + " is out of range for " +
                             shapeToString(in[0].shape));
    Shape s = in[0].shape;
    s.erase(s.begin() + axis);
    out[0] = {in[0].dtype, s, nullptr};
    return Status::Ok();
}

Status inferTripLimit(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>&) {
    const std::string kind = node.attrs.getString("kind", "count");
    if (!isScalar(in[0])) return Status::Error("the trip limit must be a scalar, got " + shapeToString(in[0].shape));
    if (kind == "count" && in[0].dtype != DType::kI32 && in[0].dtype != DType::kI64)
        return Status::Error("a count trip limit must be int32 or int64, got " + std::string(dtypeName(in[0].dtype)));
    if (kind == "while" && in[0].dtype != DType::kBool)
        return Status::Error("a while trip limit must be bool, got " + std::string(dtypeName(in[0].dtype)));
    if (kind != "count" && kind != "while") return Status::Error("unknown trip limit kind '" + kind + "'");
    return Status::Ok();
}

Status inferLoopOutput(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const std::string kind = node.attrs.getString("kind", "last_value");
    if (kind == "last_value") {
        out[0] = {in[0].dtype, in[0].shape, nullptr};
        return Status::Ok();
    }
    if (kind != "concatenate" && kind != "reverse") return Status::Error("unknown loop output kind '" + kind + "'");
    // The values of every iteration stacked along a new axis.
    int64_t axis = node.attrs.getInt("axis", 0);
    if (!normalizeAxis(axis, int64_t(in[0].shape.size()) + 1))
        return Status::Error("axis " + std::to_string(node.attrs.getInt("axis", 0)) + " is out of range");
    int64_t length = -1;
    if (hasInput(node, in, 1)) {
        if (!isScalar(in[1]) || (in[1].dtype != DType::kI32 && in[1].dtype != DType::kI64))
            return Status::Error("the length (input 1) must be an int32/int64 scalar");
        if (in[1].data) length = int64_t(loadAsDouble(in[1].data, in[1].dtype, 0));
    }
    Shape s = in[0].shape;
    s.insert(s.begin() + axis, length);
    out[0] = {in[0].dtype, s, nullptr};
    return Status::Ok();
}

Status inferIfCondition(const Node&, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    if (in[0].dtype != DType::kBool || !isScalar(in[0]))
        return Status::Error("the condition must be a bool scalar, got " + std::string(dtypeName(in[0].dtype)) +
                             shapeToString(in[0].shape));
    out[0] = {in[0].dtype, in[0].shape, nullptr};
    return Status::Ok();
}

Status inferIfInput(const Node&, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    out[0] = {in[0].dtype, in[0].shape, nullptr};
    return Status::Ok();
}

Status inferIfOutput(const Node&, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const TensorDesc &c = in[0], &t = in[1], &f = in[2];
    if (c.dtype != DType::kBool || !isScalar(c)) return Status::Error("the condition must be a bool scalar");
    if (t.dtype != f.dtype)
        return Status::Error("the branches give " + std::string(dtypeName(t.dtype)) + " and " +
                             std::string(dtypeName(f.dtype)));
    if (c.data) {  // the branch that runs is known
        const TensorDesc& taken = *static_cast<const uint8_t*>(c.data) ? t : f;
        out[0] = {taken.dtype, taken.shape, nullptr};
        return Status::Ok();
    }
    if (t.shape.size() != f.shape.size())
        return Status::Error("the branches give ranks " + std::to_string(t.shape.size()) + " and " +
                             std::to_string(f.shape.size()));
    out[0] = {t.dtype, merge(t.shape, f.shape), nullptr};
    return Status::Ok();
}

}  // namespace

void registerControlFlowOps(std::vector<OpSchema>& t) {
    t.push_back({"LoopRecurrence", 1, 2, 1, 1, &inferRecurrence});
    t.push_back({"LoopIterator", 1, 1, 1, 1, &inferIterator});
    t.push_back({"LoopTripLimit", 1, 1, 0, 0, &inferTripLimit});
    t.push_back({"LoopOutput", 1, 2, 1, 1, &inferLoopOutput});
    t.push_back({"IfCondition", 1, 1, 1, 1, &inferIfCondition});
    t.push_back({"IfInput", 1, 1, 1, 1, &inferIfInput});
    t.push_back({"IfOutput", 3, 3, 1, 1, &inferIfOutput});
}

}  // namespace kiln::ir
