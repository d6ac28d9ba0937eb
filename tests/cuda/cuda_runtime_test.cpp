// The CUDA runtime through the public API: a small CNN built for CUDA gives
// the CPU engine's outputs; enqueueV3 runs asynchronously on the caller's
// stream; many contexts run at once on many streams (16 threads x 625
// inferences against one thread: issue 7's stress test); CUDA graph replay gives
// the plain run's outputs; serialize/deserialize keeps the backend; the
// device memory need is reported; out of device memory is an error.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <thread>

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

constexpr int kN = 2, kC = 3, kH = 16, kW = 16, kClasses = 10;

// conv 3x3 (pad 1) + bias -> relu -> max pool 2x2 -> + itself -> FC -> softmax.
struct Model {
    std::vector<float> convW = randomFloats(8 * kC * 9, 1), convB = randomFloats(8, 2);
    std::vector<float> fcW = randomFloats(size_t(kClasses) * 8 * 8 * 8, 3), fcB = randomFloats(kClasses, 4);

    std::unique_ptr<IEngine> build(IBuilder& b, BackendKind backend, Logger& log, bool fp16 = false) {
        auto net = b.createNetworkV2(0);
        ITensor* x = net->addInput("x", DataType::kFLOAT, Dims4(kN, kC, kH, kW));
        auto* conv = net->addConvolutionNd(*x, 8, DimsHW(3, 3), {DataType::kFLOAT, convW.data(), int64_t(convW.size())},
                                           {DataType::kFLOAT, convB.data(), int64_t(convB.size())});
        conv->setPaddingNd(DimsHW(1, 1));
        auto* relu = net->addActivation(*conv->getOutput(0), ActivationType::kRELU);
        auto* pool = net->addPoolingNd(*relu->getOutput(0), PoolingType::kMAX, DimsHW(2, 2));
        pool->setStrideNd(DimsHW(2, 2));
        auto* sum = net->addElementWise(*pool->getOutput(0), *pool->getOutput(0), ElementWiseOperation::kSUM);
        auto* fc =
            net->addFullyConnected(*sum->getOutput(0), kClasses, {DataType::kFLOAT, fcW.data(), int64_t(fcW.size())},
                                   {DataType::kFLOAT, fcB.data(), int64_t(fcB.size())});
        auto* sm = net->addSoftMax(*fc->getOutput(0));
        sm->getOutput(0)->setName("prob");
        net->markOutput(*sm->getOutput(0));
        auto cfg = b.createBuilderConfig();
        cfg->setBackend(backend);
        if (fp16) cfg->setFlag(BuilderFlag::kFP16);
        return b.buildEngineWithConfig(*net, *cfg);
    }
};

std::vector<float> runCpu(IEngine& e, const std::vector<float>& x) {
    auto ctx = e.createExecutionContext();
    std::vector<float> y(kN * kClasses);
    void* bindings[] = {const_cast<float*>(x.data()), y.data()};
    EXPECT_TRUE(ctx->executeV2(bindings));
    return y;
}

