// The built-in plugins' CUDA paths (and the sample's) against their CPU paths: the same
// network built for each backend, run on the same inputs, gives the same outputs. Every
// test skips with a message on a machine without a CUDA device.
#include <cmath>

#include "cuda_test_util.h"
#include "kiln/plugin_base.h"

using namespace kiln;
using namespace plugintest;

namespace {

class CudaPlugins : public ::testing::Test {
protected:
    void SetUp() override {
        if (!haveDevice()) GTEST_SKIP() << "no CUDA device: the plugins' CUDA tests are skipped";
    }
    std::unique_ptr<IPluginV2> make(const char* name, Fields& f) {
        Logger log;
        auto p = createBuiltin(name, f, log);
        EXPECT_NE(p, nullptr) << name << ": " << log.errors;
        return p;
    }
};

TEST_F(CudaPlugins, LeakyReluAndClip) {
    std::vector<float> x = randomFloats(3 * 5 * 7, 1);
    x[3] = NAN;
    x[4] = 0.f;
    Fields lf, cf;
    lf.f("negSlope", 0.1f);
    cf.f("clipMin", -1.f).f("clipMax", 0.5f);
    auto lrelu = make("LReLU_TRT", lf), clip = make("Clip_TRT", cf);
    ASSERT_TRUE(lrelu && clip);
    expectBackendsAgree(*lrelu, {floats({3, 5, 7}, x)}, 0, 0);
    expectBackendsAgree(*clip, {floats({3, 5, 7}, x)}, 0, 0);
}

TEST_F(CudaPlugins, NormalizeEveryMode) {
    const int64_t n = 2, c = 6, h = 5, w = 7;
    const std::vector<float> x = randomFloats(size_t(n * c * h * w), 2);
    for (int across = 0; across <= 1; ++across)
        for (int shared = 0; shared <= 1; ++shared) {
            SCOPED_TRACE("acrossSpatial " + std::to_string(across) + ", channelShared " + std::to_string(shared));
            Fields f;
            f.fs("weights", shared ? std::vector<float>{1.5f} : std::vector<float>{1, 2, 3, 4, 5, 6})
                .i("acrossSpatial", across)
                .i("channelShared", shared)
                .f("eps", 1e-6f);
            auto p = make("Normalize_TRT", f);
            ASSERT_TRUE(p);
            expectBackendsAgree(*p, {floats({n, c, h, w}, x)});
        }
    // SSD's conv4_3 shape: 512 channels of 38 x 38, one scale per channel.
    Fields f;
    f.fs("weights", std::vector<float>(512, 20.f)).i("acrossSpatial", 0).i("channelShared", 0);
    auto p = make("Normalize_TRT", f);
    ASSERT_TRUE(p);
    expectBackendsAgree(*p, {floats({1, 512, 38, 38}, randomFloats(512 * 38 * 38, 3))});
}

TEST_F(CudaPlugins, ReorgAndRegionOnYolov2Shapes) {
    Fields rf;
    rf.i("stride", 2);
    auto reorg = make("Reorg_TRT", rf);
    ASSERT_TRUE(reorg);
    expectBackendsAgree(*reorg, {floats({2, 64, 26, 26}, randomFloats(2 * 64 * 26 * 26, 4))}, 0, 0);
    Fields gf;
    gf.i("num", 5).i("coords", 4).i("classes", 20);
    auto region = make("Region_TRT", gf);
    ASSERT_TRUE(region);
    expectBackendsAgree(*region, {floats({2, 125, 13, 13}, randomFloats(2 * 125 * 13 * 13, 5, -8.f, 8.f))}, 1e-7, 1e-6);
}

TEST_F(CudaPlugins, PriorBoxAndGridAnchor) {
    Fields pf;
    pf.fs("minSize", {60.f}).fs("maxSize", {105.f}).fs("aspectRatios", {2.f, 3.f}).i("flip", 1).i("clip", 1);
    pf.fs("variance", {0.1f, 0.1f, 0.2f, 0.2f}).f("offset", 0.5f);
    auto prior = make("PriorBox_TRT", pf);
    ASSERT_TRUE(prior);
    expectBackendsIdentical(*prior, {floats({1, 2, 19, 19}, std::vector<float>(2 * 19 * 19, 0.f)),
                                     floats({1, 3, 300, 300}, std::vector<float>(3 * 300 * 300, 0.f))});
    // Explicit image size and steps, no clipping, one variance, several min and max sizes.
    Fields of;
    of.fs("minSize", {30.f, 50.f}).fs("maxSize", {45.f, 80.f}).fs("aspectRatios", {1.f, 3.f, 0.4f}).i("flip", 0);
    of.fs("variance", {0.3f}).f("offset", 0.25f).i("imgH", 120).i("imgW", 200).f("stepH", 40).f("stepW", 33.5f);
    auto options = make("PriorBox_TRT", of);
    ASSERT_TRUE(options);
    expectBackendsIdentical(*options, {floats({2, 1, 3, 7}, std::vector<float>(42, 0.f))});
    Fields gf;
    gf.f("minSize", 0.2f).f("maxSize", 0.95f).fs("aspectRatios", {1.f, 2.f, 0.5f, 3.f, 0.33f});
    gf.is("featureMapShapes", {19, 10, 5, 3, 2, 1}).fs("variance", {0.1f, 0.1f, 0.2f, 0.2f}).i("numLayers", 6);
    auto anchors = make("GridAnchor_TRT", gf);
    ASSERT_TRUE(anchors);
    expectBackendsAgree(*anchors, {}, 0, 0);
}

// A new feature-map (and image) shape within the profile gives that shape's priors, with
// CUDA graph capture on: the priors are computed on the device on each run, so a new shape
// needs no upload and no synchronization inside the capture.
TEST_F(CudaPlugins, PriorBoxFollowsShapeChangesUnderGraphCapture) {
    Fields pf;
    pf.fs("minSize", {40.f}).fs("maxSize", {90.f}).fs("aspectRatios", {2.f}).i("flip", 1).i("clip", 0);
    pf.fs("variance", {0.1f, 0.1f, 0.2f, 0.2f});
    auto prior = make("PriorBox_TRT", pf);
    ASSERT_TRUE(prior);
    const std::vector<std::vector<int64_t>> shapes = {
        {10, 10, 300, 300}, {5, 8, 160, 256}, {19, 19, 300, 300}, {1, 1, 32, 32}, {10, 10, 300, 300}};
    std::vector<std::vector<Tensor>> runs;
    for (const auto& s : shapes)
        runs.push_back({floats({1, 2, s[0], s[1]}, std::vector<float>(size_t(2 * s[0] * s[1]), 0.f)),
                        floats({1, 3, s[2], s[3]}, std::vector<float>(size_t(3 * s[2] * s[3]), 0.f))});
    const std::vector<RunResult> gpu =
        runPluginCudaShapes(*prior, runs, {{1, 2, 1, 1}, {1, 3, 32, 32}}, {{1, 2, 19, 19}, {1, 3, 300, 300}}, true);
    ASSERT_EQ(gpu.size(), shapes.size());
    for (size_t k = 0; k < shapes.size(); ++k) {
        SCOPED_TRACE("run " + std::to_string(k));
        ASSERT_TRUE(gpu[k].ok) << gpu[k].errors;
        const RunResult cpu = runPlugin(*prior, runs[k]);
        ASSERT_TRUE(cpu.ok) << cpu.errors;
        expectIdentical(cpu, gpu[k]);
    }
}

TEST_F(CudaPlugins, TheSamplePluginRunsOnCuda) {
    ASSERT_TRUE(loadPluginLibrary(KILN_SAMPLE_PLUGIN_LIB, nullptr));
    IPluginCreator* c = getPluginRegistry()->getPluginCreator("Mish_Sample", "1", "");
    ASSERT_NE(c, nullptr);
    Fields f;
    f.f("beta", 2.f);
    std::unique_ptr<IPluginV2> mish(c->createPlugin("mish", f.collection()));
    ASSERT_TRUE(mish);
    // float math on the device, double on the host: a few ulps apart.
    expectBackendsAgree(*mish, {floats({4, 100}, randomFloats(400, 6, -10.f, 10.f))}, 1e-6, 1e-5);
}

// A plugin with a CPU path only (all the built-in ones have both).
class CpuOnlyDouble : public PluginBase<CpuOnlyDouble> {
public:
    static constexpr const char* kNAME = "CpuOnlyDouble_Test";
    static constexpr const char* kVERSION = "1";
    int32_t enqueueCpu(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                       void* const* outputs, void*) noexcept {
        for (int64_t i = 0; i < volume(in[0].dims); ++i)
            static_cast<float*>(outputs[0])[i] = 2 * static_cast<const float*>(inputs[0])[i];
        return 0;
    }
};

KILN_REGISTER_PLUGIN(PluginCreatorFor<CpuOnlyDouble>);

TEST_F(CudaPlugins, APluginWithoutACudaPathIsAnErrorNamingIt) {
    IPluginCreator* creator = getPluginRegistry()->getPluginCreator("CpuOnlyDouble_Test", "1", "");
    ASSERT_NE(creator, nullptr);
    std::unique_ptr<IPluginV2> p(creator->createPlugin("double", nullptr));
    ASSERT_NE(p, nullptr);
    const RunResult cpu = runPlugin(*p, {floats({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6})});
    ASSERT_TRUE(cpu.ok) << cpu.errors;
    EXPECT_EQ(cpu.outputs[0].floats(), (std::vector<float>{2, 4, 6, 8, 10, 12}));
    const RunResult r = runPluginCuda(*p, {floats({2, 3}, std::vector<float>(6, 1.f))});
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.errors.find("CpuOnlyDouble_Test"), std::string::npos) << r.errors;
    EXPECT_NE(r.errors.find("CUDA"), std::string::npos) << r.errors;
}

}  // namespace
