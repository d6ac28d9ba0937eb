// Shapes computed at run time on the CUDA backend (docs/cuda.md, "Shapes
// computed at run time"): each network is built for CUDA and for the CPU and
// both engines run the same inputs, outputs of data-dependent shape through
// an IOutputAllocator (device memory on CUDA). Covered: shape tensors of a
// dynamic input computed on the host (Shape -> Gather -> Concat -> Reshape,
// also under CUDA graph capture and after serialization), NonZero as a
// network output and feeding later layers, a conditional, a loop with
// stacked outputs, a while loop, and the refusal of CUDA graph capture for
// engines that wait for the device.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kiln/kiln.h"

namespace {

using namespace kiln;

struct Logger : ILogger {
    std::vector<std::string> errors, warnings;
    void log(Severity s, const char* msg) noexcept override {
        if (s <= Severity::kERROR)
            errors.emplace_back(msg ? msg : "");
        else if (s == Severity::kWARNING)
            warnings.emplace_back(msg ? msg : "");
    }
    std::string joined() const {
        std::string r;
        for (const auto& e : errors) r += e + "\n";
        return r;
    }
};

bool haveDevice() {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        (void)cudaGetLastError();
        return false;
    }
    return n > 0;
}

#define SKIP_WITHOUT_DEVICE() \
    if (!haveDevice()) GTEST_SKIP() << "no CUDA device: the CUDA runtime tests are skipped"

Dims dims(std::initializer_list<int64_t> v) {
    Dims d;
    d.nbDims = 0;
    for (int64_t x : v) d.d[d.nbDims++] = x;
    return d;
}

size_t elementSize(DataType t) {
    switch (t) {
        case DataType::kINT64:
        case DataType::kDOUBLE:
            return 8;
        case DataType::kHALF:
        case DataType::kBF16:
            return 2;
        case DataType::kBOOL:
        case DataType::kINT8:
        case DataType::kUINT8:
            return 1;
        default:
            return 4;
    }
}

int64_t volume(const std::vector<int64_t>& s) {
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    return n;
}

struct Tensor {
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
};
using Tensors = std::map<std::string, Tensor>;

template <class T>
Tensor tensor(std::vector<int64_t> shape, const std::vector<T>& v) {
    Tensor t{std::move(shape), std::vector<uint8_t>(v.size() * sizeof(T))};
    if (!v.empty()) std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
    return t;
}

template <class T>
std::vector<T> values(const Tensor& t) {
    std::vector<T> v(t.bytes.size() / sizeof(T));
    if (!v.empty()) std::memcpy(v.data(), t.bytes.data(), v.size() * sizeof(T));
    return v;
}

// Receives an output of data-dependent shape in device memory (CUDA) or host memory (CPU).
class OutputBuffer final : public IOutputAllocator {
public:
    explicit OutputBuffer(bool device) : device_(device) {}
    ~OutputBuffer() override {
        if (device_ && p_) cudaFree(p_);
    }
    void* reallocateOutput(const char*, void*, uint64_t size, uint64_t) noexcept override {
        ++calls;
        if (size <= cap_) return p_;
        if (device_) {
            if (p_) cudaFree(p_);
            p_ = nullptr;
            if (cudaMalloc(&p_, size) != cudaSuccess) return nullptr;
        } else {
            host_.assign(size_t(size) / 8 + 1, 0.0);
            p_ = host_.data();
        }
        cap_ = size;
        return p_;
    }
    void notifyShape(const char*, const Dims& d) noexcept override { shape.assign(d.d, d.d + d.nbDims); }
    void* data() const { return p_; }

    std::vector<int64_t> shape;
    int calls = 0;

private:
    bool device_;
    void* p_ = nullptr;
    uint64_t cap_ = 0;
    std::vector<double> host_;
};

// One engine and one context; runs inputs given on the host and returns the
// outputs on the host (device copies in and out on CUDA).
class Runner {
public:
    Runner(IEngine& e, bool device, const Logger* log = nullptr)
        : e_(e), device_(device), log_(log), ctx_(e.createExecutionContext()) {}
    IExecutionContext& ctx() { return *ctx_; }

