#include "cuda_test_util.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>

using namespace kiln;

namespace plugintest {

bool haveDevice() {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        (void)cudaGetLastError();
        return false;
    }
    return n > 0;
}

std::vector<float> randomFloats(size_t n, uint32_t seed, float lo, float hi) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

namespace {

Dims dimsOf(const std::vector<int64_t>& v) {
    Dims d;
    for (int64_t x : v) d.d[d.nbDims++] = x;
    return d;
}

size_t elemSize(DataType t) { return t == DataType::kINT64 ? 8 : 4; }

// Device buffers freed with this object.
struct DeviceBuffers {
    std::vector<void*> p;
    void* alloc(size_t bytes) {
        void* d = nullptr;
        EXPECT_EQ(cudaMalloc(&d, std::max<size_t>(bytes, 1)), cudaSuccess);
        p.push_back(d);
        return d;
    }
    ~DeviceBuffers() {
        for (void* d : p) cudaFree(d);
    }
};

// The plugin's network: inputs `in<i>` of dims `dims` (-1 where dynamic), outputs `out<o>`.
struct PluginNet {
    std::unique_ptr<IBuilder> builder;
    std::unique_ptr<INetworkDefinition> net;
    int32_t nbOutputs = 0;
};

bool makeNet(Logger& log, IPluginV2& plugin, const std::vector<Tensor>& inputs,
             const std::vector<std::vector<int64_t>>& dims, PluginNet& out) {
    out.builder = createInferBuilder(log);
    out.net = out.builder->createNetworkV2(0);
    std::vector<ITensor*> ins;
    for (size_t i = 0; i < inputs.size(); ++i)
        ins.push_back(out.net->addInput(("in" + std::to_string(i)).c_str(), inputs[i].type, dimsOf(dims[i])));
    IPluginV2Layer* layer = out.net->addPluginV2(ins.data(), int32_t(ins.size()), plugin);
    if (!layer) return false;
    out.nbOutputs = layer->getNbOutputs();
    for (int32_t o = 0; o < out.nbOutputs; ++o) {
        layer->getOutput(o)->setName(("out" + std::to_string(o)).c_str());
        out.net->markOutput(*layer->getOutput(o));
    }
    return true;
}

// One run of `ctx` on `inputs` (shapes set first when `setShapes`).
RunResult runOnce(Logger& log, IExecutionContext& ctx, const ICudaEngine& engine, int32_t nbOutputs,
                  const std::vector<Tensor>& inputs, bool setShapes, cudaStream_t stream) {
    RunResult r;
    DeviceBuffers dev;
    std::vector<void*> outPtrs;
    for (size_t i = 0; i < inputs.size(); ++i) {
        const std::string name = "in" + std::to_string(i);
        if (setShapes) {
            EXPECT_TRUE(ctx.setInputShape(name.c_str(), dimsOf(inputs[i].dims))) << log.errors;
        }
        void* p = dev.alloc(inputs[i].bytes.size());
        EXPECT_EQ(cudaMemcpy(p, inputs[i].bytes.data(), inputs[i].bytes.size(), cudaMemcpyHostToDevice), cudaSuccess);
        ctx.setTensorAddress(name.c_str(), p);
    }
    for (int32_t o = 0; o < nbOutputs; ++o) {
        const std::string name = "out" + std::to_string(o);
        const Dims d = ctx.getTensorShape(name.c_str());
        Tensor t;
        t.type = engine.getTensorDataType(name.c_str());
        for (int k = 0; k < d.nbDims; ++k) t.dims.push_back(d.d[k]);
        t.bytes.assign(size_t(t.volume()) * elemSize(t.type), 0);
        void* p = dev.alloc(t.bytes.size());
        EXPECT_EQ(cudaMemset(p, 0xCD, std::max<size_t>(t.bytes.size(), 1)), cudaSuccess);  // no stale zeros
        ctx.setTensorAddress(name.c_str(), p);
        outPtrs.push_back(p);
        r.outputs.push_back(std::move(t));
    }
    r.ok = ctx.enqueueV3(stream) && cudaStreamSynchronize(stream) == cudaSuccess;
    for (size_t o = 0; o < r.outputs.size(); ++o)
        EXPECT_EQ(cudaMemcpy(r.outputs[o].bytes.data(), outPtrs[o], r.outputs[o].bytes.size(), cudaMemcpyDeviceToHost),
                  cudaSuccess);
    r.errors = log.errors;
    return r;
}

}  // namespace

