// Device plumbing shared by the kernels of data-dependent ops (NonZero,
// Unique, NMS): element loads as double with the dtype chosen at run time
// (exactly ir::loadAsDouble for the types listed), and a block-wide prefix sum.
#pragma once
#include "device_common.cuh"

namespace kiln::cuda::dev {

// The dtypes loadAnyAsDouble reads (every 8..64-bit integer, bool, and the
// 16/32/64-bit floats).
inline bool loadsAsDouble(ir::DType t) {
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
        case ir::DType::kBool:
            return true;
        default:
            return false;
    }
}

__device__ __forceinline__ double loadAnyAsDouble(const void* p, ir::DType t, int64_t i) {
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

// Exclusive prefix sum of one int64 per thread over the block (blockDim.x a
// multiple of 32, at most 1024); `total` gets the block's sum. Every thread of
// the block must call it. `scratch` holds at least 33 int64 in shared memory.
__device__ __forceinline__ int64_t blockExclusiveSum(int64_t x, int64_t* scratch, int64_t& total) {
    const int lane = int(threadIdx.x) & 31, warp = int(threadIdx.x) >> 5, warps = int(blockDim.x) >> 5;
    int64_t inclusive = x;
#pragma unroll
    for (int o = 1; o < 32; o <<= 1) {
        const int64_t y = __shfl_up_sync(0xffffffffu, inclusive, o);
        if (lane >= o) inclusive += y;
    }
    if (lane == 31) scratch[warp] = inclusive;
    __syncthreads();
    if (warp == 0) {
        int64_t w = lane < warps ? scratch[lane] : 0;
        int64_t wi = w;
#pragma unroll
        for (int o = 1; o < 32; o <<= 1) {
            const int64_t y = __shfl_up_sync(0xffffffffu, wi, o);
            if (lane >= o) wi += y;
        }
        if (lane < warps) scratch[lane] = wi - w;  // exclusive prefix of the warps' sums
        if (lane == 31) scratch[32] = wi;
    }
    __syncthreads();
    const int64_t result = scratch[warp] + inclusive - x;
    total = scratch[32];
    __syncthreads();  // scratch may be reused right after
    return result;
}

}  // namespace kiln::cuda::dev
