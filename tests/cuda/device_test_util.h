// What the CUDA twins of the API tests share: the device check that skips a
// test (with its reason) on a machine without a GPU, and device buffers
// behind the host tests' proftest::Memory interface.
#pragma once
#include <cuda_runtime.h>

#include <algorithm>

#include "api/profile_test_model.h"

namespace devtest {

inline bool haveDevice() {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        (void)cudaGetLastError();
        return false;
    }
    return n > 0;
}

class DeviceMemory final : public proftest::Memory {
public:
    void* alloc(size_t bytes) override {
        void* p = nullptr;
        EXPECT_EQ(cudaMalloc(&p, std::max<size_t>(bytes, 1)), cudaSuccess);
        return p;
    }
    void release(void* p) override { EXPECT_EQ(cudaFree(p), cudaSuccess); }
    void upload(void* dst, const void* src, size_t bytes) override {
        EXPECT_EQ(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), cudaSuccess);
    }
    void download(void* dst, const void* src, size_t bytes) override {
        EXPECT_EQ(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), cudaSuccess);
    }
};

}  // namespace devtest

#define SKIP_WITHOUT_DEVICE() \
    if (!devtest::haveDevice()) GTEST_SKIP() << "no CUDA device: this CUDA test is skipped"
