// Engine serialization through the public API: build -> serialize ->
// deserialize in a new runtime (and in a new process) gives bit-identical
// outputs; serialization is deterministic; damaged engine files are refused
// with a message that says which check failed.
#include <gtest/gtest.h>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "engine/format.h"  // the engine's own checksum, to forge "valid" damaged files
#include "kiln/kiln.h"

#ifdef KILN_HAVE_CUDA
#include <cuda_runtime.h>
#endif

using namespace kiln;

namespace {

class Logger : public ILogger {
public:
    void log(Severity s, const char* msg) noexcept override {
        std::lock_guard<std::mutex> lock(mu_);
        if (s <= Severity::kERROR) errors.push_back(msg);
    }
    std::string all() const {
        std::string s;
        for (const auto& e : errors) s += e + "\n";
        return s;
    }
    bool mentions(const std::string& what) const {
        for (const auto& e : errors)
            if (e.find(what) != std::string::npos) return true;
        return false;
    }
    std::vector<std::string> errors;

private:
    std::mutex mu_;
};

float detValue(uint32_t stream, uint32_t i) {
    uint32_t x = stream * 0x9E3779B9u ^ (i + 0x7F4A7C15u) * 0x85EBCA6Bu;
    x ^= x >> 16;
    x *= 0x7FEB352Du;
    x ^= x >> 15;
    x *= 0x846CA68Bu;
    x ^= x >> 16;
    return float(double(x) / 2147483648.0 - 1.0);
}

// Weights that live as long as the test (kiln copies them anyway).
struct WeightPool {
    std::vector<std::vector<float>> data;
    Weights make(size_t n, uint32_t stream, float scale = 0.3f, float offset = 0.f) {
        data.emplace_back(n);
        for (size_t i = 0; i < n; ++i) data.back()[i] = offset + scale * detValue(stream, uint32_t(i));
        return Weights{DataType::kFLOAT, data.back().data(), int64_t(n)};
    }
};

// One inference's inputs and outputs, in binding order.
struct RunResult {
    bool ok = false;
    std::vector<std::vector<float>> outputs;
};

// Deterministic inputs for a run: input binding i, item count `batch`.
std::vector<std::vector<float>> makeInputs(const IEngine& e, int batch, uint32_t seed) {
    std::vector<std::vector<float>> ins;
    for (int b = 0; b < e.getNbBindings(); ++b) {
        if (!e.bindingIsInput(b)) continue;
        Dims d = e.getBindingDimensions(b);
        int64_t n = e.hasImplicitBatchDimension() ? batch : 1;
        for (int k = 0; k < d.nbDims; ++k) n *= d.d[k] < 0 ? batch : d.d[k];
        std::vector<float> v(static_cast<size_t>(n));
        for (size_t i = 0; i < v.size(); ++i) v[i] = detValue(seed * 31 + uint32_t(b), uint32_t(i));
        ins.push_back(std::move(v));
    }
    return ins;
}

// Runs an engine: classic enqueue(batch) for implicit-batch engines, the
// named-tensor API (setInputShape/setTensorAddress/enqueueV3) otherwise, where
// `batch` replaces every dynamic (-1) input dimension.
RunResult run(IEngine& e, int batch, const std::vector<std::vector<float>>& inputs) {
    RunResult r;
    auto ctx = e.createExecutionContext();
    if (!ctx) return r;
    std::vector<std::vector<float>> ins = inputs;
    if (e.hasImplicitBatchDimension()) {
        std::vector<void*> buffers(size_t(e.getNbBindings()));
        size_t next = 0;
        for (int b = 0; b < e.getNbBindings(); ++b) {
            if (e.bindingIsInput(b)) {
                buffers[size_t(b)] = ins[next++].data();
            } else {
                r.outputs.emplace_back(size_t(kiln::volume(e.getBindingDimensions(b)) * batch), std::nanf(""));
            }
        }
        size_t o = 0;
        for (int b = 0; b < e.getNbBindings(); ++b)
            if (!e.bindingIsInput(b)) buffers[size_t(b)] = r.outputs[o++].data();
        r.ok = ctx->enqueue(batch, buffers.data(), nullptr, nullptr);
        return r;
    }
    size_t next = 0;
    for (int i = 0; i < e.getNbIOTensors(); ++i) {
        const char* name = e.getIOTensorName(i);
        if (e.getTensorIOMode(name) != TensorIOMode::kINPUT) continue;
        Dims d = e.getTensorShape(name);
        for (int k = 0; k < d.nbDims; ++k)
            if (d.d[k] < 0) d.d[k] = batch;
        if (!ctx->setInputShape(name, d)) return r;
        if (!ctx->setTensorAddress(name, ins[next++].data())) return r;
    }
    for (int i = 0; i < e.getNbIOTensors(); ++i) {
        const char* name = e.getIOTensorName(i);
        if (e.getTensorIOMode(name) != TensorIOMode::kOUTPUT) continue;
        const Dims d = ctx->getTensorShape(name);
        if (d.nbDims < 0) return r;
        r.outputs.emplace_back(size_t(kiln::volume(d)), std::nanf(""));
    }
    size_t o = 0;
    for (int i = 0; i < e.getNbIOTensors(); ++i) {
        const char* name = e.getIOTensorName(i);
        if (e.getTensorIOMode(name) == TensorIOMode::kOUTPUT && !ctx->setTensorAddress(name, r.outputs[o++].data()))
            return r;
    }
    r.ok = ctx->enqueueV3(nullptr);
    return r;
}

bool bitwiseEqual(const RunResult& a, const RunResult& b) {
    if (a.outputs.size() != b.outputs.size()) return false;
    for (size_t i = 0; i < a.outputs.size(); ++i) {
        if (a.outputs[i].size() != b.outputs[i].size()) return false;
        if (std::memcmp(a.outputs[i].data(), b.outputs[i].data(), a.outputs[i].size() * sizeof(float)) != 0) return false;
    }
    return true;
}

bool allFinite(const RunResult& r) {
    for (const auto& o : r.outputs)
        for (float v : o)
            if (!std::isfinite(v)) return false;
    return true;
}

// ---- the networks ----

enum class NetKind { kLeNet, kMixed, kExplicit };
const char* kindName(NetKind k) {
    return k == NetKind::kLeNet ? "LeNet" : k == NetKind::kMixed ? "Mixed" : "Explicit";
}
constexpr int kMaxBatch = 3;

// LeNet-like, implicit batch: conv-relu-pool-conv-pool-fc-relu-fc-softmax.
void defineLeNet(INetworkDefinition& net, WeightPool& w) {
    auto* data = net.addInput("data", DataType::kFLOAT, Dims3{1, 16, 16});
    auto* conv1 = net.addConvolution(*data, 6, DimsHW{5, 5}, w.make(6 * 25, 1), w.make(6, 2, 0.1f));
    conv1->setName("conv1");
    auto* relu1 = net.addActivation(*conv1->getOutput(0), ActivationType::kRELU);
    auto* pool1 = net.addPooling(*relu1->getOutput(0), PoolingType::kMAX, DimsHW{2, 2});
    pool1->setStride(DimsHW{2, 2});
    auto* conv2 = net.addConvolution(*pool1->getOutput(0), 8, DimsHW{3, 3}, w.make(8 * 6 * 9, 3), w.make(8, 4, 0.1f));
    auto* pool2 = net.addPooling(*conv2->getOutput(0), PoolingType::kAVERAGE, DimsHW{2, 2});
    pool2->setStride(DimsHW{2, 2});
    auto* ip1 = net.addFullyConnected(*pool2->getOutput(0), 16, w.make(16 * 8 * 2 * 2, 5), w.make(16, 6, 0.1f));
    auto* relu2 = net.addActivation(*ip1->getOutput(0), ActivationType::kRELU);
    auto* ip2 = net.addFullyConnected(*relu2->getOutput(0), 10, w.make(10 * 16, 7, 0.5f), w.make(10, 8, 0.1f));
    auto* prob = net.addSoftMax(*ip2->getOutput(0));
    prob->getOutput(0)->setName("prob");
    net.markOutput(*prob->getOutput(0));
}

// Scale (batch norm) + Concat + ElementWise + Shuffle + Reduce, implicit batch, two outputs.
void defineMixed(INetworkDefinition& net, WeightPool& w) {
    auto* x = net.addInput("x", DataType::kFLOAT, Dims3{3, 8, 8});
    auto* y = net.addInput("y", DataType::kFLOAT, Dims3{7, 8, 8});
    auto* conv = net.addConvolution(*x, 4, DimsHW{3, 3}, w.make(4 * 3 * 9, 11), w.make(4, 12, 0.1f));
    conv->setPadding(DimsHW{1, 1});
    // batch norm as a per-channel scale: (x * scale + shift)
    auto* bn = net.addScale(*conv->getOutput(0), ScaleMode::kCHANNEL, w.make(4, 13, 0.2f), w.make(4, 14, 0.3f, 1.0f),
                            Weights{DataType::kFLOAT, nullptr, 0});
    ITensor* cat[] = {bn->getOutput(0), x};
    auto* concat = net.addConcatenation(cat, 2);
    auto* sum = net.addElementWise(*concat->getOutput(0), *y, ElementWiseOperation::kSUM);
    sum->getOutput(0)->setName("s");
    auto* shuffle = net.addShuffle(*sum->getOutput(0));
    shuffle->setReshapeDimensions(Dims2{7, 64});
    Permutation p;
    p.order[0] = 1;
    p.order[1] = 0;
    shuffle->setSecondTranspose(p);  // [64, 7]
    auto* reduce = net.addReduce(*shuffle->getOutput(0), ReduceOperation::kAVG, 1u << 0, false);  // [7]
    reduce->getOutput(0)->setName("r");
    net.markOutput(*reduce->getOutput(0));
    net.markOutput(*sum->getOutput(0));
}

// Explicit batch with a dynamic batch dimension and a constant.
void defineExplicit(INetworkDefinition& net, WeightPool& w) {
    auto* in = net.addInput("in", DataType::kFLOAT, Dims4{-1, 4, 6, 6});
    auto* conv = net.addConvolution(*in, 3, DimsHW{3, 3}, w.make(3 * 4 * 9, 21), w.make(3, 22, 0.1f));
    auto* act = net.addActivation(*conv->getOutput(0), ActivationType::kSIGMOID);
    auto* pool = net.addPooling(*act->getOutput(0), PoolingType::kMAX, DimsHW{2, 2});
    pool->setStride(DimsHW{2, 2});                                                   // [-1, 3, 2, 2]
    auto* c = net.addConstant(Dims4{1, 3, 2, 2}, w.make(12, 23));
    auto* add = net.addElementWise(*pool->getOutput(0), *c->getOutput(0), ElementWiseOperation::kPROD);
    add->getOutput(0)->setName("out");
    net.markOutput(*add->getOutput(0));
}

// Builds one of the networks; `level` < 0 keeps the default optimization level.
std::vector<uint8_t> bytesOf(const IHostMemory& m) {
    const auto* p = static_cast<const uint8_t*>(m.data());
    return std::vector<uint8_t>(p, p + m.size());
}

std::unique_ptr<IEngine> buildNet(NetKind kind, ILogger& log, int level = -1, BackendKind backend = BackendKind::kCPU,
                                  const std::vector<uint8_t>* timingCache = nullptr,
                                  std::vector<uint8_t>* cacheOut = nullptr) {
    auto builder = createInferBuilder(log);
    WeightPool w;
    std::unique_ptr<INetworkDefinition> net;
    if (kind == NetKind::kExplicit)
        net = builder->createNetworkV2(1u << int(NetworkDefinitionCreationFlag::kEXPLICIT_BATCH));
    else
        net = builder->createNetwork();
    if (kind == NetKind::kLeNet) defineLeNet(*net, w);
    if (kind == NetKind::kMixed) defineMixed(*net, w);
    if (kind == NetKind::kExplicit) defineExplicit(*net, w);
    builder->setMaxBatchSize(kMaxBatch);
    auto config = builder->createBuilderConfig();
    if (level >= 0) config->setBuilderOptimizationLevel(level);
    config->setBackend(backend);
    std::unique_ptr<ITimingCache> cache;
    if (timingCache) {
        cache = config->createTimingCache(timingCache->data(), timingCache->size());
        EXPECT_TRUE(cache && config->setTimingCache(*cache, false)) << "the timing cache was refused";
    }
    if (kind == NetKind::kExplicit) {
        auto* profile = builder->createOptimizationProfile();
        profile->setDimensions("in", OptProfileSelector::kMIN, Dims4{1, 4, 6, 6});
        profile->setDimensions("in", OptProfileSelector::kOPT, Dims4{2, 4, 6, 6});
        profile->setDimensions("in", OptProfileSelector::kMAX, Dims4{4, 4, 6, 6});
        config->addOptimizationProfile(profile);
    }
    auto engine = builder->buildEngineWithConfig(*net, *config);
    if (cache && cacheOut) {
        if (auto m = cache->serialize()) *cacheOut = bytesOf(*m);
    }
    return engine;
}

std::vector<uint8_t> serialize(const IEngine& e) {
    auto m = e.serialize();
    return m ? bytesOf(*m) : std::vector<uint8_t>{};
}

class RoundTrip : public ::testing::TestWithParam<NetKind> {};

TEST_P(RoundTrip, NewRuntimeGivesBitIdenticalOutputs) {
    Logger buildLog;
    auto built = buildNet(GetParam(), buildLog);
    ASSERT_NE(built, nullptr) << buildLog.all();
    const std::vector<uint8_t> blob = serialize(*built);
    ASSERT_GT(blob.size(), engine::kEngineHeaderSize);

    Logger loadLog;  // another logger, another runtime: nothing shared with the builder
    auto runtime = createInferRuntime(loadLog);
    auto loaded = runtime->deserializeCudaEngine(blob.data(), blob.size(), nullptr);
    ASSERT_NE(loaded, nullptr) << loadLog.all();
    EXPECT_EQ(loaded->getNbBindings(), built->getNbBindings());
    EXPECT_EQ(loaded->getNbLayers(), built->getNbLayers());
    EXPECT_EQ(loaded->hasImplicitBatchDimension(), built->hasImplicitBatchDimension());
    EXPECT_EQ(loaded->getDeviceMemorySize(), built->getDeviceMemorySize());
    for (int b = 0; b < built->getNbBindings(); ++b) {
        EXPECT_STREQ(loaded->getBindingName(b), built->getBindingName(b));
        EXPECT_EQ(loaded->bindingIsInput(b), built->bindingIsInput(b));
        const Dims d1 = loaded->getBindingDimensions(b), d2 = built->getBindingDimensions(b);
        ASSERT_EQ(d1.nbDims, d2.nbDims);
        for (int k = 0; k < d1.nbDims; ++k) EXPECT_EQ(d1.d[k], d2.d[k]);
    }

    if (GetParam() == NetKind::kExplicit) {
        // The dynamic batch shows as -1 in the engine's shapes, inputs and outputs alike.
        for (IEngine* e : {built.get(), loaded.get()}) {
            const Dims in = e->getTensorShape("in"), out = e->getTensorShape("out");
            ASSERT_EQ(in.nbDims, 4);
            ASSERT_EQ(out.nbDims, 4);
            EXPECT_EQ(in.d[0], -1);
            EXPECT_EQ(out.d[0], -1) << "an output's dynamic batch dimension is reported as its maximum";
            EXPECT_EQ(out.d[1], 3);
            EXPECT_EQ(out.d[2], 2);
            EXPECT_EQ(out.d[3], 2);
        }
    }
    for (int batch : {1, kMaxBatch, 2}) {
        const auto inputs = makeInputs(*built, batch, uint32_t(batch) + 7);
        const RunResult a = run(*built, batch, inputs);
        const RunResult b = run(*loaded, batch, inputs);
        ASSERT_TRUE(a.ok) << buildLog.all();
        ASSERT_TRUE(b.ok) << loadLog.all();
        ASSERT_TRUE(allFinite(a)) << "batch " << batch;
        EXPECT_TRUE(bitwiseEqual(a, b)) << kindName(GetParam()) << ", batch " << batch;
    }
    // A different input gives a different output (the comparison is not vacuous).
    const RunResult x = run(*loaded, 2, makeInputs(*built, 2, 1));
    const RunResult y = run(*loaded, 2, makeInputs(*built, 2, 2));
    ASSERT_TRUE(x.ok && y.ok);
    EXPECT_FALSE(bitwiseEqual(x, y));
    EXPECT_TRUE(buildLog.errors.empty()) << buildLog.all();
    EXPECT_TRUE(loadLog.errors.empty()) << loadLog.all();
}

TEST_P(RoundTrip, SerializationIsDeterministic) {
    Logger log;
    auto built = buildNet(GetParam(), log);
    ASSERT_NE(built, nullptr) << log.all();
    const auto first = serialize(*built);
    const auto second = serialize(*built);
    ASSERT_FALSE(first.empty());
    EXPECT_EQ(first, second) << "serializing the same engine twice gave different bytes";

    // A deserialized engine serializes back to the same bytes.
    auto runtime = createInferRuntime(log);
    auto loaded = runtime->deserializeCudaEngine(first.data(), first.size(), nullptr);
    ASSERT_NE(loaded, nullptr) << log.all();
    EXPECT_EQ(serialize(*loaded), first) << "deserialize -> serialize changed the bytes";
}

TEST_P(RoundTrip, FixedTacticsGiveByteIdenticalBuilds) {
    Logger log;
    auto a = buildNet(GetParam(), log, /*level=*/0);
    auto b = buildNet(GetParam(), log, /*level=*/0);
    ASSERT_NE(a, nullptr) << log.all();
    ASSERT_NE(b, nullptr) << log.all();
    const auto ba = serialize(*a), bb = serialize(*b);
    ASSERT_FALSE(ba.empty());
    EXPECT_EQ(ba, bb) << "two builds of the same network with optimization level 0 differ";
}

// Determinism (issue 7): ten timed builds of the same network, each from a
// fresh builder, network definition and timing cache loaded from the same
// bytes, give byte-identical engine files. The first build times every tactic
// into an empty cache; the other nine read their choices from it and must
// neither time anything new nor choose differently.
void expectTenIdenticalBuilds(NetKind kind, BackendKind backend) {
    constexpr int kBuilds = 10;
    Logger log;
    std::vector<uint8_t> first, cache, cacheAfter;
    for (int i = 0; i < kBuilds; ++i) {
        auto e = buildNet(kind, log, /*level=*/-1, backend, &cache, i == 0 ? &cache : &cacheAfter);
        ASSERT_NE(e, nullptr) << "build " << i << ": " << log.all();
        ASSERT_EQ(e->getBackend(), backend);
        const auto bytes = serialize(*e);
        ASSERT_FALSE(bytes.empty()) << log.all();
        if (i == 0) {
            first = bytes;
            ASSERT_FALSE(cache.empty()) << "the timing cache did not serialize";
            continue;
        }
        EXPECT_EQ(cacheAfter, cache) << "build " << i << " timed something the cache already held";
        ASSERT_EQ(bytes.size(), first.size()) << "build " << i << " differs in size from build 0";
        size_t at = 0;
        while (at < bytes.size() && bytes[at] == first[at]) ++at;
        EXPECT_EQ(at, bytes.size()) << "build " << i << " differs from build 0 first at byte " << at;
    }
}

bool haveCudaDevice() {
#ifdef KILN_HAVE_CUDA
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        (void)cudaGetLastError();
        return false;
    }
    return n > 0;
#else
    return false;
#endif
}

