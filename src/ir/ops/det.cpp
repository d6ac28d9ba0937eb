// Det: the determinant of each square matrix in the last two dims.
#include "nn_ops.h"

namespace kiln::ir::nn {

Status inferDet(const Node&, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const TensorDesc& x = in[0];
    if (x.dtype != DType::kF32 && x.dtype != DType::kF16 && x.dtype != DType::kBF16 && x.dtype != DType::kF64)
        return Status::Error("X must be a float type, got " + std::string(dtypeName(x.dtype)));
    const size_t r = x.shape.size();
    // -1: an extent known at run time only.
    if (r < 2 || (x.shape[r - 1] >= 0 && x.shape[r - 2] >= 0 && x.shape[r - 1] != x.shape[r - 2]))
        return Status::Error("X must be [..., M, M], got " + shapeToString(x.shape));
    out[0] = {x.dtype, Shape(x.shape.begin(), x.shape.end() - 2), nullptr};
    return Status::Ok();
}

}  // namespace kiln::ir::nn
