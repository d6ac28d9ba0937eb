// The bad-input catalogue: every misuse of the API is reported through the
// logger, with a message that names the offending thing, and returns
// null/false/-1. Nothing throws and nothing aborts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "kiln/kiln.h"

using namespace kiln;

namespace {

class Logger : public ILogger {
public:
    void log(Severity s, const char* msg) noexcept override {
        std::lock_guard<std::mutex> lock(mu_);
        if (s <= Severity::kERROR) errors.push_back(msg);
    }
    void clear() { errors.clear(); }
    std::string all() const {
        std::string s;
        for (const auto& e : errors) s += "  " + e + "\n";
        return s.empty() ? "  (no error messages)\n" : s;
    }
    // True if one message contains every one of `parts`.
    bool mentions(std::initializer_list<std::string> parts) const {
        for (const auto& e : errors) {
            bool all = true;
            for (const auto& p : parts) all &= e.find(p) != std::string::npos;
            if (all) return true;
        }
        return false;
    }
    std::vector<std::string> errors;

private:
    std::mutex mu_;
};

#define EXPECT_LOGGED(log, ...)                                                                              \
    EXPECT_TRUE((log).mentions({__VA_ARGS__})) << "expected an error message containing all of {" #__VA_ARGS__ \
                                                  "}; got:\n"                                              \
                                               << (log).all()

std::vector<float> ramp(size_t n, float scale = 0.01f) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = scale * float(int(i % 17) - 8);
    return v;
}

Weights W(const std::vector<float>& v) { return Weights{DataType::kFLOAT, v.data(), int64_t(v.size())}; }
const Weights kNone{DataType::kFLOAT, nullptr, 0};

class BadInput : public ::testing::Test {
protected:
    void SetUp() override {
        builder = createInferBuilder(log);
        net = builder->createNetwork();
    }
    Logger log;
    std::unique_ptr<IBuilder> builder;
    std::unique_ptr<INetworkDefinition> net;
};

// ---- weights ----

TEST_F(BadInput, NullWeightsWithPositiveCount) {
    auto* in = net->addInput("in", DataType::kFLOAT, Dims3{1, 8, 8});
    ASSERT_NE(in, nullptr);
    const auto bias = ramp(4);
    EXPECT_EQ(net->addConvolution(*in, 4, DimsHW{3, 3}, Weights{DataType::kFLOAT, nullptr, 36}, W(bias)), nullptr);
    EXPECT_LOGGED(log, "addConvolution", "null values pointer");
    log.clear();
    const auto kernel = ramp(36);
    EXPECT_EQ(net->addConvolution(*in, 4, DimsHW{3, 3}, W(kernel), Weights{DataType::kFLOAT, nullptr, 4}), nullptr);
    EXPECT_LOGGED(log, "addConvolution", "bias", "null values pointer");
    log.clear();
    EXPECT_EQ(net->addFullyConnected(*in, 2, Weights{DataType::kFLOAT, nullptr, 128}, kNone), nullptr);
    EXPECT_LOGGED(log, "addFullyConnected", "null values pointer");
    log.clear();
    EXPECT_EQ(net->addConstant(Dims2{2, 2}, Weights{DataType::kFLOAT, nullptr, 4}), nullptr);
    EXPECT_LOGGED(log, "addConstant", "null values pointer");
    log.clear();
    EXPECT_EQ(net->addScale(*in, ScaleMode::kUNIFORM, Weights{DataType::kFLOAT, nullptr, 1}, kNone, kNone), nullptr);
    EXPECT_LOGGED(log, "addScale", "null values pointer");
    EXPECT_EQ(net->getNbLayers(), 0);
}