TEST_P(RoundTrip, TenBuildsGiveByteIdenticalEnginesOnCpu) { expectTenIdenticalBuilds(GetParam(), BackendKind::kCPU); }

TEST_P(RoundTrip, TenBuildsGiveByteIdenticalEnginesOnCuda) {
    if (!haveCudaDevice())
        GTEST_SKIP() << "no CUDA device (or a build without CUDA): the CUDA determinism test is skipped";
    expectTenIdenticalBuilds(GetParam(), BackendKind::kCUDA);
}

INSTANTIATE_TEST_SUITE_P(Networks, RoundTrip, ::testing::Values(NetKind::kLeNet, NetKind::kMixed, NetKind::kExplicit),
                         [](const ::testing::TestParamInfo<NetKind>& i) { return std::string(kindName(i.param)); });

TEST(Serialize, BuildSerializedNetworkEqualsEngineSerialize) {
    Logger log;
    auto builder = createInferBuilder(log);
    WeightPool w;
    auto net = builder->createNetwork();
    defineLeNet(*net, w);
    builder->setMaxBatchSize(kMaxBatch);
    auto config = builder->createBuilderConfig();
    config->setBuilderOptimizationLevel(0);
    auto mem = builder->buildSerializedNetwork(*net, *config);
    ASSERT_NE(mem, nullptr) << log.all();
    auto engine = builder->buildEngineWithConfig(*net, *config);
    ASSERT_NE(engine, nullptr) << log.all();
    EXPECT_EQ(bytesOf(*mem), serialize(*engine));
}

