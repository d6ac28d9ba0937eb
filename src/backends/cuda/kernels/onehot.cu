// OneHot on CUDA (backends/cpu/ref/onehot.cpp): out[o, j, i] = j == index[o, i]
// ? on : off, one thread per output element. Indices of any numeric type are
// read as double and truncated (ONNX casts them to int64); negative ones
// count from the end; anything outside [0, depth) (NaN, infinities, huge
// values included) matches no position. Depth is the output's extent.
#include <cmath>

#include "device_common.cuh"
#include "dtype_convert.cuh"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;
using ir::DType;

__global__ void onehotKernel(const void* __restrict__ idx, DType idxType, const void* __restrict__ values, void* out,
                             DType outType, int64_t total, int64_t depth, int64_t inner) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    const uint64_t off = conv::loadRaw(values, outType, 0), on = conv::loadRaw(values, outType, 1);
    for (int64_t f = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; f < total; f += stride) {
        const int64_t i = f % inner, r = f / inner, j = r % depth, o = r / depth;
        const double v = conv::loadAsDouble(idx, idxType, o * inner + i);
        int64_t k = fabs(v) < 9.2e18 ? int64_t(v) : -depth - 1;  // NaN and infinities fail the test
        if (k < 0) k += depth;
        conv::storeRaw(out, outType, f, k == j ? on : off);
    }
}

}  // namespace

bool onehotSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                    const std::vector<ir::TensorDesc>& out) {
    return in.size() == 3 && out.size() == 1 && in[0].dtype != DType::kBool && in[2].dtype != DType::kBool &&
           out[0].dtype == in[1].dtype && node.op == "OneHot";
}

Status onehot(LaunchArgs& a) {
    if (a.inputs.size() != 3 || a.outputs.size() != 1) return Status::Error("OneHot: expects 3 inputs and 1 output");
    const DeviceTensor& idx = a.inputs[0];
    const DeviceTensor& values = a.inputs[1];
    DeviceTensor& out = a.outputs[0];
    int64_t axis = a.node.attrs.getInt("axis", -1);
    const int64_t outRank = int64_t(idx.shape.size()) + 1;
    if (!ir::normalizeAxis(axis, outRank) || int64_t(out.shape.size()) != outRank || values.numel() != 2 ||
        values.dtype != out.dtype)
        return Status::Error("OneHot: output " + ir::shapeToString(out.shape) + " does not fit indices " +
                             ir::shapeToString(idx.shape) + " and axis " + std::to_string(axis));
    const int64_t depth = out.shape[size_t(axis)];
    int64_t inner = 1;
    for (size_t d = size_t(axis); d < idx.shape.size(); ++d) inner *= idx.shape[d];
    const int64_t total = out.numel();
    if (total <= 0) return Status::Ok();
    onehotKernel<<<gridFor(total), kBlock, 0, a.stream>>>(idx.data, idx.dtype, values.data, out.data, out.dtype, total,
                                                          depth, inner);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

}  // namespace kiln::cuda::kernels