    ::testing::AssertionResult run(const Tensors& in, Tensors& out, cudaStream_t stream = nullptr) {
        if (!ctx_) return ::testing::AssertionFailure() << "no context";
        std::vector<void*> scratch;
        std::vector<std::vector<uint8_t>> hostIn;
        struct Free {
            std::vector<void*>& p;
            ~Free() {
                for (void* q : p) cudaFree(q);
            }
        } freeAll{scratch};
        auto buffer = [&](size_t bytes) -> void* {
            void* p = nullptr;
            if (cudaMalloc(&p, std::max<size_t>(bytes, 8)) != cudaSuccess) return nullptr;
            scratch.push_back(p);
            return p;
        };
        std::vector<std::string> outputs;
        std::map<std::string, void*> outAddress;
        std::map<std::string, std::vector<uint8_t>> hostOut;
        for (int32_t i = 0; i < e_.getNbIOTensors(); ++i) {
            const std::string name = e_.getIOTensorName(i);
            if (e_.getTensorIOMode(name.c_str()) == TensorIOMode::kINPUT) {
                const Tensor& t = in.at(name);
                Dims d;
                d.nbDims = int32_t(t.shape.size());
                for (size_t k = 0; k < t.shape.size(); ++k) d.d[k] = t.shape[k];
                if (!ctx_->setInputShape(name.c_str(), d))
                    return ::testing::AssertionFailure() << "setInputShape(" << name << ")";
                void* p = nullptr;
                if (device_) {
                    p = buffer(t.bytes.size());
                    if (!p || cudaMemcpy(p, t.bytes.data(), t.bytes.size(), cudaMemcpyHostToDevice) != cudaSuccess)
                        return ::testing::AssertionFailure() << "input copy";
                } else {
                    hostIn.push_back(t.bytes);
                    hostIn.back().resize(std::max<size_t>(t.bytes.size(), 8));
                    p = hostIn.back().data();
                }
                ctx_->setTensorAddress(name.c_str(), p);
            } else {
                outputs.push_back(name);
            }
        }
        for (const auto& name : outputs) {
            const Dims d = ctx_->getTensorShape(name.c_str());
            bool dynamic = d.nbDims < 0;
            for (int32_t k = 0; k < d.nbDims; ++k) dynamic = dynamic || d.d[k] < 0;
            if (dynamic) {
                auto& a = allocators_[name];
                if (!a) a = std::make_unique<OutputBuffer>(device_);
                if (!ctx_->setOutputAllocator(name.c_str(), a.get()))
                    return ::testing::AssertionFailure() << "setOutputAllocator(" << name << ")";
                continue;
            }
            int64_t n = 1;
            for (int32_t k = 0; k < d.nbDims; ++k) n *= d.d[k];
            const size_t bytes = size_t(n) * elementSize(e_.getTensorDataType(name.c_str()));
            void* p = nullptr;
            if (device_) {
                p = buffer(bytes);
            } else {
                hostOut[name].assign(std::max<size_t>(bytes, 8), 0);
                p = hostOut[name].data();
            }
            ctx_->setTensorAddress(name.c_str(), p);
            out[name].shape.assign(d.d, d.d + d.nbDims);
            out[name].bytes.resize(bytes);
            outAddress[name] = p;
        }
        if (!ctx_->enqueueV3(stream))
            return ::testing::AssertionFailure() << "enqueueV3 failed: " << (log_ ? log_->joined() : std::string());
        if (device_ && cudaStreamSynchronize(stream) != cudaSuccess)
            return ::testing::AssertionFailure() << "device error: " << cudaGetErrorString(cudaGetLastError());
        for (const auto& name : outputs) {
            Tensor& t = out[name];
            const void* src = nullptr;
            auto it = allocators_.find(name);
            if (it != allocators_.end()) {
                t.shape = it->second->shape;
                t.bytes.resize(size_t(volume(t.shape)) * elementSize(e_.getTensorDataType(name.c_str())));
                src = it->second->data();
            } else {
                src = outAddress[name];
            }
            if (t.bytes.empty()) continue;
            if (device_) {
                if (cudaMemcpy(t.bytes.data(), src, t.bytes.size(), cudaMemcpyDeviceToHost) != cudaSuccess)
                    return ::testing::AssertionFailure() << "output copy";
            } else {
                std::memcpy(t.bytes.data(), src, t.bytes.size());
            }
        }
        return ::testing::AssertionSuccess();
    }

private:
    IEngine& e_;
    bool device_;
    const Logger* log_;
    std::unique_ptr<IExecutionContext> ctx_;
    std::map<std::string, std::unique_ptr<OutputBuffer>> allocators_;
};

