// TopK and LRN on CUDA.
// TopK ranks every element of a row against the others (NaN above every
// number, ties to the lower index) and writes the ones ranked below k: exact
// and sorted, O(n^2) per row, so rows are limited to 16384 elements here.
// LRN: one thread per element, the channel window summed in double.
#include <cmath>

#include "device_common.cuh"
#include "kernels.h"
#include "visit_types.cuh"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;

constexpr int64_t kTopKMaxRow = 16384;

template <class K>
__device__ __forceinline__ bool ranksAbove(K a, K b) {
    if constexpr (std::is_floating_point_v<K>) {
        if (isnan(a)) return !isnan(b);
        if (isnan(b)) return false;
    }
    return a > b;
}

// 64-bit integers compare natively (a double would tie values beyond 2^53);
// every other type is exact in double.
template <class S>
__device__ __forceinline__ auto keyOf(S v) {
    if constexpr (std::is_same_v<S, int64_t> || std::is_same_v<S, uint64_t>)
        return v;
    else
        return double(Elem<S>::load(v));
}

template <class S, class I>
__global__ void topkKernel(const S* __restrict__ x, S* __restrict__ vals, I* __restrict__ idx, int64_t rows, int64_t n,
                           int64_t inner, int64_t k, bool largest) {
    const int64_t total = rows * n;
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < total; t += stride) {
        const int64_t r = t / n, i = t % n;
        const int64_t base = (r / inner) * n * inner + r % inner;
        const auto ki = keyOf(x[base + i * inner]);
        int64_t rank = 0;
        for (int64_t j = 0; j < n && rank < k; ++j) {
            if (j == i) continue;
            const auto kj = keyOf(x[base + j * inner]);
            const bool above = largest ? ranksAbove(kj, ki) : ranksAbove(ki, kj);
            const bool below = largest ? ranksAbove(ki, kj) : ranksAbove(kj, ki);
            if (above || (!below && j < i)) ++rank;
        }
        if (rank < k) {
            const int64_t out = (r / inner) * k * inner + r % inner + rank * inner;
            vals[out] = x[base + i * inner];
            idx[out] = I(i);
        }
    }
}

template <class S>
__global__ void lrnKernel(const S* __restrict__ x, S* __restrict__ y, int64_t total, int64_t C, int64_t inner,
                          int64_t before, int64_t after, double alphaOverSize, double beta, double bias) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < total; t += stride) {
        const int64_t s = t % inner, nc = t / inner, c = nc % C, n = nc / C;
        const int64_t lo = c - before < 0 ? 0 : c - before, hi = c + after > C - 1 ? C - 1 : c + after;
        double sumSq = 0.0;
        for (int64_t cc = lo; cc <= hi; ++cc) {
            const double v = double(float(Elem<S>::load(x[(n * C + cc) * inner + s])));
            sumSq += v * v;
        }
        const double denom = pow(bias + alphaOverSize * sumSq, beta);
        y[t] = Elem<S>::store(ComputeT<S>(float(double(float(Elem<S>::load(x[t]))) / denom)));
    }
}

// The CPU reference's types: floats, float64 and the 8..64-bit integers.
bool topkType(ir::DType t) { return ir::dtypeIsArithmetic(t); }

}  // namespace

bool topkSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    if (in.empty() || !topkType(in[0].dtype) || out.size() != 2 || out[0].dtype != in[0].dtype ||
        (out[1].dtype != ir::DType::kI32 && out[1].dtype != ir::DType::kI64))
        return false;
    if (in.size() > 1 && node.inputs.size() > 1 && node.inputs[1] >= 0 && !in[1].data) return false;  // K on the host
    int64_t axis = node.attrs.getInt("axis", -1);
    return ir::normalizeAxis(axis, int64_t(in[0].shape.size())) && in[0].shape[size_t(axis)] <= kTopKMaxRow;
}

Status topk(LaunchArgs& a) {
    const DeviceTensor& X = a.inputs[0];
    DeviceTensor &V = a.outputs[0], &I = a.outputs[1];
    int64_t axis = a.node.attrs.getInt("axis", -1);
    if (!ir::normalizeAxis(axis, int64_t(X.shape.size()))) return Status::Error("TopK: axis out of range");
    int64_t k = a.node.attrs.getInt("k", -1);
    if (a.inputs.size() > 1 && a.inputs[1].hostData) {
        if (a.inputs[1].dtype != ir::DType::kI64 || a.inputs[1].numel() != 1)
            return Status::Error("TopK: K must be one int64");
        k = static_cast<const int64_t*>(a.inputs[1].hostData)[0];
    }
    const int64_t n = X.shape[size_t(axis)];
    if (k < 0 || k > n) return Status::Error("TopK: k = " + std::to_string(k) + " out of range");
    if (n > kTopKMaxRow) return Status::Error("TopK: rows over 16384 elements are not supported on CUDA");
    ir::Shape want = X.shape;
    want[size_t(axis)] = k;
    if (V.shape != want || I.shape != want)
        return Status::Error("TopK: output shape must be " + ir::shapeToString(want));
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= X.shape[size_t(d)];
    for (size_t d = size_t(axis) + 1; d < X.shape.size(); ++d) inner *= X.shape[d];
    const int64_t rows = outer * inner;
    if (rows * n <= 0 || k == 0) return Status::Ok();
    const bool largest = a.node.attrs.getString("op", "max") != "min";
    return visitArithmeticType(X.dtype, false, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        if (I.dtype == ir::DType::kI64)
            topkKernel<S, int64_t><<<gridFor(rows * n), kBlock, 0, a.stream>>>(
                X.as<const S>(), V.as<S>(), I.as<int64_t>(), rows, n, inner, k, largest);
        else
            topkKernel<S, int32_t><<<gridFor(rows * n), kBlock, 0, a.stream>>>(
                X.as<const S>(), V.as<S>(), I.as<int32_t>(), rows, n, inner, k, largest);
        KILN_CUDA_CHECK_LAUNCH();
        return Status::Ok();
    });
}

bool lrnSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return !in.empty() && !out.empty() && in[0].shape.size() >= 2 && isDeviceFloat(in[0].dtype) &&
           out[0].dtype == in[0].dtype;
}

Status lrn(LaunchArgs& a) {
    const DeviceTensor& X = a.inputs[0];
    DeviceTensor& Y = a.outputs[0];
    if (X.shape.size() < 2 || Y.shape != X.shape)
        return Status::Error("LRN: X must be [N, C, ...] and match the output");
    const int64_t size = a.node.attrs.getInt("size", 0);
    if (size < 1) return Status::Error("LRN: size must be >= 1");
    const double alpha = a.node.attrs.getFloat("alpha", 1e-4), beta = a.node.attrs.getFloat("beta", 0.75),
                 bias = a.node.attrs.getFloat("bias", 1.0);
    const int64_t C = X.shape[1];
    int64_t inner = 1;
    for (size_t i = 2; i < X.shape.size(); ++i) inner *= X.shape[i];
    const int64_t before = (size - 1) / 2, after = size - 1 - before, total = X.numel();
    if (total <= 0) return Status::Ok();
    return visitFloatType(X.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        lrnKernel<S><<<gridFor(total), kBlock, 0, a.stream>>>(X.as<const S>(), Y.as<S>(), total, C, inner, before,
                                                              after, alpha / double(size), beta, bias);
        KILN_CUDA_CHECK_LAUNCH();
        return Status::Ok();
    });
}

}  // namespace kiln::cuda::kernels
