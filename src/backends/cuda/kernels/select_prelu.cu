// Select (Y = Cond ? A : B, all three broadcast; a copy of element bits, so
// every dtype) and PRelu (Y = X >= 0 ? X : Slope * X, Slope broadcast; NaN
// passes through; integer products wrap) on CUDA.
#include "device_common.cuh"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;

template <class W>
__global__ void selectKernel(const uint8_t* __restrict__ c, const W* __restrict__ a, const W* __restrict__ b,
                             W* __restrict__ y, int64_t n, StridedIndex<3> si) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        int64_t off[3];
        si.offsets(i, off);
        y[i] = c[off[0]] ? a[off[1]] : b[off[2]];
    }
}

template <class S>
__global__ void preluKernel(const S* __restrict__ x, const S* __restrict__ s, S* __restrict__ y, int64_t n,
                            StridedIndex<2> si) {
    using C = ComputeT<S>;
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        int64_t off[2];
        si.offsets(i, off);
        const C v = Elem<S>::load(x[off[0]]);
        if (!(v < 0)) {
            y[i] = x[off[0]];
        } else {
            const C sl = Elem<S>::load(s[off[1]]);
            if constexpr (std::is_integral_v<C>) {
                using U = std::make_unsigned_t<C>;
                y[i] = C(U(U(sl) * U(v)));
            } else {
                y[i] = Elem<S>::store(sl * v);
            }
        }
    }
}

bool preluType(ir::DType t) {
    return t == ir::DType::kF32 || t == ir::DType::kF16 || t == ir::DType::kBF16 || t == ir::DType::kF64 ||
           t == ir::DType::kI8 || t == ir::DType::kI32 || t == ir::DType::kI64;
}

}  // namespace

bool selectSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&) {
    return in.size() == 3 && in[0].dtype == ir::DType::kBool && in[1].dtype == in[2].dtype &&
           ir::dtypeSize(in[1].dtype) <= 8 && in[0].shape.size() <= size_t(kMaxDims);
}

Status select(LaunchArgs& a) {
    const DeviceTensor &C = a.inputs[0], &A = a.inputs[1], &B = a.inputs[2];
    DeviceTensor& Y = a.outputs[0];
    if (C.dtype != ir::DType::kBool || A.dtype != B.dtype || Y.dtype != A.dtype)
        return Status::Error("Select: Cond must be bool and A, B, Y share a dtype");
    for (const auto* t : {&C, &A, &B})
        if (!broadcastsTo(t->shape, Y.shape)) return Status::Error("Select: inputs do not broadcast to the output");
    const int64_t n = Y.numel();
    if (n <= 0) return Status::Ok();
    StridedIndex<3> si;
    KILN_RETURN_IF_ERROR(makeStridedIndex<3>(
        Y.shape,
        {broadcastStrides(C.shape, Y.shape), broadcastStrides(A.shape, Y.shape), broadcastStrides(B.shape, Y.shape)},
        si));
    auto go = [&](auto tag) -> Status {
        using W = typename decltype(tag)::type;
        selectKernel<W><<<gridFor(n), kBlock, 0, a.stream>>>(C.as<const uint8_t>(), A.as<const W>(), B.as<const W>(),
                                                             Y.as<W>(), n, si);
        KILN_CUDA_CHECK_LAUNCH();
        return Status::Ok();
    };
    switch (ir::dtypeSize(A.dtype)) {
        case 1:
            return go(Tag<uint8_t>{});
        case 2:
            return go(Tag<uint16_t>{});
        case 4:
            return go(Tag<uint32_t>{});
        case 8:
            return go(Tag<uint64_t>{});
        default:
            return Status::Error("Select: unsupported dtype");
    }
}

bool preluSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&) {
    return in.size() == 2 && in[0].dtype == in[1].dtype && preluType(in[0].dtype) &&
           in[0].shape.size() <= size_t(kMaxDims);
}

Status prelu(LaunchArgs& a) {
    const DeviceTensor &X = a.inputs[0], &S = a.inputs[1];
    DeviceTensor& Y = a.outputs[0];
    if (S.dtype != X.dtype || !preluType(X.dtype) || Y.shape != X.shape || !broadcastsTo(S.shape, X.shape))
        return Status::Error("PRelu: Slope must broadcast to X and share its dtype");
    const int64_t n = Y.numel();
    if (n <= 0) return Status::Ok();
    StridedIndex<2> si;
    KILN_RETURN_IF_ERROR(
        makeStridedIndex<2>(Y.shape, {broadcastStrides(X.shape, Y.shape), broadcastStrides(S.shape, Y.shape)}, si));
    return visitType(X.dtype, [&](auto tag) -> Status {
        using T = typename decltype(tag)::type;
        if constexpr (kIsBool<T> || std::is_same_v<T, uint8_t>) {
            return Status::Error("PRelu: unsupported dtype");
        } else {
            preluKernel<T><<<gridFor(n), kBlock, 0, a.stream>>>(X.as<const T>(), S.as<const T>(), Y.as<T>(), n, si);
            KILN_CUDA_CHECK_LAUNCH();
            return Status::Ok();
        }
    });
}

}  // namespace kiln::cuda::kernels
