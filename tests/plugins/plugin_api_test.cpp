// The plugin API end to end: PluginBase plugins and hand-written TensorRT-style plugins in
// networks, the registry, fields and serialization, errors that name the plugin.
#include <atomic>
#include <cmath>
#include <thread>

#include "plugin_test_util.h"

using namespace kiln;
using plugintest::Fields;
using plugintest::Logger;
using plugintest::Tensor;

namespace {

// y = scale * x + bias, with every field type the helper serializes.
class AffinePlugin : public PluginBase<AffinePlugin> {
public:
    static constexpr const char* kNAME = "TestAffine";
    static constexpr const char* kVERSION = "2";
    float scale = 1.f;
    double bias = 0.0;
    int32_t repeat = 1;  // output 0 is the input tiled `repeat` times along axis 1
    int64_t big = 0;
    bool negate = false;
    std::string label;
    std::vector<float> extra;
    std::vector<int32_t> ids;
    static auto fields() {
        using P = AffinePlugin;
        return std::make_tuple(field("scale", &P::scale), field("bias", &P::bias), field("repeat", &P::repeat),
                               field("big", &P::big), field("negate", &P::negate), field("label", &P::label),
                               field("extra", &P::extra), field("ids", &P::ids));
    }
    bool validate(std::string& why) const {
        if (repeat < 1) why = "repeat must be positive";
        return why.empty();
    }
    ExtentDims outputDims(int32_t, const ExtentDims* in, int32_t nbInputs) const {
        if (nbInputs != 1 || in[0].nbDims < 2) {
            reportError("wants one input of rank 2 or more");
            return ExtentDims::rejected();
        }
        ExtentDims out = in[0];
        out.d[1] = in[0].d[1] * repeat;
        return out;
    }
    void configurePlugin(const DynamicPluginTensorDesc*, int32_t, const DynamicPluginTensorDesc*,
                         int32_t) noexcept override {
        ++configureCalls;
    }
    int32_t enqueueCpu(const PluginTensorDesc* in, const PluginTensorDesc* out, const void* const* inputs,
                       void* const* outputs, void*) noexcept {
        const auto* x = static_cast<const float*>(inputs[0]);
        auto* y = static_cast<float*>(outputs[0]);
        const int64_t outer = in[0].dims.d[0], inner = volume(in[0].dims) / outer;
        for (int64_t o = 0; o < outer; ++o)
            for (int32_t r = 0; r < repeat; ++r)
                for (int64_t i = 0; i < inner; ++i) {
                    const float v = float(scale * x[o * inner + i] + bias);
                    y[(o * repeat + r) * inner + i] = negate ? -v : v;
                }
        lastOutVolume = volume(out[0].dims);
        return 0;
    }
    static inline std::atomic<int> configureCalls{0};
    static inline std::atomic<int64_t> lastOutVolume{0};
};
KILN_REGISTER_PLUGIN(PluginCreatorFor<AffinePlugin>);

std::vector<float> iota(size_t n, float start = 0.f) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = start + float(i);
    return v;
}

TEST(PluginApi, RegistrationMacroRegistersTheCreator) {
    IPluginCreator* c = getPluginRegistry()->getPluginCreator("TestAffine", "2", "");
    ASSERT_NE(c, nullptr);
    EXPECT_STREQ(c->getPluginName(), "TestAffine");
    EXPECT_EQ(getPluginRegistry()->getPluginCreator("TestAffine", "1", ""), nullptr);    // other version
    EXPECT_EQ(getPluginRegistry()->getPluginCreator("TestAffine", "2", "ns"), nullptr);  // other namespace
    const PluginFieldCollection* fc = c->getFieldNames();
    ASSERT_EQ(fc->nbFields, 8);
    EXPECT_STREQ(fc->fields[0].name, "scale");
    EXPECT_EQ(fc->fields[0].type, PluginFieldType::kFLOAT32);
    EXPECT_EQ(fc->fields[1].type, PluginFieldType::kFLOAT64);
    EXPECT_EQ(fc->fields[3].type, PluginFieldType::kINT64);
    EXPECT_EQ(fc->fields[4].type, PluginFieldType::kINT32);  // bool
    EXPECT_EQ(fc->fields[5].type, PluginFieldType::kCHAR);
    EXPECT_EQ(fc->fields[7].type, PluginFieldType::kINT32);
    int32_t n = 0;
    IPluginCreator* const* list = getPluginRegistry()->getPluginCreatorList(&n);
    bool listed = false;
    for (int32_t i = 0; i < n; ++i) listed = listed || list[i] == c;
    EXPECT_TRUE(listed);
}

