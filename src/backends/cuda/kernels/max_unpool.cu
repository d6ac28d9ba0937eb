// MaxUnpool on CUDA (backends/cpu/ref/max_unpool.cpp): zeros, then X[i] at
// the position Indices[i] names in the default output shape (a larger output
// holds that block in its leading corner). The CPU writes in order, so with
// duplicate indices the last X wins; the device finds that winner per
// position with an atomic maximum of i + 1 in the workspace (one 64-bit word
// per output element), then one thread per output element writes the winning
// value or zero. Indices outside the default shape (an error on the CPU) are
// skipped.
#include "device_common.cuh"
#include "dtype_convert.cuh"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;
using ir::DType;

struct UnpoolArgs {
    const void* x;
    const int64_t* ind;
    void* y;
    unsigned long long* win;
    DType t;
    int rank;
    int64_t n, outN, total;
    int64_t inferred[kMaxDims], yDims[kMaxDims];
};

__global__ void unpoolClaimKernel(UnpoolArgs a) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < a.n; i += stride) {
        int64_t rem = a.ind[i];
        if (rem < 0 || rem >= a.total) continue;
        // Position in the default shape -> position in the output's leading corner.
        int64_t at = 0, scale = 1;
        for (int d = a.rank - 1; d >= 0; --d) {
            at += (rem % a.inferred[d]) * scale;
            rem /= a.inferred[d];
            scale *= a.yDims[d];
        }
        atomicMax(a.win + at, static_cast<unsigned long long>(i + 1));
    }
}

__global__ void unpoolWriteKernel(UnpoolArgs a) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t o = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; o < a.outN; o += stride) {
        const unsigned long long w = a.win[o];
        conv::storeRaw(a.y, a.t, o, w ? conv::loadRaw(a.x, a.t, int64_t(w - 1)) : 0);
    }
}

}  // namespace

bool maxUnpoolSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in.size() >= 2 && out.size() == 1 && out[0].dtype == in[0].dtype && in[1].dtype == DType::kI64 &&
           in[0].shape.size() <= size_t(kMaxDims) && ir::dtypeSize(in[0].dtype) <= 8;
}

size_t maxUnpoolWorkspace(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>& out) {
    return out.empty() ? 0 : size_t(std::max<int64_t>(ir::volume(out[0].shape), 0)) * sizeof(unsigned long long);
}

Status maxUnpool(LaunchArgs& args) {
    const DeviceTensor &x = args.inputs[0], &idx = args.inputs[1];
    DeviceTensor& y = args.outputs[0];
    const ir::Attrs& at = args.node.attrs;
    const size_t rank = x.shape.size();
    if (rank < 3 || rank > size_t(kMaxDims) || y.shape.size() != rank || idx.shape != x.shape)
        return Status::Error("MaxUnpool: X " + ir::shapeToString(x.shape) + ", Indices " +
                             ir::shapeToString(idx.shape) + " and output " + ir::shapeToString(y.shape) +
                             " do not fit");
    const size_t k = rank - 2;
    const auto kernel = at.getInts("kernel");
    const auto strides = at.getInts("strides", std::vector<int64_t>(k, 1));
    const auto pb = at.getInts("pads_begin", std::vector<int64_t>(k, 0));
    const auto pe = at.getInts("pads_end", std::vector<int64_t>(k, 0));
    if (kernel.size() != k || strides.size() != k || pb.size() != k || pe.size() != k)
        return Status::Error("MaxUnpool: kernel, strides and pads need one entry per spatial dim");
    UnpoolArgs a{};
    a.inferred[0] = x.shape[0];
    a.inferred[1] = x.shape[1];
    for (size_t i = 0; i < k; ++i) a.inferred[2 + i] = (x.shape[2 + i] - 1) * strides[i] + kernel[i] - pb[i] - pe[i];
    a.total = 1;
    for (size_t d = 0; d < rank; ++d) {
        if (a.inferred[d] > y.shape[d])
            return Status::Error("MaxUnpool: output shape " + ir::shapeToString(y.shape) +
                                 " is smaller than the default shape");
        a.yDims[d] = y.shape[d];
        a.total *= a.inferred[d];
    }
    a.x = x.data;
    a.ind = idx.as<const int64_t>();
    a.y = y.data;
    a.t = y.dtype;
    a.rank = int(rank);
    a.n = x.numel();
    a.outN = y.numel();
    if (a.outN <= 0) return Status::Ok();
    if (size_t(a.outN) * sizeof(unsigned long long) > args.workspaceBytes)
        return Status::Error("MaxUnpool: the output exceeds the workspace sized at build time");
    a.win = static_cast<unsigned long long*>(args.workspace);
    KILN_CUDA_CHECK(cudaMemsetAsync(a.win, 0, size_t(a.outN) * sizeof(unsigned long long), args.stream));
    if (a.n > 0) {
        unpoolClaimKernel<<<gridFor(a.n), kBlock, 0, args.stream>>>(a);
        KILN_CUDA_CHECK_LAUNCH();
    }
    unpoolWriteKernel<<<gridFor(a.outN), kBlock, 0, args.stream>>>(a);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

}  // namespace kiln::cuda::kernels
