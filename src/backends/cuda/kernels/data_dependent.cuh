// Device plumbing shared by the kernels of data-dependent ops (NonZero,
// Unique, NMS): element loads as double with the dtype chosen at run time
// (value_io.cuh's loadDouble), and a block-wide prefix sum.
#pragma once
#include "device_common.cuh"
#include "value_io.cuh"

namespace kiln::cuda::dev {

// The dtypes the data-dependent kernels read (loadDouble's, and bool).
inline bool loadsAsDouble(ir::DType t) { return t == ir::DType::kBool || isDoubleIoType(t); }

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
