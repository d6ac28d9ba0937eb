// MaxUnpool: scatters pooled maxima back to their positions (ONNX
// MaxUnpool-11); docs/ops.md.
#include <string>

#include "op_families.h"

namespace kiln::ir {

namespace {

Status inferMaxUnpool(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const Attrs& a = node.attrs;
    if (node.inputs.size() < 2 || node.inputs[0] < 0 || node.inputs[1] < 0)
        return Status::Error("inputs X and Indices are required");
    const TensorDesc &x = in[0], &idx = in[1];
    const size_t rank = x.shape.size();
    if (rank < 3 || rank > 5) return Status::Error("X must be [N, C, S1..Sk], k = 1..3, got " + shapeToString(x.shape));
    if (idx.dtype != DType::kI64) return Status::Error("Indices must be int64");
    if (idx.shape != x.shape)
        return Status::Error("Indices " + shapeToString(idx.shape) + " must have X's shape " + shapeToString(x.shape));
    const size_t k = rank - 2;
    const auto kernel = a.getInts("kernel");
    const auto strides = a.getInts("strides", std::vector<int64_t>(k, 1));
    const auto pb = a.getInts("pads_begin", std::vector<int64_t>(k, 0));
    const auto pe = a.getInts("pads_end", std::vector<int64_t>(k, 0));
    if (kernel.size() != k || strides.size() != k || pb.size() != k || pe.size() != k)
        return Status::Error("kernel, strides and pads need one entry per spatial dim (" + std::to_string(k) + ")");
    for (size_t i = 0; i < k; ++i)
        if (kernel[i] < 1 || strides[i] < 1 || pb[i] < 0 || pe[i] < 0)
            return Status::Error("kernel and strides must be >= 1, pads >= 0");
    Shape y;
    if (node.inputs.size() > 2 && node.inputs[2] >= 0) {
        const TensorDesc& s = in[2];
        if (s.dtype != DType::kI64 || s.shape != Shape{int64_t(rank)})
            return Status::Error("input 2 (output_shape) must be int64 [" + std::to_string(rank) + "]");
        if (s.data) {
            const auto* v = static_cast<const int64_t*>(s.data);
            y.assign(v, v + rank);
        } else {
            y.assign(rank, -1);  // known at run time only
        }
    } else if (a.has("output_shape")) {
        y = a.getInts("output_shape");
        if (y.size() != rank) return Status::Error("output_shape must have " + std::to_string(rank) + " entries");
    } else {
        y = {x.shape[0], x.shape[1]};
        for (size_t i = 0; i < k; ++i) {
            const int64_t S = x.shape[2 + i];
            y.push_back(S < 0 ? -1 : (S - 1) * strides[i] + kernel[i] - pb[i] - pe[i]);
            if (S >= 0 && y.back() < 1)
                return Status::Error("output extent of spatial dim " + std::to_string(i) + " < 1");
        }
    }
    for (size_t d = 0; d < y.size(); ++d)
        if (y[d] < 0 && (d >= 2 || x.shape[d] >= 0))
            return Status::Error("output shape " + shapeToString(y) + " has a negative extent");
    for (size_t i = 0; i < k && y.size() == rank; ++i) {
        const int64_t S = x.shape[2 + i], def = (S - 1) * strides[i] + kernel[i] - pb[i] - pe[i];
        if (S >= 0 && y[2 + i] >= 0 && y[2 + i] < def)
            return Status::Error("output extent " + std::to_string(y[2 + i]) + " of spatial dim " + std::to_string(i) +
                                 " is smaller than the default " + std::to_string(def));
    }
    if ((x.shape[0] >= 0 && y[0] != x.shape[0]) || (x.shape[1] >= 0 && y[1] != x.shape[1]))
        return Status::Error("output shape " + shapeToString(y) + " must keep N and C of X " + shapeToString(x.shape));
    out[0] = {x.dtype, y, nullptr};
    return Status::Ok();
}

}  // namespace

void registerMaxUnpoolOp(std::vector<OpSchema>& t) { t.push_back({"MaxUnpool", 2, 3, 1, 1, &inferMaxUnpool}); }

}  // namespace kiln::ir
