// The ONNX parser's plugin fallback: a node whose op kiln does not map runs as the
// registered plugin of that name, with the node's attributes as plugin fields.
#include "onnx_test_util.h"

using namespace kiln;
using namespace onnx_test;

namespace {

// y[i] = sign * (alpha * x[i] + shift + weights[i % 2] + table[i % |table|]) + offsets[0] + big / 2^30
// (sign -1 when mode is "neg"); a second output holds x unchanged.
class OnnxTestPlugin : public PluginBase<OnnxTestPlugin> {
public:
    static constexpr const char* kNAME = "OnnxTestPlugin";
    static constexpr const char* kVERSION = "1";
    float alpha = 1.f;
    int32_t shift = 0;
    int64_t big = 0;
    std::vector<int64_t> offsets = {0};
    std::vector<float> weights = {0.f, 0.f};
    std::string mode = "pos";
    std::vector<float> table = {0.f};
    static auto fields() {
        using P = OnnxTestPlugin;
        return std::make_tuple(field("alpha", &P::alpha), field("shift", &P::shift), field("big", &P::big),
                               field("offsets", &P::offsets), field("weights", &P::weights), field("mode", &P::mode),
                               field("table", &P::table));
    }
    bool validate(std::string& why) const {
        if (mode != "pos" && mode != "neg")
            why = "mode must be pos or neg, got '" + mode + "'";
        else if (weights.size() != 2 || table.empty() || offsets.empty())
            why = "needs 2 weights, a table and offsets";
        return why.empty();
    }
    int32_t getNbOutputs() const noexcept override { return 2; }
    int32_t enqueueCpu(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                       void* const* outputs, void*) noexcept {
        const auto* x = static_cast<const float*>(inputs[0]);
        auto* y = static_cast<float*>(outputs[0]);
        const float sign = mode == "neg" ? -1.f : 1.f;
        for (int64_t i = 0; i < volume(in[0].dims); ++i) {
            y[i] = sign * (alpha * x[i] + float(shift) + weights[size_t(i % 2)] + table[size_t(i) % table.size()]) +
                   float(offsets[0]) + float(big >> 30);
            static_cast<float*>(outputs[1])[i] = x[i];
        }
        return 0;
    }
};
KILN_REGISTER_PLUGIN(PluginCreatorFor<OnnxTestPlugin>);

// Version 2 of a plugin with the same name: y = x + 100.
class OnnxTestPluginV2 : public PluginBase<OnnxTestPluginV2> {
public:
    static constexpr const char* kNAME = "OnnxTestPlugin";
    static constexpr const char* kVERSION = "2";
    int32_t getNbOutputs() const noexcept override { return 2; }
    int32_t enqueueCpu(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                       void* const* outputs, void*) noexcept {
        for (int64_t i = 0; i < volume(in[0].dims); ++i) {
            static_cast<float*>(outputs[0])[i] = static_cast<const float*>(inputs[0])[i] + 100.f;
            static_cast<float*>(outputs[1])[i] = 0.f;
        }
        return 0;
    }
};
KILN_REGISTER_PLUGIN(PluginCreatorFor<OnnxTestPluginV2>);

Attr attrS(const std::string& name, const std::string& v) {
    Attr a;
    putBytes(a.bytes, 1, name);
    putBytes(a.bytes, 4, v);
    putInt(a.bytes, 20, 3);
    return a;
}
Attr attrFs(const std::string& name, const std::vector<float>& v) {
    Attr a;
    putBytes(a.bytes, 1, name);
    for (float f : v) {
        putVarint(a.bytes, 7 << 3 | 5);
        a.bytes.append(reinterpret_cast<const char*>(&f), 4);
    }
    putInt(a.bytes, 20, 6);
    return a;
}
Attr attrTensor(const std::string& name, const std::vector<float>& v) {
    Attr a;
    putBytes(a.bytes, 1, name);
    putBytes(a.bytes, 5, floatInit("", {int64_t(v.size())}, v));
    putInt(a.bytes, 20, 4);
    return a;
}

// x [1, 4] -> node(op, domain, attrs) -> (y, x_copy); y is the graph output.
std::string pluginModel(const std::string& op, const std::string& domain, const std::vector<Attr>& attrs) {
    std::string n = node({"x"}, {"y", "x_copy"}, "custom0", op);
    for (const auto& a : attrs) putBytes(n, 5, a.bytes);
    if (!domain.empty()) putBytes(n, 7, domain);
    return model({n}, "y");
}

struct Parsed {
    std::unique_ptr<IBuilder> builder;
    std::unique_ptr<INetworkDefinition> network;
    std::unique_ptr<onnx::IParser> parser;
};

Parsed parseModel(const std::string& m, CapturingLogger& log, bool& ok) {
    Parsed p;
    p.builder = createInferBuilder(log);
    p.network = p.builder->createNetworkV2(0);
    p.parser = onnx::createParser(*p.network, log);
    ok = p.parser->parse(m.data(), m.size());
    return p;
}

std::vector<float> run(Parsed& p, const std::vector<float>& x, CapturingLogger& log) {
    auto config = p.builder->createBuilderConfig();
    config->setBackend(BackendKind::kCPU);
    auto engine = p.builder->buildEngineWithConfig(*p.network, *config);
    if (!engine) {
        ADD_FAILURE() << (log.errors.empty() ? "build failed" : log.errors.back());
        return {};
    }
    auto ctx = engine->createExecutionContext();
    std::vector<float> xin = x, y(x.size(), NAN);
    ctx->setTensorAddress("x", xin.data());
    ctx->setTensorAddress("y", y.data());
    EXPECT_TRUE(ctx->execute());
    return y;
}

TEST(OnnxPlugins, UnmappedOpRunsAsTheRegisteredPluginWithItsAttributes) {
    const std::string m =
        pluginModel("OnnxTestPlugin", "com.kiln.test",
                    {attrF("alpha", 2.f), attrI("shift", 3), attrI("big", int64_t(1) << 33), attrIs("offsets", {-5}),
                     attrFs("weights", {0.5f, -0.5f}), attrS("mode", "neg"), attrTensor("table", {10.f, 20.f, 30.f})});
    CapturingLogger log;
    bool ok = false;
    Parsed p = parseModel(m, log, ok);
    ASSERT_TRUE(ok) << (log.errors.empty() ? "" : log.errors.back());
    ASSERT_EQ(p.network->getNbLayers(), 1);
    EXPECT_EQ(p.network->getLayer(0)->getType(), LayerType::kPLUGIN_V2);
    EXPECT_STREQ(p.network->getLayer(0)->getName(), "custom0");
    const std::vector<float> x = {1.f, 2.f, 3.f, 4.f};
    const std::vector<float> y = run(p, x, log);
    const double big = 8;  // 2^33 / 2^30: the attribute arrived as int64, whole
    const double table[3] = {10, 20, 30}, weights[2] = {0.5, -0.5};
    std::vector<float> want;
    for (int i = 0; i < 4; ++i)
        want.push_back(float(-(2.0 * x[size_t(i)] + 3 + weights[i % 2] + table[i % 3]) - 5 + big));
    expectNear(y, want);
}

TEST(OnnxPlugins, DefaultDomainAndPluginVersion) {
    // An op of the default domain without a converter, version picked by plugin_version.
    const std::string m = pluginModel("OnnxTestPlugin", "", {attrS("plugin_version", "2")});
    CapturingLogger log;
    bool ok = false;
    Parsed p = parseModel(m, log, ok);
    ASSERT_TRUE(ok) << (log.errors.empty() ? "" : log.errors.back());
    expectNear(run(p, {1, 2, 3, 4}, log), {101, 102, 103, 104});
}

TEST(OnnxPlugins, SupportsModelCountsNodesThatHaveAPlugin) {
    CapturingLogger log;
    auto builder = createInferBuilder(log);
    auto network = builder->createNetworkV2(0);
    auto parser = onnx::createParser(*network, log);
    const std::string withPlugin = pluginModel("OnnxTestPlugin", "com.kiln.test", {});
    EXPECT_TRUE(parser->supportsModel(withPlugin.data(), withPlugin.size()));
    EXPECT_EQ(parser->getNbErrors(), 0);
    EXPECT_TRUE(parser->supportsOperator("OnnxTestPlugin"));
    const std::string without = pluginModel("NoSuchOpAnywhere", "com.kiln.test", {});
    EXPECT_FALSE(parser->supportsModel(without.data(), without.size()));
    ASSERT_GE(parser->getNbErrors(), 1);
    EXPECT_STREQ(parser->getError(0)->nodeOperator(), "NoSuchOpAnywhere");
    EXPECT_FALSE(parser->supportsOperator("NoSuchOpAnywhere"));
}

TEST(OnnxPlugins, WithoutAPluginTheNodeFailsAsBefore) {
    CapturingLogger log;
    bool ok = true;
    Parsed p = parseModel(pluginModel("NoSuchOpAnywhere", "", {}), log, ok);
    EXPECT_FALSE(ok);
    ASSERT_GE(p.parser->getNbErrors(), 1);
    EXPECT_EQ(p.parser->getError(0)->code(), onnx::ErrorCode::kUNSUPPORTED_NODE);
    EXPECT_NE(std::string(p.parser->getError(0)->desc()).find("no converter for op 'NoSuchOpAnywhere'"),
              std::string::npos);
    Parsed q = parseModel(pluginModel("NoSuchOpAnywhere", "com.other", {}), log, ok);
    EXPECT_FALSE(ok);
    EXPECT_NE(std::string(q.parser->getError(0)->desc()).find("no converter for domain 'com.other'"),
              std::string::npos);
}

TEST(OnnxPlugins, RejectedAttributesNameThePlugin) {
    CapturingLogger log;
    bool ok = true;
    Parsed p = parseModel(pluginModel("OnnxTestPlugin", "", {attrS("mode", "sideways")}), log, ok);
    EXPECT_FALSE(ok);
    ASSERT_GE(p.parser->getNbErrors(), 1);
    EXPECT_NE(std::string(p.parser->getError(0)->desc()).find("plugin 'OnnxTestPlugin' version '1'"), std::string::npos)
        << p.parser->getError(0)->desc();
    Parsed q = parseModel(pluginModel("OnnxTestPlugin", "", {attrS("weights", "not numbers")}), log, ok);
    EXPECT_FALSE(ok);
}

}  // namespace
