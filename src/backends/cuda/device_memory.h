// Device memory: an allocator interface (the default uses cudaMalloc; a
// user's IGpuAllocator can stand behind it) and an owning buffer. Allocation
// failure is a Status, never an exception or an abort.
#pragma once
#include <cstddef>
#include <utility>

#include "ir/status.h"

namespace kiln::cuda {

class DeviceAllocator {
public:
    virtual ~DeviceAllocator() = default;
    // nullptr when the memory cannot be had.
    virtual void* allocate(size_t bytes, size_t alignment) noexcept = 0;
    virtual void release(void* p) noexcept = 0;
};

// cudaMalloc / cudaFree.
DeviceAllocator& defaultDeviceAllocator();

class DeviceBuffer {
public:
    DeviceBuffer() = default;
    ~DeviceBuffer() { reset(); }
    DeviceBuffer(DeviceBuffer&& o) noexcept { *this = std::move(o); }
    DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
        if (this != &o) {
            reset();
            std::swap(p_, o.p_);
            std::swap(bytes_, o.bytes_);
            std::swap(alloc_, o.alloc_);
        }
        return *this;
    }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;

    // Allocates `bytes` (256-byte aligned); `what` names the memory in errors.
    static Status allocate(size_t bytes, const char* what, DeviceBuffer& out,
                           DeviceAllocator& alloc = defaultDeviceAllocator());
    void reset();
    void* get() const { return p_; }
    size_t size() const { return bytes_; }

private:
    void* p_ = nullptr;
    size_t bytes_ = 0;
    DeviceAllocator* alloc_ = nullptr;
};

// Synchronous host -> device copy (used while preparing engines, never in enqueue).
Status copyToDevice(void* dst, const void* src, size_t bytes);
Status copyToHost(void* dst, const void* src, size_t bytes);

// Number of CUDA devices (0 when there is no driver or no device).
int deviceCount();
// "NVIDIA H200 sm_90" for the current device.
std::string deviceFingerprint();

}  // namespace kiln::cuda
