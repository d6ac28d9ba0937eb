// The workspace limit is a hard limit: the builder drops tactics whose
// scratch needs exceed it, and the engine reports what it kept.
#include <gtest/gtest.h>

#include <random>
#include <regex>

#include "backends/cpu/kernel.h"
#include "kiln/kiln.h"

namespace {

struct QuietLogger : kiln::ILogger {
    std::vector<std::string> errors;
    void log(Severity s, const char* m) noexcept override {
        if (s <= Severity::kERROR) errors.push_back(m);
    }
};

uint64_t jsonNumber(const std::string& json, const std::string& key) {
    std::smatch m;
    if (!std::regex_search(json, m, std::regex("\"" + key + "\":([0-9]+)"))) return ~uint64_t(0);
    return std::stoull(m[1]);
}

// A stack of 3x3 convolutions big enough that oneDNN wants scratch memory.
std::unique_ptr<kiln::ICudaEngine> buildConvStack(kiln::IBuilder& b, QuietLogger& log, size_t limit,
                                                  std::vector<float>& weights) {
    auto net = b.createNetworkV2(0);
    auto* x = net->addInput("x", kiln::DataType::kFLOAT, kiln::Dims4{4, 16, 32, 32});
    kiln::ITensor* t = x;
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> d(-0.1f, 0.1f);
    weights.resize(3 * 32 * 32 * 9);
    for (auto& w : weights) w = d(rng);
    for (int i = 0; i < 3; ++i) {
        const int64_t cin = i == 0 ? 16 : 32;
        auto* c = net->addConvolutionNd(*t, 32, kiln::DimsHW{3, 3},
                                        {kiln::DataType::kFLOAT, weights.data(), 32 * cin * 9}, {});
        c->setPaddingNd(kiln::DimsHW{1, 1});
        t = c->getOutput(0);
    }
    net->markOutput(*t);
    auto cfg = b.createBuilderConfig();
    cfg->setMemoryPoolLimit(kiln::MemoryPoolType::kWORKSPACE, limit);
    return b.buildEngineWithConfig(*net, *cfg);
}

}  // namespace

// The limit only means something if a candidate tactic needs scratch memory
// for these layers: check that oneDNN's convolution does (when built in).
TEST(WorkspaceLimit, OneDnnConvolutionNeedsWorkspaceHere) {
    const kiln::cpu::Tactic* t = kiln::cpu::findCpuTactic("Convolution", "onednn");
    if (!t) GTEST_SKIP() << "kiln was built without oneDNN: no tactic needs workspace";
    kiln::ir::Node n;
    n.op = "Convolution";
    n.name = "c";
    n.inputs = {0, 1, -1};
    n.outputs = {2};
    n.attrs.set("pads_begin", std::vector<int64_t>{1, 1});
    n.attrs.set("pads_end", std::vector<int64_t>{1, 1});
    std::vector<float> w(32 * 16 * 9, 0.01f);
    std::vector<kiln::ir::TensorDesc> in = {{kiln::ir::DType::kF32, {4, 16, 32, 32}, nullptr},
                                            {kiln::ir::DType::kF32, {32, 16, 3, 3}, w.data()},
                                            {}};
    std::vector<kiln::ir::TensorDesc> out = {{kiln::ir::DType::kF32, {4, 32, 32, 32}, nullptr}};
    ASSERT_TRUE(t->supports(n, in, out));
    ASSERT_NE(t->workspace, nullptr);
    EXPECT_GT(t->workspace(n, in, out), size_t(4096));
}

TEST(WorkspaceLimit, EngineNeverExceedsTheLimit) {
    QuietLogger log;
    auto b = kiln::createInferBuilder(log);
    std::vector<float> w;
    for (size_t limit : {size_t(0), size_t(4096), size_t(1) << 30}) {
        auto e = buildConvStack(*b, log, limit, w);
        ASSERT_NE(e, nullptr) << (log.errors.empty() ? "" : log.errors.back());
        auto info = e->getEngineInformation(true);
        const std::string json(static_cast<const char*>(info->data()), info->size());
        const uint64_t ws = jsonNumber(json, "workspace_bytes");
        ASSERT_NE(ws, ~uint64_t(0)) << json;
        EXPECT_LE(ws, limit) << "limit " << limit << ": " << json;
        EXPECT_GE(e->getDeviceMemorySize(), size_t(jsonNumber(json, "arena_bytes")));
    }
}

TEST(WorkspaceLimit, ZeroLimitStillRunsAndMatchesUnlimited) {
    QuietLogger log;
    auto b = kiln::createInferBuilder(log);
    std::vector<float> w;
    auto tight = buildConvStack(*b, log, 0, w);
    auto loose = buildConvStack(*b, log, size_t(1) << 30, w);
    ASSERT_TRUE(tight && loose);
    std::vector<float> in(4 * 16 * 32 * 32), a(4 * 32 * 32 * 32, -1.f), c(a.size(), -2.f);
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> d(-1.f, 1.f);
    for (auto& v : in) v = d(rng);
    for (auto* pair : {&a, &c}) {
        auto& e = pair == &a ? tight : loose;
        auto ctx = e->createExecutionContext();
        ASSERT_TRUE(ctx->setTensorAddress("x", in.data()));
        ASSERT_TRUE(ctx->setTensorAddress(e->getIOTensorName(1), pair->data()));
        ASSERT_TRUE(ctx->enqueueV3(nullptr)) << (log.errors.empty() ? "" : log.errors.back());
    }
    double worst = 0, scale = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        worst = std::max(worst, double(std::fabs(a[i] - c[i])));
        scale = std::max(scale, double(std::fabs(c[i])));
    }
    EXPECT_LE(worst, 1e-4 * scale);
}
