// NonZero: the coordinates of the non-zero elements (ONNX NonZero,
// TensorRT's INonZeroLayer), int64 [rank, count] in row-major order.
#include "data_dependent.h"
#include "op_families.h"

namespace kiln::ir {

namespace {

Status inferNonZero(const Node&, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const TensorDesc& x = in[0];
    // A scalar counts as a one-element vector (numpy's rule).
    const int64_t rank = std::max<int64_t>(int64_t(x.shape.size()), 1);
    int64_t count = -1;
    if (x.data && isStatic(x.shape)) {
        count = 0;
        for (int64_t i = 0, n = volume(x.shape); i < n; ++i) count += loadAsDouble(x.data, x.dtype, i) != 0.0;
    }
    out[0] = {DType::kI64, {rank, count}, nullptr};
    return Status::Ok();
}

}  // namespace

void registerNonZero(std::vector<OpSchema>& t) { t.push_back({"NonZero", 1, 1, 1, 1, &inferNonZero}); }

}  // namespace kiln::ir
