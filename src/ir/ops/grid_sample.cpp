// GridSample: samples X at the normalized positions of a grid (ONNX GridSample,
// TensorRT's IGridSampleLayer); docs/ops.md.
#include <string>

#include "op_families.h"

namespace kiln::ir {

namespace {

bool isFloatType(DType t) { return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16; }

Status inferGridSample(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const Attrs& a = node.attrs;
    if (in.size() < 2 || node.inputs.size() < 2 || node.inputs[0] < 0 || node.inputs[1] < 0)
        return Status::Error("inputs X and Grid are required");
    const TensorDesc& x = in[0];
    const TensorDesc& grid = in[1];
    const size_t rank = x.shape.size();
    if (rank < 3 || rank > 5)
        return Status::Error("input X must be [N, C, D1..Dr] with r = 1..3, got shape " + shapeToString(x.shape));
    const size_t r = rank - 2;
    if (grid.shape.size() != rank)
        return Status::Error("Grid must be [N, D1_out..Dr_out, " + std::to_string(r) + "] (rank " +
                             std::to_string(rank) + "), got shape " + shapeToString(grid.shape));
    if (grid.shape[rank - 1] >= 0 && grid.shape[rank - 1] != int64_t(r))
        return Status::Error("the last dim of Grid " + shapeToString(grid.shape) + " must be " + std::to_string(r) +
                             " (one coordinate per spatial dim of X " + shapeToString(x.shape) + ")");
    if (x.shape[0] >= 0 && grid.shape[0] >= 0 && x.shape[0] != grid.shape[0])
        return Status::Error("batch of X " + shapeToString(x.shape) + " and Grid " + shapeToString(grid.shape) +
                             " differ");
    if (!isFloatType(x.dtype))
        return Status::Error("unsupported dtype " + std::string(dtypeName(x.dtype)) + " for X (float types only)");
    if (!isFloatType(grid.dtype))
        return Status::Error("unsupported dtype " + std::string(dtypeName(grid.dtype)) +
                             " for Grid (float types only)");
    const std::string mode = a.getString("mode", "linear");
    if (mode != "linear" && mode != "nearest" && mode != "cubic")
        return Status::Error("unknown mode '" + mode + "' (expected linear, nearest or cubic)");
    const std::string pad = a.getString("padding_mode", "zeros");
    if (pad != "zeros" && pad != "border" && pad != "reflection")
        return Status::Error("unknown padding_mode '" + pad + "' (expected zeros, border or reflection)");
    const int64_t align = a.getInt("align_corners", 0);
    if (align != 0 && align != 1) return Status::Error("align_corners must be 0 or 1, got " + std::to_string(align));
    for (size_t i = 0; i < r; ++i)
        if (x.shape[2 + i] == 0) return Status::Error("X " + shapeToString(x.shape) + " has an empty spatial dim");

    Shape y = {x.shape[0] >= 0 ? x.shape[0] : grid.shape[0], x.shape[1]};
    y.insert(y.end(), grid.shape.begin() + 1, grid.shape.end() - 1);
    out[0] = TensorDesc{x.dtype, y, nullptr};
    return Status::Ok();
}

}  // namespace

void registerGridSampleOp(std::vector<OpSchema>& t) { t.push_back({"GridSample", 2, 2, 1, 1, &inferGridSample}); }

}  // namespace kiln::ir
