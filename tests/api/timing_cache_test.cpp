// The timing cache through the public API (CPU backend, whose builder times
// the reference and oneDNN tactics): rebuilding with the same cache gives a
// byte-identical engine and measures nothing new; the cache's timings decide
// the tactics; bad cache data, device mismatches, combine, reset and
// kDISABLE_TIMING_CACHE.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kiln/kiln.h"

namespace {

using namespace kiln;

struct Logger : ILogger {
    std::vector<std::string> errors;
    void log(Severity s, const char* msg) noexcept override {
        if (s <= Severity::kERROR) errors.emplace_back(msg);
    }
};

std::vector<float> randomFloats(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-1.f, 1.f);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

// conv 3x3 (8 -> 16 channels) -> relu -> max pool -> FC 10: ops with several
// CPU tactics where oneDNN is built in.
struct Net {
    std::vector<float> convW = randomFloats(16 * 8 * 9, 1), convB = randomFloats(16, 2);
    std::vector<float> fcW = randomFloats(10 * 16 * 8 * 8, 3), fcB = randomFloats(10, 4);

    std::unique_ptr<INetworkDefinition> define(IBuilder& b) {
        auto net = b.createNetworkV2(0);
        ITensor* x = net->addInput("x", DataType::kFLOAT, Dims4(2, 8, 16, 16));
        auto* conv =
            net->addConvolutionNd(*x, 16, DimsHW(3, 3), {DataType::kFLOAT, convW.data(), int64_t(convW.size())},
                                  {DataType::kFLOAT, convB.data(), int64_t(convB.size())});
        conv->setPaddingNd(DimsHW(1, 1));
        ITensor* r = net->addActivation(*conv->getOutput(0), ActivationType::kRELU)->getOutput(0);
        auto* pool = net->addPoolingNd(*r, PoolingType::kMAX, DimsHW(2, 2));
        pool->setStrideNd(DimsHW(2, 2));
        auto* fc = net->addFullyConnected(*pool->getOutput(0), 10, {DataType::kFLOAT, fcW.data(), int64_t(fcW.size())},
                                          {DataType::kFLOAT, fcB.data(), int64_t(fcB.size())});
        fc->getOutput(0)->setName("y");
        net->markOutput(*fc->getOutput(0));
        return net;
    }
};

std::string text(const IHostMemory& m) { return std::string(static_cast<const char*>(m.data()), m.size()); }

// Builds the network with `cache` attached (if any); returns the serialized
// engine ("" on failure).
std::string build(Net& net, ITimingCache* cache, bool ignoreMismatch, Logger& log, bool disableCache = false,
                  std::string* info = nullptr) {
    auto b = createInferBuilder(log);
    auto n = net.define(*b);
    auto cfg = b->createBuilderConfig();
    cfg->setBackend(BackendKind::kCPU);
    if (cache) {
        EXPECT_TRUE(cfg->setTimingCache(*cache, ignoreMismatch));
    }
    if (disableCache) cfg->setFlag(BuilderFlag::kDISABLE_TIMING_CACHE);
    auto e = b->buildEngineWithConfig(*n, *cfg);
    if (!e) return {};
    if (info) *info = text(*e->getEngineInformation(true));
    auto blob = e->serialize();
    return blob ? text(*blob) : std::string();
}

std::unique_ptr<ITimingCache> makeCache(Logger& log, const std::string& data) {
    auto b = createInferBuilder(log);
    return b->createBuilderConfig()->createTimingCache(data.data(), data.size());
}

std::vector<std::vector<std::string>> entries(const std::string& cache) {
    std::vector<std::vector<std::string>> out;
    std::istringstream in(cache);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        std::istringstream ls(line);
        for (std::string x; std::getline(ls, x, '\t');) f.push_back(x);
        out.push_back(f);
    }
    return out;
}

TEST(TimingCache, RebuildWithTheSameCacheIsByteIdentical) {
    Logger log;
    Net net;
    auto cache = makeCache(log, "");
    ASSERT_TRUE(cache);
    EXPECT_EQ(text(*cache->serialize()), "kiln-timing-cache 1\n");
    const std::string e1 = build(net, cache.get(), false, log);
    ASSERT_FALSE(e1.empty()) << (log.errors.empty() ? "" : log.errors[0]);
    const std::string c1 = text(*cache->serialize());

    auto reloaded = makeCache(log, c1);
    ASSERT_TRUE(reloaded);
    EXPECT_EQ(text(*reloaded->serialize()), c1);  // serialize(deserialize(x)) == x
    const std::string e2 = build(net, reloaded.get(), false, log), e3 = build(net, reloaded.get(), false, log);
    EXPECT_EQ(e2, e1);
    EXPECT_EQ(e3, e1);
    EXPECT_EQ(text(*reloaded->serialize()), c1) << "a warm build must not time anything new";
    if (entries(c1).empty()) GTEST_SKIP() << "every layer has one CPU tactic in this build (no oneDNN): nothing timed";
    for (const auto& f : entries(c1)) {
        ASSERT_EQ(f.size(), 4u);
        EXPECT_EQ(f[1].substr(0, f[1].find('|')).empty(), false);
        EXPECT_TRUE(f[3] == "-1" || std::stod(f[3]) >= 0) << f[3];
    }
}

