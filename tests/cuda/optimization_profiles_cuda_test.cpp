// The optimization-profile tests of tests/api/profile_test_model.h on the CUDA
// backend (device buffers); skipped with a message without a CUDA device.
#include "device_test_util.h"

namespace {

using devtest::DeviceMemory;

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
