// CPU inference benchmark: the same networks built twice through the public
// API, once at builder optimization level 0 (no timing: the first supported
// tactic in the registry, which is always the reference kernel) and once at
// level 3 (every supported tactic timed, so oneDNN wins where it is faster).
// getEngineInformation confirms which tactics each engine uses. Both engines
// run the same inputs; the table reports median latency and the largest
// output difference relative to the reference output's largest magnitude.
//
// Usage: kiln_bench_cpu [runs]   (default: up to 15 timed runs after 1 warm-up)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kiln/kiln.h"

namespace {

// Errors only; KILN_BENCH_VERBOSE=1 also shows the builder's tactic timings.
struct QuietLogger : kiln::ILogger {
    bool verbose = std::getenv("KILN_BENCH_VERBOSE") != nullptr;
    void log(Severity s, const char* msg) noexcept override {
        if (s <= Severity::kERROR || verbose) std::fprintf(stderr, "kiln: %s\n", msg);
    }
};

// Weights live here until the build copies them.
struct WeightStore {
    std::mt19937 rng{42};
    std::vector<std::vector<float>> blocks;
    // He-uniform, so activations stay O(1) through the ReLU stack.
    kiln::Weights make(size_t n, int64_t fanIn) {
        const float a = std::sqrt(6.0f / float(fanIn));
        std::uniform_real_distribution<float> d(-a, a);
        blocks.emplace_back(n);
        for (auto& v : blocks.back()) v = d(rng);
        return {kiln::DataType::kFLOAT, blocks.back().data(), int64_t(n)};
    }
};

using Net = kiln::INetworkDefinition;
using kiln::ITensor;

ITensor* conv(Net& net, WeightStore& w, ITensor& x, int cin, int cout, int k, int pad, bool relu = true) {
    auto* c = net.addConvolutionNd(x, cout, kiln::DimsHW{k, k}, w.make(size_t(cout * cin * k * k), cin * k * k),
                                   w.make(size_t(cout), cin * k * k));
    c->setPaddingNd(kiln::DimsHW{pad, pad});
    ITensor* y = c->getOutput(0);
    return relu ? net.addActivation(*y, kiln::ActivationType::kRELU)->getOutput(0) : y;
}

ITensor* pool(Net& net, ITensor& x, kiln::PoolingType t, int k) {
    auto* p = net.addPoolingNd(x, t, kiln::DimsHW{k, k});
    p->setStrideNd(kiln::DimsHW{k, k});
    return p->getOutput(0);
}

ITensor* fc(Net& net, WeightStore& w, ITensor& x, int in, int out, bool relu) {
    ITensor* y = net.addFullyConnected(x, out, w.make(size_t(in * out), in), w.make(size_t(out), in))->getOutput(0);
    return relu ? net.addActivation(*y, kiln::ActivationType::kRELU)->getOutput(0) : y;
}

// LeNet-5 on 1x28x28.
ITensor* lenet5(Net& net, WeightStore& w, int batch) {
    ITensor* x = net.addInput("data", kiln::DataType::kFLOAT, kiln::Dims4{batch, 1, 28, 28});
    x = pool(net, *conv(net, w, *x, 1, 6, 5, 2), kiln::PoolingType::kMAX, 2);   // 6x14x14
    x = pool(net, *conv(net, w, *x, 6, 16, 5, 0), kiln::PoolingType::kMAX, 2);  // 16x5x5
    x = fc(net, w, *x, 16 * 5 * 5, 120, true);
    x = fc(net, w, *x, 120, 84, true);
    x = fc(net, w, *x, 84, 10, false);
    return net.addSoftMax(*x)->getOutput(0);
}

// A small VGG-like stack on 3x64x64: 8 3x3 convolutions of 32-128 channels.
ITensor* vggSmall(Net& net, WeightStore& w, int batch) {
    ITensor* x = net.addInput("data", kiln::DataType::kFLOAT, kiln::Dims4{batch, 3, 64, 64});
    const int widths[4] = {32, 64, 128, 128};
    int cin = 3;
    for (int stage = 0; stage < 4; ++stage) {
        x = conv(net, w, *x, cin, widths[stage], 3, 1);
        x = conv(net, w, *x, widths[stage], widths[stage], 3, 1);
        cin = widths[stage];
        if (stage < 3) x = pool(net, *x, kiln::PoolingType::kMAX, 2);  // 64 -> 32 -> 16 -> 8
    }
    x = pool(net, *x, kiln::PoolingType::kAVERAGE, 8);  // global average
    x = fc(net, w, *x, 128, 10, false);
    return net.addSoftMax(*x)->getOutput(0);
}

using NetFn = ITensor* (*)(Net&, WeightStore&, int);

struct Built {
    std::unique_ptr<kiln::ICudaEngine> engine;
    int onednnLayers = 0, layers = 0;
};

Built build(kiln::IBuilder& builder, NetFn makeNet, int batch, int level) {
    auto net = builder.createNetworkV2(1u << int(kiln::NetworkDefinitionCreationFlag::kEXPLICIT_BATCH));
    WeightStore w;  // same seed for both builds: identical weights
    ITensor* out = makeNet(*net, w, batch);
    out->setName("prob");
    net->markOutput(*out);
    auto cfg = builder.createBuilderConfig();
    cfg->setBackend(kiln::BackendKind::kCPU);
    cfg->setMemoryPoolLimit(kiln::MemoryPoolType::kWORKSPACE, size_t(256) << 20);
    cfg->setBuilderOptimizationLevel(level);
    cfg->setAvgTimingIterations(2);  // keeps level-3 builds short on 2 cores
    Built b;
    b.engine = builder.buildEngineWithConfig(*net, *cfg);
    if (!b.engine) return b;
    const auto info = b.engine->getEngineInformation(false);
    const std::string text(static_cast<const char*>(info->data()), info->size());
    for (size_t at = 0; (at = text.find(", tactic ", at)) != std::string::npos; ++at) {
        ++b.layers;
        if (text.compare(at + 9, 7, "onednn]") == 0) ++b.onednnLayers;
    }
    return b;
}

// Median of up to `runs` timed runs after one warm-up; stops early (but after
// at least 3 runs) once ~3 s are spent, so slow reference engines stay short.
double medianMs(kiln::IExecutionContext& ctx, void** bindings, int runs) {
    if (!ctx.executeV2(bindings)) return -1;  // warm-up: caches, lazy per-shape primitives
    std::vector<double> ms;
    double total = 0;
    for (int i = 0; i < runs && (i < 3 || total < 3000.0); ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        if (!ctx.executeV2(bindings)) return -1;
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        total += ms.back();
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

// Runs one engine on `input`, fills `output`, returns the median latency.
double timeEngine(kiln::ICudaEngine& e, std::vector<float>& input, std::vector<float>& output, int runs) {
    auto ctx = e.createExecutionContext();
    void* bindings[2];
    bindings[e.getBindingIndex("data")] = input.data();
    bindings[e.getBindingIndex("prob")] = output.data();
    return medianMs(*ctx, bindings, runs);
}

}  // namespace

int main(int argc, char** argv) {
    const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 15;
    QuietLogger log;
    auto builder = kiln::createInferBuilder(log);
    struct Row { const char* name; NetFn fn; int inputPerItem; };
    const Row nets[] = {{"LeNet-5 (1x28x28)", &lenet5, 28 * 28},
                        {"VGG-small (3x64x64, 8 conv)", &vggSmall, 3 * 64 * 64}};
    std::printf("| network | batch | ref ms | oneDNN ms | speedup | outputs max rel diff | oneDNN layers |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
    for (const Row& r : nets)
        for (int batch : {1, 16}) {
            Built ref = build(*builder, r.fn, batch, 0), opt = build(*builder, r.fn, batch, 3);
            if (!ref.engine || !opt.engine) {
                std::fprintf(stderr, "build failed for %s batch %d\n", r.name, batch);
                return 1;
            }
            if (ref.onednnLayers != 0) std::fprintf(stderr, "warning: the level-0 engine uses oneDNN tactics\n");
            std::vector<float> input(size_t(batch * r.inputPerItem));
            std::mt19937 rng(7);
            std::uniform_real_distribution<float> d(-1.f, 1.f);
            for (auto& v : input) v = d(rng);
            std::vector<float> yRef(size_t(batch * 10)), yOpt(yRef.size());
            const double tRef = timeEngine(*ref.engine, input, yRef, runs);
            const double tOpt = timeEngine(*opt.engine, input, yOpt, runs);
            double maxAbs = 0, maxDiff = 0;
            for (size_t i = 0; i < yRef.size(); ++i) {
                maxAbs = std::max(maxAbs, double(std::fabs(yRef[i])));
                maxDiff = std::max(maxDiff, double(std::fabs(yRef[i] - yOpt[i])));
            }
            std::printf("| %s | %d | %.3f | %.3f | %.2fx | %.1e | %d/%d |\n", r.name, batch, tRef, tOpt, tRef / tOpt,
                        maxAbs > 0 ? maxDiff / maxAbs : maxDiff, opt.onednnLayers, opt.layers);
            std::fflush(stdout);
        }
    return 0;
}
