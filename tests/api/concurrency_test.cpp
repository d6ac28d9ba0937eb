// One engine shared by sixteen threads, each with its own execution context,
// 10,000 inferences in all with inputs (values and batch size) that vary per
// thread and iteration: every result must be bit-identical to a
// single-threaded run of the same input (issue 7's stress test).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kiln/kiln.h"

using namespace kiln;

namespace {

class Logger : public ILogger {
public:
    void log(Severity s, const char* msg) noexcept override {
        if (s > Severity::kERROR) return;
        std::lock_guard<std::mutex> lock(mu_);
        errors.push_back(msg);
    }
    std::string all() {
        std::lock_guard<std::mutex> lock(mu_);
        std::string s;
        for (const auto& e : errors) s += e + "\n";
        return s;
    }
    size_t count() {
        std::lock_guard<std::mutex> lock(mu_);
        return errors.size();
    }

private:
    std::mutex mu_;
    std::vector<std::string> errors;
};

uint32_t mix(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7FEB352Du;
    x ^= x >> 15;
    x *= 0x846CA68Bu;
    x ^= x >> 16;
    return x;
}
float detValue(uint32_t stream, uint32_t i) {
    return float(double(mix(stream * 0x9E3779B9u ^ (i + 0x7F4A7C15u) * 0x85EBCA6Bu)) / 2147483648.0 - 1.0);
}

constexpr int kThreads = 16;
constexpr int kIterations = 625;  // 16 x 625 = 10,000 inferences
constexpr int kMaxBatch = 4;
constexpr int kC = 3, kH = 10, kW = 10, kOut = 10;
constexpr size_t kInPerItem = size_t(kC) * kH * kW;

std::vector<float> weights(size_t n, uint32_t stream, float scale) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = scale * detValue(stream, uint32_t(i));
    return v;
}

// A small CNN: conv 3x3 (4 maps) -> relu -> max pool 2x2 -> FC 10 -> softmax.
std::unique_ptr<IEngine> buildSmallNet(Logger& log) {
    auto builder = createInferBuilder(log);
    auto net = builder->createNetwork();
    const auto cw = weights(4 * kC * 9, 1, 0.3f), cb = weights(4, 2, 0.1f);
    const auto fw = weights(size_t(kOut) * 4 * 4 * 4, 3, 0.3f), fb = weights(kOut, 4, 0.1f);
    auto* in = net->addInput("in", DataType::kFLOAT, Dims3{kC, kH, kW});
    auto* conv = net->addConvolution(*in, 4, DimsHW{3, 3}, {DataType::kFLOAT, cw.data(), int64_t(cw.size())},
                                     {DataType::kFLOAT, cb.data(), int64_t(cb.size())});
    if (!conv) return nullptr;
    auto* relu = net->addActivation(*conv->getOutput(0), ActivationType::kRELU);
    auto* pool = net->addPooling(*relu->getOutput(0), PoolingType::kMAX, DimsHW{2, 2});
    pool->setStride(DimsHW{2, 2});  // [4, 4, 4]
    auto* fc = net->addFullyConnected(*pool->getOutput(0), kOut, {DataType::kFLOAT, fw.data(), int64_t(fw.size())},
                                      {DataType::kFLOAT, fb.data(), int64_t(fb.size())});
    if (!fc) return nullptr;
    auto* prob = net->addSoftMax(*fc->getOutput(0));
    prob->getOutput(0)->setName("prob");
    net->markOutput(*prob->getOutput(0));
    builder->setMaxBatchSize(kMaxBatch);
    return builder->buildCudaEngine(*net);
}

// The input of one inference, a function of (thread, iteration) only.
int batchOf(int t, int i) { return 1 + int(mix(uint32_t(t * 7919 + i)) % kMaxBatch); }
void fillInput(int t, int i, std::vector<float>& x) {
    x.resize(size_t(batchOf(t, i)) * kInPerItem);
    const uint32_t stream = uint32_t(t) * 100003u + uint32_t(i);
    for (size_t k = 0; k < x.size(); ++k) x[k] = detValue(stream, uint32_t(k));
}

bool infer(IExecutionContext& ctx, int t, int i, std::vector<float>& x, std::vector<float>& y) {
    fillInput(t, i, x);
    const int batch = batchOf(t, i);
    y.assign(size_t(batch) * kOut, std::nanf(""));
    void* buffers[2] = {x.data(), y.data()};
    return ctx.enqueue(batch, buffers, nullptr, nullptr);
}