struct DeviceIo {
    float* x = nullptr;
    float* y = nullptr;
    DeviceIo() {
        EXPECT_EQ(cudaMalloc(&x, sizeof(float) * kN * kC * kH * kW), cudaSuccess);
        EXPECT_EQ(cudaMalloc(&y, sizeof(float) * kN * kClasses), cudaSuccess);
    }
    ~DeviceIo() {
        cudaFree(x);
        cudaFree(y);
    }
    void upload(const std::vector<float>& v) {
        ASSERT_EQ(cudaMemcpy(x, v.data(), v.size() * 4, cudaMemcpyHostToDevice), cudaSuccess);
    }
    std::vector<float> download() {
        std::vector<float> v(kN * kClasses);
        EXPECT_EQ(cudaMemcpy(v.data(), y, v.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
        return v;
    }
};

void expectClose(const std::vector<float>& got, const std::vector<float>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i)
        EXPECT_NEAR(got[i], want[i], 1e-5 + 1e-4 * std::fabs(want[i])) << "element " << i;
}

struct Fixture : ::testing::Test {
    Logger log;
    std::unique_ptr<IBuilder> builder;
    Model model;
    std::unique_ptr<IEngine> cpu, gpu;
    void SetUp() override {
        if (!haveDevice()) GTEST_SKIP() << "no CUDA device: the CUDA runtime tests are skipped";
        builder = createInferBuilder(log);
        cpu = model.build(*builder, BackendKind::kCPU, log);
        gpu = model.build(*builder, BackendKind::kCUDA, log);
        ASSERT_TRUE(cpu && gpu) << (log.errors.empty() ? "" : log.errors.back());
    }
};

TEST_F(Fixture, MatchesTheCpuEngine) {
    EXPECT_EQ(gpu->getBackend(), BackendKind::kCUDA);
    {  // conv + bias + relu became one fused layer
        auto info = gpu->getEngineInformation(false);
        const std::string text(static_cast<const char*>(info->data()), info->size());
        EXPECT_NE(text.find("FusedConvolution"), std::string::npos) << text;
    }
    const auto x = randomFloats(kN * kC * kH * kW, 11);
    auto ctx = gpu->createExecutionContext();
    ASSERT_TRUE(ctx);
    DeviceIo io;
    io.upload(x);
    cudaStream_t s;
    ASSERT_EQ(cudaStreamCreate(&s), cudaSuccess);
    ASSERT_TRUE(ctx->setTensorAddress("x", io.x));
    ASSERT_TRUE(ctx->setTensorAddress("prob", io.y));
    ASSERT_TRUE(ctx->enqueueV3(s));
    ASSERT_EQ(cudaStreamSynchronize(s), cudaSuccess);
    expectClose(io.download(), runCpu(*cpu, x));
    // The classic forms too: enqueueV2 with binding indices, executeV2.
    ASSERT_EQ(cudaMemset(io.y, 0, kN * kClasses * 4), cudaSuccess);
    void* bindings[] = {io.x, io.y};
    ASSERT_TRUE(ctx->enqueueV2(bindings, s, nullptr));
    ASSERT_EQ(cudaStreamSynchronize(s), cudaSuccess);
    expectClose(io.download(), runCpu(*cpu, x));
    ASSERT_EQ(cudaMemset(io.y, 0, kN * kClasses * 4), cudaSuccess);
    ASSERT_TRUE(ctx->executeV2(bindings));
    expectClose(io.download(), runCpu(*cpu, x));
    cudaStreamDestroy(s);
}

TEST_F(Fixture, EnqueueDoesNotWaitForTheDevice) {
    // A stream blocked behind a host callback that waits: if enqueueV3
    // synchronized, it would never return while the gate is closed.
    auto ctx = gpu->createExecutionContext();
    DeviceIo io;
    io.upload(randomFloats(kN * kC * kH * kW, 5));
    cudaStream_t s;
    ASSERT_EQ(cudaStreamCreate(&s), cudaSuccess);
    std::atomic<bool> open{false};
    auto gate = [](void* p) {
        auto* flag = static_cast<std::atomic<bool>*>(p);
        while (!flag->load()) std::this_thread::yield();
    };
    ASSERT_EQ(cudaLaunchHostFunc(s, gate, &open), cudaSuccess);
    ctx->setTensorAddress("x", io.x);
    ctx->setTensorAddress("prob", io.y);
    EXPECT_TRUE(ctx->enqueueV3(s));  // returns with the stream still blocked
    EXPECT_EQ(cudaStreamQuery(s), cudaErrorNotReady);
    open = true;
    ASSERT_EQ(cudaStreamSynchronize(s), cudaSuccess);
    cudaStreamDestroy(s);
}

TEST_F(Fixture, ManyContextsOnManyStreams) {
    constexpr int kContexts = 4, kRuns = 20;
    std::vector<std::thread> threads;
    std::vector<int> failures(kContexts, 0);
    for (int t = 0; t < kContexts; ++t) {
        threads.emplace_back([&, t] {
            auto ctx = gpu->createExecutionContext();
            DeviceIo io;
            cudaStream_t s;
            if (!ctx || cudaStreamCreate(&s) != cudaSuccess) {
                failures[size_t(t)] = -1;
                return;
            }
            ctx->setTensorAddress("x", io.x);
            ctx->setTensorAddress("prob", io.y);
            for (int r = 0; r < kRuns; ++r) {
                const auto x = randomFloats(kN * kC * kH * kW, uint32_t(100 * t + r));
                io.upload(x);
                if (!ctx->enqueueV3(s) || cudaStreamSynchronize(s) != cudaSuccess) {
                    ++failures[size_t(t)];
                    continue;
                }
                const auto want = runCpu(*cpu, x), got = io.download();
                for (size_t i = 0; i < got.size(); ++i)
                    if (std::fabs(got[i] - want[i]) > 1e-5 + 1e-4 * std::fabs(want[i])) {
                        ++failures[size_t(t)];
                        break;
                    }
            }
            cudaStreamDestroy(s);
        });
    }
    for (auto& th : threads) th.join();
    for (int t = 0; t < kContexts; ++t) EXPECT_EQ(failures[size_t(t)], 0) << "context " << t;
}

// The stress test of issue 7 on CUDA: one engine, 16 threads, each with its
// own context and stream, 625 inferences each (10,000 in all) of inputs that
// differ per thread and run, checked against the same inputs run one at a
// time on one context. Same engine, same kernels: the results must agree to
// float32 rounding (1e-6; the libraries' kernels need not be bitwise
// reproducible from one launch to the next).
TEST_F(Fixture, SixteenThreadsTenThousandInferencesMatchOneThread) {
    constexpr int kThreads = 16, kRuns = 625;
    auto input = [](int t, int r) { return randomFloats(kN * kC * kH * kW, uint32_t(7919 * t + r + 1)); };
    // The reference: one context, one stream, every input in turn.
    std::vector<std::vector<std::vector<float>>> want(kThreads, std::vector<std::vector<float>>(kRuns));
    {
        auto ctx = gpu->createExecutionContext();
        ASSERT_TRUE(ctx);
        DeviceIo io;
        ctx->setTensorAddress("x", io.x);
        ctx->setTensorAddress("prob", io.y);
        for (int t = 0; t < kThreads; ++t)
            for (int r = 0; r < kRuns; ++r) {
                io.upload(input(t, r));
                ASSERT_TRUE(ctx->enqueueV3(nullptr));
                want[size_t(t)][size_t(r)] = io.download();
            }
    }
    std::vector<std::string> firstMismatch(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            auto ctx = gpu->createExecutionContext();
            DeviceIo io;
            cudaStream_t s = nullptr;
            if (!ctx || cudaStreamCreate(&s) != cudaSuccess) {
                firstMismatch[size_t(t)] = "no context or stream";
                return;
            }
            ctx->setTensorAddress("x", io.x);
            ctx->setTensorAddress("prob", io.y);
            std::vector<float> got(kN * kClasses);
            for (int r = 0; r < kRuns && firstMismatch[size_t(t)].empty(); ++r) {
                const auto x = input(t, r);
                if (cudaMemcpyAsync(io.x, x.data(), x.size() * 4, cudaMemcpyHostToDevice, s) != cudaSuccess ||
                    !ctx->enqueueV3(s) ||
                    cudaMemcpyAsync(got.data(), io.y, got.size() * 4, cudaMemcpyDeviceToHost, s) != cudaSuccess ||
                    cudaStreamSynchronize(s) != cudaSuccess) {
                    firstMismatch[size_t(t)] = "run " + std::to_string(r) + " failed";
                    break;
                }
                const auto& w = want[size_t(t)][size_t(r)];
                for (size_t i = 0; i < got.size(); ++i)
                    if (!(std::fabs(got[i] - w[i]) <= 1e-6f * (1.f + std::fabs(w[i])))) {
                        firstMismatch[size_t(t)] = "run " + std::to_string(r) + " element " + std::to_string(i) + ": " +
                                                   std::to_string(got[i]) + " vs " + std::to_string(w[i]);
                        break;
                    }
            }
            cudaStreamDestroy(s);
        });
    }
    for (auto& th : threads) th.join();
    for (int t = 0; t < kThreads; ++t) EXPECT_EQ(firstMismatch[size_t(t)], "") << "thread " << t;
}

