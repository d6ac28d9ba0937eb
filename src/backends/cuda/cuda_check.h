// Checked CUDA, cuDNN and cuBLASLt calls: every failure becomes a Status that
// names the call, so device errors (out of memory included) reach the user
// through the logger instead of crashing the process.
#pragma once
#include <cublasLt.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <string>

#include "ir/status.h"

namespace kiln::cuda {

Status cudaError(cudaError_t e, const char* call);
Status cudnnError(cudnnStatus_t e, const char* call);
Status cublasError(cublasStatus_t e, const char* call);

}  // namespace kiln::cuda

#define KILN_CUDA_CHECK(call)                                                       \
    do {                                                                            \
        const cudaError_t kiln_e_ = (call);                                         \
        if (kiln_e_ != cudaSuccess) return ::kiln::cuda::cudaError(kiln_e_, #call); \
    } while (0)

#define KILN_CUDNN_CHECK(call)                                                                \
    do {                                                                                      \
        const cudnnStatus_t kiln_e_ = (call);                                                 \
        if (kiln_e_ != CUDNN_STATUS_SUCCESS) return ::kiln::cuda::cudnnError(kiln_e_, #call); \
    } while (0)

#define KILN_CUBLAS_CHECK(call)                                                                 \
    do {                                                                                        \
        const cublasStatus_t kiln_e_ = (call);                                                  \
        if (kiln_e_ != CUBLAS_STATUS_SUCCESS) return ::kiln::cuda::cublasError(kiln_e_, #call); \
    } while (0)

// After a kernel launch: a bad configuration shows up here, not at the launch.
#define KILN_CUDA_CHECK_LAUNCH() KILN_CUDA_CHECK(cudaGetLastError())
