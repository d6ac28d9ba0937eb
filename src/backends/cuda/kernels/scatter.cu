// Scatter on CUDA (backends/cpu/ref/scatter.cpp): a copy of Data with the
// Updates written (reduction none) or combined (add, mul, max, min) at the
// Indices, in "elements" (ONNX ScatterElements) and "nd" (ScatterND) modes.
//
// The CPU applies the updates one after the other in index order, so with
// duplicate indices the last write wins and float sums round in that order.
// The device keeps that order without atomics: every destination is owned by
// one thread, which applies the updates landing on it in their order.
//  - elements: the updates that can reach a destination share its position
//    off the axis, so one thread takes one line of Indices along the axis and
//    walks it in order (threads in parallel over the other positions);
//  - nd: slices land on whole slices, so one thread takes one element
//    position within a slice and walks the index tuples in order (threads in
//    parallel over the slice, coalesced); the tuples' target offsets are
//    computed first, in parallel, into the workspace.
// Reductions accumulate as the CPU does (double for the compute floats,
// wrapping int64 otherwise). Out-of-range indices, which the CPU rejects,
// are skipped (nothing is written out of bounds).
#include "device_common.cuh"
#include "dtype_convert.cuh"
#include "ir/ops/nn_ops.h"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;
using ir::DType;
using ir::nn::ScatterMode;
using ir::nn::ScatterParams;
using ir::nn::ScatterReduction;

// Combines update raw `b` into destination raw `a` (the CPU's combine()).
__device__ __forceinline__ uint64_t combine(DType t, int red, uint64_t a, uint64_t b) {
    if (red == int(ScatterReduction::kNone)) return b;
    if (conv::accIsFloat(t)) {
        const double x = conv::rawToDouble(t, a), y = conv::rawToDouble(t, b);
        double v;
        switch (red) {
            case int(ScatterReduction::kAdd):
                v = __dadd_rn(x, y);
                break;
            case int(ScatterReduction::kMul):
                v = __dmul_rn(x, y);
                break;
            default: {
                const bool nan = conv::isNaN(x) || conv::isNaN(y);
                const bool takeB = red == int(ScatterReduction::kMax) ? y > x : y < x;
                v = nan ? conv::quietNaN() : (takeB ? y : x);
                break;
            }
        }
        return conv::storeComputeFromDouble(t, v);
    }
    const int64_t x = conv::loadAccInt(t, a), y = conv::loadAccInt(t, b);
    int64_t v;
    switch (red) {
        case int(ScatterReduction::kAdd):
            v = int64_t(uint64_t(x) + uint64_t(y));
            break;
        case int(ScatterReduction::kMul):
            v = int64_t(uint64_t(x) * uint64_t(y));
            break;
        case int(ScatterReduction::kMax):
            v = y > x ? y : x;
            break;
        default:
            v = y < x ? y : x;
            break;
    }
    return conv::storeAccInt(t, v);
}

__device__ __forceinline__ int64_t loadIndex(const void* idx, bool i64, int64_t i) {
    return i64 ? static_cast<const int64_t*>(idx)[i] : static_cast<const int32_t*>(idx)[i];
}

struct ElementsArgs {
    const void* idx;
    const void* upd;
    void* out;
    DType t;
    bool idx64;
    int red;
    int rank, axis;
    int64_t lines;
    int64_t idxDims[kMaxDims];     // Indices' extents
    int64_t idxStrides[kMaxDims];  // Indices' (and Updates') strides
    int64_t dataStrides[kMaxDims];
    int64_t axisExtent;  // Data's extent along the axis
};

__global__ void scatterElementsKernel(ElementsArgs a) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    const int64_t along = a.idxDims[a.axis];
    for (int64_t line = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; line < a.lines; line += stride) {
        // The line's position over Indices' dims without the axis.
        int64_t flat0 = 0, base = 0, rem = line;
        for (int d = a.rank - 1; d >= 0; --d) {
            if (d == a.axis) continue;
            const int64_t c = rem % a.idxDims[d];
            rem /= a.idxDims[d];
            flat0 += c * a.idxStrides[d];
            base += c * a.dataStrides[d];
        }
        for (int64_t s = 0; s < along; ++s) {
            const int64_t flat = flat0 + s * a.idxStrides[a.axis];
            int64_t v = loadIndex(a.idx, a.idx64, flat);
            if (v < -a.axisExtent || v >= a.axisExtent) continue;
            if (v < 0) v += a.axisExtent;
            const int64_t o = base + v * a.dataStrides[a.axis];
            const uint64_t b = conv::loadRaw(a.upd, a.t, flat);
            conv::storeRaw(a.out, a.t, o, combine(a.t, a.red, conv::loadRaw(a.out, a.t, o), b));
        }
    }
}

struct NdArgs {
    const void* idx;
    const void* upd;
    void* out;
    int64_t* offs;  // workspace: one target offset per tuple, -1 when out of range
    DType t;
    bool idx64;
    int red;
    int k;
    int64_t tuples, slice;
    int64_t extents[kMaxDims], strides[kMaxDims];
};