// ---- a new process ----

std::string tempPath(const char* tag) {
    const char* dir = std::getenv("TMPDIR");
    std::string path = std::string(dir && *dir ? dir : "/tmp") + "/kiln_serialize_" + tag + "_XXXXXX";
    std::vector<char> buf(path.begin(), path.end());
    buf.push_back('\0');
    const int fd = mkstemp(buf.data());
    if (fd < 0) return {};
    close(fd);
    return std::string(buf.data());
}

bool writeFile(const std::string& path, const void* data, size_t n) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(static_cast<const char*>(data), std::streamsize(n));
    return bool(f);
}

std::vector<uint8_t> readFile(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// The child: its own logger and runtime, the engine from the file, outputs to a file.
int childMain(const std::string& enginePath, const std::string& outPath, int batch, uint32_t seed) {
    Logger log;
    auto runtime = createInferRuntime(log);
    if (!runtime) return 2;
    const std::vector<uint8_t> blob = readFile(enginePath);
    if (blob.empty()) return 3;
    auto engine = runtime->deserializeCudaEngine(blob.data(), blob.size(), nullptr);
    if (!engine) {
        std::fprintf(stderr, "child: %s", log.all().c_str());
        return 4;
    }
    const RunResult r = run(*engine, batch, makeInputs(*engine, batch, seed));
    if (!r.ok) {
        std::fprintf(stderr, "child: %s", log.all().c_str());
        return 5;
    }
    std::vector<float> flat;
    for (const auto& o : r.outputs) flat.insert(flat.end(), o.begin(), o.end());
    return writeFile(outPath, flat.data(), flat.size() * sizeof(float)) ? 0 : 6;
}

// Waits for `pid` up to `seconds`; kills it and returns false on timeout.
bool waitWithTimeout(pid_t pid, int seconds, int& status) {
    for (int i = 0; i < seconds * 20; ++i) {
        const pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return true;
        if (r < 0) return false;
        usleep(50 * 1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return false;
}

// The child's entry point: this test binary run again (fork + exec) with
// --gtest_filter=SerializeChild.* --gtest_also_run_disabled_tests and the
// KILN_CHILD_* variables set; a plain test run never selects it.
TEST(SerializeChild, DISABLED_DeserializeAndRun) {
    const char* enginePath = std::getenv("KILN_CHILD_ENGINE");
    const char* outPath = std::getenv("KILN_CHILD_OUT");
    const char* batch = std::getenv("KILN_CHILD_BATCH");
    const char* seed = std::getenv("KILN_CHILD_SEED");
    if (!enginePath || !outPath || !batch || !seed) GTEST_SKIP() << "only run as the child of NewProcess*";
    std::fflush(nullptr);
    _exit(childMain(enginePath, outPath, std::atoi(batch), uint32_t(std::atoi(seed))));
}

TEST(Serialize, NewProcessGivesBitIdenticalOutputs) {
    // A really new process: fork, then exec this test binary afresh, so the child
    // shares nothing with the parent (no heap, no threads, no library state).
    for (NetKind kind : {NetKind::kLeNet, NetKind::kMixed, NetKind::kExplicit}) {
        SCOPED_TRACE(kindName(kind));
        Logger log;
        auto built = buildNet(kind, log);
        ASSERT_NE(built, nullptr) << log.all();
        const auto blob = serialize(*built);
        const std::string enginePath = tempPath("engine"), outPath = tempPath("out");
        ASSERT_FALSE(enginePath.empty());
        ASSERT_FALSE(outPath.empty());
        ASSERT_TRUE(writeFile(enginePath, blob.data(), blob.size()));
        const int batch = 2;
        const uint32_t seed = 99;

        std::fflush(nullptr);
        const pid_t pid = fork();
        ASSERT_GE(pid, 0) << "fork failed";
        if (pid == 0) {
            setenv("KILN_CHILD_ENGINE", enginePath.c_str(), 1);
            setenv("KILN_CHILD_OUT", outPath.c_str(), 1);
            setenv("KILN_CHILD_BATCH", std::to_string(batch).c_str(), 1);
            setenv("KILN_CHILD_SEED", std::to_string(seed).c_str(), 1);
            execl("/proc/self/exe", "kiln_serialize_tests", "--gtest_filter=SerializeChild.*",
                  "--gtest_also_run_disabled_tests", "--gtest_brief=1", static_cast<char*>(nullptr));
            _exit(127);  // exec failed
        }
        int status = 0;
        const bool exited = waitWithTimeout(pid, 120, status);
        std::remove(enginePath.c_str());
        ASSERT_TRUE(exited) << "the child did not finish within 120 s (killed)";
        ASSERT_TRUE(WIFEXITED(status)) << "the child did not exit normally (signal "
                                       << (WIFSIGNALED(status) ? WTERMSIG(status) : 0) << ")";
        ASSERT_EQ(WEXITSTATUS(status), 0)
            << "the child failed (2 runtime, 3 read, 4 deserialize, 5 run, 6 write, 127 exec)";
        const std::vector<uint8_t> childOut = readFile(outPath);
        std::remove(outPath.c_str());

        const RunResult mine = run(*built, batch, makeInputs(*built, batch, seed));
        ASSERT_TRUE(mine.ok) << log.all();
        std::vector<float> flat;
        for (const auto& o : mine.outputs) flat.insert(flat.end(), o.begin(), o.end());
        ASSERT_EQ(childOut.size(), flat.size() * sizeof(float));
        EXPECT_EQ(std::memcmp(childOut.data(), flat.data(), childOut.size()), 0)
            << "the other process computed different bits";
    }
}

// Known bug (disabled until fixed): a process that has built or run an engine
// with the oneDNN tactics and then forks WITHOUT exec hangs in the child as soon
// as the child prepares a oneDNN kernel: oneDNN runs on GNU OpenMP (libgomp),
// whose thread pool does not survive fork(), so the child waits forever in
// dnnl::impl::parallel (seen in EngineCore::create -> onednn fullyConnectedCreate
// -> reorder). Without oneDNN (KILN_ONEDNN=OFF) this test passes.
TEST(Serialize, DISABLED_ForkWithoutExecGivesBitIdenticalOutputs) {
    Logger log;
    auto built = buildNet(NetKind::kLeNet, log);
    ASSERT_NE(built, nullptr) << log.all();
    const auto blob = serialize(*built);
    const std::string enginePath = tempPath("engine"), outPath = tempPath("out");
    ASSERT_TRUE(writeFile(enginePath, blob.data(), blob.size()));
    const RunResult mine = run(*built, 2, makeInputs(*built, 2, 5));  // the parent has run kernels before forking
    ASSERT_TRUE(mine.ok) << log.all();
    std::fflush(nullptr);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) _exit(childMain(enginePath, outPath, 2, 5));
    int status = 0;
    const bool exited = waitWithTimeout(pid, 30, status);
    std::remove(enginePath.c_str());
    const std::vector<uint8_t> childOut = readFile(outPath);
    std::remove(outPath.c_str());
    ASSERT_TRUE(exited) << "the forked child hung (killed after 30 s)";
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    std::vector<float> flat;
    for (const auto& o : mine.outputs) flat.insert(flat.end(), o.begin(), o.end());
    ASSERT_EQ(childOut.size(), flat.size() * sizeof(float));
    EXPECT_EQ(std::memcmp(childOut.data(), flat.data(), childOut.size()), 0);
}

// ---- damaged engines ----

class Corruption : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        Logger log;
        auto e = buildNet(NetKind::kLeNet, log);
        ASSERT_NE(e, nullptr) << log.all();
        good_ = new std::vector<uint8_t>(serialize(*e));
    }
    static void TearDownTestSuite() {
        delete good_;
        good_ = nullptr;
    }
    const std::vector<uint8_t>& good() const { return *good_; }

    uint64_t u64(size_t off) const {
        uint64_t v;
        std::memcpy(&v, good().data() + off, 8);
        return v;
    }

    // Expects the runtime to refuse `data` with an error containing `what`.
    static void expectRefused(const void* data, size_t size, const std::string& what, const std::string& ctx) {
        Logger log;
        auto runtime = createInferRuntime(log);
        auto engine = runtime->deserializeCudaEngine(data, size, nullptr);
        EXPECT_EQ(engine, nullptr) << ctx << ": a damaged engine was accepted";
        EXPECT_FALSE(log.errors.empty()) << ctx << ": refused without a message";
        EXPECT_TRUE(log.mentions(what)) << ctx << ": expected a message containing \"" << what << "\", got:\n"
                                        << log.all();
    }

    static void fixChecksum(std::vector<uint8_t>& b) {
        const uint64_t c = engine::engineChecksum(b.data(), b.size());
        std::memcpy(b.data() + engine::header_offset::kChecksum, &c, 8);
    }

    static std::vector<uint8_t>* good_;
};
std::vector<uint8_t>* Corruption::good_ = nullptr;

