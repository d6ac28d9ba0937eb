// The timing cache on CUDA: a network whose layers have several CUDA tactics
// (cuDNN algorithms, cuBLASLt and the own kernels), built with an empty cache
// and again with the filled one, gives byte-identical engines, in FP32 and
// FP16, and the warm builds measure nothing new.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "device_test_util.h"
#include "kiln/kiln.h"

namespace {

using namespace kiln;

struct Logger : ILogger {
    std::vector<std::string> errors;
    void log(Severity s, const char* msg) noexcept override {
        if (s <= Severity::kERROR) errors.emplace_back(msg);
    }
};

using devtest::haveDevice;

std::vector<float> randomFloats(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-1.f, 1.f);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

std::string text(const IHostMemory& m) { return std::string(static_cast<const char*>(m.data()), m.size()); }

class TimingCacheCuda : public ::testing::TestWithParam<bool> {};

TEST_P(TimingCacheCuda, RebuildWithTheSameCacheIsByteIdentical) {
    if (!haveDevice()) GTEST_SKIP() << "no CUDA device";
    const bool fp16 = GetParam();
    std::vector<float> w1 = randomFloats(32 * 16 * 9, 1), b1 = randomFloats(32, 2), w2 = randomFloats(32 * 32 * 9, 3),
                       b2 = randomFloats(32, 4), fc = randomFloats(64 * 32 * 16 * 16, 5), fb = randomFloats(64, 6);
    Logger log;
    auto builder = createInferBuilder(log);
    auto cache = builder->createBuilderConfig()->createTimingCache(nullptr, 0);
    ASSERT_TRUE(cache);
    auto buildOnce = [&]() -> std::string {
        auto net = builder->createNetworkV2(0);
        ITensor* x = net->addInput("x", DataType::kFLOAT, Dims4(4, 16, 32, 32));
        auto* c1 = net->addConvolutionNd(*x, 32, DimsHW(3, 3), {DataType::kFLOAT, w1.data(), int64_t(w1.size())},
                                         {DataType::kFLOAT, b1.data(), int64_t(b1.size())});
        c1->setPaddingNd(DimsHW(1, 1));
        ITensor* r = net->addActivation(*c1->getOutput(0), ActivationType::kRELU)->getOutput(0);
        auto* c2 = net->addConvolutionNd(*r, 32, DimsHW(3, 3), {DataType::kFLOAT, w2.data(), int64_t(w2.size())},
                                         {DataType::kFLOAT, b2.data(), int64_t(b2.size())});
        c2->setPaddingNd(DimsHW(1, 1));
        auto* pool = net->addPoolingNd(*c2->getOutput(0), PoolingType::kAVERAGE, DimsHW(2, 2));
        pool->setStrideNd(DimsHW(2, 2));
        auto* f = net->addFullyConnected(*pool->getOutput(0), 64, {DataType::kFLOAT, fc.data(), int64_t(fc.size())},
                                         {DataType::kFLOAT, fb.data(), int64_t(fb.size())});
        ITensor* y = net->addSoftMax(*f->getOutput(0))->getOutput(0);
        y->setName("y");
        net->markOutput(*y);
        auto cfg = builder->createBuilderConfig();
        cfg->setBackend(BackendKind::kCUDA);
        if (fp16) cfg->setFlag(BuilderFlag::kFP16);
        EXPECT_TRUE(cfg->setTimingCache(*cache, false));
        EXPECT_EQ(cfg->getTimingCache(), cache.get());
        auto blob = builder->buildSerializedNetwork(*net, *cfg);
        return blob ? text(*blob) : std::string();
    };
    const std::string e1 = buildOnce();
    ASSERT_FALSE(e1.empty()) << (log.errors.empty() ? "" : log.errors[0]);
    const std::string c1 = text(*cache->serialize());
    EXPECT_GT(std::count(c1.begin(), c1.end(), '\n'), 3) << "the convolutions have several CUDA tactics: " << c1;
    cudaDeviceProp prop{};
    ASSERT_EQ(cudaGetDeviceProperties(&prop, 0), cudaSuccess);
    EXPECT_NE(c1.find(std::string("\n") + prop.name), std::string::npos) << "entries are keyed by the device name";
    for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(buildOnce(), e1) << "rebuild " << i;
        EXPECT_EQ(text(*cache->serialize()), c1) << "a warm build must not time anything new";
    }
    // The same through a reloaded cache (as from a file).
    auto reloaded = builder->createBuilderConfig()->createTimingCache(c1.data(), c1.size());
    ASSERT_TRUE(reloaded);
    cache = std::move(reloaded);
    EXPECT_EQ(buildOnce(), e1);
}

INSTANTIATE_TEST_SUITE_P(Precisions, TimingCacheCuda, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "fp16" : "fp32"; });

}  // namespace