TEST_F(BadInput, NegativeWeightCount) {
    auto* in = net->addInput("in", DataType::kFLOAT, Dims3{1, 8, 8});
    ASSERT_NE(in, nullptr);
    const auto v = ramp(36);
    EXPECT_EQ(net->addConvolution(*in, 4, DimsHW{3, 3}, Weights{DataType::kFLOAT, v.data(), -36}, kNone), nullptr);
    EXPECT_LOGGED(log, "addConvolution", "negative count");
    log.clear();
    EXPECT_EQ(net->addConvolution(*in, 4, DimsHW{3, 3}, W(v), Weights{DataType::kFLOAT, v.data(), -4}), nullptr);
    EXPECT_LOGGED(log, "addConvolution", "negative count");
    log.clear();
    EXPECT_EQ(net->addFullyConnected(*in, 2, Weights{DataType::kFLOAT, v.data(), -1}, kNone), nullptr);
    EXPECT_LOGGED(log, "addFullyConnected", "negative count");
    log.clear();
    EXPECT_EQ(net->addConstant(Dims2{2, 2}, Weights{DataType::kFLOAT, v.data(), -4}), nullptr);
    EXPECT_LOGGED(log, "addConstant");
}

TEST_F(BadInput, WeightCountMismatchingTheKernelFailsTheBuildNamingTheLayer) {
    auto* in = net->addInput("in", DataType::kFLOAT, Dims3{1, 8, 8});
    const auto kernel = ramp(4 * 1 * 3 * 3 - 1), bias = ramp(4);  // one value short
    auto* conv = net->addConvolution(*in, 4, DimsHW{3, 3}, W(kernel), W(bias));
    ASSERT_NE(conv, nullptr);  // TensorRT also checks the count at build time
    conv->setName("short_conv");
    net->markOutput(*conv->getOutput(0));
    EXPECT_EQ(builder->buildCudaEngine(*net), nullptr);
    EXPECT_LOGGED(log, "short_conv", "35");

    log.clear();
    auto net2 = builder->createNetwork();
    auto* in2 = net2->addInput("in", DataType::kFLOAT, Dims3{2, 3, 3});
    const auto fcw = ramp(5 * 18 + 3);
    auto* fc = net2->addFullyConnected(*in2, 5, W(fcw), kNone);
    ASSERT_NE(fc, nullptr);
    fc->setName("wide_fc");
    net2->markOutput(*fc->getOutput(0));
    EXPECT_EQ(builder->buildCudaEngine(*net2), nullptr);
    EXPECT_LOGGED(log, "wide_fc", "93");

    log.clear();
    auto net3 = builder->createNetwork();
    auto* in3 = net3->addInput("in", DataType::kFLOAT, Dims3{2, 3, 3});
    const auto sc = ramp(3);  // kCHANNEL on 2 channels
    auto* scale = net3->addScale(*in3, ScaleMode::kCHANNEL, kNone, W(sc), kNone);
    ASSERT_NE(scale, nullptr);
    scale->setName("bad_scale");
    net3->markOutput(*scale->getOutput(0));
    EXPECT_EQ(builder->buildCudaEngine(*net3), nullptr);
    EXPECT_LOGGED(log, "bad_scale", "3 values");
}

// ---- shapes ----

TEST_F(BadInput, ElementWiseOfIncompatibleShapes) {
    auto* a = net->addInput("a", DataType::kFLOAT, Dims3{3, 4, 5});
    auto* b = net->addInput("b", DataType::kFLOAT, Dims3{3, 4, 6});
    auto* ew = net->addElementWise(*a, *b, ElementWiseOperation::kSUM);
    if (ew) {
        ew->setName("mismatched_sum");
        EXPECT_EQ(ew->getOutput(0)->getDimensions().nbDims, -1);
        net->markOutput(*ew->getOutput(0));
        EXPECT_EQ(builder->buildCudaEngine(*net), nullptr);
        EXPECT_LOGGED(log, "mismatched_sum", "broadcast");
    } else {
        EXPECT_LOGGED(log, "addElementWise");
    }
}

TEST_F(BadInput, ConcatenationOfMismatchedDims) {
    auto* a = net->addInput("a", DataType::kFLOAT, Dims3{3, 4, 5});
    auto* b = net->addInput("b", DataType::kFLOAT, Dims3{2, 4, 6});
    ITensor* ins[] = {a, b};
    auto* cat = net->addConcatenation(ins, 2);
    ASSERT_NE(cat, nullptr);
    cat->setName("bad_concat");
    EXPECT_EQ(cat->getOutput(0)->getDimensions().nbDims, -1);
    net->markOutput(*cat->getOutput(0));
    EXPECT_EQ(builder->buildCudaEngine(*net), nullptr);
    EXPECT_LOGGED(log, "bad_concat", "[");

    log.clear();
    auto net2 = builder->createNetwork();
    auto* c = net2->addInput("c", DataType::kFLOAT, Dims3{3, 4, 5});
    auto* d = net2->addInput("d", DataType::kFLOAT, Dims2{4, 5});
    ITensor* ins2[] = {c, d};
    auto* cat2 = net2->addConcatenation(ins2, 2);
    ASSERT_NE(cat2, nullptr);
    cat2->setName("rank_concat");
    net2->markOutput(*cat2->getOutput(0));
    EXPECT_EQ(builder->buildCudaEngine(*net2), nullptr);
    EXPECT_LOGGED(log, "rank_concat", "rank");
}

