// The IProfiler tests, shared by the CPU suite (tests/api) and the CUDA one
// (tests/cuda): a small network (conv, relu, max pool, softmax) whose every
// engine layer must be reported once per profiled run, synchronously by
// default and on reportToProfiler() when enqueue does not emit the profile.
#pragma once
#include <set>

#include "profile_test_model.h"

namespace proftest {

struct RecordingProfiler : kiln::IProfiler {
    std::vector<std::pair<std::string, float>> reports;
    void reportLayerTime(const char* layerName, float ms) noexcept override { reports.emplace_back(layerName, ms); }
};

inline std::unique_ptr<kiln::IEngine> buildProfiledNet(kiln::BackendKind backend, Logger& log,
                                                       std::set<std::string>& layerNames) {
    static const std::vector<float> w = randomFloats(4 * 3 * 9, 21), b = randomFloats(4, 22);
    auto builder = kiln::createInferBuilder(log);
    auto net = builder->createNetworkV2(0);
    auto* x = net->addInput("x", kiln::DataType::kFLOAT, dims({2, 3, 16, 16}));
    auto* conv = net->addConvolutionNd(*x, 4, dims({3, 3}), {kiln::DataType::kFLOAT, w.data(), int64_t(w.size())},
                                       {kiln::DataType::kFLOAT, b.data(), int64_t(b.size())});
    conv->setPaddingNd(dims({1, 1}));
    auto* relu = net->addActivation(*conv->getOutput(0), kiln::ActivationType::kRELU);
    auto* pool = net->addPoolingNd(*relu->getOutput(0), kiln::PoolingType::kMAX, dims({2, 2}));
    pool->setStrideNd(dims({2, 2}));
    auto* soft = net->addSoftMax(*pool->getOutput(0));
    soft->getOutput(0)->setName("y");
    net->markOutput(*soft->getOutput(0));
    for (kiln::ILayer* l : std::initializer_list<kiln::ILayer*>{conv, relu, pool, soft})
        layerNames.insert(l->getName());
    auto cfg = builder->createBuilderConfig();
    cfg->setBackend(backend);
    return builder->buildEngineWithConfig(*net, *cfg);
}

// Every engine layer once, named after a network layer, with a time >= 0.
inline void expectOneReportPerLayer(const RecordingProfiler& p, const kiln::IEngine& e,
                                    const std::set<std::string>& names) {
    ASSERT_EQ(int(p.reports.size()), e.getNbLayers());
    std::set<std::string> seen;
    for (const auto& [name, ms] : p.reports) {
        EXPECT_TRUE(names.count(name)) << "unexpected layer name " << name;
        EXPECT_TRUE(seen.insert(name).second) << name << " reported twice";
        EXPECT_GE(ms, 0.0f) << name;
    }
}

inline void profilerReportsEveryLayer(kiln::BackendKind backend, Memory& mem, void* stream) {
    Logger log;
    std::set<std::string> names;
    auto engine = buildProfiledNet(backend, log, names);
    ASSERT_NE(engine, nullptr) << log.joined();
    auto ctx = engine->createExecutionContext();
    ASSERT_NE(ctx, nullptr) << log.joined();
    const std::vector<float> xs = randomFloats(2 * 3 * 16 * 16, 5);
    void* x = mem.alloc(xs.size() * 4);
    void* y = mem.alloc(2 * 4 * 8 * 8 * 4);
    mem.upload(x, xs.data(), xs.size() * 4);
    ASSERT_TRUE(ctx->setTensorAddress("x", x));
    ASSERT_TRUE(ctx->setTensorAddress("y", y));

    RecordingProfiler prof;
    EXPECT_EQ(ctx->getProfiler(), nullptr);
    EXPECT_TRUE(ctx->getEnqueueEmitsProfile());
    ctx->setProfiler(&prof);
    EXPECT_EQ(ctx->getProfiler(), &prof);
    // execute(): reported before it returns.
    ASSERT_TRUE(ctx->execute()) << log.joined();
    expectOneReportPerLayer(prof, *engine, names);
    // enqueue with the default (emits): also reported before it returns, graph capture or not.
    if (backend == kiln::BackendKind::kCUDA) {
        EXPECT_TRUE(ctx->setCudaGraphCapture(true));
    }
    prof.reports.clear();
    ASSERT_TRUE(ctx->enqueueV3(static_cast<cudaStream_t>(stream))) << log.joined();
    expectOneReportPerLayer(prof, *engine, names);
    // Not emitted by enqueue: nothing until reportToProfiler(), which reports once.
    EXPECT_TRUE(ctx->setEnqueueEmitsProfile(false));
    prof.reports.clear();
    ASSERT_TRUE(ctx->enqueueV3(static_cast<cudaStream_t>(stream))) << log.joined();
    EXPECT_TRUE(prof.reports.empty());
    EXPECT_TRUE(ctx->reportToProfiler()) << log.joined();
    expectOneReportPerLayer(prof, *engine, names);
    EXPECT_FALSE(ctx->reportToProfiler());  // already reported
    EXPECT_NE(log.last().find("no profiled run"), std::string::npos) << log.last();
    // Cleared: runs report nothing, and reportToProfiler() says why it fails.
    ctx->setProfiler(nullptr);
    prof.reports.clear();
    ASSERT_TRUE(ctx->execute()) << log.joined();
    EXPECT_TRUE(prof.reports.empty());
    EXPECT_FALSE(ctx->reportToProfiler());
    EXPECT_NE(log.last().find("no profiler is set"), std::string::npos) << log.last();
    mem.release(x);
    mem.release(y);
}

}  // namespace proftest
