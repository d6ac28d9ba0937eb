// The optimization-profile tests of tests/api/profile_test_model.h on the CUDA
// backend (device buffers); skipped with a message without a CUDA device.
#include <cuda_runtime.h>

#include "api/profile_test_model.h"

namespace {

bool haveDevice() {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        (void)cudaGetLastError();
        return false;
    }
    return n > 0;
}

#define SKIP_WITHOUT_DEVICE() \
    if (!haveDevice()) GTEST_SKIP() << "no CUDA device: the CUDA optimization-profile tests are skipped"

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

TEST(CudaOptimizationProfiles, DynamicEngineMatchesStaticEnginesAtTenShapes) {
    SKIP_WITHOUT_DEVICE();
    DeviceMemory mem;
    proftest::dynamicMatchesStatic(kiln::BackendKind::kCUDA, mem);
}

TEST(CudaOptimizationProfiles, ShapesOutsideTheProfileAreRefused) {
    SKIP_WITHOUT_DEVICE();
    proftest::outsideProfileRefused(kiln::BackendKind::kCUDA);
}

TEST(CudaOptimizationProfiles, TwoProfilesSwitchOnOneContext) {
    SKIP_WITHOUT_DEVICE();
    DeviceMemory mem;
    proftest::twoProfilesSwitch(kiln::BackendKind::kCUDA, mem);
}

TEST(CudaOptimizationProfiles, ImplicitBatchIsAProfileOnTheBatch) {
    SKIP_WITHOUT_DEVICE();
    DeviceMemory mem;
    proftest::implicitBatchIsAProfile(kiln::BackendKind::kCUDA, mem);
}

}  // namespace
