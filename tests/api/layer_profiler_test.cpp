// IProfiler on the CPU backend (tests/cuda/layer_profiler_cuda_test.cpp: on a GPU).
#include "layer_profiler_test_model.h"

namespace {

TEST(LayerProfiler, ReportsEveryLayerOncePerRun) {
    proftest::HostMemory mem;
    proftest::profilerReportsEveryLayer(kiln::BackendKind::kCPU, mem, nullptr);
}

}  // namespace
