// The built-in plugins' CUDA paths (and the sample's) against their CPU paths: the same
// network built for each backend, run on the same inputs, gives the same outputs. Every
// test skips with a message on a machine without a CUDA device.
#include <cuda_runtime.h>

#include <cmath>
#include <random>

#include "../plugin_test_util.h"

using namespace kiln;
using namespace plugintest;

namespace {

bool haveDevice() {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        (void)cudaGetLastError();
        return false;
    }
    return n > 0;
}

std::vector<float> randomFloats(size_t n, uint32_t seed, float lo = -4.f, float hi = 4.f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

// runPlugin() (plugin_test_util.h) for the CUDA backend: device buffers, enqueueV3 on a
// stream of the test's own.
RunResult runPluginCuda(IPluginV2& plugin, const std::vector<Tensor>& inputs) {
    RunResult r;
    Logger log;
    auto builder = createInferBuilder(log);
    auto net = builder->createNetworkV2(0);
    std::vector<ITensor*> ins;
    for (size_t i = 0; i < inputs.size(); ++i) {
        Dims d;
        for (int64_t x : inputs[i].dims) d.d[d.nbDims++] = x;
        ins.push_back(net->addInput(("in" + std::to_string(i)).c_str(), inputs[i].type, d));
    }
    IPluginV2Layer* layer = net->addPluginV2(ins.data(), int32_t(ins.size()), plugin);
    if (!layer) {
        r.errors = log.errors;
        return r;
    }
    for (int32_t o = 0; o < layer->getNbOutputs(); ++o) {
        layer->getOutput(o)->setName(("out" + std::to_string(o)).c_str());
        net->markOutput(*layer->getOutput(o));
    }
    auto config = builder->createBuilderConfig();
    config->setBackend(BackendKind::kCUDA);
    auto engine = builder->buildEngineWithConfig(*net, *config);
    if (!engine) {
        r.errors = log.errors;
        return r;
    }
    auto ctx = engine->createExecutionContext();
    std::vector<void*> device;
    auto release = [&] {
        for (void* p : device) cudaFree(p);
    };
    for (size_t i = 0; i < inputs.size(); ++i) {
        void* p = nullptr;
        EXPECT_EQ(cudaMalloc(&p, std::max<size_t>(inputs[i].bytes.size(), 1)), cudaSuccess);
        device.push_back(p);
        EXPECT_EQ(cudaMemcpy(p, inputs[i].bytes.data(), inputs[i].bytes.size(), cudaMemcpyHostToDevice), cudaSuccess);
        ctx->setTensorAddress(("in" + std::to_string(i)).c_str(), p);
    }
    for (int32_t o = 0; o < layer->getNbOutputs(); ++o) {
        const std::string name = "out" + std::to_string(o);
        const Dims d = ctx->getTensorShape(name.c_str());
        Tensor t;
        t.type = engine->getTensorDataType(name.c_str());
        for (int k = 0; k < d.nbDims; ++k) t.dims.push_back(d.d[k]);
        t.bytes.assign(size_t(t.volume()) * 4, 0);
        void* p = nullptr;
        EXPECT_EQ(cudaMalloc(&p, std::max<size_t>(t.bytes.size(), 1)), cudaSuccess);
        EXPECT_EQ(cudaMemset(p, 0xCD, std::max<size_t>(t.bytes.size(), 1)), cudaSuccess);  // no stale zeros
        device.push_back(p);
        ctx->setTensorAddress(name.c_str(), p);
        r.outputs.push_back(std::move(t));
    }
    cudaStream_t stream = nullptr;
    EXPECT_EQ(cudaStreamCreate(&stream), cudaSuccess);
    r.ok = ctx->enqueueV3(stream) && cudaStreamSynchronize(stream) == cudaSuccess;
    cudaStreamDestroy(stream);
    for (size_t o = 0; o < r.outputs.size(); ++o)
        EXPECT_EQ(cudaMemcpy(r.outputs[o].bytes.data(), device[inputs.size() + o], r.outputs[o].bytes.size(),
                             cudaMemcpyDeviceToHost),
                  cudaSuccess);
    release();
    r.errors = log.errors;
    return r;
}

// The plugin on both backends; every output within atol + rtol * |cpu| of the CPU's.
void expectBackendsAgree(IPluginV2& plugin, const std::vector<Tensor>& inputs, double atol = 1e-6, double rtol = 1e-6) {
    const RunResult cpu = runPlugin(plugin, inputs);
    ASSERT_TRUE(cpu.ok) << cpu.errors;
    const RunResult gpu = runPluginCuda(plugin, inputs);
    ASSERT_TRUE(gpu.ok) << gpu.errors;
    ASSERT_EQ(cpu.outputs.size(), gpu.outputs.size());
    for (size_t o = 0; o < cpu.outputs.size(); ++o) {
        SCOPED_TRACE("output " + std::to_string(o));
        ASSERT_EQ(cpu.outputs[o].dims, gpu.outputs[o].dims);
        const std::vector<float> want = cpu.outputs[o].floats();
        EXPECT_TRUE(near(gpu.outputs[o].floats(), std::vector<double>(want.begin(), want.end()), atol, rtol));
    }
}

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
    expectBackendsAgree(*prior,
                        {floats({1, 2, 19, 19}, std::vector<float>(2 * 19 * 19, 0.f)),
                         floats({1, 3, 300, 300}, std::vector<float>(3 * 300 * 300, 0.f))},
                        0, 0);
    Fields gf;
    gf.f("minSize", 0.2f).f("maxSize", 0.95f).fs("aspectRatios", {1.f, 2.f, 0.5f, 3.f, 0.33f});
    gf.is("featureMapShapes", {19, 10, 5, 3, 2, 1}).fs("variance", {0.1f, 0.1f, 0.2f, 0.2f}).i("numLayers", 6);
    auto anchors = make("GridAnchor_TRT", gf);
    ASSERT_TRUE(anchors);
    expectBackendsAgree(*anchors, {}, 0, 0);
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

TEST_F(CudaPlugins, APluginWithoutACudaPathIsAnErrorNamingIt) {
    Fields f;
    f.i("shareLocation", 1).i("backgroundLabelId", 0).i("numClasses", 2).i("topK", 10).i("keepTopK", 5);
    f.f("confidenceThreshold", 0.1f).f("nmsThreshold", 0.5f);
    Logger log;
    auto nms = createBuiltin("NMS_TRT", f, log);
    ASSERT_NE(nms, nullptr) << log.errors;
    const RunResult r = runPluginCuda(
        *nms, {floats({1, 8, 1, 1}, std::vector<float>(8, 0.f)), floats({1, 4, 1, 1}, std::vector<float>(4, 0.5f)),
               floats({1, 2, 8}, std::vector<float>(16, 0.1f))});
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.errors.find("NMS_TRT"), std::string::npos) << r.errors;
    EXPECT_NE(r.errors.find("CUDA"), std::string::npos) << r.errors;
}

}  // namespace