TEST_F(Corruption, TheIntactFileLoads) {
    Logger log;
    auto runtime = createInferRuntime(log);
    EXPECT_NE(runtime->deserializeCudaEngine(good().data(), good().size(), nullptr), nullptr) << log.all();
    EXPECT_EQ(std::memcmp(good().data(), "KILNENG1", 8), 0);
}

TEST_F(Corruption, Truncation) {
    const size_t n = good().size();
    const size_t hs = engine::kEngineHeaderSize;
    expectRefused(good().data(), 0, "null or empty", "truncated to 0 bytes");
    expectRefused(good().data(), 10, "the header alone needs 96", "truncated to 10 bytes");
    expectRefused(good().data(), hs - 1, "the header alone needs 96", "truncated to header size - 1");
    expectRefused(good().data(), hs, "truncated: header says", "truncated to the header");
    expectRefused(good().data(), n / 2, "truncated: header says", "truncated to half");
    expectRefused(good().data(), n - 1, "truncated: header says", "truncated by one byte");
    // A copy of exactly the truncated length (no readable bytes beyond it).
    std::vector<uint8_t> shortCopy(good().begin(), good().begin() + std::ptrdiff_t(n / 2));
    expectRefused(shortCopy.data(), shortCopy.size(), "truncated", "truncated copy");
}

