// What the cuBLASLt tactics share (cublaslt_gemm.cpp: MatMul and
// FullyConnected; cublaslt_conv1x1.cpp: 1x1 convolutions stored channels
// last). Row-major Y = A·B is computed as the column-major product
// Yᵀ = Bᵀ·Aᵀ, so no operand is copied and the epilogue's bias (one value per
// row of the column-major D) is one value per column of Y.
#pragma once
#include <cublasLt.h>

#include <mutex>
#include <vector>

#include "tactic.h"

namespace kiln::cuda::lib::lt {

constexpr size_t kWorkspace = size_t(32) << 20;  // what cuBLASLt's fastest Hopper kernels ask for

// float32, float16 and bfloat16 (16-bit types accumulate in float32; float32 stays exact float32, no TF32).
bool gemmType(ir::DType t, cudaDataType_t& dt);

// Row-major Y[M, N] = op(A)[M, K] · op(B)[K, N], `batch` times with the given strides (0: shared).
struct GemmDims {
    int64_t M = 1, N = 1, K = 1, batch = 1;
    int64_t strideA = 0, strideB = 0, strideC = 0;
    bool transA = false, transB = false;
    bool operator==(const GemmDims& o) const {
        return M == o.M && N == o.N && K == o.K && batch == o.batch && strideA == o.strideA && strideB == o.strideB &&
               transA == o.transA && transB == o.transB;
    }
};

// RAII holders of the cuBLASLt descriptors of one call.
struct LtDescs {
    cublasLtMatmulDesc_t op = nullptr;
    cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
    cublasLtMatmulPreference_t pref = nullptr;
    LtDescs() = default;
    LtDescs(const LtDescs&) = delete;
    LtDescs& operator=(const LtDescs&) = delete;
    ~LtDescs() {
        if (pref) cublasLtMatmulPreferenceDestroy(pref);
        if (c) cublasLtMatrixLayoutDestroy(c);
        if (b) cublasLtMatrixLayoutDestroy(b);
        if (a) cublasLtMatrixLayoutDestroy(a);
        if (op) cublasLtMatmulDescDestroy(op);
    }
};

// What the GEMM's epilogue adds: Y = act(A·B + beta·C + bias).
enum class Epilogue { kNone, kBias, kRelu, kReluBias, kGelu, kGeluBias };

Status makeDescs(const GemmDims& d, cudaDataType_t dt, Epilogue epilogue, LtDescs& L);

// The largest power of two (up to 256) that divides the address.
uint32_t alignmentOf(const void* p);

// cuBLASLt's first choice for these descriptors, every operand aligned to `align` bytes.
Status heuristic(cublasLtHandle_t h, LtDescs& L, uint32_t align, size_t workspace, cublasLtMatmulAlgo_t& algo);

// The algorithm of one GEMM layer: cuBLASLt's choice at the built dims, fully
// aligned operands and the whole workspace; for any other call (a dynamic
// engine's other shapes, a misaligned binding, a smaller workspace) the
// heuristic's choice for that call, remembered: the heuristic costs tens of
// microseconds of host time, more than a small GEMM's launch. Contexts on
// several threads share a layer, hence the lock.
class AlgoChoice {
public:
    Status init(cublasLtHandle_t h, LtDescs& L, const GemmDims& built);
    const GemmDims& built() const { return built_; }
    Status pick(cublasLtHandle_t h, LtDescs& L, const GemmDims& d, uint32_t align, size_t workspace,
                cublasLtMatmulAlgo_t& algo) const;

private:
    struct Entry {
        GemmDims dims;
        uint32_t align;
        size_t workspace;
        cublasLtMatmulAlgo_t algo;
    };
    static constexpr size_t kRemembered = 32;  // distinct run shapes per layer; the oldest goes first
    GemmDims built_;
    cublasLtMatmulAlgo_t algo_{};
    mutable std::mutex mu_;
    mutable std::vector<Entry> recent_;
    mutable size_t next_ = 0;  // the slot replaced next once recent_ is full
};

}  // namespace kiln::cuda::lib::lt
