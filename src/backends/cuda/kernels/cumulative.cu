// Cumulative on CUDA (backends/cpu/ref/cumulative.cpp): a running sum or
// product along the axis, inclusive or exclusive, forward or reversed,
// accumulated as the CPU does (double for float32/16, bfloat16 and float64;
// wrapping int64 for the integer and other storage types) in the same order,
// so the results are the CPU's bit for bit. One thread walks one line along
// the axis; neighbouring threads take neighbouring lines, so the accesses
// coalesce whenever the axis is not the innermost dim. The axis (input 1,
// int32 or int64) is read on the host when the host has it; otherwise (a
// network input, whose value no shape depends on) every thread reads it on
// the device and an out-of-range axis writes zeros, as Gather does for
// out-of-range indices (the CPU reports an error).
#include <algorithm>

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

// X's dims and the axis in device memory, when the host does not know the axis.
struct DeviceAxis {
    const void* p = nullptr;  // nullptr: ScanArgs already hold the host's geometry
    bool i64 = false;
    int rank = 0;
    int64_t dims[kMaxDims] = {};
    int64_t numel = 0;
};

// Fills a's lines, n and inner from the axis on the device; false when it is out of range.
__device__ bool deviceGeometry(const DeviceAxis& d, ScanArgs& a) {
    int64_t axis = d.i64 ? *static_cast<const int64_t*>(d.p) : int64_t(*static_cast<const int32_t*>(d.p));
    if (axis < 0) axis += d.rank;
    if (axis < 0 || axis >= d.rank) return false;
    int64_t outer = 1;
    a.inner = 1;
    for (int k = 0; k < d.rank; ++k) {
        if (k < axis) outer *= d.dims[k];
        if (k > axis) a.inner *= d.dims[k];
    }
    a.n = d.dims[axis];
    a.lines = outer * a.inner;
    return true;
}

__global__ void cumulativeKernel(ScanArgs a, DeviceAxis d) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    if (d.p && !deviceGeometry(d, a)) {
        for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < d.numel; i += stride)
            conv::storeRaw(a.y, a.t, i, 0);
        return;
    }
    const bool isFloat = conv::accIsFloat(a.t);
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

// The axis read on the device: the kernel derives the lines from X's dims.
Status launchWithDeviceAxis(const DeviceTensor& x, const DeviceTensor& axisT, ScanArgs s, cudaStream_t stream) {
    if (!axisT.data || (axisT.dtype != ir::DType::kI32 && axisT.dtype != ir::DType::kI64) || axisT.numel() != 1)
        return Status::Error("Cumulative: the axis must be one int32 or int64 value");
    if (x.shape.size() > size_t(kMaxDims))
        return Status::Error("Cumulative: an axis known only on the device needs rank <= 8");
    DeviceAxis d;
    d.p = axisT.data;
    d.i64 = axisT.dtype == ir::DType::kI64;
    d.rank = int(x.shape.size());
    int64_t minDim = x.numel();
    for (size_t k = 0; k < x.shape.size(); ++k) {
        d.dims[k] = x.shape[k];
        minDim = std::min(minDim, x.shape[k]);
    }
    d.numel = x.numel();
    // lines = numel / n <= numel / the smallest extent (every extent >= 1 here)
    const int64_t maxLines = d.numel / std::max<int64_t>(minDim, 1);
    cumulativeKernel<<<gridFor(maxLines), kBlock, 0, stream>>>(s, d);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

}  // namespace

bool cumulativeSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                        const std::vector<ir::TensorDesc>& out) {
    ir::nn::CumulativeParams p;
    if (out.size() != 1 || !ir::nn::resolveCumulative(node, in, p).ok()) return false;
    // One int32/int64 value. Host values are not checked here (read-back ones
    // are stand-in zeros at build time); without one the kernel reads it on the device.
    const ir::TensorDesc& a = in[1];
    const bool axisOk =
        (a.dtype == ir::DType::kI32 || a.dtype == ir::DType::kI64) && a.shape.size() <= 1 && ir::volume(a.shape) == 1;
    return axisOk && (a.data != nullptr || in[0].shape.size() <= size_t(kMaxDims));
}

Status cumulative(LaunchArgs& a) {
    if (a.inputs.size() != 2 || a.outputs.size() != 1) return Status::Error("Cumulative: expects X and Axis");
    const std::vector<ir::TensorDesc> descs = hostDescs(a.inputs);
    ir::nn::CumulativeParams p;
    KILN_RETURN_IF_ERROR(ir::nn::resolveCumulative(a.node, descs, p).withContext("Cumulative: "));
    const DeviceTensor& x = a.inputs[0];
    if (a.outputs[0].shape != x.shape || a.outputs[0].dtype != x.dtype)
        return Status::Error("Cumulative: output must have X's shape and dtype");
    ScanArgs s{};
    s.x = x.data;
    s.y = a.outputs[0].data;
    s.t = x.dtype;
    s.product = p.product;
    s.exclusive = p.exclusive;
    s.reverse = p.reverse;
    if (!a.inputs[1].hostData) return x.numel() <= 0 ? Status::Ok() : launchWithDeviceAxis(x, a.inputs[1], s, a.stream);
    int64_t axis = 0;
    KILN_RETURN_IF_ERROR(ir::nn::readAxisInput(descs[1], int64_t(x.shape.size()), axis).withContext("Cumulative: "));
    s.n = x.shape[size_t(axis)];
    s.inner = 1;
    for (size_t d = size_t(axis) + 1; d < x.shape.size(); ++d) s.inner *= x.shape[d];
    int64_t outer = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= x.shape[size_t(d)];
    s.lines = outer * s.inner;
    if (x.numel() <= 0) return Status::Ok();
    cumulativeKernel<<<gridFor(s.lines), kBlock, 0, a.stream>>>(s, DeviceAxis{});
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

}  // namespace kiln::cuda::kernels