TEST_F(BadInput, FullyConnectedOnWrongDims) {
    // Explicit batch: a 1-D input has no batch and feature dimensions to flatten.
    auto net2 = builder->createNetworkV2(1u << int(NetworkDefinitionCreationFlag::kEXPLICIT_BATCH));
    auto* in = net2->addInput("vec", DataType::kFLOAT, Dims{1, {10}});
    ASSERT_NE(in, nullptr);
    const auto w = ramp(30);
    auto* fc = net2->addFullyConnected(*in, 3, W(w), kNone);
    ASSERT_NE(fc, nullptr);
    fc->setName("fc_on_vector");
    EXPECT_EQ(fc->getOutput(0)->getDimensions().nbDims, -1);
    net2->markOutput(*fc->getOutput(0));
    auto config = builder->createBuilderConfig();
    EXPECT_EQ(builder->buildEngineWithConfig(*net2, *config), nullptr);
    EXPECT_LOGGED(log, "fc_on_vector", "[10]");

    // Weights sized for another input.
    log.clear();
    auto* x = net->addInput("x", DataType::kFLOAT, Dims3{4, 2, 2});  // 16 features
    const auto w2 = ramp(3 * 12);                                   // sized for 12
    auto* fc2 = net->addFullyConnected(*x, 3, W(w2), kNone);
    ASSERT_NE(fc2, nullptr);
    fc2->setName("fc_wrong_features");
    net->markOutput(*fc2->getOutput(0));
    EXPECT_EQ(builder->buildCudaEngine(*net), nullptr);
    EXPECT_LOGGED(log, "fc_wrong_features", "16");
}

TEST_F(BadInput, NoOutputsMarked) {
    auto* in = net->addInput("in", DataType::kFLOAT, Dims3{1, 4, 4});
    net->addActivation(*in, ActivationType::kRELU);
    EXPECT_EQ(builder->buildCudaEngine(*net), nullptr);
    EXPECT_LOGGED(log, "no outputs", "markOutput");
    // Unmarking the only output is the same.
    log.clear();
    auto* relu = net->addActivation(*in, ActivationType::kSIGMOID);
    net->markOutput(*relu->getOutput(0));
    net->unmarkOutput(*relu->getOutput(0));
    EXPECT_EQ(net->getNbOutputs(), 0);
    EXPECT_EQ(builder->buildCudaEngine(*net), nullptr);
    EXPECT_LOGGED(log, "no outputs");
}

// ---- network definition misuse ----

TEST_F(BadInput, DuplicateInputNames) {
    ASSERT_NE(net->addInput("dup", DataType::kFLOAT, Dims3{1, 2, 2}), nullptr);
    EXPECT_EQ(net->addInput("dup", DataType::kFLOAT, Dims3{1, 2, 2}), nullptr);
    EXPECT_LOGGED(log, "dup", "already exists");
    EXPECT_EQ(net->getNbInputs(), 1);
    log.clear();
    EXPECT_EQ(net->addInput(nullptr, DataType::kFLOAT, Dims3{1, 2, 2}), nullptr);
    EXPECT_EQ(net->addInput("", DataType::kFLOAT, Dims3{1, 2, 2}), nullptr);
    EXPECT_LOGGED(log, "addInput", "name");

    // An output renamed to an input's name: refused at build time.
    log.clear();
    auto* in = net->getInput(0);
    auto* relu = net->addActivation(*in, ActivationType::kRELU);
    relu->getOutput(0)->setName("dup");
    net->markOutput(*relu->getOutput(0));
    EXPECT_EQ(builder->buildCudaEngine(*net), nullptr);
    EXPECT_LOGGED(log, "dup");
}