TEST(PluginApi, RegistryRefusesDuplicatesAndDeregisters) {
    PluginCreatorFor<AffinePlugin> second;
    EXPECT_FALSE(getPluginRegistry()->registerCreator(second, ""));  // same name, version, namespace
    EXPECT_TRUE(getPluginRegistry()->registerCreator(second, "other"));
    EXPECT_STREQ(second.getPluginNamespace(), "other");
    EXPECT_EQ(getPluginRegistry()->getPluginCreator("TestAffine", "2", "other"), &second);
    EXPECT_TRUE(getPluginRegistry()->deregisterCreator(second));
    EXPECT_FALSE(getPluginRegistry()->deregisterCreator(second));
    EXPECT_EQ(getPluginRegistry()->getPluginCreator("TestAffine", "2", "other"), nullptr);
}

TEST(PluginApi, FieldsConvertExactlyAndSerializeRoundTrip) {
    IPluginCreator* c = getPluginRegistry()->getPluginCreator("TestAffine", "2", "");
    ASSERT_NE(c, nullptr);
    Fields f;
    const double bias = 0.25;
    const char label[] = "hello";
    const int64_t big = int64_t(1) << 40;
    f.i("scale", 3)  // an int where a float is wanted converts
        .add("bias", PluginFieldType::kFLOAT64, &bias, 8, 1)
        .add("big", PluginFieldType::kINT64, &big, 8, 1)
        .i("negate", 1)
        .add("label", PluginFieldType::kCHAR, label, 1, 5)
        .fs("extra", {1.5f, -2.f})
        .fs("ids", {4.f, 5.f})  // whole floats convert to int32
        .i("unknownField", 7);  // ignored
    std::unique_ptr<IPluginV2> p(c->createPlugin("layer", f.collection()));
    ASSERT_NE(p, nullptr);
    auto& a = static_cast<AffinePlugin&>(*p);
    EXPECT_EQ(a.scale, 3.f);
    EXPECT_EQ(a.bias, 0.25);
    EXPECT_EQ(a.big, big);
    EXPECT_TRUE(a.negate);
    EXPECT_EQ(a.label, "hello");
    EXPECT_EQ(a.extra, (std::vector<float>{1.5f, -2.f}));
    EXPECT_EQ(a.ids, (std::vector<int32_t>{4, 5}));

    std::vector<uint8_t> bytes(p->getSerializationSize());
    p->serialize(bytes.data());
    std::unique_ptr<IPluginV2> q(c->deserializePlugin("layer", bytes.data(), bytes.size()));
    ASSERT_NE(q, nullptr);
    auto& b = static_cast<AffinePlugin&>(*q);
    EXPECT_EQ(b.scale, a.scale);
    EXPECT_EQ(b.bias, a.bias);
    EXPECT_EQ(b.big, a.big);
    EXPECT_EQ(b.negate, a.negate);
    EXPECT_EQ(b.label, a.label);
    EXPECT_EQ(b.extra, a.extra);
    EXPECT_EQ(b.ids, a.ids);
    // Truncated or padded bytes are refused, never read past.
    for (size_t cut : {size_t(0), size_t(3), bytes.size() - 1})
        EXPECT_EQ(std::unique_ptr<IPluginV2>(c->deserializePlugin("layer", bytes.data(), cut)), nullptr) << cut;
    bytes.push_back(0);
    EXPECT_EQ(std::unique_ptr<IPluginV2>(c->deserializePlugin("layer", bytes.data(), bytes.size())), nullptr);
}

