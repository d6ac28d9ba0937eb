// End-to-end: define (implicit batch) -> build -> serialize -> deserialize -> run.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kiln/kiln.h"

namespace {
struct CapturingLogger : kiln::ILogger {
    std::vector<std::string> errors;
    void log(Severity s, const char* msg) noexcept override {
        if (s <= Severity::kERROR) errors.push_back(msg);
    }
};

std::vector<float> randomVec(size_t n, uint32_t seed) {
    std::mt19937 r(seed);
    std::uniform_real_distribution<float> d(-0.5f, 0.5f);
    std::vector<float> v(n);
    for (auto& x : v) x = d(r);
    return v;
}
}  // namespace

TEST(ApiSmoke, BuildSerializeRunSmallCnn) {
    CapturingLogger log;
    auto builder = kiln::createInferBuilder(log);
    auto network = builder->createNetwork();
    auto* data = network->addInput("data", kiln::DataType::kFLOAT, kiln::Dims3{1, 8, 8});
    ASSERT_NE(data, nullptr);
    auto cw = randomVec(4 * 1 * 3 * 3, 1), cb = randomVec(4, 2);
    auto* conv = network->addConvolution(*data, 4, kiln::DimsHW{3, 3}, {kiln::DataType::kFLOAT, cw.data(), int64_t(cw.size())},
                                         {kiln::DataType::kFLOAT, cb.data(), int64_t(cb.size())});
    ASSERT_NE(conv, nullptr);
    conv->setStride(kiln::DimsHW{1, 1});
    auto* pool = network->addPooling(*conv->getOutput(0), kiln::PoolingType::kMAX, kiln::DimsHW{2, 2});
    ASSERT_NE(pool, nullptr);
    pool->setStride(kiln::DimsHW{2, 2});
    auto d = pool->getOutput(0)->getDimensions();
    ASSERT_EQ(d.nbDims, 3) << (log.errors.empty() ? "" : log.errors.back());
    EXPECT_EQ(d.d[0], 4);
    EXPECT_EQ(d.d[1], 3);
    auto fw = randomVec(10 * 4 * 3 * 3, 3), fb = randomVec(10, 4);
    auto* fc = network->addFullyConnected(*pool->getOutput(0), 10, {kiln::DataType::kFLOAT, fw.data(), int64_t(fw.size())},
                                          {kiln::DataType::kFLOAT, fb.data(), int64_t(fb.size())});
    ASSERT_NE(fc, nullptr);
    auto* relu = network->addActivation(*fc->getOutput(0), kiln::ActivationType::kRELU);
    auto* prob = network->addSoftMax(*relu->getOutput(0));
    prob->getOutput(0)->setName("prob");
    network->markOutput(*prob->getOutput(0));
    builder->setMaxBatchSize(4);
    builder->setMaxWorkspaceSize(1 << 20);
    auto engine = builder->buildCudaEngine(*network);
    ASSERT_NE(engine, nullptr) << (log.errors.empty() ? "" : log.errors.back());

    auto blob = engine->serialize();
    ASSERT_NE(blob, nullptr);
    auto runtime = kiln::createInferRuntime(log);
    auto engine2 = runtime->deserializeCudaEngine(blob->data(), blob->size(), nullptr);
    ASSERT_NE(engine2, nullptr) << (log.errors.empty() ? "" : log.errors.back());
    EXPECT_EQ(engine2->getNbBindings(), 2);
    const int in = engine2->getBindingIndex("data"), out = engine2->getBindingIndex("prob");
    ASSERT_EQ(in, 0);
    ASSERT_EQ(out, 1);
    auto ctx = engine2->createExecutionContext();
    auto x = randomVec(3 * 64, 5);
    std::vector<float> y(3 * 10, -1.f);
    void* buffers[2];
    buffers[in] = x.data();
    buffers[out] = y.data();
    ASSERT_TRUE(ctx->enqueue(3, buffers, nullptr, nullptr)) << (log.errors.empty() ? "" : log.errors.back());
    for (int b = 0; b < 3; ++b) {
        double s = 0;
        for (int k = 0; k < 10; ++k) s += y[b * 10 + k];
        EXPECT_NEAR(s, 1.0, 1e-5);
    }
    EXPECT_FALSE(ctx->enqueue(5, buffers, nullptr, nullptr));  // over the max batch
    EXPECT_FALSE(log.errors.empty());
}
