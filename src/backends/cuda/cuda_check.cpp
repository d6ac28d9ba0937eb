#include "cuda_check.h"

namespace kiln::cuda {

Status cudaError(cudaError_t e, const char* call) {
    (void)cudaGetLastError();  // clear a non-sticky error so later calls are not blamed for it
    std::string msg = std::string("CUDA error ") + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ") in " + call;
    if (e == cudaErrorMemoryAllocation) msg = "out of device memory: " + msg;
    return Status::Error(msg);
}

Status cudnnError(cudnnStatus_t e, const char* call) {
    return Status::Error(std::string("cuDNN error ") + cudnnGetErrorString(e) + " in " + call);
}

Status cublasError(cublasStatus_t e, const char* call) {
    std::string msg = "cuBLASLt error " + std::to_string(int(e)) + " in " + call;
    if (e == CUBLAS_STATUS_ALLOC_FAILED) msg = "out of device memory: " + msg;
    return Status::Error(msg);
}

}  // namespace kiln::cuda