// CUDA's outputs against the CPU's: same shapes, float values within 1e-5 relative, other bytes equal.
void expectSame(IEngine& e, const Tensors& gpu, const Tensors& cpu, const std::string& what) {
    ASSERT_EQ(gpu.size(), cpu.size()) << what;
    for (const auto& [name, want] : cpu) {
        const Tensor& got = gpu.at(name);
        ASSERT_EQ(got.shape, want.shape) << what << ": output " << name;
        ASSERT_EQ(got.bytes.size(), want.bytes.size()) << what << ": output " << name;
        if (e.getTensorDataType(name.c_str()) == DataType::kFLOAT) {
            const auto g = values<float>(got), w = values<float>(want);
            for (size_t i = 0; i < w.size(); ++i)
                EXPECT_NEAR(g[i], w[i], 1e-5 * (1 + std::fabs(w[i]))) << what << ": output " << name << " at " << i;
        } else {
            EXPECT_EQ(got.bytes, want.bytes) << what << ": output " << name;
        }
    }
}

std::vector<float> randomFloats(size_t n, uint32_t seed, float zeroFraction = 0.f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-1.f, 1.f), u(0.f, 1.f);
    std::vector<float> v(n);
    for (auto& x : v) x = u(rng) < zeroFraction ? 0.f : d(rng);
    return v;
}

// Builds the same network for both backends.
struct Pair {
    Logger log;
    std::unique_ptr<IBuilder> builder = createInferBuilder(log);
    std::unique_ptr<IEngine> cpu, gpu;

    template <class Define>
    ::testing::AssertionResult build(Define define,
                                     const std::vector<std::pair<std::string, std::array<Dims, 3>>>& profile = {}) {
        for (BackendKind backend : {BackendKind::kCPU, BackendKind::kCUDA}) {
            auto net = builder->createNetworkV2(0);
            define(*net);
            auto cfg = builder->createBuilderConfig();
            cfg->setBackend(backend);
            if (!profile.empty()) {
                auto* p = builder->createOptimizationProfile();
                for (const auto& [name, d] : profile) {
                    p->setDimensions(name.c_str(), OptProfileSelector::kMIN, d[0]);
                    p->setDimensions(name.c_str(), OptProfileSelector::kOPT, d[1]);
                    p->setDimensions(name.c_str(), OptProfileSelector::kMAX, d[2]);
                }
                cfg->addOptimizationProfile(p);
            }
            auto e = builder->buildEngineWithConfig(*net, *cfg);
            if (!e) return ::testing::AssertionFailure() << "build failed: " << log.joined();
            (backend == BackendKind::kCPU ? cpu : gpu) = std::move(e);
        }
        return ::testing::AssertionSuccess();
    }
};

std::string info(IEngine& e) {
    auto m = e.getEngineInformation(false);
    return std::string(static_cast<const char*>(m->data()), m->size());
}

ITensor* constantI64(INetworkDefinition& net, const std::vector<int64_t>& v) {
    static std::vector<std::unique_ptr<std::vector<int64_t>>> keep;
    keep.push_back(std::make_unique<std::vector<int64_t>>(v));
    return net.addConstant(dims({int64_t(v.size())}), {DataType::kINT64, keep.back()->data(), int64_t(v.size())})
        ->getOutput(0);
}

