// IBuilder::isNetworkSupported(): the build's passes and kernel matching, with
// nothing timed and no device used, so a CUDA config is checked on machines
// without a GPU (CI's). The CUDA cases run in CUDA builds with or without a GPU.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kiln/kiln.h"
#include "layer_test_util.h"

using namespace kiln;
using Logger = layertest::CapturingLogger;

namespace {

// x [2, 3, 8, 8] -> 3x3 convolution -> ReLU -> LRN over the channels.
void makeNetwork(INetworkDefinition& net, const std::vector<float>& w) {
    ITensor* x = net.addInput("x", DataType::kFLOAT, Dims4{2, 3, 8, 8});
    auto* c = net.addConvolutionNd(*x, 4, DimsHW{3, 3}, Weights{DataType::kFLOAT, w.data(), int64_t(w.size())},
                                   Weights{DataType::kFLOAT, nullptr, 0});
    c->setPaddingNd(DimsHW{1, 1});
    ITensor* t = net.addActivation(*c->getOutput(0), ActivationType::kRELU)->getOutput(0);
    net.markOutput(*net.addLRN(*t, 3, 1e-4f, 0.75f, 1.f)->getOutput(0));
}

bool supported(BackendKind backend, Logger& logger) {
    auto builder = createInferBuilder(logger);
    auto net = builder->createNetworkV2(0);
    const std::vector<float> w(4 * 3 * 9, 0.1f);
    makeNetwork(*net, w);
    auto config = builder->createBuilderConfig();
    config->setBackend(backend);
    return builder->isNetworkSupported(*net, *config);
}

// A network with an input and no outputs: refused, and the error says so.
void expectRefusedForNoOutputs(BackendKind backend) {
    Logger logger;
    auto builder = createInferBuilder(logger);
    auto net = builder->createNetworkV2(0);
    net->addInput("x", DataType::kFLOAT, Dims2{2, 3});
    auto config = builder->createBuilderConfig();
    config->setBackend(backend);
    EXPECT_FALSE(builder->isNetworkSupported(*net, *config));
    ASSERT_FALSE(logger.errors.empty());
    EXPECT_NE(logger.errors.front().find("no outputs"), std::string::npos) << logger.errors.front();
}

}  // namespace

TEST(NetworkSupported, CpuNetworkIsSupported) {
    Logger logger;
    EXPECT_TRUE(supported(BackendKind::kCPU, logger));
    EXPECT_TRUE(logger.errors.empty()) << logger.errors.front();
}

TEST(NetworkSupported, NetworkWithoutOutputsIsNotAndSaysWhy) { expectRefusedForNoOutputs(BackendKind::kCPU); }

TEST(NetworkSupported, TheCheckLeavesTheNetworkBuildable) {
    Logger logger;
    auto builder = createInferBuilder(logger);
    auto net = builder->createNetworkV2(0);
    const std::vector<float> w(4 * 3 * 9, 0.1f);
    makeNetwork(*net, w);
    auto config = builder->createBuilderConfig();
    ASSERT_TRUE(builder->isNetworkSupported(*net, *config));
    auto engine = builder->buildEngineWithConfig(*net, *config);
    ASSERT_NE(engine, nullptr);
    EXPECT_EQ(engine->getNbIOTensors(), 2);
}

#ifdef KILN_HAVE_CUDA
// Answered without a GPU: CI's machine has none.
TEST(NetworkSupported, CudaNetworkIsCheckedWithoutADevice) {
    Logger logger;
    EXPECT_TRUE(supported(BackendKind::kCUDA, logger));
    EXPECT_TRUE(logger.errors.empty()) << logger.errors.front();
}

// A refusal is about the network, not about the missing device.
TEST(NetworkSupported, CudaRefusalNamesTheNetworksProblemWithoutADevice) {
    expectRefusedForNoOutputs(BackendKind::kCUDA);
}
#endif