TEST(Concurrency, SixteenContextsOnSixteenThreadsMatchASingleThreadBitwise) {
    Logger log;
    auto engine = buildSmallNet(log);
    ASSERT_NE(engine, nullptr) << log.all();
    ASSERT_EQ(engine->getBindingIndex("in"), 0);
    ASSERT_EQ(engine->getBindingIndex("prob"), 1);

    // Single-threaded reference, one context for everything.
    std::vector<std::vector<std::vector<float>>> expected(kThreads, std::vector<std::vector<float>>(kIterations));
    {
        auto ctx = engine->createExecutionContext();
        ASSERT_NE(ctx, nullptr);
        std::vector<float> x;
        for (int t = 0; t < kThreads; ++t)
            for (int i = 0; i < kIterations; ++i) ASSERT_TRUE(infer(*ctx, t, i, x, expected[t][i])) << log.all();
    }
    // The reference is not degenerate: different inputs give different outputs.
    ASSERT_NE(std::memcmp(expected[0][0].data(), expected[1][0].data(), kOut * sizeof(float)), 0);
    {
        bool batchesVary = false;
        for (int i = 1; i < kIterations; ++i) batchesVary |= batchOf(0, i) != batchOf(0, 0);
        ASSERT_TRUE(batchesVary);
    }

    std::atomic<int> failedRuns{0}, mismatches{0};
    std::vector<std::string> firstMismatch(kThreads);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    const auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            auto ctx = engine->createExecutionContext();
            ++ready;
            while (ready.load() < kThreads) std::this_thread::yield();  // start together
            if (!ctx) {
                failedRuns += kIterations;
                return;
            }
            std::vector<float> x, y;
            for (int i = 0; i < kIterations; ++i) {
                if (!infer(*ctx, t, i, x, y)) {
                    ++failedRuns;
                    continue;
                }
                const auto& want = expected[size_t(t)][size_t(i)];
                if (y.size() != want.size() || std::memcmp(y.data(), want.data(), y.size() * sizeof(float)) != 0) {
                    if (mismatches++ == 0 || firstMismatch[size_t(t)].empty())
                        firstMismatch[size_t(t)] = "thread " + std::to_string(t) + " iteration " + std::to_string(i) +
                                                   " (batch " + std::to_string(batchOf(t, i)) + ")";
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(failedRuns.load(), 0) << log.all();
    std::string where;
    for (const auto& s : firstMismatch)
        if (!s.empty()) where += s + "; ";
    EXPECT_EQ(mismatches.load(), 0) << "results differ from the single-threaded run: " << where;
    EXPECT_EQ(log.count(), 0u) << log.all();
    RecordProperty("threaded_seconds", std::to_string(seconds));
}

TEST(Concurrency, ContextsDoNotShareState) {
    // Two contexts interleaved on one thread: each run depends only on its own input.
    Logger log;
    auto engine = buildSmallNet(log);
    ASSERT_NE(engine, nullptr) << log.all();
    auto a = engine->createExecutionContext(), b = engine->createExecutionContext();
    ASSERT_TRUE(a && b);
    std::vector<float> xa, ya, xb, yb, xr, yr;
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(infer(*a, 0, i, xa, ya));
        ASSERT_TRUE(infer(*b, 1, i, xb, yb));
        ASSERT_TRUE(infer(*a, 0, i, xr, yr));  // again on a, after b ran
        ASSERT_EQ(ya.size(), yr.size());
        EXPECT_EQ(std::memcmp(ya.data(), yr.data(), ya.size() * sizeof(float)), 0) << "iteration " << i;
    }
}

}  // namespace

// ---- dynamic shapes: each context sets its own input shape per inference ----