ITensor* scalar(INetworkDefinition& net, DataType t, double v) {
    static std::vector<std::unique_ptr<double>> keep;
    keep.push_back(std::make_unique<double>(0.0));
    void* p = keep.back().get();
    if (t == DataType::kFLOAT) *static_cast<float*>(p) = float(v);
    if (t == DataType::kINT32) *static_cast<int32_t*>(p) = int32_t(v);
    if (t == DataType::kINT64) *static_cast<int64_t*>(p) = int64_t(v);
    return net.addConstant(dims({}), {t, p, 1})->getOutput(0);
}

// y = relu(reshape(x, [batch, -1])) + 1, the target computed from x's shape
// (batch dimension dynamic): the shape tensors run on the host, the engine
// stays a launch-only one (capturable), also once serialized and loaded.
TEST(CudaDynamicShapes, ShapeGatherConcatReshapeOnADynamicInput) {
    SKIP_WITHOUT_DEVICE();
    Pair p;
    ASSERT_TRUE(p.build(
        [](INetworkDefinition& net) {
            ITensor* x = net.addInput("x", DataType::kFLOAT, dims({-1, 4, 6}));
            ITensor* shape = net.addShape(*x)->getOutput(0);
            ITensor* batch = net.addGather(*shape, *constantI64(net, {0}), 0)->getOutput(0);
            ITensor* parts[] = {batch, constantI64(net, {-1})};
            auto* target = net.addConcatenation(parts, 2);
            target->setAxis(0);
            auto* flat = net.addShuffle(*x);
            flat->setInput(1, *target->getOutput(0));
            auto* relu = net.addActivation(*flat->getOutput(0), ActivationType::kRELU);
            auto* y = net.addElementWise(*relu->getOutput(0), *scalar(net, DataType::kFLOAT, 1.0),
                                         ElementWiseOperation::kSUM);
            y->getOutput(0)->setName("y");
            net.markOutput(*y->getOutput(0));
        },
        {{"x", {dims({1, 4, 6}), dims({2, 4, 6}), dims({4, 4, 6})}}}));
    const std::string text = info(*p.gpu);
    EXPECT_NE(text.find("tactic host"), std::string::npos) << "the shape tensors run on the host:\n" << text;
    Runner cpu(*p.cpu, false, &p.log), gpu(*p.gpu, true, &p.log);
    ASSERT_TRUE(gpu.ctx().setCudaGraphCapture(true)) << "no host synchronization: capture is allowed";
    cudaStream_t s;
    ASSERT_EQ(cudaStreamCreate(&s), cudaSuccess);
    for (int64_t b : {1, 3, 4, 3, 2}) {
        const Tensors in = {{"x", tensor<float>({b, 4, 6}, randomFloats(size_t(b) * 24, uint32_t(b)))}};
        Tensors want, got;
        ASSERT_TRUE(cpu.run(in, want));
        ASSERT_TRUE(gpu.run(in, got, s));
        ASSERT_EQ(want["y"].shape, (std::vector<int64_t>{b, 24}));
        expectSame(*p.gpu, got, want, "batch " + std::to_string(b));
        Tensors again;  // the captured graph replayed
        ASSERT_TRUE(gpu.run(in, again, s));
        expectSame(*p.gpu, again, want, "replay, batch " + std::to_string(b));
    }
    cudaStreamDestroy(s);
    // The plan records the host nodes; loading checks and uses that record.
    auto bytes = p.gpu->serialize();
    ASSERT_NE(bytes, nullptr);
    auto runtime = createInferRuntime(p.log);
    auto loaded = runtime->deserializeEngine(bytes->data(), bytes->size());
    ASSERT_NE(loaded, nullptr) << p.log.joined();
    Runner reloaded(*loaded, true);
    const Tensors in = {{"x", tensor<float>({3, 4, 6}, randomFloats(72, 7))}};
    Tensors want, got;
    ASSERT_TRUE(cpu.run(in, want));
    ASSERT_TRUE(reloaded.run(in, got));
    expectSame(*loaded, got, want, "deserialized");
}

