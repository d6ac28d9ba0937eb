// IProfiler on the CUDA backend: every layer reported once per run, from
// events around its launches, also with CUDA graph capture enabled (profiled
// runs bypass the graph); the tests of tests/api/layer_profiler_test_model.h.
#include "api/layer_profiler_test_model.h"
#include "device_test_util.h"

namespace {

TEST(CudaLayerProfiler, ReportsEveryLayerOncePerRun) {
    SKIP_WITHOUT_DEVICE();
    devtest::DeviceMemory mem;
    cudaStream_t stream = nullptr;
    ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
    proftest::profilerReportsEveryLayer(kiln::BackendKind::kCUDA, mem, stream);
    EXPECT_EQ(cudaStreamDestroy(stream), cudaSuccess);
}

}  // namespace
