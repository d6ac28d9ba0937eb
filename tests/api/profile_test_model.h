// The optimization-profile tests, shared by the CPU suite (tests/api) and the
// CUDA one (tests/cuda): a network with a dynamic batch and dynamic spatial
// dims (conv + relu + max pool + elementwise + reduce), built once with
// profiles and compared, shape by shape, with engines built statically for
// each shape. `Memory` says where the tensors live (host or device).
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kiln/kiln.h"

namespace proftest {

struct Logger : kiln::ILogger {
    std::vector<std::string> errors;
    void log(Severity s, const char* msg) noexcept override {
        if (s <= Severity::kERROR) errors.push_back(msg ? msg : "");
    }
    std::string last() const { return errors.empty() ? std::string() : errors.back(); }
    std::string joined() const {
        std::string r;
        for (const auto& e : errors) r += e + "\n";
        return r;
    }
};

// Where a backend's tensors live.
class Memory {
public:
    virtual ~Memory() = default;
    virtual void* alloc(size_t bytes) = 0;
    virtual void release(void* p) = 0;
    virtual void upload(void* dst, const void* src, size_t bytes) = 0;
    virtual void download(void* dst, const void* src, size_t bytes) = 0;
};

class HostMemory final : public Memory {
public:
    void* alloc(size_t bytes) override { return ::operator new(std::max<size_t>(bytes, 1)); }
    void release(void* p) override { ::operator delete(p); }
    void upload(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
    void download(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
};

inline kiln::Dims dims(std::initializer_list<int64_t> v) {
    kiln::Dims d;
    for (int64_t x : v) d.d[d.nbDims++] = x;
    return d;
}

inline std::vector<int64_t> toVec(const kiln::Dims& d) {
    return d.nbDims < 0 ? std::vector<int64_t>{} : std::vector<int64_t>(d.d, d.d + d.nbDims);
}

inline std::vector<float> randomFloats(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    std::vector<float> v(n);
    for (auto& x : v) x = u(rng);
    return v;
}

// Input x [N, 3, H, W]; outputs "pooled" [N, 4, H/2, W/2] (conv 3x3 pad 1 +
// bias, relu, 2x2 max pool, doubled by an elementwise sum) and "mean"
// [N, 4] (its spatial mean).
struct Model {
    static constexpr int kC = 3, kK = 4;
    std::vector<float> convW = randomFloats(size_t(kK) * kC * 9, 11), convB = randomFloats(kK, 12);

    struct Range {
        std::vector<int64_t> min, opt, max;  // [N, H, W]
    };

    static std::vector<int64_t> inputShape(const std::vector<int64_t>& nhw) { return {nhw[0], kC, nhw[1], nhw[2]}; }
    static std::vector<int64_t> pooledShape(const std::vector<int64_t>& nhw) {
        return {nhw[0], kK, nhw[1] / 2, nhw[2] / 2};
    }

    // `fixed`: a static network of that [N, H, W]; else dynamic N, H, W with
    // one profile per entry of `ranges`. `implicitBatch`: a classic network
    // of input [3, H, W] (fixed H, W) and max batch fixed[0].
    std::unique_ptr<kiln::IEngine> build(kiln::IBuilder& b, kiln::BackendKind backend, const std::vector<Range>& ranges,
                                         const std::vector<int64_t>& fixed = {}, bool implicitBatch = false) {
        auto net = implicitBatch ? b.createNetwork() : b.createNetworkV2(0);
        kiln::Dims in = fixed.empty() ? dims({-1, kC, -1, -1}) : dims({fixed[0], kC, fixed[1], fixed[2]});
        if (implicitBatch) in = dims({kC, fixed[1], fixed[2]});
        kiln::ITensor* x = net->addInput("x", kiln::DataType::kFLOAT, in);
        auto* conv =
            net->addConvolutionNd(*x, kK, dims({3, 3}), {kiln::DataType::kFLOAT, convW.data(), int64_t(convW.size())},
                                  {kiln::DataType::kFLOAT, convB.data(), int64_t(convB.size())});
        conv->setPaddingNd(dims({1, 1}));
        auto* relu = net->addActivation(*conv->getOutput(0), kiln::ActivationType::kRELU);
        auto* pool = net->addPoolingNd(*relu->getOutput(0), kiln::PoolingType::kMAX, dims({2, 2}));
        pool->setStrideNd(dims({2, 2}));
        auto* sum = net->addElementWise(*pool->getOutput(0), *pool->getOutput(0), kiln::ElementWiseOperation::kSUM);
        const int first = implicitBatch ? 1 : 2;  // the H axis (no batch axis in implicit-batch networks)
        auto* mean = net->addReduce(*sum->getOutput(0), kiln::ReduceOperation::kAVG, (1u << first) | (2u << first),
                                    /*keepDimensions=*/false);
        sum->getOutput(0)->setName("pooled");
        mean->getOutput(0)->setName("mean");
        net->markOutput(*sum->getOutput(0));
        net->markOutput(*mean->getOutput(0));
        auto cfg = b.createBuilderConfig();
        cfg->setBackend(backend);
        if (implicitBatch) b.setMaxBatchSize(int32_t(fixed[0]));
        for (const Range& r : ranges) {
            kiln::IOptimizationProfile* p = b.createOptimizationProfile();
            p->setDimensions("x", kiln::OptProfileSelector::kMIN, dims({r.min[0], kC, r.min[1], r.min[2]}));
            p->setDimensions("x", kiln::OptProfileSelector::kOPT, dims({r.opt[0], kC, r.opt[1], r.opt[2]}));
            p->setDimensions("x", kiln::OptProfileSelector::kMAX, dims({r.max[0], kC, r.max[1], r.max[2]}));
            if (cfg->addOptimizationProfile(p) < 0) return nullptr;
        }
        return b.buildEngineWithConfig(*net, *cfg);
    }
};

struct Outputs {
    std::vector<float> pooled, mean;
};

// Runs `ctx` at input shape nhw (setInputShape + setTensorAddress + enqueueV3);
// false (with the logger's errors in the failure) when a call fails.
inline bool run(kiln::IExecutionContext& ctx, Memory& mem, const std::vector<int64_t>& nhw, const std::vector<float>& x,
                Outputs& out, bool setShape = true) {
    const auto in = Model::inputShape(nhw), pooled = Model::pooledShape(nhw);
    size_t nIn = 1, nPool = 1;
    for (int64_t d : in) nIn *= size_t(d);
    for (int64_t d : pooled) nPool *= size_t(d);
    const size_t nMean = size_t(nhw[0]) * Model::kK;
    EXPECT_EQ(x.size(), nIn);
    if (setShape && !ctx.setInputShape("x", dims({in[0], in[1], in[2], in[3]}))) return false;
    EXPECT_EQ(toVec(ctx.getTensorShape("pooled")), pooled);
    EXPECT_EQ(toVec(ctx.getTensorShape("mean")), (std::vector<int64_t>{nhw[0], Model::kK}));
    void* dx = mem.alloc(nIn * 4);
    void* dp = mem.alloc(nPool * 4);
    void* dm = mem.alloc(nMean * 4);
    mem.upload(dx, x.data(), nIn * 4);
    bool ok = ctx.setTensorAddress("x", dx) && ctx.setTensorAddress("pooled", dp) && ctx.setTensorAddress("mean", dm) &&
              ctx.executeV2(std::vector<void*>{dx, dp, dm}.data());
    if (ok) {
        out.pooled.resize(nPool);
        out.mean.resize(nMean);
        mem.download(out.pooled.data(), dp, nPool * 4);
        mem.download(out.mean.data(), dm, nMean * 4);
    }
    mem.release(dx);
    mem.release(dp);
    mem.release(dm);
    return ok;
}

// Tactics may differ between a dynamic and a static engine (timed at other
// shapes), so sums may be reassociated: a tight tolerance, not bit equality.
inline void expectClose(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    size_t bad = 0;
    for (size_t i = 0; i < got.size(); ++i)
        if (!(std::fabs(got[i] - want[i]) <= 1e-5f + 1e-5f * std::fabs(want[i])) && bad++ < 3)
            ADD_FAILURE() << what << " element " << i << ": " << got[i] << " vs static " << want[i];
    EXPECT_EQ(bad, 0u) << what;
}

// The reference for one shape: an engine built statically for it.
inline Outputs staticOutputs(Model& m, kiln::BackendKind backend, Memory& mem, const std::vector<int64_t>& nhw,
                             const std::vector<float>& x) {
    Logger log;
    auto b = kiln::createInferBuilder(log);
    auto e = m.build(*b, backend, {}, nhw);
    Outputs o;
    EXPECT_NE(e, nullptr) << log.joined();
    if (!e) return o;
    auto ctx = e->createExecutionContext();
    EXPECT_TRUE(ctx && run(*ctx, mem, nhw, x, o)) << log.joined();
    return o;
}

inline std::string str(const std::vector<int64_t>& v) {
    std::string s;
    for (int64_t d : v) s += (s.empty() ? "" : "x") + std::to_string(d);
    return s;
}

// ---- the tests, run by each backend's suite ----

// One dynamic engine at ten shapes inside its profile equals ten static engines.
inline void dynamicMatchesStatic(kiln::BackendKind backend, Memory& mem) {
    Model m;
    Logger log;
    auto b = kiln::createInferBuilder(log);
    auto e = m.build(*b, backend, {{{1, 8, 8}, {2, 16, 16}, {4, 32, 32}}});
    ASSERT_NE(e, nullptr) << log.joined();
    EXPECT_EQ(e->getNbOptimizationProfiles(), 1);
    EXPECT_EQ(toVec(e->getTensorShape("x")), (std::vector<int64_t>{-1, 3, -1, -1}));
    auto ctx = e->createExecutionContext();
    ASSERT_NE(ctx, nullptr) << log.joined();
    const std::vector<std::vector<int64_t>> shapes = {{1, 8, 8},  {4, 32, 32}, {2, 16, 16}, {3, 10, 14}, {1, 32, 8},
                                                      {4, 8, 32}, {2, 12, 21}, {3, 31, 18}, {1, 9, 11},  {4, 17, 25}};
    uint32_t seed = 100;
    for (const auto& nhw : shapes) {
        const auto in = Model::inputShape(nhw);
        const auto x = randomFloats(size_t(in[0] * in[1] * in[2] * in[3]), seed++);
        Outputs got;
        ASSERT_TRUE(run(*ctx, mem, nhw, x, got)) << str(nhw) << ": " << log.joined();
        const Outputs want = staticOutputs(m, backend, mem, nhw, x);
        expectClose(got.pooled, want.pooled, "pooled at " + str(nhw));
        expectClose(got.mean, want.mean, "mean at " + str(nhw));
    }
}

// Shapes outside the profile are refused, naming the input, the shape and the bounds.
inline void outsideProfileRefused(kiln::BackendKind backend) {
    Model m;
    Logger log;
    auto b = kiln::createInferBuilder(log);
    auto e = m.build(*b, backend, {{{1, 8, 8}, {2, 16, 16}, {4, 32, 32}}});
    ASSERT_NE(e, nullptr) << log.joined();
    auto ctx = e->createExecutionContext();
    ASSERT_NE(ctx, nullptr);
    struct Case {
        kiln::Dims d;
        const char* shape;
        const char* why;
    };
    const Case cases[] = {{dims({5, 3, 16, 16}), "[5,3,16,16]", "dimension 0 must lie in [1, 4]"},
                          {dims({2, 3, 40, 16}), "[2,3,40,16]", "dimension 2 must lie in [8, 32]"},
                          {dims({2, 3, 16, 7}), "[2,3,16,7]", "dimension 3 must lie in [8, 32]"},
                          {dims({2, 4, 16, 16}), "[2,4,16,16]", "dimension 1 must lie in [3, 3]"}};
    for (const Case& c : cases) {
        log.errors.clear();
        EXPECT_FALSE(ctx->setInputShape("x", c.d)) << c.shape;
        const std::string msg = log.last();
        for (const char* part : {"'x'", c.shape, "min [1,3,8,8], max [4,3,32,32]", c.why})
            EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' missing from: " << msg;
    }
    log.errors.clear();
    EXPECT_FALSE(ctx->setInputShape("x", dims({2, 3, 16})));
    EXPECT_NE(log.last().find("'x' has rank 3"), std::string::npos) << log.last();
    // The context kept its last valid shape.
    EXPECT_EQ(toVec(ctx->getTensorShape("x")), (std::vector<int64_t>{2, 3, 16, 16}));
}

// Two profiles, switched on one context, before and after serialization.
inline void twoProfilesSwitch(kiln::BackendKind backend, Memory& mem) {
    Model m;
    Logger log;
    auto b = kiln::createInferBuilder(log);
    auto built = m.build(*b, backend, {{{1, 8, 8}, {1, 12, 12}, {2, 16, 16}}, {{1, 17, 17}, {3, 24, 24}, {4, 32, 32}}});
    ASSERT_NE(built, nullptr) << log.joined();
    auto blob = built->serialize();
    ASSERT_NE(blob, nullptr) << log.joined();
    auto again = built->serialize();
    ASSERT_EQ(blob->size(), again->size());
    EXPECT_EQ(std::memcmp(blob->data(), again->data(), blob->size()), 0) << "serialization is deterministic";
    auto rt = kiln::createInferRuntime(log);
    auto loaded = rt->deserializeCudaEngine(blob->data(), blob->size());
    ASSERT_NE(loaded, nullptr) << log.joined();

    const std::vector<int64_t> small = {2, 14, 10}, large = {3, 29, 20};
    const auto xs = randomFloats(size_t(2 * 3 * 14 * 10), 7), xl = randomFloats(size_t(3 * 3 * 29 * 20), 8);
    const Outputs wantS = staticOutputs(m, backend, mem, small, xs), wantL = staticOutputs(m, backend, mem, large, xl);
    for (kiln::IEngine* e : {built.get(), loaded.get()}) {
        const std::string which = e == built.get() ? "built" : "deserialized";
        SCOPED_TRACE(which);
        ASSERT_EQ(e->getNbOptimizationProfiles(), 2);
        EXPECT_EQ(toVec(e->getProfileShape("x", 0, kiln::OptProfileSelector::kMIN)),
                  (std::vector<int64_t>{1, 3, 8, 8}));
        EXPECT_EQ(toVec(e->getProfileShape("x", 1, kiln::OptProfileSelector::kOPT)),
                  (std::vector<int64_t>{3, 3, 24, 24}));
        EXPECT_EQ(toVec(e->getProfileShape("x", 1, kiln::OptProfileSelector::kMAX)),
                  (std::vector<int64_t>{4, 3, 32, 32}));
        EXPECT_EQ(e->getProfileShape("x", 2, kiln::OptProfileSelector::kMIN).nbDims, -1);
        EXPECT_EQ(e->getProfileShape("mean", 0, kiln::OptProfileSelector::kMIN).nbDims, -1);
        EXPECT_EQ(toVec(e->getTensorShape("x")), (std::vector<int64_t>{-1, 3, -1, -1}));

        auto ctx = e->createExecutionContext();
        ASSERT_NE(ctx, nullptr) << log.joined();
        EXPECT_EQ(ctx->getOptimizationProfile(), 0);
        // Profile 0 is active: profile 1's shapes are refused, naming profile 0's bounds.
        log.errors.clear();
        EXPECT_FALSE(ctx->setInputShape("x", dims({3, 3, 29, 20})));
        EXPECT_NE(log.last().find("outside optimization profile 0 (min [1,3,8,8], max [2,3,16,16])"), std::string::npos)
            << log.last();
        Outputs got;
        for (int round = 0; round < 2; ++round) {
            ASSERT_TRUE(ctx->setOptimizationProfileAsync(0, nullptr)) << log.joined();
            ASSERT_TRUE(run(*ctx, mem, small, xs, got)) << log.joined();
            expectClose(got.pooled, wantS.pooled, which + " profile 0 pooled");
            expectClose(got.mean, wantS.mean, which + " profile 0 mean");
            ASSERT_TRUE(ctx->setOptimizationProfileAsync(1, nullptr)) << log.joined();
            EXPECT_EQ(ctx->getOptimizationProfile(), 1);
            // Input shapes start at the new profile's opt shape.
            EXPECT_EQ(toVec(ctx->getTensorShape("x")), (std::vector<int64_t>{3, 3, 24, 24}));
            ASSERT_TRUE(run(*ctx, mem, large, xl, got)) << log.joined();
            expectClose(got.pooled, wantL.pooled, which + " profile 1 pooled");
            expectClose(got.mean, wantL.mean, which + " profile 1 mean");
            log.errors.clear();
            EXPECT_FALSE(ctx->setInputShape("x", dims({2, 3, 14, 10}))) << "profile 1 starts at H = 17";
            EXPECT_NE(log.last().find("outside optimization profile 1"), std::string::npos) << log.last();
        }
        log.errors.clear();
        EXPECT_FALSE(ctx->setOptimizationProfile(2));
        EXPECT_NE(log.last().find("2 optimization profile(s); index 2 is out of range"), std::string::npos)
            << log.last();
        EXPECT_EQ(ctx->getOptimizationProfile(), 1);
    }
}

// The classic implicit-batch engine is a profile on the leading dimension.
inline void implicitBatchIsAProfile(kiln::BackendKind backend, Memory& mem) {
    Model m;
    Logger log;
    auto b = kiln::createInferBuilder(log);
    auto e = m.build(*b, backend, {}, {4, 12, 10}, /*implicitBatch=*/true);
    ASSERT_NE(e, nullptr) << log.joined();
    EXPECT_TRUE(e->hasImplicitBatchDimension());
    EXPECT_EQ(e->getMaxBatchSize(), 4);
    ASSERT_EQ(e->getNbOptimizationProfiles(), 1);
    EXPECT_EQ(toVec(e->getProfileShape("x", 0, kiln::OptProfileSelector::kMIN)), (std::vector<int64_t>{1, 3, 12, 10}));
    EXPECT_EQ(toVec(e->getProfileShape("x", 0, kiln::OptProfileSelector::kMAX)), (std::vector<int64_t>{4, 3, 12, 10}));
    EXPECT_EQ(toVec(e->getBindingDimensions(e->getBindingIndex("x"))), (std::vector<int64_t>{3, 12, 10}));
    auto ctx = e->createExecutionContext();
    ASSERT_NE(ctx, nullptr) << log.joined();
    for (int64_t n : {3, 1, 4, 2}) {
        const std::vector<int64_t> nhw = {n, 12, 10};
        const auto x = randomFloats(size_t(n * 3 * 12 * 10), uint32_t(20 + n));
        const size_t nPool = size_t(n * 4 * 6 * 5), nMean = size_t(n * 4);
        void* dx = mem.alloc(x.size() * 4);
        void* dp = mem.alloc(nPool * 4);
        void* dm = mem.alloc(nMean * 4);
        mem.upload(dx, x.data(), x.size() * 4);
        void* bindings[3] = {dx, dp, dm};
        ASSERT_TRUE(ctx->execute(int32_t(n), bindings)) << log.joined();
        Outputs got;
        got.pooled.resize(nPool);
        got.mean.resize(nMean);
        mem.download(got.pooled.data(), dp, nPool * 4);
        mem.download(got.mean.data(), dm, nMean * 4);
        const Outputs want = staticOutputs(m, backend, mem, nhw, x);
        expectClose(got.pooled, want.pooled, "pooled at batch " + std::to_string(n));
        expectClose(got.mean, want.mean, "mean at batch " + std::to_string(n));
        log.errors.clear();
        EXPECT_FALSE(ctx->execute(5, bindings));
        EXPECT_NE(log.last().find("batch size 5 is outside [1, 4]"), std::string::npos) << log.last();
        mem.release(dx);
        mem.release(dp);
        mem.release(dm);
    }
}

}  // namespace proftest
