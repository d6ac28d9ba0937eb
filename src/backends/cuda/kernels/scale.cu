// Scale on CUDA (TensorRT's IScaleLayer): Y = (X * scale + shift) ^ power
// with one coefficient set for the tensor, per channel or per element.
// Element i uses coefficient (i / inner) % period of each present input.
// Coefficients may have another float type than X (read as float32).
#include <algorithm>
#include <cmath>

#include "device_common.cuh"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;

struct Coef {
    const void* p;
    int64_t period;
    double dflt;
    ir::DType dtype;  // float32, float16 or bfloat16 (float64 only with float64 X)
};

template <class S>
__device__ __forceinline__ ComputeT<S> coefAt(const Coef& c, int64_t blk) {
    using C = ComputeT<S>;
    if (!c.p) return C(c.dflt);
    if constexpr (std::is_same_v<S, double>)
        return static_cast<const double*>(c.p)[blk % c.period];
    else
        return C(loadFloatAny(c.p, c.dtype, blk % c.period));
}

template <class S>
__global__ void scaleKernel(const S* __restrict__ x, S* __restrict__ y, int64_t n, int64_t inner, Coef shift,
                            Coef scale, Coef power, bool hasPower) {
    using C = ComputeT<S>;
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        const int64_t blk = i / inner;
        C v = Elem<S>::load(x[i]) * coefAt<S>(scale, blk) + coefAt<S>(shift, blk);
        if (hasPower) v = C(pow(v, coefAt<S>(power, blk)));
        y[i] = Elem<S>::store(v);
    }
}

bool floatCompute(ir::DType t) {
    return t == ir::DType::kF32 || t == ir::DType::kF16 || t == ir::DType::kBF16 || t == ir::DType::kF64;
}

}  // namespace

bool scaleSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&) {
    if (in.empty() || in.size() > 4 || !floatCompute(in[0].dtype)) return false;
    for (size_t i = 1; i < in.size(); ++i)
        if (node.hasInput(i) &&
            (in[0].dtype == ir::DType::kF64 ? in[i].dtype != ir::DType::kF64 : !isDeviceFloat(in[i].dtype)))
            return false;
    const std::string mode = node.attrs.getString("mode", "uniform");
    return mode == "uniform" || mode == "channel" || mode == "elementwise";
}

Status scale(LaunchArgs& a) {
    const DeviceTensor& X = a.inputs[0];
    const ir::Shape& x = X.shape;
    const std::string mode = a.node.attrs.getString("mode", "uniform");
    int64_t inner = 1;
    std::vector<int64_t> periods;
    if (mode == "uniform") {
        inner = std::max<int64_t>(ir::volume(x), 1);
        periods = {1};
    } else if (mode == "channel") {
        int64_t axis = a.node.attrs.getInt("channel_axis", 1);
        if (!ir::normalizeAxis(axis, int64_t(x.size()))) return Status::Error("Scale: channel_axis out of range");
        for (size_t d = size_t(axis) + 1; d < x.size(); ++d) inner *= x[d];
        periods = {x[size_t(axis)]};
    } else if (mode == "elementwise") {
        int64_t perItem = 1;
        for (size_t d = 1; d < x.size(); ++d) perItem *= x[d];
        periods = {perItem, ir::volume(x)};
    } else {
        return Status::Error("Scale: unknown mode '" + mode + "'");
    }
    Coef c[3];
    const double defaults[3] = {0.0, 1.0, 1.0};
    for (size_t i = 1; i <= 3; ++i) {
        c[i - 1] = {nullptr, 1, defaults[i - 1], ir::DType::kF32};
        if (!a.node.hasInput(i) || i >= a.inputs.size()) continue;
        const DeviceTensor& t = a.inputs[i];
        if (X.dtype == ir::DType::kF64 ? t.dtype != ir::DType::kF64 : !isDeviceFloat(t.dtype))
            return Status::Error("Scale: unsupported coefficient dtype on CUDA");
        const int64_t n = t.numel();
        if (std::find(periods.begin(), periods.end(), n) == periods.end())
            return Status::Error("Scale: coefficient input " + std::to_string(i) + " has " + std::to_string(n) +
                                 " values");
        c[i - 1] = {t.data, n, defaults[i - 1], t.dtype};
    }
    const int64_t n = X.numel();
    if (n <= 0) return Status::Ok();
    const bool hasPower = a.node.hasInput(3);
    return visitType(X.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        if constexpr (kIsFloat<S>) {
            scaleKernel<S><<<gridFor(n), kBlock, 0, a.stream>>>(X.as<const S>(), a.outputs[0].as<S>(), n, inner, c[0],
                                                                c[1], c[2], hasPower);
            KILN_CUDA_CHECK_LAUNCH();
            return Status::Ok();
        } else {
            return Status::Error("Scale: unsupported dtype");
        }
    });
}

}  // namespace kiln::cuda::kernels
