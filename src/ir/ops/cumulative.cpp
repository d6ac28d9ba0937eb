// Cumulative: running sum or product along one axis (ONNX CumSum/CumProd,
// TensorRT's ICumulativeLayer). The axis is input 1, a tensor.
#include <cstring>

#include "nn_ops.h"

namespace kiln::ir::nn {

Status readAxisInput(const TensorDesc& t, int64_t rank, int64_t& axis) {
    if (t.dtype != DType::kI32 && t.dtype != DType::kI64)
        return Status::Error("axis must be int32 or int64, got " + std::string(dtypeName(t.dtype)));
    if (volume(t.shape) != 1 || t.shape.size() > 1)
        return Status::Error("axis must be a scalar (or one element), got " + shapeToString(t.shape));
    if (!t.data) return Status::Error("the axis value is not known");
    if (t.dtype == DType::kI64)
        std::memcpy(&axis, t.data, 8);
    else {
        int32_t v;
        std::memcpy(&v, t.data, 4);
        axis = v;
    }
    const int64_t given = axis;
    if (!normalizeAxis(axis, rank))
        return Status::Error("axis " + std::to_string(given) + " out of range for rank " + std::to_string(rank));
    return Status::Ok();
}

Status resolveCumulative(const Node& node, const std::vector<TensorDesc>& in, CumulativeParams& p) {
    if (in.size() != 2) return Status::Error("needs X and Axis");
    const std::string op = node.attrs.getString("op", "sum");
    if (op != "sum" && op != "prod") return Status::Error("unknown op '" + op + "' (expected sum or prod)");
    p.product = op == "prod";
    p.exclusive = node.attrs.getInt("exclusive", 0) != 0;
    p.reverse = node.attrs.getInt("reverse", 0) != 0;
    const DType t = in[0].dtype;
    if (t == DType::kBool || t == DType::kFP8)
        return Status::Error("X must be a numeric type, got " + std::string(dtypeName(t)));
    if (in[0].shape.empty()) return Status::Error("X must have rank >= 1");
    return Status::Ok();
}

Status inferCumulative(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    CumulativeParams p;
    KILN_RETURN_IF_ERROR(resolveCumulative(node, in, p));
    const TensorDesc& a = in[1];
    if (a.dtype != DType::kI32 && a.dtype != DType::kI64)
        return Status::Error("axis must be int32 or int64, got " + std::string(dtypeName(a.dtype)));
    if (a.data) {  // a run-time axis is checked by the kernel
        int64_t axis = 0;
        KILN_RETURN_IF_ERROR(readAxisInput(a, int64_t(in[0].shape.size()), axis));
    } else if (volume(a.shape) != 1 || a.shape.size() > 1) {
        return Status::Error("axis must be a scalar (or one element), got " + shapeToString(a.shape));
    }
    out[0] = {in[0].dtype, in[0].shape, nullptr};
    return Status::Ok();
}

}  // namespace kiln::ir::nn