TEST_F(BadInput, TensorFromAnotherNetwork) {
    auto other = builder->createNetwork();
    auto* foreign = other->addInput("foreign", DataType::kFLOAT, Dims3{1, 4, 4});
    auto* mine = net->addInput("mine", DataType::kFLOAT, Dims3{1, 4, 4});
    ASSERT_TRUE(foreign && mine);
    EXPECT_EQ(net->addActivation(*foreign, ActivationType::kRELU), nullptr);
    EXPECT_LOGGED(log, "addActivation", "does not belong to this network");
    log.clear();
    EXPECT_EQ(net->addElementWise(*mine, *foreign, ElementWiseOperation::kSUM), nullptr);
    EXPECT_LOGGED(log, "addElementWise", "input 1", "does not belong");
    log.clear();
    ITensor* ins[] = {mine, foreign};
    EXPECT_EQ(net->addConcatenation(ins, 2), nullptr);
    EXPECT_LOGGED(log, "addConcatenation", "input 1", "does not belong");
    log.clear();
    net->markOutput(*foreign);
    EXPECT_LOGGED(log, "markOutput", "does not belong");
    EXPECT_EQ(net->getNbOutputs(), 0);
    log.clear();
    auto* relu = net->addActivation(*mine, ActivationType::kRELU);
    ASSERT_NE(relu, nullptr);
    relu->setInput(0, *foreign);
    EXPECT_LOGGED(log, "setInput", "does not belong");
    EXPECT_EQ(relu->getInput(0), mine);
    EXPECT_EQ(net->getNbLayers(), 1);
}

TEST_F(BadInput, ConcatenationWithNullOrNoInputs) {
    auto* a = net->addInput("a", DataType::kFLOAT, Dims3{1, 2, 2});
    EXPECT_EQ(net->addConcatenation(nullptr, 2), nullptr);
    EXPECT_LOGGED(log, "addConcatenation", "at least one input");
    log.clear();
    ITensor* ins[] = {a, nullptr};
    EXPECT_EQ(net->addConcatenation(ins, 0), nullptr);
    EXPECT_LOGGED(log, "addConcatenation", "at least one input");
    log.clear();
    EXPECT_EQ(net->addConcatenation(ins, -3), nullptr);
    EXPECT_LOGGED(log, "addConcatenation");
    log.clear();
    EXPECT_EQ(net->addConcatenation(ins, 2), nullptr);
    EXPECT_LOGGED(log, "addConcatenation", "input 1", "null tensor");
    EXPECT_EQ(net->getNbLayers(), 0);
}

TEST_F(BadInput, SoftmaxAxesWithTwoBits) {
    auto* in = net->addInput("in", DataType::kFLOAT, Dims3{3, 4, 5});
    auto* sm = net->addSoftMax(*in);
    ASSERT_NE(sm, nullptr);
    sm->setName("two_axis_softmax");
    const uint32_t before = sm->getAxes();
    EXPECT_EQ(before, 1u << 0);  // TensorRT's default: the channel axis
    sm->setAxes((1u << 1) | (1u << 2));
    EXPECT_LOGGED(log, "two_axis_softmax", "exactly one axis");
    EXPECT_EQ(sm->getAxes(), before);
    log.clear();
    sm->setAxes(0);
    EXPECT_LOGGED(log, "two_axis_softmax", "exactly one axis");
    EXPECT_EQ(sm->getAxes(), before);
}

