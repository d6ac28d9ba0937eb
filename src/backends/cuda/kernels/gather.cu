// Gather on CUDA (default / elements / nd modes of docs/ops.md). Negative
// indices count from the end. An out-of-range index cannot be reported
// without waiting for the device, so its output elements are zero (the CPU
// reference reports an error instead); nothing is read out of bounds.
#include "device_common.cuh"
#include "ir/ops/data_movement.h"
#include "ir/views.h"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;
using ir::movement::GatherParams;

template <class I>
__device__ __forceinline__ int64_t fixIndex(I raw, int64_t n, bool& bad) {
    int64_t v = int64_t(raw);
    if (v < -n || v >= n) {
        bad = true;
        return 0;
    }
    return v < 0 ? v + n : v;
}

template <class W, class I>
__global__ void gatherDefaultKernel(const W* __restrict__ src, const I* __restrict__ idx, W* __restrict__ dst,
                                    int64_t total, int64_t ni, int64_t inner, int64_t n) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t f = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; f < total; f += stride) {
        const int64_t e = f % inner, r = f / inner, j = r % ni, o = r / ni;
        bool bad = false;
        const int64_t k = fixIndex(idx[j], n, bad);
        dst[f] = bad ? W{} : src[(o * n + k) * inner + e];
    }
}

struct ElemParams {
    int rank, axis;
    int64_t idxDims[kMaxDims], dataStrides[kMaxDims], axisExtent;
};

template <class W, class I>
__global__ void gatherElementsKernel(const W* __restrict__ src, const I* __restrict__ idx, W* __restrict__ dst,
                                     int64_t total, ElemParams p) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t f = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; f < total; f += stride) {
        bool bad = false;
        const int64_t k = fixIndex(idx[f], p.axisExtent, bad);
        int64_t off = 0;
        for (int64_t r = f, d = p.rank - 1; d >= 0; --d) {
            const int64_t c = r % p.idxDims[d];
            r /= p.idxDims[d];
            off += (d == p.axis ? k : c) * p.dataStrides[d];
        }
        dst[f] = bad ? W(0) : src[off];
    }
}

struct NdParams {
    int k;
    int64_t perBatch, batchStride, slice;
    int64_t extents[kMaxDims], strides[kMaxDims];
};

template <class W, class I>
__global__ void gatherNdKernel(const W* __restrict__ src, const I* __restrict__ idx, W* __restrict__ dst, int64_t total,
                               NdParams p) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t f = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; f < total; f += stride) {
        const int64_t t = f / p.slice, e = f % p.slice;
        int64_t off = (t / (p.perBatch > 0 ? p.perBatch : 1)) * p.batchStride;
        bool bad = false;
        for (int j = 0; j < p.k; ++j) off += fixIndex(idx[t * p.k + j], p.extents[j], bad) * p.strides[j];
        dst[f] = bad ? W(0) : src[off + e];
    }
}