namespace {

constexpr int kDynThreads = 16;
constexpr int kDynIterations = 100;
constexpr int kDynC = 2, kDynMaps = 3;

// conv 3x3 (pad 1, 3 maps) -> relu -> average over H and W: x[N, 2, H, W] -> y[N, 3],
// with N in [1, 3] and H, W in [4, 9].
std::unique_ptr<IEngine> buildDynamicNet(Logger& log) {
    auto builder = createInferBuilder(log);
    auto net = builder->createNetworkV2(1u << uint32_t(NetworkDefinitionCreationFlag::kEXPLICIT_BATCH));
    const auto cw = weights(size_t(kDynMaps) * kDynC * 9, 11, 0.3f), cb = weights(kDynMaps, 12, 0.1f);
    auto* in = net->addInput("x", DataType::kFLOAT, Dims4{-1, kDynC, -1, -1});
    auto* conv = net->addConvolutionNd(*in, kDynMaps, DimsHW{3, 3}, {DataType::kFLOAT, cw.data(), int64_t(cw.size())},
                                       {DataType::kFLOAT, cb.data(), int64_t(cb.size())});
    if (!conv) return nullptr;
    conv->setPaddingNd(DimsHW{1, 1});
    auto* relu = net->addActivation(*conv->getOutput(0), ActivationType::kRELU);
    auto* mean = net->addReduce(*relu->getOutput(0), ReduceOperation::kAVG, (1u << 2) | (1u << 3), false);
    mean->getOutput(0)->setName("y");
    net->markOutput(*mean->getOutput(0));
    auto config = builder->createBuilderConfig();
    auto* profile = builder->createOptimizationProfile();
    profile->setDimensions("x", OptProfileSelector::kMIN, Dims4{1, kDynC, 4, 4});
    profile->setDimensions("x", OptProfileSelector::kOPT, Dims4{2, kDynC, 6, 6});
    profile->setDimensions("x", OptProfileSelector::kMAX, Dims4{3, kDynC, 9, 9});
    config->addOptimizationProfile(profile);
    return builder->buildEngineWithConfig(*net, *config);
}

Dims4 dynShapeOf(int t, int i) {
    const uint32_t h = mix(uint32_t(t * 104729 + i * 31 + 5));
    return Dims4{1 + int64_t(h % 3), kDynC, 4 + int64_t((h >> 8) % 6), 4 + int64_t((h >> 16) % 6)};
}

bool inferDynamic(IExecutionContext& ctx, int t, int i, std::vector<float>& x, std::vector<float>& y) {
    const Dims4 s = dynShapeOf(t, i);
    x.resize(size_t(s.d[0] * s.d[1] * s.d[2] * s.d[3]));
    const uint32_t stream = uint32_t(t) * 7919u + uint32_t(i) + 1000000u;
    for (size_t k = 0; k < x.size(); ++k) x[k] = detValue(stream, uint32_t(k));
    y.assign(size_t(s.d[0]) * kDynMaps, std::nanf(""));
    if (!ctx.setInputShape("x", s)) return false;
    const Dims out = ctx.getTensorShape("y");
    if (out.nbDims != 2 || out.d[0] != s.d[0] || out.d[1] != kDynMaps) return false;
    return ctx.setTensorAddress("x", x.data()) && ctx.setTensorAddress("y", y.data()) && ctx.enqueueV3(nullptr);
}

TEST(Concurrency, SixteenContextsWithTheirOwnDynamicShapesMatchASingleThread) {
    Logger log;
    auto engine = buildDynamicNet(log);
    ASSERT_NE(engine, nullptr) << log.all();
    std::vector<std::vector<std::vector<float>>> expected(kDynThreads, std::vector<std::vector<float>>(kDynIterations));
    {
        auto ctx = engine->createExecutionContext();
        ASSERT_NE(ctx, nullptr);
        std::vector<float> x;
        for (int t = 0; t < kDynThreads; ++t)
            for (int i = 0; i < kDynIterations; ++i)
                ASSERT_TRUE(inferDynamic(*ctx, t, i, x, expected[t][i])) << log.all();
    }
    std::atomic<int> failedRuns{0}, mismatches{0}, ready{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kDynThreads; ++t) {
        threads.emplace_back([&, t] {
            auto ctx = engine->createExecutionContext();
            ++ready;
            while (ready.load() < kDynThreads) std::this_thread::yield();
            if (!ctx) {
                failedRuns += kDynIterations;
                return;
            }
            std::vector<float> x, y;
            for (int i = 0; i < kDynIterations; ++i) {
                if (!inferDynamic(*ctx, t, i, x, y)) {
                    ++failedRuns;
                    continue;
                }
                const auto& want = expected[size_t(t)][size_t(i)];
                if (y.size() != want.size() || std::memcmp(y.data(), want.data(), y.size() * sizeof(float)) != 0)
                    ++mismatches;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failedRuns.load(), 0) << log.all();
    EXPECT_EQ(mismatches.load(), 0) << "results differ from the single-threaded run";
    EXPECT_EQ(log.count(), 0u) << log.all();
}

}  // namespace