// NonZero as a network output: the coordinates come through the user's
// IOutputAllocator, with the count known only after the kernel ran.
TEST(CudaDynamicShapes, NonZeroOutputThroughAnOutputAllocator) {
    SKIP_WITHOUT_DEVICE();
    Pair p;
    ASSERT_TRUE(p.build([](INetworkDefinition& net) {
        ITensor* x = net.addInput("x", DataType::kFLOAT, dims({3, 5}));
        auto* nz = net.addNonZero(*x);
        nz->getOutput(0)->setName("coords");
        net.markOutput(*nz->getOutput(0));
    }));
    Runner cpu(*p.cpu, false, &p.log), gpu(*p.gpu, true, &p.log);
    p.log.warnings.clear();
    EXPECT_FALSE(gpu.ctx().setCudaGraphCapture(true)) << "the run waits for the count: no capture";
    ASSERT_FALSE(p.log.warnings.empty());
    EXPECT_NE(p.log.warnings.back().find("NonZero"), std::string::npos) << p.log.warnings.back();
    for (float zeros : {0.5f, 0.f, 1.f, 0.9f}) {
        const Tensors in = {{"x", tensor<float>({3, 5}, randomFloats(15, uint32_t(zeros * 10) + 1, zeros))}};
        Tensors want, got;
        ASSERT_TRUE(cpu.run(in, want));
        ASSERT_TRUE(gpu.run(in, got)) << p.log.joined();
        expectSame(*p.gpu, got, want, "zero fraction " + std::to_string(zeros));
        EXPECT_EQ(got["coords"].shape[0], 2);
    }
}

// NonZero feeding later layers: the values at the non-zero coordinates
// (GatherND of the transposed coordinates), doubled (an output of
// data-dependent shape), and their sum (an output of static shape); the
// count through Shape -> Cast, and the doubled values reshaped to a column by
// a target computed on the host from the count once it is known.
TEST(CudaDynamicShapes, NonZeroFeedsLaterLayers) {
    SKIP_WITHOUT_DEVICE();
    Pair p;
    ASSERT_TRUE(p.build([](INetworkDefinition& net) {
        ITensor* x = net.addInput("x", DataType::kFLOAT, dims({4, 6}));
        ITensor* nz = net.addNonZero(*x)->getOutput(0);  // [2, n]
        auto* t = net.addShuffle(*nz);
        Permutation swap;
        swap.order[0] = 1;
        swap.order[1] = 0;
        t->setFirstTranspose(swap);
        auto* picked = net.addGatherV2(*x, *t->getOutput(0), GatherMode::kND);
        auto* twice =
            net.addElementWise(*picked->getOutput(0), *scalar(net, DataType::kFLOAT, 2.0), ElementWiseOperation::kPROD);
        twice->getOutput(0)->setName("twice");
        net.markOutput(*twice->getOutput(0));
        auto* sum = net.addReduce(*picked->getOutput(0), ReduceOperation::kSUM, 1u, false);
        sum->getOutput(0)->setName("sum");
        net.markOutput(*sum->getOutput(0));
        ITensor* count = net.addShape(*picked->getOutput(0))->getOutput(0);
        auto* asInt = net.addCast(*count, DataType::kINT32);
        asInt->getOutput(0)->setName("count");
        net.markOutput(*asInt->getOutput(0));
        // [n] -> [n, 1] by a target computed on the host from the run's count.
        ITensor* parts[] = {count, constantI64(net, {1})};
        auto* target = net.addConcatenation(parts, 2);
        target->setAxis(0);
        auto* column = net.addShuffle(*twice->getOutput(0));
        column->setInput(1, *target->getOutput(0));
        column->getOutput(0)->setName("column");
        net.markOutput(*column->getOutput(0));
    }));
    Runner cpu(*p.cpu, false, &p.log), gpu(*p.gpu, true, &p.log);
    for (uint32_t seed : {1u, 2u, 3u}) {
        const float zeros = seed == 3 ? 1.f : 0.4f;
        const Tensors in = {{"x", tensor<float>({4, 6}, randomFloats(24, seed, zeros))}};
        Tensors want, got;
        ASSERT_TRUE(cpu.run(in, want));
        ASSERT_TRUE(gpu.run(in, got)) << p.log.joined();
        expectSame(*p.gpu, got, want, "seed " + std::to_string(seed));
        EXPECT_EQ(got["column"].shape, (std::vector<int64_t>{values<int32_t>(got["count"])[0], 1}));
    }
}