TEST_F(BadInput, DimsWithInvalidRank) {
    Dims nine;
    nine.nbDims = 9;
    for (int i = 0; i < Dims::MAX_DIMS; ++i) nine.d[i] = 1;
    EXPECT_EQ(net->addInput("rank9", DataType::kFLOAT, nine), nullptr);
    EXPECT_LOGGED(log, "rank9", "rank 9");
    log.clear();
    Dims negative;
    negative.nbDims = -1;
    EXPECT_EQ(net->addInput("rankm1", DataType::kFLOAT, negative), nullptr);
    EXPECT_LOGGED(log, "rankm1", "rank -1");
    log.clear();
    // Implicit batch: 8 dims plus the hidden batch are too many.
    Dims eight;
    eight.nbDims = 8;
    for (int i = 0; i < 8; ++i) eight.d[i] = 1;
    EXPECT_EQ(net->addInput("rank8", DataType::kFLOAT, eight), nullptr);
    EXPECT_LOGGED(log, "rank8", "rank 8");
    log.clear();
    EXPECT_EQ(net->addConstant(nine, kNone), nullptr);
    EXPECT_LOGGED(log, "addConstant", "rank 9");
    log.clear();
    auto* in = net->addInput("ok", DataType::kFLOAT, Dims3{1, 2, 2});
    ASSERT_NE(in, nullptr);
    in->setDimensions(nine);
    EXPECT_LOGGED(log, "setDimensions", "ok");
    const Dims still = in->getDimensions();
    EXPECT_EQ(still.nbDims, 3);
    log.clear();
    EXPECT_EQ(net->addPaddingNd(*in, nine, nine), nullptr);
    EXPECT_LOGGED(log, "addPaddingNd");
    log.clear();
    EXPECT_EQ(net->addSlice(*in, negative, negative, negative), nullptr);
    EXPECT_LOGGED(log, "addSlice");
    log.clear();
    EXPECT_EQ(net->addConvolutionNd(*in, 2, nine, kNone, kNone), nullptr);
    EXPECT_LOGGED(log, "addConvolution", "kernel");
}

TEST_F(BadInput, InputWithNegativeDimension) {
    EXPECT_EQ(net->addInput("neg", DataType::kFLOAT, Dims3{1, -5, 4}), nullptr);
    EXPECT_LOGGED(log, "neg", "-5");
    EXPECT_EQ(net->getNbInputs(), 0);
}

TEST_F(BadInput, LayerReadingATensorThatIsNeverProduced) {
    // setInput closes a cycle: relu_a reads relu_b's output, which needs relu_a's.
    auto* in = net->addInput("in", DataType::kFLOAT, Dims3{1, 4, 4});
    auto* a = net->addActivation(*in, ActivationType::kRELU);
    a->setName("relu_a");
    auto* b = net->addActivation(*a->getOutput(0), ActivationType::kSIGMOID);
    b->setName("relu_b");
    a->setInput(0, *b->getOutput(0));
    net->markOutput(*b->getOutput(0));
    EXPECT_EQ(builder->buildCudaEngine(*net), nullptr);
    EXPECT_TRUE(log.mentions({"cycle", "relu_"}) || log.mentions({"never produced"})) << log.all();
}

// ---- builder settings ----

TEST_F(BadInput, ZeroWorkspaceStillBuildsWhenNoTacticNeedsWorkspace) {
    auto* in = net->addInput("in", DataType::kFLOAT, Dims3{2, 6, 6});
    const auto k = ramp(3 * 2 * 9), bias = ramp(3);
    auto* conv = net->addConvolution(*in, 3, DimsHW{3, 3}, W(k), W(bias));
    auto* relu = net->addActivation(*conv->getOutput(0), ActivationType::kRELU);
    auto* pool = net->addPooling(*relu->getOutput(0), PoolingType::kAVERAGE, DimsHW{2, 2});
    pool->setStride(DimsHW{2, 2});
    net->markOutput(*pool->getOutput(0));
    builder->setMaxBatchSize(2);
    builder->setMaxWorkspaceSize(0);
    auto engine = builder->buildCudaEngine(*net);
    ASSERT_NE(engine, nullptr) << log.all();
    auto config = builder->createBuilderConfig();
    config->setMemoryPoolLimit(MemoryPoolType::kWORKSPACE, 0);
    EXPECT_EQ(config->getMemoryPoolLimit(MemoryPoolType::kWORKSPACE), 0u);
    auto engine2 = builder->buildEngineWithConfig(*net, *config);
    ASSERT_NE(engine2, nullptr) << log.all();
    // Activations live in the arena: there is device memory to report.
    EXPECT_GT(engine->getDeviceMemorySize(), 0u);
    EXPECT_GE(engine->getDeviceMemorySize(), size_t(3 * 4 * 4 * 2 * sizeof(float)));  // conv output, max batch
    EXPECT_EQ(engine->getDeviceMemorySize(), engine2->getDeviceMemorySize());
    // And it runs.
    auto ctx = engine->createExecutionContext();
    std::vector<float> x(2 * 72, 0.5f), y(2 * 12, -1.f);
    void* buffers[2] = {x.data(), y.data()};
    EXPECT_TRUE(ctx->enqueue(2, buffers, nullptr, nullptr)) << log.all();
    EXPECT_TRUE(log.errors.empty()) << log.all();
}