template <class W, class I>
Status launchGather(LaunchArgs& a, const GatherParams& p) {
    const DeviceTensor& D = a.inputs[0];
    const DeviceTensor& X = a.inputs[1];
    DeviceTensor& Y = a.outputs[0];
    const int64_t total = Y.numel();
    if (total <= 0) return Status::Ok();
    const W* src = D.as<const W>();
    const I* idx = X.as<const I>();
    W* dst = Y.as<W>();
    switch (p.mode) {
        case ir::movement::GatherMode::kDefault: {
            const size_t axis = size_t(p.axis);
            int64_t inner = 1;
            for (size_t d = axis + 1; d < D.shape.size(); ++d) inner *= D.shape[d];
            // Rows of a multiple of 16 bytes move as 16-byte units (the same
            // index arithmetic once per unit instead of once per element).
            constexpr int64_t kPer = int64_t(16 / sizeof(W));
            if (sizeof(W) < 16 && inner % kPer == 0 && aligned16(src) && aligned16(dst)) {
                const int64_t units = total / kPer;
                gatherDefaultKernel<uint4, I><<<gridFor(units), kBlock, 0, a.stream>>>(
                    reinterpret_cast<const uint4*>(src), idx, reinterpret_cast<uint4*>(dst), units, X.numel(),
                    inner / kPer, D.shape[axis]);
            } else {
                gatherDefaultKernel<W, I>
                    <<<gridFor(total), kBlock, 0, a.stream>>>(src, idx, dst, total, X.numel(), inner, D.shape[axis]);
            }
            break;
        }
        case ir::movement::GatherMode::kElements: {
            if (X.shape.size() > size_t(kMaxDims)) return Status::Error("Gather: rank over 8");
            ElemParams ep{};
            ep.rank = int(X.shape.size());
            ep.axis = int(p.axis);
            ep.axisExtent = D.shape[size_t(p.axis)];
            const auto ds = ir::stridesOf(D.shape);
            for (size_t d = 0; d < X.shape.size(); ++d) {
                ep.idxDims[d] = X.shape[d];
                ep.dataStrides[d] = ds[d];
            }
            gatherElementsKernel<W, I><<<gridFor(total), kBlock, 0, a.stream>>>(src, idx, dst, total, ep);
            break;
        }
        case ir::movement::GatherMode::kND: {
            const size_t b = size_t(p.batchDims), k = size_t(X.shape.back());
            if (k > size_t(kMaxDims)) return Status::Error("Gather: index tuples longer than 8");
            const auto ds = ir::stridesOf(D.shape);
            NdParams np{};
            np.k = int(k);
            int64_t batches = 1;
            for (size_t d = 0; d < b; ++d) batches *= X.shape[d];
            np.slice = 1;
            for (size_t d = b + k; d < D.shape.size(); ++d) np.slice *= D.shape[d];
            const int64_t tuples = X.numel() / std::max<int64_t>(int64_t(k), 1);
            np.perBatch = batches > 0 ? tuples / batches : 0;
            np.batchStride = b > 0 ? ds[b - 1] : 0;
            for (size_t j = 0; j < k; ++j) {
                np.extents[j] = D.shape[b + j];
                np.strides[j] = ds[b + j];
            }
            gatherNdKernel<W, I><<<gridFor(total), kBlock, 0, a.stream>>>(src, idx, dst, total, np);
            break;
        }
    }
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

}  // namespace

bool gatherSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in.size() == 2 && (in[1].dtype == ir::DType::kI32 || in[1].dtype == ir::DType::kI64) &&
           in[0].dtype == out[0].dtype && ir::dtypeSize(in[0].dtype) <= 8;
}

Status gather(LaunchArgs& a) {
    GatherParams p;
    KILN_RETURN_IF_ERROR(ir::movement::resolveGather(a.node, hostDescs(a.inputs), p));
    if (p.outShape != a.outputs[0].shape) return Status::Error("Gather: output shape mismatch");
    const int64_t slice = ir::gatherSliceOffset(a.node, hostDescs(a.inputs));
    if (slice >= 0 && a.outputs[0].data == static_cast<uint8_t*>(a.inputs[0].data) + slice)
        return Status::Ok();  // a view (ir/views.h): the slice is already in place
    const bool i64 = a.inputs[1].dtype == ir::DType::kI64;
    auto go = [&](auto tag) -> Status {
        using W = typename decltype(tag)::type;
        return i64 ? launchGather<W, int64_t>(a, p) : launchGather<W, int32_t>(a, p);
    };
    switch (ir::dtypeSize(a.inputs[0].dtype)) {
        case 1:
            return go(Tag<uint8_t>{});
        case 2:
            return go(Tag<uint16_t>{});
        case 4:
            return go(Tag<uint32_t>{});
        case 8:
            return go(Tag<uint64_t>{});
        default:
            return Status::Error("Gather: unsupported dtype");
    }
}

}  // namespace kiln::cuda::kernels