TEST(TimingCache, TheCachedTimingsDecideTheTactics) {
    Logger log;
    Net net;
    auto cache = makeCache(log, "");
    ASSERT_FALSE(build(net, cache.get(), false, log).empty());
    const auto all = entries(text(*cache->serialize()));
    std::map<std::string, std::vector<std::string>> tactics;  // problem -> tactics
    for (const auto& f : all) tactics[f[1]].push_back(f[2]);
    auto it = std::find_if(tactics.begin(), tactics.end(), [](const auto& p) { return p.second.size() > 1; });
    if (it == tactics.end()) GTEST_SKIP() << "no layer has two CPU tactics in this build (no oneDNN)";
    const std::string problem = it->first, op = problem.substr(0, problem.find('|'));
    for (const auto& want : it->second) {
        // The same cache, with `want` made the fastest for that problem.
        std::string edited = "kiln-timing-cache 1\n";
        for (const auto& f : all)
            edited += f[0] + "\t" + f[1] + "\t" + f[2] + "\t" +
                      (f[1] == problem ? (f[2] == want ? "0.001" : "5") : f[3]) + "\n";
        auto c = makeCache(log, edited);
        ASSERT_TRUE(c) << (log.errors.empty() ? "" : log.errors.back());
        std::string info;
        ASSERT_FALSE(build(net, c.get(), false, log, false, &info).empty());
        EXPECT_NE(info.find("\"op\":\"" + op + "\",\"tactic\":\"" + want + "\""), std::string::npos)
            << "expected tactic " << want << " for " << op << " in " << info;
    }
}

TEST(TimingCache, BadDataIsRefusedWithAnError) {
    for (const std::string& bad : {std::string("garbage"), std::string("kiln-timing-cache 2\n"),
                                   std::string("kiln-timing-cache 1\ndev\tproblem\ttactic\n"),
                                   std::string("kiln-timing-cache 1\ndev\tproblem\ttactic\tfast\n"),
                                   std::string("kiln-timing-cache 1\ndev\tproblem\ttactic\t-3\n"),
                                   std::string("kiln-timing-cache 1\ndev\tproblem\ttactic\t1"),
                                   std::string("kiln-timing-cache 1\nd\\qev\tproblem\ttactic\t1\n")}) {
        Logger log;
        EXPECT_EQ(makeCache(log, bad), nullptr) << bad;
        ASSERT_FALSE(log.errors.empty()) << bad;
        EXPECT_NE(log.errors[0].find("timing cache"), std::string::npos) << log.errors[0];
    }
    Logger log;
    auto b = createInferBuilder(log);
    EXPECT_NE(b->createBuilderConfig()->createTimingCache(nullptr, 0), nullptr);
}

TEST(TimingCache, AnotherDevicesTimingsFailTheBuildUnlessMismatchesAreIgnored) {
    Logger log;
    Net net;
    const std::string foreign = "kiln-timing-cache 1\nsome other GPU (sm_75)\tConvolution|x\tcudnn_0\t1.5\n";
    auto cache = makeCache(log, foreign);
    ASSERT_TRUE(cache);
    EXPECT_TRUE(build(net, cache.get(), false, log).empty());
    ASSERT_FALSE(log.errors.empty());
    EXPECT_NE(log.errors.back().find("timing cache holds timings measured on 'some other GPU (sm_75)'"),
              std::string::npos)
        << log.errors.back();

    Logger log2;
    const std::string e = build(net, cache.get(), true, log2);
    EXPECT_FALSE(e.empty()) << (log2.errors.empty() ? "" : log2.errors[0]);
    EXPECT_NE(text(*cache->serialize()).find("some other GPU (sm_75)\tConvolution|x\tcudnn_0\t1.5\n"),
              std::string::npos)
        << "the other device's entry is kept";
}

TEST(TimingCache, CombineResetAndDisable) {
    Logger log;
    Net net;
    auto mine = makeCache(log, "");
    ASSERT_FALSE(build(net, mine.get(), false, log).empty());
    const std::string before = text(*mine->serialize());
    auto other = makeCache(log, "kiln-timing-cache 1\nother device\tp\tt\t2\n");
    ASSERT_TRUE(other);
    if (!entries(before).empty()) {
        EXPECT_FALSE(mine->combine(*other, false));  // another device's timings
        EXPECT_EQ(text(*mine->serialize()), before);
    }
    EXPECT_TRUE(mine->combine(*other, true));
    const std::string combined = text(*mine->serialize());
    EXPECT_NE(combined.find("other device\tp\tt\t2\n"), std::string::npos);
    EXPECT_EQ(entries(combined).size(), entries(before).size() + 1);
    // Existing entries win over the other cache's.
    auto same = makeCache(log, "kiln-timing-cache 1\nother device\tp\tt\t7\n");
    EXPECT_TRUE(mine->combine(*same, false));
    EXPECT_EQ(text(*mine->serialize()), combined);
    // An empty cache takes any device's entries.
    auto empty = makeCache(log, "");
    EXPECT_TRUE(empty->combine(*other, false));
    EXPECT_EQ(text(*empty->serialize()), "kiln-timing-cache 1\nother device\tp\tt\t2\n");

    EXPECT_TRUE(mine->reset());
    EXPECT_EQ(text(*mine->serialize()), "kiln-timing-cache 1\n");
    // kDISABLE_TIMING_CACHE: the attached cache is neither read nor written.
    ASSERT_FALSE(build(net, mine.get(), false, log, true).empty());
    EXPECT_EQ(text(*mine->serialize()), "kiln-timing-cache 1\n");
}

}  // namespace
