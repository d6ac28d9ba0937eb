// Element access by a dtype chosen at run time (uniform across a launch), in
// float64: what ir::loadAsDouble / ir::storeFromDouble do on the host, for the
// types the kernels below write (floats round to nearest even from double in
// one step, integers truncate toward zero and saturate, NaN -> 0).
#pragma once
#include <cstdint>
#include <limits>

#include "device_common.cuh"

namespace kiln::cuda::dev {

// The dtypes loadDouble / storeDouble handle.
inline bool isDoubleIoType(ir::DType t) {
    switch (t) {
        case ir::DType::kF32:
        case ir::DType::kF16:
        case ir::DType::kBF16:
        case ir::DType::kF64:
        case ir::DType::kI8:
        case ir::DType::kU8:
        case ir::DType::kI16:
        case ir::DType::kU16:
        case ir::DType::kI32:
        case ir::DType::kU32:
        case ir::DType::kI64:
        case ir::DType::kU64:
            return true;
        default:
            return false;
    }
}

template <class T>
__device__ __forceinline__ T saturateFromDouble(double v) {
    const double lo = double(std::numeric_limits<T>::lowest()), hi = double(std::numeric_limits<T>::max());
    if (isnan(v)) return T(0);
    // hi may round up past T's range in double (int64, uint64): compare first.
    return v <= lo ? std::numeric_limits<T>::lowest() : v >= hi ? std::numeric_limits<T>::max() : T(v);
}

__device__ __forceinline__ double loadDouble(const void* p, ir::DType t, int64_t i) {
    switch (t) {
        case ir::DType::kF32:
            return double(static_cast<const float*>(p)[i]);
        case ir::DType::kF16:
            return double(__half2float(static_cast<const __half*>(p)[i]));
        case ir::DType::kBF16:
            return double(__bfloat162float(static_cast<const __nv_bfloat16*>(p)[i]));
        case ir::DType::kF64:
            return static_cast<const double*>(p)[i];
        case ir::DType::kI8:
            return double(static_cast<const int8_t*>(p)[i]);
        case ir::DType::kU8:
            return double(static_cast<const uint8_t*>(p)[i]);
        case ir::DType::kI16:
            return double(static_cast<const int16_t*>(p)[i]);
        case ir::DType::kU16:
            return double(static_cast<const uint16_t*>(p)[i]);
        case ir::DType::kI32:
            return double(static_cast<const int32_t*>(p)[i]);
        case ir::DType::kU32:
            return double(static_cast<const uint32_t*>(p)[i]);
        case ir::DType::kI64:
            return double(static_cast<const int64_t*>(p)[i]);
        case ir::DType::kU64:
            return double(static_cast<const uint64_t*>(p)[i]);
        case ir::DType::kBool:
            return static_cast<const uint8_t*>(p)[i] ? 1.0 : 0.0;
        default:
            return 0.0;
    }
}

__device__ __forceinline__ void storeDouble(void* p, ir::DType t, int64_t i, double v) {
    switch (t) {
        case ir::DType::kF32:
            static_cast<float*>(p)[i] = float(v);
            break;
        case ir::DType::kF16:
            static_cast<__half*>(p)[i] = __double2half(v);
            break;
        case ir::DType::kBF16:
            static_cast<__nv_bfloat16*>(p)[i] = __double2bfloat16(v);
            break;
        case ir::DType::kF64:
            static_cast<double*>(p)[i] = v;
            break;
        case ir::DType::kI8:
            static_cast<int8_t*>(p)[i] = saturateFromDouble<int8_t>(v);
            break;
        case ir::DType::kU8:
            static_cast<uint8_t*>(p)[i] = saturateFromDouble<uint8_t>(v);
            break;
        case ir::DType::kI16:
            static_cast<int16_t*>(p)[i] = saturateFromDouble<int16_t>(v);
            break;
        case ir::DType::kU16:
            static_cast<uint16_t*>(p)[i] = saturateFromDouble<uint16_t>(v);
            break;
        case ir::DType::kI32:
            static_cast<int32_t*>(p)[i] = saturateFromDouble<int32_t>(v);
            break;
        case ir::DType::kU32:
            static_cast<uint32_t*>(p)[i] = saturateFromDouble<uint32_t>(v);
            break;
        case ir::DType::kI64:
            static_cast<int64_t*>(p)[i] = saturateFromDouble<int64_t>(v);
            break;
        case ir::DType::kU64:
            static_cast<uint64_t*>(p)[i] = saturateFromDouble<uint64_t>(v);
            break;
        default:
            break;
    }
}

// Storage type S from a float64 value in one rounding (as storeFromDouble).
template <class S>
__device__ __forceinline__ S storeFromDoubleAs(double v) {
    if constexpr (std::is_same_v<S, __half>)
        return __double2half(v);
    else if constexpr (std::is_same_v<S, __nv_bfloat16>)
        return __double2bfloat16(v);
    else
        return S(v);
}

}  // namespace kiln::cuda::dev