__global__ void scatterNdOffsetsKernel(NdArgs a) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < a.tuples; t += stride) {
        int64_t off = 0;
        bool bad = false;
        for (int j = 0; j < a.k; ++j) {
            int64_t v = loadIndex(a.idx, a.idx64, t * a.k + j);
            if (v < -a.extents[j] || v >= a.extents[j]) bad = true;
            if (v < 0) v += a.extents[j];
            off += v * a.strides[j];
        }
        a.offs[t] = bad ? -1 : off;
    }
}

__global__ void scatterNdKernel(NdArgs a) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < a.slice; i += stride) {
        for (int64_t t = 0; t < a.tuples; ++t) {
            const int64_t off = a.offs[t];
            if (off < 0) continue;
            const int64_t o = off + i;
            const uint64_t b = conv::loadRaw(a.upd, a.t, t * a.slice + i);
            conv::storeRaw(a.out, a.t, o, combine(a.t, a.red, conv::loadRaw(a.out, a.t, o), b));
        }
    }
}


int64_t ndTuples(const ir::Shape& is) {
    if (is.empty() || is.back() <= 0) return 0;
    return ir::volume(is) / is.back();
}

}  // namespace

bool scatterSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                     const std::vector<ir::TensorDesc>& out) {
    ScatterParams p;
    if (out.size() != 1 || !ir::nn::resolveScatter(node, in, p).ok()) return false;
    if (in[0].shape.size() > size_t(kMaxDims) || ir::dtypeSize(in[0].dtype) > 8) return false;
    return p.reduction == ScatterReduction::kNone || (in[0].dtype != DType::kBool && in[0].dtype != DType::kFP8);
}

size_t scatterWorkspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                        const std::vector<ir::TensorDesc>&) {
    if (node.attrs.getString("mode", "elements") != "nd" || in.size() < 2) return 0;
    return size_t(std::max<int64_t>(ndTuples(in[1].shape), 0)) * sizeof(int64_t);
}

Status scatter(LaunchArgs& a) {
    ScatterParams p;
    KILN_RETURN_IF_ERROR(ir::nn::resolveScatter(a.node, hostDescs(a.inputs), p).withContext("Scatter: "));
    const DeviceTensor& data = a.inputs[0];
    const DeviceTensor& idx = a.inputs[1];
    const DeviceTensor& upd = a.inputs[2];
    DeviceTensor& out = a.outputs[0];
    if (out.shape != data.shape || out.dtype != data.dtype) return Status::Error("Scatter: output must match Data");
    if (data.shape.size() > size_t(kMaxDims)) return Status::Error("Scatter: rank above 8");
    if (out.bytes() && out.data != data.data)
        KILN_CUDA_CHECK(cudaMemcpyAsync(out.data, data.data, out.bytes(), cudaMemcpyDeviceToDevice, a.stream));
    if (idx.numel() <= 0 || out.numel() <= 0) return Status::Ok();
    const auto ds = ir::stridesOf(data.shape);
    const bool idx64 = idx.dtype == DType::kI64;
    if (p.mode == ScatterMode::kElements) {
        ElementsArgs e{};
        e.idx = idx.data;
        e.upd = upd.data;
        e.out = out.data;
        e.t = out.dtype;
        e.idx64 = idx64;
        e.red = int(p.reduction);
        e.rank = int(idx.shape.size());
        e.axis = int(p.axis);
        const auto is = ir::stridesOf(idx.shape);
        for (size_t d = 0; d < idx.shape.size(); ++d) {
            e.idxDims[d] = idx.shape[d];
            e.idxStrides[d] = is[d];
            e.dataStrides[d] = ds[d];
        }
        e.axisExtent = data.shape[size_t(p.axis)];
        e.lines = idx.numel() / idx.shape[size_t(p.axis)];
        scatterElementsKernel<<<gridFor(e.lines), kBlock, 0, a.stream>>>(e);
        KILN_CUDA_CHECK_LAUNCH();
        return Status::Ok();
    }
    NdArgs n{};
    n.idx = idx.data;
    n.upd = upd.data;
    n.out = out.data;
    n.t = out.dtype;
    n.idx64 = idx64;
    n.red = int(p.reduction);
    n.k = int(idx.shape.back());
    n.tuples = ndTuples(idx.shape);
    n.slice = 1;
    for (size_t d = size_t(n.k); d < data.shape.size(); ++d) n.slice *= data.shape[d];
    for (int j = 0; j < n.k; ++j) {
        n.extents[j] = data.shape[size_t(j)];
        n.strides[j] = ds[size_t(j)];
    }
    if (size_t(n.tuples) * sizeof(int64_t) > a.workspaceBytes)
        return Status::Error("Scatter: " + std::to_string(n.tuples) + " index tuples exceed the workspace");
    n.offs = static_cast<int64_t*>(a.workspace);
    if (n.tuples <= 0 || n.slice <= 0) return Status::Ok();
    scatterNdOffsetsKernel<<<gridFor(n.tuples), kBlock, 0, a.stream>>>(n);
    KILN_CUDA_CHECK_LAUNCH();
    scatterNdKernel<<<gridFor(n.slice), kBlock, 0, a.stream>>>(n);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

}  // namespace kiln::cuda::kernels