TEST_F(Fixture, CudaGraphReplayEqualsPlainRun) {
    auto ctx = gpu->createExecutionContext();
    ASSERT_TRUE(ctx->setCudaGraphCapture(true));
    EXPECT_TRUE(ctx->getCudaGraphCapture());
    DeviceIo io, io2;
    cudaStream_t s;
    ASSERT_EQ(cudaStreamCreate(&s), cudaSuccess);
    for (int r = 0; r < 4; ++r) {  // first run captures, later ones replay (new values, same buffers)
        const auto x = randomFloats(kN * kC * kH * kW, uint32_t(40 + r));
        io.upload(x);
        ctx->setTensorAddress("x", io.x);
        ctx->setTensorAddress("prob", io.y);
        ASSERT_TRUE(ctx->enqueueV3(s)) << (log.errors.empty() ? "" : log.errors.back());
        ASSERT_EQ(cudaStreamSynchronize(s), cudaSuccess);
        expectClose(io.download(), runCpu(*cpu, x));
    }
    // New addresses: the graph is captured again.
    const auto x = randomFloats(kN * kC * kH * kW, 77);
    io2.upload(x);
    ctx->setTensorAddress("x", io2.x);
    ctx->setTensorAddress("prob", io2.y);
    ASSERT_TRUE(ctx->enqueueV3(s));
    ASSERT_EQ(cudaStreamSynchronize(s), cudaSuccess);
    expectClose(io2.download(), runCpu(*cpu, x));
    cudaStreamDestroy(s);
}

