// ReverseSequence on CUDA (backends/cpu/ref/reverse_sequence.cpp): for batch
// entry b the first SequenceLens[b] steps along the time axis are reversed,
// the rest copied; one thread per element. The CPU rejects lengths outside
// [0, time extent]; the device cannot report them, so it clamps them into
// that range (nothing is read out of bounds).
#include "device_common.cuh"
#include "dtype_convert.cuh"
#include "ir/ops/nn_ops.h"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;
using ir::DType;

__global__ void reverseSequenceKernel(const void* __restrict__ x, void* __restrict__ y, DType t,
                                      const void* __restrict__ lens, bool lens64, int64_t n, int64_t steps,
                                      int64_t batch, int64_t ts, int64_t bs) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        const int64_t tt = (i / ts) % steps, b = (i / bs) % batch;
        int64_t len = lens64 ? static_cast<const int64_t*>(lens)[b] : static_cast<const int32_t*>(lens)[b];
        len = len < 0 ? 0 : len > steps ? steps : len;
        const int64_t from = tt < len ? i + (len - 1 - 2 * tt) * ts : i;
        conv::storeRaw(y, t, i, conv::loadRaw(x, t, from));
    }
}


}  // namespace

bool reverseSequenceSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                             const std::vector<ir::TensorDesc>& out) {
    ir::nn::ReverseSequenceParams p;
    return out.size() == 1 && ir::nn::resolveReverseSequence(node, in, p).ok() && ir::dtypeSize(in[0].dtype) <= 8;
}

Status reverseSequence(LaunchArgs& a) {
    ir::nn::ReverseSequenceParams p;
    KILN_RETURN_IF_ERROR(ir::nn::resolveReverseSequence(a.node, hostDescs(a.inputs), p).withContext("ReverseSequence: "));
    const DeviceTensor& x = a.inputs[0];
    const DeviceTensor& lens = a.inputs[1];
    DeviceTensor& y = a.outputs[0];
    const ir::Shape& s = x.shape;
    const int64_t batch = s[size_t(p.batchAxis)], steps = s[size_t(p.timeAxis)];
    if (lens.numel() != batch || y.shape != s)
        return Status::Error("ReverseSequence: " + std::to_string(lens.numel()) + " lengths for a batch of " +
                             std::to_string(batch));
    const int64_t n = x.numel();
    if (n <= 0) return Status::Ok();
    const auto strides = ir::stridesOf(s);
    reverseSequenceKernel<<<gridFor(n), kBlock, 0, a.stream>>>(
        x.data, y.data, x.dtype, lens.data, lens.dtype == DType::kI64, n, steps, batch, strides[size_t(p.timeAxis)],
        strides[size_t(p.batchAxis)]);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

}  // namespace kiln::cuda::kernels
