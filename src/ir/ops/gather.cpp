// Gather: ONNX Gather (default), GatherElements (elements), GatherND (nd).
// Index values are checked by the kernel at run time (docs/ops.md).
#include "data_movement.h"

#include <algorithm>

namespace kiln::ir::movement {

namespace {

std::string dimsMismatch(const char* what, size_t d, const Shape& data, const Shape& idx) {
    return std::string(what) + ": dim " + std::to_string(d) + " of indices " + shapeToString(idx) +
           " does not fit data " + shapeToString(data);
}

Status gatherDefault(GatherParams& p, const Shape& data, const Shape& idx) {
    Shape out(data.begin(), data.begin() + p.axis);
    out.insert(out.end(), idx.begin(), idx.end());
    out.insert(out.end(), data.begin() + p.axis + 1, data.end());
    if (out.size() > size_t(kMaxRank))
        return Status::Error("output rank " + std::to_string(out.size()) + " exceeds the maximum rank " +
                             std::to_string(kMaxRank));
    p.outShape = out;
    return Status::Ok();
}

Status gatherElements(GatherParams& p, const Shape& data, const Shape& idx) {
    if (idx.size() != data.size())
        return Status::Error("elements: indices " + shapeToString(idx) + " must have the rank of data " +
                             shapeToString(data));
    for (size_t d = 0; d < data.size(); ++d) {
        if (int64_t(d) == p.axis || data[d] < 0 || idx[d] < 0) continue;
        if (idx[d] > data[d]) return Status::Error(dimsMismatch("elements", d, data, idx));
    }
    p.outShape = idx;
    return Status::Ok();
}

Status gatherND(GatherParams& p, const Shape& data, const Shape& idx) {
    const int64_t r = int64_t(data.size()), q = int64_t(idx.size()), b = p.batchDims;
    if (q < 1) return Status::Error("nd: indices must have rank >= 1");
    if (b < 0 || b >= std::min(q, r))
        return Status::Error("nd: batch_dims " + std::to_string(b) + " must be in [0, min(rank(data)=" +
                             std::to_string(r) + ", rank(indices)=" + std::to_string(q) + "))");
    for (int64_t d = 0; d < b; ++d)
        if (data[d] >= 0 && idx[d] >= 0 && data[d] != idx[d])
            return Status::Error(dimsMismatch("nd batch dims", size_t(d), data, idx));
    const int64_t k = idx[q - 1];
    if (k < 0) return Status::Error("nd: the last dim of indices " + shapeToString(idx) + " must be known");
    if (k < 1 || k > r - b)
        return Status::Error("nd: the last dim of indices " + shapeToString(idx) + " must be in [1, " +
                             std::to_string(r - b) + "] (rank(data) - batch_dims)");
    Shape out(idx.begin(), idx.end() - 1);
    out.insert(out.end(), data.begin() + b + k, data.end());
    p.outShape = out;
    return Status::Ok();
}

}  // namespace

Status resolveGather(const Node& node, const std::vector<TensorDesc>& in, GatherParams& p) {
    KILN_RETURN_IF_ERROR(requireInput(node, in, 0, "Data"));
    KILN_RETURN_IF_ERROR(requireInput(node, in, 1, "Indices"));
    const TensorDesc& data = in[0];
    const TensorDesc& idx = in[1];
    if (idx.dtype != DType::kI32 && idx.dtype != DType::kI64)
        return Status::Error("indices must be int32 or int64, got " + std::string(dtypeName(idx.dtype)));
    const std::string mode = node.attrs.getString("mode", "default");
    if (mode == "default") p.mode = GatherMode::kDefault;
    else if (mode == "elements") p.mode = GatherMode::kElements;
    else if (mode == "nd") p.mode = GatherMode::kND;
    else return Status::Error("unknown mode '" + mode + "' (expected default, elements or nd)");

    const int64_t rank = int64_t(data.shape.size());
    if (rank < 1) return Status::Error("data must have rank >= 1, got a scalar");
    p.batchDims = node.attrs.getInt("batch_dims", 0);
    if (p.mode == GatherMode::kND) return gatherND(p, data.shape, idx.shape);

    p.axis = node.attrs.getInt("axis", 0);
    if (!normalizeAxis(p.axis, rank))
        return Status::Error("axis " + std::to_string(p.axis) + " out of range for data " + shapeToString(data.shape));
    if (p.mode == GatherMode::kElements) return gatherElements(p, data.shape, idx.shape);
    return gatherDefault(p, data.shape, idx.shape);
}

Status inferGather(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    GatherParams p;
    KILN_RETURN_IF_ERROR(resolveGather(node, in, p));
    out[0] = {in[0].dtype, p.outShape, nullptr};
    return Status::Ok();
}

}  // namespace kiln::ir::movement
