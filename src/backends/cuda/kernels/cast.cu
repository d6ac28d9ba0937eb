// Cast on CUDA between every pair of kiln dtypes, with the CPU reference's
// ONNX rules (backends/cpu/ref/cast.cpp, docs/ops.md): floats round once to
// nearest even, float8 targets saturate unless `saturate` is 0, e8m0 rounds
// per `round_mode`, float -> integer truncates and keeps the low bits (NaN 0,
// beyond int64 saturating), integer -> integer keeps the low bits, anything
// -> bool is != 0. The element conversion is dtype_convert.cuh's castRaw,
// shared by both paths: the common pairs (float32/16, bfloat16, float64,
// int8/uint8/int32/int64, bool) get a kernel each, with the dtypes known at
// compile time and 16-byte loads; every other pair goes through one kernel
// that picks the conversion from the (uniform) dtypes at run time.
#include <string>

#include "device_common.cuh"
#include "dtype_convert.cuh"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;
using ir::DType;

template <int Bytes>
struct RawOf;
template <>
struct RawOf<1> {
    using type = uint8_t;
};
template <>
struct RawOf<2> {
    using type = uint16_t;
};
template <>
struct RawOf<4> {
    using type = uint32_t;
};
template <>
struct RawOf<8> {
    using type = uint64_t;
};

constexpr int storageBytes(DType t) {
    switch (t) {
        case DType::kF64:
        case DType::kI64:
        case DType::kU64:
            return 8;
        case DType::kF32:
        case DType::kI32:
        case DType::kU32:
            return 4;
        case DType::kF16:
        case DType::kBF16:
        case DType::kI16:
        case DType::kU16:
            return 2;
        default:
            return 1;
    }
}

template <DType S, DType D>
struct CastFn {
    using RS = typename RawOf<storageBytes(S)>::type;
    using RD = typename RawOf<storageBytes(D)>::type;
    conv::CastOptions o;
    __device__ RD operator()(RS x) const { return RD(conv::castRaw(S, D, uint64_t(x), o)); }
};

__global__ void castAnyKernel(const void* __restrict__ x, DType from, void* __restrict__ y, DType to, int64_t n,
                              conv::CastOptions o) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
        conv::storeRaw(y, to, i, conv::castRaw(from, to, conv::loadRaw(x, from, i), o));
}

template <DType S, DType D>
Status launchFast(const DeviceTensor& X, DeviceTensor& Y, const conv::CastOptions& o, cudaStream_t stream) {
    using F = CastFn<S, D>;
    return mapFlat(X.as<const typename F::RS>(), Y.as<typename F::RD>(), X.numel(), F{o}, stream);
}

Status launchAny(const DeviceTensor& X, DeviceTensor& Y, const conv::CastOptions& o, cudaStream_t stream) {
    const int64_t n = X.numel();
    if (n <= 0) return Status::Ok();
    castAnyKernel<<<gridFor(n), kBlock, 0, stream>>>(X.data, X.dtype, Y.data, Y.dtype, n, o);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

// The pairs with their own kernel.
template <DType S>
Status castFrom(const DeviceTensor& X, DeviceTensor& Y, const conv::CastOptions& o, cudaStream_t stream) {
    switch (Y.dtype) {
        case DType::kF32:
            return launchFast<S, DType::kF32>(X, Y, o, stream);
        case DType::kF16:
            return launchFast<S, DType::kF16>(X, Y, o, stream);
        case DType::kBF16:
            return launchFast<S, DType::kBF16>(X, Y, o, stream);
        case DType::kF64:
            return launchFast<S, DType::kF64>(X, Y, o, stream);
        case DType::kI8:
            return launchFast<S, DType::kI8>(X, Y, o, stream);
        case DType::kU8:
            return launchFast<S, DType::kU8>(X, Y, o, stream);
        case DType::kI32:
            return launchFast<S, DType::kI32>(X, Y, o, stream);
        case DType::kI64:
            return launchFast<S, DType::kI64>(X, Y, o, stream);
        case DType::kBool:
            return launchFast<S, DType::kBool>(X, Y, o, stream);
        default:
            return launchAny(X, Y, o, stream);
    }
}

bool parseRounding(const std::string& s, int& mode) {
    if (s == "up")
        mode = conv::kE8M0Up;
    else if (s == "down")
        mode = conv::kE8M0Down;
    else if (s == "nearest")
        mode = conv::kE8M0Nearest;
    else
        return false;
    return true;
}

}  // namespace

bool castSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    const int64_t to = node.attrs.getInt("to", -1);
    int mode;
    return in.size() == 1 && out.size() == 1 && ir::dtypeValid(int(in[0].dtype)) && to >= 0 && to < ir::kNumDTypes &&
           out[0].dtype == DType(to) && parseRounding(node.attrs.getString("round_mode", "up"), mode);
}

Status cast(LaunchArgs& args) {
    if (args.inputs.size() != 1 || args.outputs.size() != 1) return Status::Error("Cast: expects 1 input and 1 output");
    const DeviceTensor& X = args.inputs[0];
    DeviceTensor& Y = args.outputs[0];
    if (Y.numel() != X.numel()) return Status::Error("Cast: output size differs from the input's");
    conv::CastOptions o;
    o.saturate = args.node.attrs.getInt("saturate", 1) != 0;
    const std::string rounding = args.node.attrs.getString("round_mode", "up");
    if (!parseRounding(rounding, o.e8m0Mode)) return Status::Error("Cast: unknown round_mode '" + rounding + "'");
    // Same type: a copy, except where bytes are made canonical (bool 0/1, sub-byte low bits).
    if (X.dtype == Y.dtype && X.dtype != DType::kBool && !ir::dtypeIsSubByte(X.dtype)) {
        if (X.bytes() && X.data != Y.data)
            KILN_CUDA_CHECK(cudaMemcpyAsync(Y.data, X.data, X.bytes(), cudaMemcpyDeviceToDevice, args.stream));
        return Status::Ok();
    }
    switch (X.dtype) {
        case DType::kF32:
            return castFrom<DType::kF32>(X, Y, o, args.stream);
        case DType::kF16:
            return castFrom<DType::kF16>(X, Y, o, args.stream);
        case DType::kBF16:
            return castFrom<DType::kBF16>(X, Y, o, args.stream);
        case DType::kF64:
            return castFrom<DType::kF64>(X, Y, o, args.stream);
        case DType::kI8:
            return castFrom<DType::kI8>(X, Y, o, args.stream);
        case DType::kU8:
            return castFrom<DType::kU8>(X, Y, o, args.stream);
        case DType::kI32:
            return castFrom<DType::kI32>(X, Y, o, args.stream);
        case DType::kI64:
            return castFrom<DType::kI64>(X, Y, o, args.stream);
        case DType::kBool:
            return castFrom<DType::kBool>(X, Y, o, args.stream);
        default:
            return launchAny(X, Y, o, args.stream);
    }
}

}  // namespace kiln::cuda::kernels