TEST_F(Corruption, SingleBitFlipsAnywhereAreRefused) {
    namespace ho = engine::header_offset;
    const uint64_t metaOff = u64(ho::kMetadataOffset), metaSize = u64(ho::kMetadataSize);
    const uint64_t wOff = u64(ho::kWeightsOffset), wSize = u64(ho::kWeightsSize);
    ASSERT_EQ(metaOff, engine::kEngineHeaderSize);
    ASSERT_GT(metaSize, 0u);
    ASSERT_GT(wSize, 0u);
    ASSERT_EQ(wOff + wSize, good().size());

    // The message names the check that fails first (docs/engine-format.md, "Reading").
    auto expected = [&](size_t off) -> std::string {
        if (off < 8) return "bad magic";
        if (off < 12) return "byte-order marker";
        if (off < 16) return "format version";
        if (off >= 32 && off < 36) return "header size";
        if (off >= 40 && off < 48) return "header says";  // declared size vs actual (truncated / trailing)
        if (off >= 56 && off < 88) return "corrupted";    // a section moved, or the checksum catches it
        return "checksum mismatch";
    };
    std::vector<size_t> offsets;
    for (size_t off = 0; off < wOff; ++off) offsets.push_back(off);  // header, metadata, padding: every byte
    for (size_t off = wOff; off < good().size(); off += 37) offsets.push_back(off);
    offsets.push_back(good().size() - 1);
    std::vector<uint8_t> b = good();
    for (size_t off : offsets) {
        const uint8_t mask = uint8_t(1u << (off % 8));
        b[off] ^= mask;
        expectRefused(b.data(), b.size(), expected(off), "bit " + std::to_string(off % 8) + " of byte " + std::to_string(off));
        b[off] ^= mask;
        if (HasFailure()) break;  // one detailed failure is enough
    }
    EXPECT_EQ(b, good());
}