TEST(PluginApi, BadFieldsAreRejectedWithAMessage) {
    IPluginCreator* c = getPluginRegistry()->getPluginCreator("TestAffine", "2", "");
    ASSERT_NE(c, nullptr);
    Logger log;
    ILogger* previous = getPluginRegistry()->getLogger();
    getPluginRegistry()->setLogger(&log);
    Fields half;
    half.f("repeat", 1.5f);  // not a whole number
    EXPECT_EQ(std::unique_ptr<IPluginV2>(c->createPlugin("l1", half.collection())), nullptr);
    Fields invalid;
    invalid.i("repeat", 0);  // fails validate()
    EXPECT_EQ(std::unique_ptr<IPluginV2>(c->createPlugin("l2", invalid.collection())), nullptr);
    Fields text;
    text.fs("label", {1.f});  // numbers where characters are wanted
    EXPECT_EQ(std::unique_ptr<IPluginV2>(c->createPlugin("l3", text.collection())), nullptr);
    getPluginRegistry()->setLogger(previous);
    EXPECT_NE(log.errors.find("TestAffine plugin 'l1': field 'repeat'"), std::string::npos) << log.errors;
    EXPECT_NE(log.errors.find("repeat must be positive"), std::string::npos) << log.errors;
    EXPECT_NE(log.errors.find("field 'label' must be characters"), std::string::npos) << log.errors;
}

// Builds x -> plugin -> y (explicit batch) and runs it on `input`.
TEST(PluginApi, RunsInANetworkAndSurvivesSerialization) {
    AffinePlugin plugin;
    plugin.scale = 2.f;
    plugin.bias = 1.0;
    plugin.repeat = 2;
    Logger log;
    auto builder = createInferBuilder(log);
    auto net = builder->createNetworkV2(0);
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims2(2, 3));
    ITensor* ins[] = {x};
    IPluginV2Layer* layer = net->addPluginV2(ins, 1, plugin);
    ASSERT_NE(layer, nullptr) << log.errors;
    EXPECT_EQ(layer->getType(), LayerType::kPLUGIN_V2);
    EXPECT_STREQ(layer->getPlugin().getPluginType(), "TestAffine");
    const Dims d = layer->getOutput(0)->getDimensions();
    ASSERT_EQ(d.nbDims, 2);
    EXPECT_EQ(d.d[0], 2);
    EXPECT_EQ(d.d[1], 6);
    layer->getOutput(0)->setName("y");
    net->markOutput(*layer->getOutput(0));
    auto config = builder->createBuilderConfig();
    config->setBackend(BackendKind::kCPU);
    auto engine = builder->buildEngineWithConfig(*net, *config);
    ASSERT_NE(engine, nullptr) << log.errors;

    const std::vector<float> in = iota(6, -2.f);
    std::vector<float> want;
    for (int r = 0; r < 2; ++r)
        for (int i = 0; i < 3; ++i) want.push_back(2.f * in[size_t(r * 3 + i)] + 1.f);
    want.insert(want.begin() + 3, want.begin(), want.begin() + 3);  // row 0 twice, then row 1 twice
    want.insert(want.end(), want.end() - 3, want.end());
    auto runOn = [&](IEngine& e) {
        auto ctx = e.createExecutionContext();
        std::vector<float> xin = in, y(12, -99.f);
        ctx->setTensorAddress("x", xin.data());
        ctx->setTensorAddress("y", y.data());
        EXPECT_TRUE(ctx->execute()) << log.errors;
        return y;
    };
    EXPECT_EQ(runOn(*engine), want);

    auto blob = engine->serialize();
    ASSERT_NE(blob, nullptr);
    auto runtime = createInferRuntime(log);
    auto loaded = runtime->deserializeCudaEngine(blob->data(), blob->size());
    ASSERT_NE(loaded, nullptr) << log.errors;
    EXPECT_EQ(runOn(*loaded), want);
}

