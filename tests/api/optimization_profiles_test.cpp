// Optimization profiles on the CPU backend: one engine built with a dynamic
// batch and spatial dims equals static engines at ten shapes, shapes outside
// the profile are refused, two profiles switch on one context (also after
// serialization), and the implicit-batch path is a profile on the batch.
// tests/cuda/optimization_profiles_cuda_test.cpp runs the same on a GPU.
#include "profile_test_model.h"

namespace {

TEST(OptimizationProfiles, DynamicEngineMatchesStaticEnginesAtTenShapes) {
    proftest::HostMemory mem;
    proftest::dynamicMatchesStatic(kiln::BackendKind::kCPU, mem);
}

TEST(OptimizationProfiles, ShapesOutsideTheProfileAreRefused) {
    proftest::outsideProfileRefused(kiln::BackendKind::kCPU);
}

TEST(OptimizationProfiles, TwoProfilesSwitchOnOneContext) {
    proftest::HostMemory mem;
    proftest::twoProfilesSwitch(kiln::BackendKind::kCPU, mem);
}

TEST(OptimizationProfiles, ImplicitBatchIsAProfileOnTheBatch) {
    proftest::HostMemory mem;
    proftest::implicitBatchIsAProfile(kiln::BackendKind::kCPU, mem);
}

// A profile naming a tensor that is not an input fails the build, naming it.
TEST(OptimizationProfiles, ProfileForAnUnknownInputFailsTheBuild) {
    proftest::Logger log;
    auto b = kiln::createInferBuilder(log);
    auto net = b->createNetworkV2(0);
    auto* x = net->addInput("x", kiln::DataType::kFLOAT, proftest::dims({-1, 4}));
    net->markOutput(*net->addActivation(*x, kiln::ActivationType::kRELU)->getOutput(0));
    auto cfg = b->createBuilderConfig();
    cfg->setBackend(kiln::BackendKind::kCPU);
    for (const char* name : {"x", "y"}) {
        auto* p = b->createOptimizationProfile();
        for (auto sel :
             {kiln::OptProfileSelector::kMIN, kiln::OptProfileSelector::kOPT, kiln::OptProfileSelector::kMAX})
            p->setDimensions(name, sel, proftest::dims({2, 4}));
        ASSERT_GE(cfg->addOptimizationProfile(p), 0);
    }
    EXPECT_EQ(b->buildEngineWithConfig(*net, *cfg), nullptr);
    EXPECT_NE(log.joined().find("optimization profile 1 gives shapes for 'y', which is not a network input"),
              std::string::npos)
        << log.joined();
}

}  // namespace