TEST_F(BadInput, MaxBatchSizeZero) {
    auto* in = net->addInput("in", DataType::kFLOAT, Dims3{1, 2, 2});
    net->markOutput(*net->addActivation(*in, ActivationType::kRELU)->getOutput(0));
    builder->setMaxBatchSize(0);
    EXPECT_EQ(builder->buildCudaEngine(*net), nullptr);
    EXPECT_LOGGED(log, "max batch size", "0");
}

// ---- engine and context misuse ----

class BadRun : public ::testing::Test {
protected:
    void SetUp() override {
        auto builder = createInferBuilder(log);
        auto net = builder->createNetwork();
        auto* in = net->addInput("in", DataType::kFLOAT, Dims3{2, 4, 4});
        const auto k = ramp(2 * 2 * 9), bias = ramp(2);
        auto* conv = net->addConvolution(*in, 2, DimsHW{3, 3}, W(k), W(bias));
        conv->setPadding(DimsHW{1, 1});
        auto* relu = net->addActivation(*conv->getOutput(0), ActivationType::kRELU);
        relu->getOutput(0)->setName("out");
        net->markOutput(*relu->getOutput(0));
        builder->setMaxBatchSize(kMax);
        engine = builder->buildCudaEngine(*net);
        ASSERT_NE(engine, nullptr) << log.all();
        ctx = engine->createExecutionContext();
        ASSERT_NE(ctx, nullptr);
        x.assign(size_t(kMax + 1) * 32, 0.25f);
        y.assign(size_t(kMax + 1) * 32, -1.f);
        buffers[0] = x.data();
        buffers[1] = y.data();
        ASSERT_TRUE(log.errors.empty()) << log.all();
    }
    static constexpr int kMax = 3;
    Logger log;
    std::unique_ptr<IEngine> engine;
    std::unique_ptr<IExecutionContext> ctx;
    std::vector<float> x, y;
    void* buffers[2] = {};
};

TEST_F(BadRun, DeviceMemorySizeIsReported) {
    EXPECT_GT(engine->getDeviceMemorySize(), 0u);  // the conv output lives in the arena
    EXPECT_GE(engine->getDeviceMemorySize(), size_t(kMax) * 32 * sizeof(float));
}

TEST_F(BadRun, UnknownBindingName) {
    EXPECT_EQ(engine->getBindingIndex("nope"), -1);
    EXPECT_LOGGED(log, "getBindingIndex", "nope");
    log.clear();
    EXPECT_EQ(engine->getBindingIndex(nullptr), -1);
    EXPECT_LOGGED(log, "getBindingIndex", "null");
    EXPECT_EQ(engine->getBindingIndex("in"), 0);
    EXPECT_EQ(engine->getBindingIndex("out"), 1);
    log.clear();
    EXPECT_EQ(engine->getBindingName(2), nullptr);
    EXPECT_LOGGED(log, "getBindingName", "2");
    log.clear();
    EXPECT_EQ(engine->getBindingDimensions(-1).nbDims, -1);
    EXPECT_LOGGED(log, "getBindingDimensions", "-1");
    EXPECT_EQ(engine->getTensorIOMode("nope"), TensorIOMode::kNONE);
    log.clear();
    EXPECT_EQ(engine->getTensorShape("nope").nbDims, -1);
    EXPECT_LOGGED(log, "getTensorShape", "nope");
}