// if (c) x * 2 else reshape(x + 10): the condition is a network input, read
// back to the host; only the branch it picks runs.
TEST(CudaDynamicShapes, ConditionalPicksOneBranch) {
    SKIP_WITHOUT_DEVICE();
    Pair p;
    ASSERT_TRUE(p.build([](INetworkDefinition& net) {
        ITensor* x = net.addInput("x", DataType::kFLOAT, dims({2, 3}));
        ITensor* c = net.addInput("c", DataType::kBOOL, dims({}));
        IIfConditional* cond = net.addIfConditional();
        cond->setCondition(*c);
        ITensor* in = cond->addInput(*x)->getOutput(0);
        auto* twice = net.addElementWise(*in, *in, ElementWiseOperation::kSUM);
        auto* plus = net.addElementWise(*in, *scalar(net, DataType::kFLOAT, 10.0), ElementWiseOperation::kSUM);
        auto* flat = net.addShuffle(*plus->getOutput(0));
        flat->setReshapeDimensions(dims({3, 2}));
        auto* out = cond->addOutput(*twice->getOutput(0), *flat->getOutput(0));
        out->getOutput(0)->setName("y");
        net.markOutput(*out->getOutput(0));
    }));
    Runner cpu(*p.cpu, false, &p.log), gpu(*p.gpu, true, &p.log);
    for (uint8_t c : {1, 0, 0, 1}) {
        const Tensors in = {{"x", tensor<float>({2, 3}, randomFloats(6, c + 5u))}, {"c", tensor<uint8_t>({}, {c})}};
        Tensors want, got;
        ASSERT_TRUE(cpu.run(in, want));
        ASSERT_TRUE(gpu.run(in, got)) << p.log.joined();
        EXPECT_EQ(got["y"].shape, c ? (std::vector<int64_t>{2, 3}) : (std::vector<int64_t>{3, 2}));
        expectSame(*p.gpu, got, want, c ? "true branch" : "false branch");
    }
}

// A loop over the rows of x: a running sum (recurrence) fed by an iterator,
// its final value, the states stacked and the rows stacked in reverse.
TEST(CudaDynamicShapes, LoopWithIteratorRecurrenceAndStackedOutputs) {
    SKIP_WITHOUT_DEVICE();
    Pair p;
    ASSERT_TRUE(p.build([](INetworkDefinition& net) {
        ITensor* x = net.addInput("x", DataType::kFLOAT, dims({5, 3}));
        ITensor* zero = net.addInput("zero", DataType::kFLOAT, dims({3}));
        ILoop* loop = net.addLoop();
        auto* row = loop->addIterator(*x, 0, false);
        auto* rec = loop->addRecurrence(*zero);
        auto* sum = net.addElementWise(*rec->getOutput(0), *row->getOutput(0), ElementWiseOperation::kSUM);
        rec->setInput(1, *sum->getOutput(0));
        auto* total = loop->addLoopOutput(*rec->getOutput(0), LoopOutput::kLAST_VALUE);
        auto* states = loop->addLoopOutput(*rec->getOutput(0), LoopOutput::kCONCATENATE, 0);
        auto* rowsBack = loop->addLoopOutput(*row->getOutput(0), LoopOutput::kREVERSE, 1);
        total->getOutput(0)->setName("total");
        states->getOutput(0)->setName("states");
        rowsBack->getOutput(0)->setName("rows_back");
        net.markOutput(*total->getOutput(0));
        net.markOutput(*states->getOutput(0));
        net.markOutput(*rowsBack->getOutput(0));
    }));
    Runner cpu(*p.cpu, false, &p.log), gpu(*p.gpu, true, &p.log);
    for (uint32_t seed : {1u, 2u}) {
        const Tensors in = {{"x", tensor<float>({5, 3}, randomFloats(15, seed))},
                            {"zero", tensor<float>({3}, randomFloats(3, seed + 10))}};
        Tensors want, got;
        ASSERT_TRUE(cpu.run(in, want));
        ASSERT_TRUE(gpu.run(in, got)) << p.log.joined();
        EXPECT_EQ(got["states"].shape, (std::vector<int64_t>{5, 3}));
        EXPECT_EQ(got["rows_back"].shape, (std::vector<int64_t>{3, 5}));
        expectSame(*p.gpu, got, want, "seed " + std::to_string(seed));
    }
}