TEST_F(Corruption, FlipsWithARecomputedChecksumNeverCrash) {
    // A forged checksum gets past the integrity check; the metadata parser, the
    // plan validation and the runtime's consistency checks must then refuse (or
    // accept a harmless change, such as an activation's alpha) without crashing,
    // hanging or allocating without bound.
    namespace ho = engine::header_offset;
    const size_t metaEnd = size_t(u64(ho::kMetadataOffset) + u64(ho::kMetadataSize));
    int refused = 0, accepted = 0;
    std::vector<uint8_t> b = good();
    for (size_t off = engine::kEngineHeaderSize; off < metaEnd; ++off) {
        const uint8_t mask = uint8_t(1u << (off % 8));
        b[off] ^= mask;
        fixChecksum(b);
        Logger log;
        auto runtime = createInferRuntime(log);
        auto engine = runtime->deserializeCudaEngine(b.data(), b.size(), nullptr);
        if (engine) {
            // What loads must also run (or refuse to run) within its buffers:
            // shapes and the memory plan are checked against the ops on loading.
            ++accepted;
            const RunResult r = run(*engine, 1, makeInputs(*engine, 1, 4));
            if (!r.ok) {
                EXPECT_FALSE(log.errors.empty()) << "byte " << off << ": a run failed silently";
            }
        } else {
            ++refused;
            EXPECT_FALSE(log.errors.empty()) << "byte " << off << " refused silently";
        }
        b[off] ^= mask;
    }
    fixChecksum(b);
    EXPECT_EQ(b, good());
    EXPECT_GT(refused, 0);
    RecordProperty("refused", refused);
    RecordProperty("accepted", accepted);
}