TEST_F(BadRun, SetTensorAddressWithUnknownNameOrNullPointer) {
    EXPECT_FALSE(ctx->setTensorAddress("nope", x.data()));
    EXPECT_LOGGED(log, "setTensorAddress", "nope");
    log.clear();
    EXPECT_FALSE(ctx->setTensorAddress(nullptr, x.data()));
    EXPECT_LOGGED(log, "setTensorAddress", "null");
    log.clear();
    EXPECT_FALSE(ctx->setTensorAddress("in", nullptr));
    EXPECT_LOGGED(log, "setTensorAddress", "null", "in");
    EXPECT_EQ(ctx->getTensorAddress("in"), nullptr);
    // Running with an address missing names the tensor.
    log.clear();
    ASSERT_TRUE(ctx->setTensorAddress("in", x.data()));
    EXPECT_FALSE(ctx->enqueueV3(nullptr));
    EXPECT_LOGGED(log, "out");
    log.clear();
    EXPECT_FALSE(ctx->setInputShape("nope", Dims4{1, 2, 4, 4}));
    EXPECT_LOGGED(log, "setInputShape", "nope");
    log.clear();
    EXPECT_FALSE(ctx->setInputShape("out", Dims4{1, 2, 4, 4}));
    EXPECT_LOGGED(log, "setInputShape", "out");
    log.clear();
    EXPECT_FALSE(ctx->setInputShape("in", Dims4{kMax + 1, 2, 4, 4}));
    EXPECT_LOGGED(log, "setInputShape", "in");
}

TEST_F(BadRun, BatchOverTheMaximumAndBatchZero) {
    EXPECT_FALSE(ctx->enqueue(kMax + 1, buffers, nullptr, nullptr));
    EXPECT_LOGGED(log, "batch size 4", "maximum");
    log.clear();
    EXPECT_FALSE(ctx->enqueue(0, buffers, nullptr, nullptr));
    EXPECT_LOGGED(log, "batch size 0");
    log.clear();
    EXPECT_FALSE(ctx->execute(-2, buffers));
    EXPECT_LOGGED(log, "batch size -2");
    // Nothing was written, and the context still works afterwards.
    EXPECT_EQ(y[0], -1.f);
    log.clear();
    EXPECT_TRUE(ctx->enqueue(kMax, buffers, nullptr, nullptr)) << log.all();
    EXPECT_NE(y[0], -1.f);
}

TEST_F(BadRun, NullBindings) {
    EXPECT_FALSE(ctx->enqueue(1, nullptr, nullptr, nullptr));
    EXPECT_LOGGED(log, "null bindings");
    log.clear();
    EXPECT_FALSE(ctx->executeV2(nullptr));
    EXPECT_LOGGED(log, "null bindings");
    log.clear();
    void* holes[2] = {x.data(), nullptr};
    EXPECT_FALSE(ctx->enqueue(1, holes, nullptr, nullptr));
    EXPECT_LOGGED(log, "out");
    log.clear();
    void* holes2[2] = {nullptr, y.data()};
    EXPECT_FALSE(ctx->enqueue(1, holes2, nullptr, nullptr));
    EXPECT_LOGGED(log, "input", "in");
}

TEST_F(BadRun, ProfileIndexOutOfRange) {
    EXPECT_FALSE(ctx->setOptimizationProfile(1));
    EXPECT_LOGGED(log, "setOptimizationProfile", "1");
    log.clear();
    EXPECT_FALSE(ctx->setOptimizationProfile(-1));
    EXPECT_LOGGED(log, "setOptimizationProfile", "-1");
}

TEST(BadDeserialize, Garbage) {
    Logger log;
    auto runtime = createInferRuntime(log);
    std::vector<uint8_t> garbage(1000);
    for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = uint8_t(i * 131 + 7);
    EXPECT_EQ(runtime->deserializeCudaEngine(garbage.data(), garbage.size(), nullptr), nullptr);
    EXPECT_LOGGED(log, "deserializeCudaEngine", "not a kiln engine");
    log.clear();
    EXPECT_EQ(runtime->deserializeCudaEngine(garbage.data(), 17, nullptr), nullptr);
    EXPECT_LOGGED(log, "truncated");
    log.clear();
    EXPECT_EQ(runtime->deserializeCudaEngine(nullptr, 0, nullptr), nullptr);
    EXPECT_LOGGED(log, "null or empty");
    // Right magic, garbage after it.
    log.clear();
    std::memcpy(garbage.data(), "KILNENG1", 8);
    EXPECT_EQ(runtime->deserializeEngine(garbage.data(), garbage.size()), nullptr);
    EXPECT_FALSE(log.errors.empty());
}

}  // namespace