TEST(PluginApi, ChangesThroughGetPluginReachTheEngine) {
    AffinePlugin plugin;
    Logger log;
    auto builder = createInferBuilder(log);
    auto net = builder->createNetworkV2(0);
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims2(1, 4));
    IPluginV2Layer* layer = net->addPluginV2(&x, 1, plugin);
    ASSERT_NE(layer, nullptr);
    plugin.scale = 100.f;  // the network holds its own copy: no effect
    static_cast<AffinePlugin&>(layer->getPlugin()).bias = 10.0;
    static_cast<AffinePlugin&>(layer->getPlugin()).repeat = 3;
    layer->getOutput(0)->setName("y");
    net->markOutput(*layer->getOutput(0));
    EXPECT_EQ(layer->getOutput(0)->getDimensions().d[1], 12);
    auto config = builder->createBuilderConfig();
    auto engine = builder->buildEngineWithConfig(*net, *config);
    ASSERT_NE(engine, nullptr) << log.errors;
    auto ctx = engine->createExecutionContext();
    std::vector<float> xin = iota(4), y(12);
    ctx->setTensorAddress("x", xin.data());
    ctx->setTensorAddress("y", y.data());
    ASSERT_TRUE(ctx->execute()) << log.errors;
    EXPECT_EQ(y[0], 10.f);
    EXPECT_EQ(y[11], 13.f);
}

TEST(PluginApi, DynamicShapesReconfigureThePlugin) {
    AffinePlugin plugin;
    plugin.repeat = 1;
    Logger log;
    auto builder = createInferBuilder(log);
    auto net = builder->createNetworkV2(0);
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims2(-1, 2));
    IPluginV2Layer* layer = net->addPluginV2(&x, 1, plugin);
    ASSERT_NE(layer, nullptr);
    EXPECT_EQ(layer->getOutput(0)->getDimensions().d[0], -1);  // unknown until built
    layer->getOutput(0)->setName("y");
    net->markOutput(*layer->getOutput(0));
    auto config = builder->createBuilderConfig();
    IOptimizationProfile* prof = builder->createOptimizationProfile();
    prof->setDimensions("x", OptProfileSelector::kMIN, Dims2(1, 2));
    prof->setDimensions("x", OptProfileSelector::kOPT, Dims2(2, 2));
    prof->setDimensions("x", OptProfileSelector::kMAX, Dims2(4, 2));
    config->addOptimizationProfile(prof);
    auto engine = builder->buildEngineWithConfig(*net, *config);
    ASSERT_NE(engine, nullptr) << log.errors;
    auto ctx = engine->createExecutionContext();
    const int before = AffinePlugin::configureCalls.load();
    for (int rows : {3, 1, 1, 4}) {
        std::vector<float> xin = iota(size_t(rows) * 2), y(size_t(rows) * 2, -1.f);
        ASSERT_TRUE(ctx->setInputShape("x", Dims2(rows, 2)));
        EXPECT_EQ(ctx->getTensorShape("y").d[0], rows);
        ctx->setTensorAddress("x", xin.data());
        ctx->setTensorAddress("y", y.data());
        ASSERT_TRUE(ctx->execute()) << log.errors;
        EXPECT_EQ(y, xin);
        EXPECT_EQ(AffinePlugin::lastOutVolume.load(), rows * 2);
    }
    EXPECT_EQ(AffinePlugin::configureCalls.load() - before, 3);  // 3, 1, (1 again: no), 4
}

