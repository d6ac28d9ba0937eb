// The CUDA builder's channels-last layout (builder/cuda/channels_last.cpp):
// an FP16 residual CNN builds with one transpose into NHWC and one back, gives
// the float32 CPU engine's outputs within FP16 tolerance, and building with
// the pass disabled gives the same outputs without any transpose.
#include <cmath>

#include "api/layer_profiler_test_model.h"
#include "device_test_util.h"

namespace {

using proftest::dims;
using proftest::randomFloats;

constexpr int64_t kN = 2, kC = 16, kH = 12, kW = 12;

struct ResidualNet {
    std::vector<float> w1 = randomFloats(kC * kC * 9, 41), b1 = randomFloats(kC, 42);
    std::vector<float> w2 = randomFloats(kC * kC * 9, 43), b2 = randomFloats(kC, 44);

    // conv+relu -> conv + x (residual) -> relu -> max pool 2x2 -> output.
    std::unique_ptr<kiln::IEngine> build(kiln::BackendKind backend, bool fp16, bool channelsLast,
                                         proftest::Logger& log) {
        auto builder = kiln::createInferBuilder(log);
        auto net = builder->createNetworkV2(0);
        auto* x = net->addInput("x", kiln::DataType::kFLOAT, dims({kN, kC, kH, kW}));
        auto conv = [&](kiln::ITensor& in, std::vector<float>& w, std::vector<float>& b) {
            auto* c = net->addConvolutionNd(in, kC, dims({3, 3}), {kiln::DataType::kFLOAT, w.data(), int64_t(w.size())},
                                            {kiln::DataType::kFLOAT, b.data(), int64_t(b.size())});
            c->setPaddingNd(dims({1, 1}));
            return c->getOutput(0);
        };
        auto* r1 = net->addActivation(*conv(*x, w1, b1), kiln::ActivationType::kRELU)->getOutput(0);
        auto* sum = net->addElementWise(*conv(*r1, w2, b2), *x, kiln::ElementWiseOperation::kSUM)->getOutput(0);
        auto* r2 = net->addActivation(*sum, kiln::ActivationType::kRELU)->getOutput(0);
        auto* pool = net->addPoolingNd(*r2, kiln::PoolingType::kMAX, dims({2, 2}));
        pool->setStrideNd(dims({2, 2}));
        pool->getOutput(0)->setName("y");
        net->markOutput(*pool->getOutput(0));
        auto cfg = builder->createBuilderConfig();
        cfg->setBackend(backend);
        if (fp16) cfg->setFlag(kiln::BuilderFlag::kFP16);
        if (!channelsLast) cfg->setPassEnabled("cuda-channels-last", false);
        return builder->buildEngineWithConfig(*net, *cfg);
    }
};

std::vector<float> run(kiln::IEngine& e, proftest::Memory& mem, const std::vector<float>& xs) {
    auto ctx = e.createExecutionContext();
    std::vector<float> ys(size_t(kN * kC * (kH / 2) * (kW / 2)));
    void* x = mem.alloc(xs.size() * 4);
    void* y = mem.alloc(ys.size() * 4);
    mem.upload(x, xs.data(), xs.size() * 4);
    EXPECT_TRUE(ctx->setTensorAddress("x", x));
    EXPECT_TRUE(ctx->setTensorAddress("y", y));
    EXPECT_TRUE(ctx->execute());
    mem.download(ys.data(), y, ys.size() * 4);
    mem.release(x);
    mem.release(y);
    return ys;
}

int countLayersNamed(const kiln::IEngine& e, const std::string& part) {
    auto info = e.getEngineInformation(false);
    const std::string text(static_cast<const char*>(info->data()), info->size());
    int n = 0;
    for (size_t p = text.find(part); p != std::string::npos; p = text.find(part, p + 1))
        if (text.compare(p + part.size(), 3, "  [") == 0) ++n;  // a layer line, not a tensor name
    return n;
}

double relL2(const std::vector<float>& got, const std::vector<float>& want) {
    double num = 0, den = 0;
    for (size_t i = 0; i < got.size(); ++i) {
        num += (double(got[i]) - want[i]) * (double(got[i]) - want[i]);
        den += double(want[i]) * want[i];
    }
    return std::sqrt(num / std::max(den, 1e-30));
}

TEST(CudaChannelsLast, Fp16ResidualNetStoresNhwcBetweenTwoTransposes) {
    SKIP_WITHOUT_DEVICE();
    ResidualNet model;
    proftest::Logger log;
    auto cpu = model.build(kiln::BackendKind::kCPU, false, true, log);
    auto nhwc = model.build(kiln::BackendKind::kCUDA, true, true, log);
    auto nchw = model.build(kiln::BackendKind::kCUDA, true, false, log);
    ASSERT_TRUE(cpu && nhwc && nchw) << log.joined();
    // x enters NHWC once (feeding the first conv and, as Z, the second); y leaves once.
    EXPECT_EQ(countLayersNamed(*nhwc, "_to_nhwc"), 1);
    EXPECT_EQ(countLayersNamed(*nhwc, "_to_nchw"), 1);
    EXPECT_EQ(countLayersNamed(*nchw, "_to_nhwc") + countLayersNamed(*nchw, "_to_nchw"), 0);

    const std::vector<float> xs = randomFloats(size_t(kN * kC * kH * kW), 45);
    proftest::HostMemory host;
    devtest::DeviceMemory dev;
    const auto want = run(*cpu, host, xs);
    const auto a = run(*nhwc, dev, xs), b = run(*nchw, dev, xs);
    EXPECT_LT(relL2(a, want), 1e-2);
    EXPECT_LT(relL2(b, want), 1e-2);
}

}  // namespace
