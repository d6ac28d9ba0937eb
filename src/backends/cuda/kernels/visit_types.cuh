// Host-side dtype dispatch over the types the general compute kernels accept
// (ir::dtypeIsArithmetic: float32/16, bfloat16, float64 and every 8..64-bit
// integer, unsigned ones included), plus bool when asked: the CUDA
// counterpart of the CPU reference's visitArithmeticDType.
#pragma once
#include <string>

#include "device_common.cuh"

namespace kiln::cuda::dev {

template <class Fn>
Status visitArithmeticType(ir::DType t, bool withBool, Fn&& fn) {
    switch (t) {
        case ir::DType::kF32:
            return fn(Tag<float>{});
        case ir::DType::kF16:
            return fn(Tag<__half>{});
        case ir::DType::kBF16:
            return fn(Tag<__nv_bfloat16>{});
        case ir::DType::kF64:
            return fn(Tag<double>{});
        case ir::DType::kI8:
            return fn(Tag<int8_t>{});
        case ir::DType::kU8:
            return fn(Tag<uint8_t>{});
        case ir::DType::kI16:
            return fn(Tag<int16_t>{});
        case ir::DType::kU16:
            return fn(Tag<uint16_t>{});
        case ir::DType::kI32:
            return fn(Tag<int32_t>{});
        case ir::DType::kU32:
            return fn(Tag<uint32_t>{});
        case ir::DType::kI64:
            return fn(Tag<int64_t>{});
        case ir::DType::kU64:
            return fn(Tag<uint64_t>{});
        case ir::DType::kBool:
            if (withBool) return fn(Tag<Bool8>{});
            break;
        default:
            break;
    }
    return Status::Error("dtype " + std::string(ir::dtypeName(t)) + " is not supported by this CUDA kernel");
}

}  // namespace kiln::cuda::dev
