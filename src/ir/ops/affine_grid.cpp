// AffineGrid: sampling grids from batches of affine matrices (ONNX
// AffineGrid-20); docs/ops.md.
#include <string>

#include "op_families.h"

namespace kiln::ir {

namespace {

Status inferAffineGrid(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    if (node.inputs.size() < 2 || node.inputs[0] < 0 || node.inputs[1] < 0)
        return Status::Error("inputs theta and size are required");
    const TensorDesc &theta = in[0], &size = in[1];
    if (theta.dtype != DType::kF32 && theta.dtype != DType::kF16 && theta.dtype != DType::kBF16)
        return Status::Error("theta must be a float type");
    if (size.dtype != DType::kI64 && size.dtype != DType::kI32) return Status::Error("size must be int64 or int32");
    if (size.shape.size() != 1 || (size.shape[0] != 4 && size.shape[0] != 5))
        return Status::Error("size must be [4] (N, C, H, W) or [5] (N, C, D, H, W), got " + shapeToString(size.shape));
    const int64_t r = size.shape[0] - 2;
    if (theta.shape.size() != 3 || (theta.shape[1] >= 0 && theta.shape[1] != r) ||
        (theta.shape[2] >= 0 && theta.shape[2] != r + 1))
        return Status::Error("theta must be [N, " + std::to_string(r) + ", " + std::to_string(r + 1) + "], got " +
                             shapeToString(theta.shape));
    if (!size.data) {  // the grid's extents are known at run time only
        Shape g(size_t(r) + 2, -1);
        g[0] = theta.shape[0];
        g.back() = r;
        out[0] = {theta.dtype, g, nullptr};
        return Status::Ok();
    }
    Shape y;
    for (int64_t i = 0; i < size.shape[0]; ++i) y.push_back(int64_t(loadAsDouble(size.data, size.dtype, i)));
    if (theta.shape[0] >= 0 && y[0] != theta.shape[0])
        return Status::Error("size[0] = " + std::to_string(y[0]) + " differs from theta's batch " +
                             std::to_string(theta.shape[0]));
    for (int64_t d = 2; d < int64_t(y.size()); ++d)
        if (y[size_t(d)] < 1 || y[size_t(d)] > (int64_t(1) << 31))
            return Status::Error("spatial size " + std::to_string(y[size_t(d)]) + " must be in [1, 2^31]");
    const int64_t align = node.attrs.getInt("align_corners", 0);
    if (align != 0 && align != 1) return Status::Error("align_corners must be 0 or 1");
    Shape g = {y[0]};
    g.insert(g.end(), y.begin() + 2, y.end());
    g.push_back(r);
    out[0] = {theta.dtype, g, nullptr};
    return Status::Ok();
}

}  // namespace

void registerAffineGridOp(std::vector<OpSchema>& t) { t.push_back({"AffineGrid", 2, 2, 1, 1, &inferAffineGrid}); }

}  // namespace kiln::ir