TEST_F(Corruption, WrongFormatVersion) {
    std::vector<uint8_t> b = good();
    const uint32_t v = engine::kFormatVersion + 1;
    std::memcpy(b.data() + engine::header_offset::kFormatVersion, &v, 4);
    fixChecksum(b);
    expectRefused(b.data(), b.size(), "engine format version " + std::to_string(v) + " is not supported",
                  "format version + 1");
    expectRefused(b.data(), b.size(), "rebuild the engine", "format version + 1");
    const uint32_t zero = 0;
    std::memcpy(b.data() + engine::header_offset::kFormatVersion, &zero, 4);
    fixChecksum(b);
    expectRefused(b.data(), b.size(), "engine format version 0", "format version 0");
}

TEST_F(Corruption, WrongBackend) {
    std::vector<uint8_t> b = good();
    uint32_t cuda = 1;
    std::memcpy(b.data() + engine::header_offset::kBackend, &cuda, 4);
    expectRefused(b.data(), b.size(), "checksum mismatch", "backend patched, checksum not fixed");
    fixChecksum(b);
    expectRefused(b.data(), b.size(), "cuda", "backend = cuda with a valid checksum");
    uint32_t unknown = 7;
    std::memcpy(b.data() + engine::header_offset::kBackend, &unknown, 4);
    fixChecksum(b);
    expectRefused(b.data(), b.size(), "unknown backend 7", "backend = 7 with a valid checksum");
}

