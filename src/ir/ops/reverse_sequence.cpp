// ReverseSequence: for each batch entry b, the first SequenceLens[b] elements
// along the time axis are reversed; the rest are copied.
#include "nn_ops.h"

namespace kiln::ir::nn {

Status resolveReverseSequence(const Node& node, const std::vector<TensorDesc>& in, ReverseSequenceParams& p) {
    if (in.size() != 2) return Status::Error("needs X and SequenceLens");
    const TensorDesc &x = in[0], &lens = in[1];
    if (lens.dtype != DType::kI32 && lens.dtype != DType::kI64)
        return Status::Error("sequence lengths must be int32 or int64, got " + std::string(dtypeName(lens.dtype)));
    const int64_t r = int64_t(x.shape.size());
    if (r < 2) return Status::Error("X must have rank >= 2, got " + shapeToString(x.shape));
    p.batchAxis = node.attrs.getInt("batch_axis", 1);
    p.timeAxis = node.attrs.getInt("time_axis", 0);
    if (!normalizeAxis(p.batchAxis, r) || !normalizeAxis(p.timeAxis, r))
        return Status::Error("batch_axis/time_axis out of range for X " + shapeToString(x.shape));
    if (p.batchAxis == p.timeAxis) return Status::Error("batch_axis and time_axis must differ");
    const int64_t batch = x.shape[size_t(p.batchAxis)];
    if (lens.shape.size() != 1 || (batch >= 0 && lens.shape[0] >= 0 && lens.shape[0] != batch))
        return Status::Error("sequence lengths must be [" + std::to_string(batch) + "], got " +
                             shapeToString(lens.shape));
    return Status::Ok();
}

Status inferReverseSequence(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    ReverseSequenceParams p;
    KILN_RETURN_IF_ERROR(resolveReverseSequence(node, in, p));
    out[0] = {in[0].dtype, in[0].shape, nullptr};
    return Status::Ok();
}

}  // namespace kiln::ir::nn
