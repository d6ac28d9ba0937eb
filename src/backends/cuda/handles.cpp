#include <mutex>

#include "cuda_check.h"
#include "tactic.h"

namespace kiln::cuda {

Status Handles::create(Handles& h) {
    int dev = 0;
    KILN_CUDA_CHECK(cudaGetDevice(&dev));
    KILN_CUDA_CHECK(cudaDeviceGetAttribute(&h.smCount, cudaDevAttrMultiProcessorCount, dev));
    int major = 0, minor = 0;
    KILN_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev));
    KILN_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev));
    h.computeCapability = major * 10 + minor;
    cudnnHandle_t dnn = nullptr;
    KILN_CUDNN_CHECK(cudnnCreate(&dnn));
    cublasLtHandle_t lt = nullptr;
    const cublasStatus_t s = cublasLtCreate(&lt);
    if (s != CUBLAS_STATUS_SUCCESS) {
        cudnnDestroy(dnn);
        return cublasError(s, "cublasLtCreate");
    }
    h.cudnn = dnn;
    h.cublasLt = lt;
    return Status::Ok();
}

void Handles::destroy(Handles& h) {
    if (h.cudnn) cudnnDestroy(h.cudnn);
    if (h.cublasLt) cublasLtDestroy(h.cublasLt);
    h.cudnn = nullptr;
    h.cublasLt = nullptr;
}

Status buildHandles(Handles*& out) {
    static std::mutex mu;
    static Handles h;
    static bool made = false;
    std::lock_guard<std::mutex> lock(mu);
    if (!made) {
        KILN_RETURN_IF_ERROR(Handles::create(h));
        made = true;
    }
    out = &h;
    return Status::Ok();
}

}  // namespace kiln::cuda