TEST(PluginApi, ContextsRunTheSamePluginConcurrently) {
    AffinePlugin plugin;
    plugin.scale = -1.f;
    Logger log;
    auto builder = createInferBuilder(log);
    auto net = builder->createNetworkV2(0);
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims2(64, 64));
    IPluginV2Layer* layer = net->addPluginV2(&x, 1, plugin);
    ASSERT_NE(layer, nullptr);
    layer->getOutput(0)->setName("y");
    net->markOutput(*layer->getOutput(0));
    auto config = builder->createBuilderConfig();
    auto engine = builder->buildEngineWithConfig(*net, *config);
    ASSERT_NE(engine, nullptr) << log.errors;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            auto ctx = engine->createExecutionContext();
            for (int it = 0; it < 20; ++it) {
                std::vector<float> xin = iota(64 * 64, float(t * 100 + it)), y(64 * 64);
                ctx->setTensorAddress("x", xin.data());
                ctx->setTensorAddress("y", y.data());
                if (!ctx->execute()) ++failures;
                for (size_t i = 0; i < y.size(); ++i)
                    if (y[i] != -xin[i]) {
                        ++failures;
                        break;
                    }
            }
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
}

TEST(PluginApi, RejectedShapesNameThePluginAndTheReason) {
    AffinePlugin plugin;
    Logger log;
    auto builder = createInferBuilder(log);
    auto net = builder->createNetworkV2(0);
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims{});  // rank 0: rejected
    IPluginV2Layer* layer = net->addPluginV2(&x, 1, plugin);
    ASSERT_NE(layer, nullptr);
    layer->setName("affine");
    net->markOutput(*layer->getOutput(0));
    auto config = builder->createBuilderConfig();
    EXPECT_EQ(builder->buildEngineWithConfig(*net, *config), nullptr);
    EXPECT_NE(log.errors.find("affine"), std::string::npos) << log.errors;
    EXPECT_NE(log.errors.find("'TestAffine' version '2'"), std::string::npos) << log.errors;
    EXPECT_NE(log.errors.find("wants one input of rank 2 or more"), std::string::npos) << log.errors;
}

TEST(PluginApi, WrongTypesAreRejectedByTheFormatCheck) {
    AffinePlugin plugin;  // float32 only
    Logger log;
    auto builder = createInferBuilder(log);
    auto net = builder->createNetworkV2(0);
    ITensor* x = net->addInput("x", DataType::kINT32, Dims2(2, 2));
    IPluginV2Layer* layer = net->addPluginV2(&x, 1, plugin);
    ASSERT_NE(layer, nullptr);
    net->markOutput(*layer->getOutput(0));
    auto config = builder->createBuilderConfig();
    EXPECT_EQ(builder->buildEngineWithConfig(*net, *config), nullptr);
    EXPECT_NE(log.errors.find("does not take int32 for input 0"), std::string::npos) << log.errors;
}

// A plugin written against the classic interface, as a TensorRT program has it: static
// shapes, implicit batch, every method by hand.
class DoubleItPlugin : public IPluginV2Ext {
public:
    explicit DoubleItPlugin(bool cpu = true) : cpu_(cpu) {}
    const char* getPluginType() const noexcept override { return "DoubleIt"; }
    const char* getPluginVersion() const noexcept override { return "1"; }
    void setPluginNamespace(const char* ns) noexcept override { ns_ = ns; }
    const char* getPluginNamespace() const noexcept override { return ns_.c_str(); }
    int32_t getNbOutputs() const noexcept override { return 1; }
    Dims getOutputDimensions(int32_t, const Dims* inputs, int32_t) noexcept override {
        seenRank = inputs[0].nbDims;
        return inputs[0];
    }
    bool supportsFormat(DataType type, PluginFormat format) const noexcept override {
        return type == DataType::kFLOAT && format == PluginFormat::kLINEAR;
    }
    void configurePlugin(const Dims* in, int32_t, const Dims*, int32_t, const DataType*, const DataType*, const bool*,
                         const bool*, PluginFormat, int32_t maxBatchSize) noexcept override {
        maxBatch = maxBatchSize;
        itemVolume = volume(in[0]);
    }
    DataType getOutputDataType(int32_t, const DataType* types, int32_t) const noexcept override { return types[0]; }
    int32_t initialize() noexcept override { return 0; }
    void terminate() noexcept override {}
    size_t getWorkspaceSize(int32_t) const noexcept override { return 0; }
    int32_t enqueue(int32_t batchSize, const void* const* inputs, void* const* outputs, void*,
                    cudaStream_t stream) noexcept override {
        if (stream != nullptr) return 1;
        lastBatch = batchSize;
        const auto* x = static_cast<const float*>(inputs[0]);
        auto* y = static_cast<float*>(outputs[0]);
        for (int64_t i = 0; i < batchSize * itemVolume; ++i) y[i] = 2 * x[i];
        return 0;
    }
    size_t getSerializationSize() const noexcept override { return 0; }
    void serialize(void*) const noexcept override {}
    IPluginV2Ext* clone() const noexcept override { return new DoubleItPlugin(*this); }
    bool supportsBackend(BackendKind b) const noexcept override { return b == BackendKind::kCUDA || cpu_; }