TEST_F(Fixture, SerializedEngineKeepsTheBackend) {
    auto blob = gpu->serialize();
    ASSERT_TRUE(blob);
    auto rt = createInferRuntime(log);
    auto e = rt->deserializeCudaEngine(blob->data(), blob->size());
    ASSERT_TRUE(e) << (log.errors.empty() ? "" : log.errors.back());
    EXPECT_EQ(e->getBackend(), BackendKind::kCUDA);
    auto ctx = e->createExecutionContext();
    const auto x = randomFloats(kN * kC * kH * kW, 21);
    DeviceIo io;
    io.upload(x);
    void* bindings[] = {io.x, io.y};
    ASSERT_TRUE(ctx->executeV2(bindings));
    expectClose(io.download(), runCpu(*cpu, x));
}

TEST_F(Fixture, DeviceMemorySizeIsReported) {
    // The activations between layers: at least the conv output (2x8x16x16 floats).
    EXPECT_GE(gpu->getDeviceMemorySize(), size_t(kN) * 8 * kH * kW * 4);
    size_t freeBefore = 0, freeAfter = 0, total = 0;
    ASSERT_EQ(cudaMemGetInfo(&freeBefore, &total), cudaSuccess);
    auto ctx = gpu->createExecutionContext();
    ASSERT_EQ(cudaMemGetInfo(&freeAfter, &total), cudaSuccess);
    EXPECT_GE(freeBefore - freeAfter + (size_t(4) << 20), gpu->getDeviceMemorySize());
}

