// Cumulative on CUDA (backends/cpu/ref/cumulative.cpp): a running sum or
// product along the axis, inclusive or exclusive, forward or reversed,
// accumulated as the CPU does (double for float32/16, bfloat16 and float64;
// wrapping int64 for the integer and other storage types) in the same order,
// so the results are the CPU's bit for bit. One thread walks one line along
// the axis; neighbouring threads take neighbouring lines, so the accesses
// coalesce whenever the axis is not the innermost dim. The axis (input 1)
// must be a build-time constant.
#include "device_common.cuh"
#include "dtype_convert.cuh"
#include "ir/ops/nn_ops.h"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;
using ir::DType;

struct ScanArgs {
    const void* x;
    void* y;
    DType t;
    int64_t lines, n, inner;
    bool product, exclusive, reverse;
};

__global__ void cumulativeKernel(ScanArgs a) {
    const bool isFloat = conv::accIsFloat(a.t);
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t line = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; line < a.lines; line += stride) {
        const int64_t base = (line / a.inner) * a.n * a.inner + line % a.inner;
        double accF = a.product ? 1.0 : 0.0;
        int64_t accI = a.product ? 1 : 0;
        for (int64_t s = 0; s < a.n; ++s) {
            const int64_t j = a.reverse ? a.n - 1 - s : s;
            const int64_t at = base + j * a.inner;
            const uint64_t raw = conv::loadRaw(a.x, a.t, at);
            if (isFloat) {
                const double v = conv::rawToDouble(a.t, raw);
                if (!a.exclusive) accF = a.product ? __dmul_rn(accF, v) : __dadd_rn(accF, v);
                conv::storeRaw(a.y, a.t, at, conv::storeComputeFromDouble(a.t, accF));
                if (a.exclusive) accF = a.product ? __dmul_rn(accF, v) : __dadd_rn(accF, v);
            } else {
                const int64_t v = conv::loadAccInt(a.t, raw);
                if (!a.exclusive)
                    accI = int64_t(a.product ? uint64_t(accI) * uint64_t(v) : uint64_t(accI) + uint64_t(v));
                conv::storeRaw(a.y, a.t, at, conv::storeAccInt(a.t, accI));
                if (a.exclusive)
                    accI = int64_t(a.product ? uint64_t(accI) * uint64_t(v) : uint64_t(accI) + uint64_t(v));
            }
        }
    }
}

}  // namespace

bool cumulativeSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                        const std::vector<ir::TensorDesc>& out) {
    ir::nn::CumulativeParams p;
    int64_t axis = 0;
    return out.size() == 1 && ir::nn::resolveCumulative(node, in, p).ok() && in[1].data != nullptr &&
           ir::nn::readAxisInput(in[1], int64_t(in[0].shape.size()), axis).ok();
}

Status cumulative(LaunchArgs& a) {
    if (a.inputs.size() != 2 || a.outputs.size() != 1) return Status::Error("Cumulative: expects X and Axis");
    std::vector<ir::TensorDesc> descs;
    for (const auto& t : a.inputs) descs.push_back({t.dtype, t.shape, t.hostData});
    ir::nn::CumulativeParams p;
    KILN_RETURN_IF_ERROR(ir::nn::resolveCumulative(a.node, descs, p).withContext("Cumulative: "));
    const DeviceTensor& x = a.inputs[0];
    int64_t axis = 0;
    KILN_RETURN_IF_ERROR(ir::nn::readAxisInput(descs[1], int64_t(x.shape.size()), axis).withContext("Cumulative: "));
    if (a.outputs[0].shape != x.shape || a.outputs[0].dtype != x.dtype)
        return Status::Error("Cumulative: output must have X's shape and dtype");
    ScanArgs s{};
    s.x = x.data;
    s.y = a.outputs[0].data;
    s.t = x.dtype;
    s.n = x.shape[size_t(axis)];
    s.inner = 1;
    for (size_t d = size_t(axis) + 1; d < x.shape.size(); ++d) s.inner *= x.shape[d];
    int64_t outer = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= x.shape[size_t(d)];
    s.lines = outer * s.inner;
    s.product = p.product;
    s.exclusive = p.exclusive;
    s.reverse = p.reverse;
    if (x.numel() <= 0) return Status::Ok();
    cumulativeKernel<<<gridFor(s.lines), kBlock, 0, a.stream>>>(s);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

}  // namespace kiln::cuda::kernels