RunResult runPluginCuda(IPluginV2& plugin, const std::vector<Tensor>& inputs) {
    Logger log;
    std::vector<std::vector<int64_t>> dims;
    for (const Tensor& t : inputs) dims.push_back(t.dims);
    PluginNet pn;
    if (!makeNet(log, plugin, inputs, dims, pn)) return RunResult{false, {}, log.errors};
    auto config = pn.builder->createBuilderConfig();
    config->setBackend(BackendKind::kCUDA);
    auto engine = pn.builder->buildEngineWithConfig(*pn.net, *config);
    if (!engine) return RunResult{false, {}, log.errors};
    auto ctx = engine->createExecutionContext();
    cudaStream_t stream = nullptr;
    EXPECT_EQ(cudaStreamCreate(&stream), cudaSuccess);
    RunResult r = runOnce(log, *ctx, *engine, pn.nbOutputs, inputs, false, stream);
    cudaStreamDestroy(stream);
    return r;
}

std::vector<RunResult> runPluginCudaShapes(IPluginV2& plugin, const std::vector<std::vector<Tensor>>& runs,
                                           const std::vector<std::vector<int64_t>>& minDims,
                                           const std::vector<std::vector<int64_t>>& maxDims, bool graph) {
    Logger log;
    std::vector<RunResult> results;
    std::vector<std::vector<int64_t>> dims = minDims;
    for (size_t i = 0; i < dims.size(); ++i)
        for (size_t k = 0; k < dims[i].size(); ++k)
            if (minDims[i][k] != maxDims[i][k]) dims[i][k] = -1;
    PluginNet pn;
    if (runs.empty() || !makeNet(log, plugin, runs[0], dims, pn)) return {RunResult{false, {}, log.errors}};
    auto config = pn.builder->createBuilderConfig();
    config->setBackend(BackendKind::kCUDA);
    IOptimizationProfile* profile = pn.builder->createOptimizationProfile();
    for (size_t i = 0; i < dims.size(); ++i) {
        const std::string name = "in" + std::to_string(i);
        profile->setDimensions(name.c_str(), OptProfileSelector::kMIN, dimsOf(minDims[i]));
        profile->setDimensions(name.c_str(), OptProfileSelector::kOPT, dimsOf(maxDims[i]));
        profile->setDimensions(name.c_str(), OptProfileSelector::kMAX, dimsOf(maxDims[i]));
    }
    EXPECT_GE(config->addOptimizationProfile(profile), 0) << log.errors;
    auto engine = pn.builder->buildEngineWithConfig(*pn.net, *config);
    if (!engine) return {RunResult{false, {}, log.errors}};
    auto ctx = engine->createExecutionContext();
    if (graph) {
        EXPECT_TRUE(ctx->setCudaGraphCapture(true));
    }
    cudaStream_t stream = nullptr;
    EXPECT_EQ(cudaStreamCreate(&stream), cudaSuccess);
    for (const auto& inputs : runs) results.push_back(runOnce(log, *ctx, *engine, pn.nbOutputs, inputs, true, stream));
    cudaStreamDestroy(stream);
    return results;
}

void expectIdentical(const RunResult& cpu, const RunResult& gpu) {
    ASSERT_EQ(cpu.outputs.size(), gpu.outputs.size());
    for (size_t o = 0; o < cpu.outputs.size(); ++o) {
        SCOPED_TRACE("output " + std::to_string(o));
        const Tensor &want = cpu.outputs[o], &got = gpu.outputs[o];
        ASSERT_EQ(want.dims, got.dims);
        ASSERT_EQ(want.type, got.type);
        ASSERT_EQ(want.bytes.size(), got.bytes.size());
        const size_t n = want.bytes.size() / 4;
        int bad = 0;
        std::string msg;
        for (size_t i = 0; i < n; ++i) {
            uint32_t a, b;
            std::memcpy(&a, want.bytes.data() + 4 * i, 4);
            std::memcpy(&b, got.bytes.data() + 4 * i, 4);
            if (a == b) continue;
            float fa, fb;
            std::memcpy(&fa, &a, 4);
            std::memcpy(&fb, &b, 4);
            const bool isFloat = want.type == DataType::kFLOAT;
            if (isFloat && std::isnan(fa) && std::isnan(fb)) continue;
            if (++bad <= 8)
                msg += "\n  [" + std::to_string(i) + "] cpu " +
                       (isFloat ? std::to_string(fa) : std::to_string(int32_t(a))) + ", cuda " +
                       (isFloat ? std::to_string(fb) : std::to_string(int32_t(b)));
        }
        EXPECT_EQ(bad, 0) << bad << " of " << n << " values differ:" << msg;
    }
}

void expectBackendsAgree(IPluginV2& plugin, const std::vector<Tensor>& inputs, double atol, double rtol) {
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

void expectBackendsIdentical(IPluginV2& plugin, const std::vector<Tensor>& inputs) {
    const RunResult cpu = runPlugin(plugin, inputs);
    ASSERT_TRUE(cpu.ok) << cpu.errors;
    const RunResult gpu = runPluginCuda(plugin, inputs);
    ASSERT_TRUE(gpu.ok) << gpu.errors;
    expectIdentical(cpu, gpu);
}

}  // namespace plugintest
