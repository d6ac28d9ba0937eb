#include "device_memory.h"

#include <string>

#include "cuda_check.h"

namespace kiln::cuda {

namespace {
class CudaMallocAllocator final : public DeviceAllocator {
public:
    void* allocate(size_t bytes, size_t) noexcept override {
        void* p = nullptr;
        if (cudaMalloc(&p, bytes) != cudaSuccess) {
            (void)cudaGetLastError();
            return nullptr;
        }
        return p;
    }
    void release(void* p) noexcept override { (void)cudaFree(p); }
};
}  // namespace

DeviceAllocator& defaultDeviceAllocator() {
    static CudaMallocAllocator a;
    return a;
}

Status DeviceBuffer::allocate(size_t bytes, const char* what, DeviceBuffer& out, DeviceAllocator& alloc) {
    out.reset();
    if (bytes == 0) return Status::Ok();
    void* p = alloc.allocate(bytes, 256);
    if (!p)
        return Status::Error(std::string("out of device memory: could not allocate ") + std::to_string(bytes) +
                             " bytes for " + what);
    out.p_ = p;
    out.bytes_ = bytes;
    out.alloc_ = &alloc;
    return Status::Ok();
}

void DeviceBuffer::reset() {
    if (p_ && alloc_) alloc_->release(p_);
    p_ = nullptr;
    bytes_ = 0;
    alloc_ = nullptr;
}

Status copyToDevice(void* dst, const void* src, size_t bytes) {
    if (bytes) KILN_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
    return Status::Ok();
}

Status copyToHost(void* dst, const void* src, size_t bytes) {
    if (bytes) KILN_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
    return Status::Ok();
}

int deviceCount() {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        (void)cudaGetLastError();
        return 0;
    }
    return n;
}

std::string deviceFingerprint() {
    int dev = 0;
    cudaDeviceProp p{};
    if (cudaGetDevice(&dev) != cudaSuccess || cudaGetDeviceProperties(&p, dev) != cudaSuccess) {
        (void)cudaGetLastError();
        return "cuda (no device)";
    }
    return std::string(p.name) + " sm_" + std::to_string(p.major) + std::to_string(p.minor);
}

}  // namespace kiln::cuda
