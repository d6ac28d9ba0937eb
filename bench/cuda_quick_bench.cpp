// A quick CUDA timing (not the PyTorch comparison, which is bench/'s later
// step): a stack of ResNet basic blocks (conv3x3-relu-conv3x3 + skip, relu)
// at batch 32, 64 channels, 56x56, built for CUDA in FP32 and FP16, timed with
// CUDA events around plain enqueueV3 and around CUDA graph replay (median of
// 50 runs after 10 warm-ups). Prints build time, median ms and images/s.
//
// Usage: kiln_bench_cuda_quick [batch] [blocks]
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "kiln/kiln.h"

namespace {

using namespace kiln;

struct Logger : ILogger {
    void log(Severity s, const char* msg) noexcept override {
        if (s <= Severity::kERROR || std::getenv("KILN_BENCH_VERBOSE")) std::fprintf(stderr, "kiln: %s\n", msg);
    }
};

std::vector<float> weights(size_t n, uint32_t seed, float scale) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-scale, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

float median(std::vector<float> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    const int batch = argc > 1 ? std::atoi(argv[1]) : 32, blocks = argc > 2 ? std::atoi(argv[2]) : 4;
    constexpr int C = 64, H = 56, W = 56;
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        std::printf("no CUDA device\n");
        return 0;
    }
    Logger log;
    auto builder = createInferBuilder(log);
    std::vector<std::vector<float>> store;
    std::printf("| precision | build s | plain ms | graph ms | images/s (graph) |\n|---|---|---|---|---|\n");
    for (bool fp16 : {false, true}) {
        auto net = builder->createNetworkV2(0);
        ITensor* x = net->addInput("x", DataType::kFLOAT, Dims4(batch, C, H, W));
        auto conv = [&](ITensor& in, uint32_t seed) {
            store.push_back(weights(size_t(C) * C * 9, seed, 0.05f));
            store.push_back(weights(C, seed + 1000, 0.1f));
            auto* l = net->addConvolutionNd(in, C, DimsHW(3, 3),
                                            {DataType::kFLOAT, store[store.size() - 2].data(), int64_t(C) * C * 9},
                                            {DataType::kFLOAT, store.back().data(), C});
            l->setPaddingNd(DimsHW(1, 1));
            return l->getOutput(0);
        };
        ITensor* t = x;
        for (int b = 0; b < blocks; ++b) {
            ITensor* a = net->addActivation(*conv(*t, uint32_t(2 * b)), ActivationType::kRELU)->getOutput(0);
            ITensor* c = conv(*a, uint32_t(2 * b + 1));
            t = net->addActivation(*net->addElementWise(*c, *t, ElementWiseOperation::kSUM)->getOutput(0),
                                   ActivationType::kRELU)
                    ->getOutput(0);
        }
        t->setName("y");
        net->markOutput(*t);
        auto cfg = builder->createBuilderConfig();
        cfg->setBackend(BackendKind::kCUDA);
        if (fp16) cfg->setFlag(BuilderFlag::kFP16);
        const auto t0 = std::chrono::steady_clock::now();
        auto engine = builder->buildEngineWithConfig(*net, *cfg);
        const double buildS = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (!engine) {
            std::printf("| %s | build failed | | | |\n", fp16 ? "fp16" : "fp32");
            continue;
        }
        auto ctx = engine->createExecutionContext();
        const size_t bytes = size_t(batch) * C * H * W * sizeof(float);
        void *dx = nullptr, *dy = nullptr;
        cudaMalloc(&dx, bytes);
        cudaMalloc(&dy, bytes);
        const auto host = weights(size_t(batch) * C * H * W, 7, 1.0f);
        cudaMemcpy(dx, host.data(), bytes, cudaMemcpyHostToDevice);
        ctx->setTensorAddress("x", dx);
        ctx->setTensorAddress("y", dy);
        cudaStream_t s;
        cudaStreamCreate(&s);
        cudaEvent_t e0, e1;
        cudaEventCreate(&e0);
        cudaEventCreate(&e1);
        float ms[2] = {0, 0};
        for (int mode = 0; mode < 2; ++mode) {
            ctx->setCudaGraphCapture(mode == 1);
            std::vector<float> times;
            for (int i = 0; i < 60; ++i) {
                cudaEventRecord(e0, s);
                if (!ctx->enqueueV3(s)) break;
                cudaEventRecord(e1, s);
                cudaEventSynchronize(e1);
                float t1 = 0;
                cudaEventElapsedTime(&t1, e0, e1);
                if (i >= 10) times.push_back(t1);
            }
            ms[mode] = times.empty() ? -1 : median(times);
        }
        std::printf("| %s | %.2f | %.3f | %.3f | %.0f |\n", fp16 ? "fp16" : "fp32", buildS, ms[0], ms[1],
                    ms[1] > 0 ? batch / (ms[1] / 1000.0) : 0.0);
        cudaFree(dx);
        cudaFree(dy);
        cudaStreamDestroy(s);
    }
    return 0;
}
