// Einsum on CUDA (backends/cpu/ref/einsum.cpp): for every output element the
// sum over the summed labels of the product of the inputs' elements, in
// double for the compute floats and wrapping int64 otherwise, with the terms
// taken in the CPU's order (the summed labels as an odometer, the last
// fastest) and every product and sum rounded separately, so the result is
// the CPU's bit for bit. One thread per output element; a general strided
// contraction, not a GEMM (MatMul is the fast path for products of two
// matrices). Repeated labels within an input (diagonals) and broadcast
// ("...") dims are folded into the per-label strides, as on the CPU.
#include "device_common.cuh"
#include "dtype_convert.cuh"
#include "ir/ops/nn_ops.h"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;
using ir::DType;

constexpr int kMaxInputs = 8;
constexpr int kMaxSum = 16;

struct EinsumArgs {
    const void* in[kMaxInputs];
    void* out;
    DType t;
    int nin, nout, nsum;
    int64_t total;
    int64_t outSize[kMaxDims], sumSize[kMaxSum];
    int64_t outStride[kMaxInputs][kMaxDims];  // how far input i moves per step of output label k
    int64_t sumStride[kMaxInputs][kMaxSum];
};

__global__ void einsumKernel(EinsumArgs a) {
    const bool isFloat = conv::accIsFloat(a.t);
    int64_t sumCount = 1;
    for (int s = 0; s < a.nsum; ++s) sumCount *= a.sumSize[s];
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t o = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; o < a.total; o += stride) {
        int64_t off[kMaxInputs];
        for (int i = 0; i < a.nin; ++i) off[i] = 0;
        for (int64_t r = o, k = a.nout - 1; k >= 0; --k) {
            const int64_t c = r % a.outSize[k];
            r /= a.outSize[k];
            for (int i = 0; i < a.nin; ++i) off[i] += c * a.outStride[i][k];
        }
        int64_t sumIdx[kMaxSum];
        for (int s = 0; s < a.nsum; ++s) sumIdx[s] = 0;
        double accF = 0.0;
        int64_t accI = 0;
        for (int64_t s = 0; s < sumCount; ++s) {
            if (isFloat) {
                double prod = 1.0;
                for (int i = 0; i < a.nin; ++i) prod = __dmul_rn(prod, conv::loadAsDouble(a.in[i], a.t, off[i]));
                accF = __dadd_rn(accF, prod);
            } else {
                uint64_t prod = 1;
                for (int i = 0; i < a.nin; ++i)
                    prod *= uint64_t(conv::loadAccInt(a.t, conv::loadRaw(a.in[i], a.t, off[i])));
                accI = int64_t(uint64_t(accI) + prod);
            }
            for (int k = a.nsum - 1; k >= 0; --k) {  // odometer over the summed labels
                for (int i = 0; i < a.nin; ++i) off[i] += a.sumStride[i][k];
                if (++sumIdx[k] < a.sumSize[k]) break;
                for (int i = 0; i < a.nin; ++i) off[i] -= a.sumStride[i][k] * a.sumSize[k];
                sumIdx[k] = 0;
            }
        }
        conv::storeRaw(a.out, a.t, o, isFloat ? conv::storeComputeFromDouble(a.t, accF) : conv::storeAccInt(a.t, accI));
    }
}

Status makeArgs(const ir::Node& node, const std::vector<ir::Shape>& shapes, EinsumArgs& a) {
    ir::nn::EinsumPlan plan;
    KILN_RETURN_IF_ERROR(ir::nn::planEinsum(node.attrs.getString("equation"), shapes, plan));
    if (shapes.size() > size_t(kMaxInputs) || plan.outputLabels.size() > size_t(kMaxDims) ||
        plan.sumLabels.size() > size_t(kMaxSum))
        return Status::Error("more than " + std::to_string(kMaxInputs) + " inputs, " + std::to_string(kMaxDims) +
                             " output labels or " + std::to_string(kMaxSum) + " summed labels");
    a = EinsumArgs{};
    a.nin = int(shapes.size());
    a.nout = int(plan.outputLabels.size());
    a.nsum = int(plan.sumLabels.size());
    for (size_t i = 0; i < shapes.size(); ++i) {
        // stride[label]: the sum over the input's axes with that label (0 for a broadcast extent 1).
        std::vector<int64_t> stride(plan.labelSize.size(), 0);
        const auto st = ir::stridesOf(shapes[i]);
        for (size_t ax = 0; ax < plan.inputLabels[i].size(); ++ax)
            if (shapes[i][ax] != 1) stride[size_t(plan.inputLabels[i][ax])] += st[ax];
        for (int k = 0; k < a.nout; ++k) a.outStride[i][k] = stride[size_t(plan.outputLabels[size_t(k)])];
        for (int k = 0; k < a.nsum; ++k) a.sumStride[i][k] = stride[size_t(plan.sumLabels[size_t(k)])];
    }
    for (int k = 0; k < a.nout; ++k) a.outSize[k] = plan.labelSize[size_t(plan.outputLabels[size_t(k)])];
    for (int k = 0; k < a.nsum; ++k) a.sumSize[k] = plan.labelSize[size_t(plan.sumLabels[size_t(k)])];
    return Status::Ok();
}

}  // namespace

bool einsumSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                    const std::vector<ir::TensorDesc>& out) {
    std::vector<ir::TensorDesc> o(1);
    if (!ir::nn::inferEinsum(node, in, o).ok() || out.size() != 1 || out[0].dtype != in[0].dtype) return false;
    std::vector<ir::Shape> shapes;
    for (const auto& d : in) shapes.push_back(d.shape);
    EinsumArgs a;
    return makeArgs(node, shapes, a).ok();
}

Status einsum(LaunchArgs& args) {
    std::vector<ir::Shape> shapes;
    for (const auto& t : args.inputs) {
        if (t.dtype != args.outputs[0].dtype) return Status::Error("Einsum: inputs and output differ in dtype");
        shapes.push_back(t.shape);
    }
    EinsumArgs a;
    KILN_RETURN_IF_ERROR(makeArgs(args.node, shapes, a).withContext("Einsum: "));
    DeviceTensor& y = args.outputs[0];
    int64_t total = 1;
    for (int k = 0; k < a.nout; ++k) total *= a.outSize[k];
    if (total != y.numel()) return Status::Error("Einsum: output shape does not match the equation");
    for (int i = 0; i < a.nin; ++i) a.in[i] = args.inputs[size_t(i)].data;
    a.out = y.data;
    a.t = y.dtype;
    a.total = total;
    if (total <= 0) return Status::Ok();
    einsumKernel<<<gridFor(total), kBlock, 0, args.stream>>>(a);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

}  // namespace kiln::cuda::kernels