TEST_F(Fixture, Fp16EngineKeepsFloatIoAndMatches) {
    auto half = model.build(*builder, BackendKind::kCUDA, log, /*fp16=*/true);
    ASSERT_TRUE(half) << (log.errors.empty() ? "" : log.errors.back());
    EXPECT_EQ(half->getTensorDataType("x"), DataType::kFLOAT);
    EXPECT_EQ(half->getTensorDataType("prob"), DataType::kFLOAT);
    auto info = half->getEngineInformation(false);
    const std::string text(static_cast<const char*>(info->data()), info->size());
    EXPECT_NE(text.find("float16"), std::string::npos) << text;  // some layers run in half precision
    auto ctx = half->createExecutionContext();
    const auto x = randomFloats(kN * kC * kH * kW, 31);
    DeviceIo io;
    io.upload(x);
    void* bindings[] = {io.x, io.y};
    ASSERT_TRUE(ctx->executeV2(bindings));
    const auto got = io.download(), want = runCpu(*cpu, x);
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-2 + 1e-2 * std::fabs(want[i])) << i;
}

// Counts what goes through it; can be told to refuse.
struct CountingAllocator : IGpuAllocator {
    std::atomic<int> allocations{0}, releases{0};
    std::atomic<uint64_t> bytes{0};
    bool refuse = false;
    void* allocate(uint64_t size, uint64_t alignment, AllocatorFlags) noexcept override {
        if (refuse) return nullptr;
        void* p = nullptr;
        if (cudaMalloc(&p, size) != cudaSuccess) return nullptr;
        EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % alignment, 0u);
        ++allocations;
        bytes += size;
        return p;
    }
    bool deallocate(void* p) noexcept override {
        ++releases;
        return cudaFree(p) == cudaSuccess;
    }
};

TEST_F(Fixture, UserGpuAllocatorIsHonoured) {
    CountingAllocator alloc;
    auto blob = gpu->serialize();
    auto rt = createInferRuntime(log);
    rt->setGpuAllocator(&alloc);
    {
        auto e = rt->deserializeCudaEngine(blob->data(), blob->size());
        ASSERT_TRUE(e);
        const int weightAllocations = alloc.allocations;
        EXPECT_GE(weightAllocations, 4);  // conv and FC weights and biases
        auto ctx = e->createExecutionContext();
        ASSERT_TRUE(ctx);
        EXPECT_GT(alloc.allocations, weightAllocations);  // the context's arena (and workspace)
        EXPECT_GE(alloc.bytes.load(), uint64_t(e->getDeviceMemorySize()));
        const auto x = randomFloats(kN * kC * kH * kW, 51);
        DeviceIo io;
        io.upload(x);
        void* bindings[] = {io.x, io.y};
        ASSERT_TRUE(ctx->executeV2(bindings));
        expectClose(io.download(), runCpu(*cpu, x));
        alloc.refuse = true;  // a context that cannot get memory is refused, with the reason logged
        EXPECT_EQ(e->createExecutionContext(), nullptr);
        ASSERT_FALSE(log.errors.empty());
        EXPECT_NE(log.errors.back().find("out of device memory"), std::string::npos) << log.errors.back();
    }
    EXPECT_EQ(alloc.releases.load(), alloc.allocations.load());  // everything given back
}

TEST(CudaRuntime, OutOfDeviceMemoryIsAnError) {
    SKIP_WITHOUT_DEVICE();
    Logger log;
    auto b = createInferBuilder(log);
    auto net = b->createNetworkV2(0);
    // 2^40 floats (4 TiB) of activations: no device has that.
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims3(1024, 1024, 1024 * 1024));
    auto* r = net->addActivation(*x, ActivationType::kRELU);
    auto* s = net->addActivation(*r->getOutput(0), ActivationType::kSIGMOID);
    net->markOutput(*s->getOutput(0));
    auto cfg = b->createBuilderConfig();
    cfg->setBackend(BackendKind::kCUDA);
    auto e = b->buildEngineWithConfig(*net, *cfg);
    if (e) {  // the build need not allocate; the context must fail cleanly
        EXPECT_EQ(e->createExecutionContext(), nullptr);
    }
    ASSERT_FALSE(log.errors.empty());
    EXPECT_NE(log.errors.back().find("out of device memory"), std::string::npos) << log.errors.back();
}

}  // namespace