    static inline std::atomic<int> seenRank{0}, maxBatch{0}, lastBatch{0};

private:
    bool cpu_;
    std::string ns_;
    int64_t itemVolume = 0;
};

TEST(PluginApi, StaticPluginInAnImplicitBatchNetworkSeesItemDimsAndTheBatch) {
    DoubleItPlugin plugin;
    Logger log;
    auto builder = createInferBuilder(log);
    auto net = builder->createNetwork();  // implicit batch
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims3(2, 3, 4));
    IPluginV2Layer* layer = net->addPluginV2(&x, 1, plugin);
    ASSERT_NE(layer, nullptr) << log.errors;
    const Dims d = layer->getOutput(0)->getDimensions();
    EXPECT_EQ(d.nbDims, 3);
    layer->getOutput(0)->setName("y");
    net->markOutput(*layer->getOutput(0));
    builder->setMaxBatchSize(5);
    auto engine = builder->buildCudaEngine(*net);
    ASSERT_NE(engine, nullptr) << log.errors;
    EXPECT_EQ(DoubleItPlugin::seenRank.load(), 3);
    EXPECT_EQ(DoubleItPlugin::maxBatch.load(), 5);
    auto ctx = engine->createExecutionContext();
    std::vector<float> xin = iota(3 * 24), y(3 * 24);
    void* bindings[] = {xin.data(), y.data()};
    ASSERT_TRUE(ctx->execute(3, bindings)) << log.errors;
    EXPECT_EQ(DoubleItPlugin::lastBatch.load(), 3);
    for (size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], 2 * xin[i]) << i;
}

TEST(PluginApi, APortedCudaOnlyPluginIsRefusedOnTheCpu) {
    DoubleItPlugin plugin(/*cpu=*/false);
    Logger log;
    auto builder = createInferBuilder(log);
    auto net = builder->createNetworkV2(0);
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims2(2, 2));
    IPluginV2Layer* layer = net->addPluginV2(&x, 1, plugin);
    ASSERT_NE(layer, nullptr);
    net->markOutput(*layer->getOutput(0));
    auto config = builder->createBuilderConfig();
    config->setBackend(BackendKind::kCPU);
    EXPECT_EQ(builder->buildEngineWithConfig(*net, *config), nullptr);
    EXPECT_NE(log.errors.find("'DoubleIt' version '1'"), std::string::npos) << log.errors;
    EXPECT_NE(log.errors.find("does not run on the CPU backend"), std::string::npos) << log.errors;
}

TEST(PluginApi, AddPluginV2ChecksItsArguments) {
    AffinePlugin plugin;
    Logger log;
    auto builder = createInferBuilder(log);
    auto net = builder->createNetworkV2(0);
    auto other = builder->createNetworkV2(0);
    ITensor* foreign = other->addInput("f", DataType::kFLOAT, Dims2(1, 1));
    EXPECT_EQ(net->addPluginV2(nullptr, 1, plugin), nullptr);
    EXPECT_EQ(net->addPluginV2(&foreign, 1, plugin), nullptr);
    EXPECT_EQ(net->addPluginV2(&foreign, -1, plugin), nullptr);
    EXPECT_NE(log.errors.find("addPluginV2"), std::string::npos) << log.errors;
}

}  // namespace
