// RoiAlign: bilinear pooling of regions of interest (ONNX RoiAlign-16);
// docs/ops.md.
#include <string>

#include "op_families.h"

namespace kiln::ir {

namespace {

bool isFloatType(DType t) { return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16; }

Status inferRoiAlign(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const Attrs& a = node.attrs;
    for (size_t i = 0; i < 3; ++i)
        if (i >= node.inputs.size() || node.inputs[i] < 0)
            return Status::Error("inputs X, rois and batch_indices are required");
    const TensorDesc &x = in[0], &rois = in[1], &idx = in[2];
    if (x.shape.size() != 4) return Status::Error("X must be [N, C, H, W], got " + shapeToString(x.shape));
    if (!isFloatType(x.dtype)) return Status::Error("unsupported dtype " + std::string(dtypeName(x.dtype)));
    if (rois.dtype != x.dtype) return Status::Error("rois must have X's dtype");
    if (rois.shape.size() != 2 || (rois.shape[1] != 4 && rois.shape[1] >= 0))
        return Status::Error("rois must be [num_rois, 4], got " + shapeToString(rois.shape));
    if (idx.dtype != DType::kI64 && idx.dtype != DType::kI32)
        return Status::Error("batch_indices must be int64 or int32");
    if (idx.shape.size() != 1 || (idx.shape[0] >= 0 && rois.shape[0] >= 0 && idx.shape[0] != rois.shape[0]))
        return Status::Error("batch_indices must be [num_rois] = [" + std::to_string(rois.shape[0]) + "], got " +
                             shapeToString(idx.shape));
    const std::string mode = a.getString("mode", "avg");
    if (mode != "avg" && mode != "max") return Status::Error("unknown mode '" + mode + "' (expected avg or max)");
    const int64_t oh = a.getInt("output_height", 1), ow = a.getInt("output_width", 1);
    constexpr int64_t kMax = int64_t(1) << 24;
    if (oh < 1 || ow < 1 || oh > kMax || ow > kMax)
        return Status::Error("output_height and output_width must be in [1, 2^24]");
    const int64_t sr = a.getInt("sampling_ratio", 0);
    if (sr < 0 || sr > kMax) return Status::Error("sampling_ratio must be in [0, 2^24]");
    const int64_t aligned = a.getInt("half_pixel", 1);
    if (aligned != 0 && aligned != 1) return Status::Error("half_pixel must be 0 or 1");
    const int64_t R = rois.shape[0] >= 0 ? rois.shape[0] : idx.shape[0];
    out[0] = {x.dtype, {R, x.shape[1], oh, ow}, nullptr};
    return Status::Ok();
}

}  // namespace

void registerRoiAlignOp(std::vector<OpSchema>& t) { t.push_back({"RoiAlign", 3, 3, 1, 1, &inferRoiAlign}); }

}  // namespace kiln::ir