TEST_F(Corruption, TrailingGarbage) {
    std::vector<uint8_t> b = good();
    b.push_back(0);
    expectRefused(b.data(), b.size(), "trailing", "one zero byte appended");
    b.insert(b.end(), 100, 0xAB);
    expectRefused(b.data(), b.size(), "trailing", "101 bytes appended");
}

TEST_F(Corruption, EmptyAndNullBuffers) {
    expectRefused(nullptr, 0, "null or empty", "nullptr, 0");
    expectRefused(nullptr, good().size(), "null or empty", "nullptr with a size");
    expectRefused(good().data(), 0, "null or empty", "data with size 0");
    const std::vector<uint8_t> zeros(good().size(), 0);
    expectRefused(zeros.data(), zeros.size(), "bad magic", "all zero bytes");
    const std::string text = "this is not an engine file, just some text that is long enough to hold a header......";
    expectRefused(text.data(), text.size(), "the header alone needs", "short text");
    std::string longText(4096, 'x');
    expectRefused(longText.data(), longText.size(), "bad magic", "long text");
}

// Every engine file a fuzzer once crashed the loader with
// (tests/fuzz/regressions/engine_*_fuzz) loads or is refused with a message,
// as it is and with its checksum recomputed; what loads (with I/O of at most
// 2^24 elements a tensor) also runs or refuses to run with a message.
TEST_F(Corruption, FuzzRegressionInputsAreHandled) {
    const std::filesystem::path root = std::filesystem::path(KILN_SOURCE_DIR) / "tests" / "fuzz" / "regressions";
    int n = 0;
    for (const char* target : {"engine_loader_fuzz", "engine_format_fuzz"}) {
        if (!std::filesystem::is_directory(root / target)) continue;
        for (const auto& f : std::filesystem::directory_iterator(root / target)) {
            std::ifstream in(f.path(), std::ios::binary);
            std::vector<uint8_t> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            for (int forged = 0; forged < 2; ++forged) {
                if (forged) {
                    if (b.size() < engine::kEngineHeaderSize) break;
                    fixChecksum(b);
                }
                Logger log;
                auto runtime = createInferRuntime(log);
                auto e = runtime->deserializeCudaEngine(b.data(), b.size(), nullptr);
                if (!e) {
                    EXPECT_FALSE(log.errors.empty()) << f.path() << " refused silently";
                    continue;
                }
                // Runs it when its I/O fits in 64 MiB a tensor (as the fuzz harness does):
                // an accepted engine may declare outputs of 2^63 elements.
                bool small = true;
                for (int b = 0; b < e->getNbBindings(); ++b) {
                    Dims d = e->getBindingDimensions(b);
                    for (int k = 0; k < d.nbDims; ++k) d.d[k] = std::max<int64_t>(d.d[k], 1);
                    small = small && kiln::volume(d) <= (int64_t(16) << 20);
                }
                if (!small) continue;
                const RunResult r = run(*e, 1, makeInputs(*e, 1, 5));
                if (!r.ok) {
                    EXPECT_FALSE(log.errors.empty()) << f.path() << ": a run failed silently";
                }
            }
            ++n;
        }
    }
    RecordProperty("inputs", n);
}

TEST_F(Corruption, TheRuntimeStaysUsableAfterRefusals) {
    Logger log;
    auto runtime = createInferRuntime(log);
    std::vector<uint8_t> b = good();
    b[b.size() / 2] ^= 0x10;
    EXPECT_EQ(runtime->deserializeCudaEngine(b.data(), b.size(), nullptr), nullptr);
    EXPECT_EQ(runtime->deserializeEngine(b.data(), 5), nullptr);
    auto engine = runtime->deserializeEngine(good().data(), good().size());
    ASSERT_NE(engine, nullptr) << log.all();
    const RunResult r = run(*engine, 1, makeInputs(*engine, 1, 3));
    EXPECT_TRUE(r.ok) << log.all();
}

}  // namespace