// while (i < limit) { i += 3; acc = acc * 2 } with a count limit as a safety
// bound: the condition is computed on the device and read back each iteration.
TEST(CudaDynamicShapes, WhileLoopReadsItsConditionEachIteration) {
    SKIP_WITHOUT_DEVICE();
    Pair p;
    ASSERT_TRUE(p.build([](INetworkDefinition& net) {
        ITensor* limit = net.addInput("limit", DataType::kINT32, dims({}));
        ITensor* seed = net.addInput("seed", DataType::kFLOAT, dims({2}));
        ILoop* loop = net.addLoop();
        auto* i = loop->addRecurrence(*scalar(net, DataType::kINT32, 0));
        auto* acc = loop->addRecurrence(*seed);
        auto* less = net.addElementWise(*i->getOutput(0), *limit, ElementWiseOperation::kLESS);
        loop->addTripLimit(*less->getOutput(0), TripLimit::kWHILE);
        loop->addTripLimit(*scalar(net, DataType::kINT32, 50), TripLimit::kCOUNT);
        auto* next =
            net.addElementWise(*i->getOutput(0), *scalar(net, DataType::kINT32, 3), ElementWiseOperation::kSUM);
        i->setInput(1, *next->getOutput(0));
        auto* doubled =
            net.addElementWise(*acc->getOutput(0), *scalar(net, DataType::kFLOAT, 2.0), ElementWiseOperation::kPROD);
        acc->setInput(1, *doubled->getOutput(0));
        auto* iOut = loop->addLoopOutput(*i->getOutput(0), LoopOutput::kLAST_VALUE);
        auto* accOut = loop->addLoopOutput(*acc->getOutput(0), LoopOutput::kLAST_VALUE);
        auto* trace = loop->addLoopOutput(*i->getOutput(0), LoopOutput::kCONCATENATE, 0);
        iOut->getOutput(0)->setName("i");
        accOut->getOutput(0)->setName("acc");
        trace->getOutput(0)->setName("trace");
        net.markOutput(*iOut->getOutput(0));
        net.markOutput(*accOut->getOutput(0));
        net.markOutput(*trace->getOutput(0));
    }));
    Runner cpu(*p.cpu, false, &p.log), gpu(*p.gpu, true, &p.log);
    for (int32_t lim : {0, 1, 9, 10, 200}) {
        const Tensors in = {{"limit", tensor<int32_t>({}, {lim})}, {"seed", tensor<float>({2}, {0.5f, -1.5f})}};
        Tensors want, got;
        ASSERT_TRUE(cpu.run(in, want));
        ASSERT_TRUE(gpu.run(in, got)) << p.log.joined();
        expectSame(*p.gpu, got, want, "limit " + std::to_string(lim));
        int32_t iters = 0;
        for (int32_t v = 0; v < lim && iters < 50; v += 3) ++iters;
        EXPECT_EQ(got["trace"].shape, (std::vector<int64_t>{iters})) << "limit " << lim;
    }
}

}  // namespace
