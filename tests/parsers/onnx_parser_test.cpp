// kiln_onnx: the mnist-cnn model end to end, the IParser API, and malformed models.
#include <unistd.h>

#include <algorithm>

#include "onnx_test_util.h"

using namespace onnx_test;

namespace {

struct ParserFixture : ::testing::Test {
    CapturingLogger log;
    std::unique_ptr<kiln::IBuilder> builder = kiln::createInferBuilder(log);
    std::unique_ptr<kiln::INetworkDefinition> network = builder->createNetworkV2(0);
    std::unique_ptr<kiln::onnx::IParser> parser = kiln::onnx::createParser(*network, log);

    std::string lastError() const {
        const int n = parser->getNbErrors();
        return n ? parser->getError(n - 1)->desc() : "(no parser error)";
    }
};

}  // namespace

TEST_F(ParserFixture, MnistCnnMatchesReferenceOutputs) {
    const auto dir = kData / "models" / "mnist-cnn";
    if (!std::filesystem::exists(dir / "model.onnx")) GTEST_SKIP() << "no " << dir << " (shared data absent)";
    ASSERT_TRUE(parser->parseFromFile((dir / "model.onnx").c_str(), 2)) << lastError();
    ASSERT_EQ(network->getNbInputs(), 1);
    ASSERT_EQ(network->getNbOutputs(), 1);
    const std::string inName = network->getInput(0)->getName(), outName = network->getOutput(0)->getName();
    auto config = builder->createBuilderConfig();
    config->setBackend(kiln::BackendKind::kCPU);
    auto engine = builder->buildEngineWithConfig(*network, *config);
    ASSERT_NE(engine, nullptr) << (log.errors.empty() ? "" : log.errors.back());
    auto ctx = engine->createExecutionContext();
    ASSERT_NE(ctx, nullptr);
    for (int set = 0; set < 3; ++set) {
        const auto sdir = dir / ("test_data_set_" + std::to_string(set));
        TensorFile in, ref;
        ASSERT_TRUE(decodeFloatTensor(readFile(sdir / "input_0.pb"), in));
        ASSERT_TRUE(decodeFloatTensor(readFile(sdir / "output_0.pb"), ref));
        ASSERT_EQ(in.values.size(), 28u * 28u);
        ASSERT_EQ(ref.values.size(), 10u);
        std::vector<float> out(ref.values.size(), NAN);
        ASSERT_TRUE(ctx->setTensorAddress(inName.c_str(), in.values.data()));
        ASSERT_TRUE(ctx->setTensorAddress(outName.c_str(), out.data()));
        ASSERT_TRUE(ctx->enqueueV3(nullptr)) << (log.errors.empty() ? "" : log.errors.back());
        for (size_t i = 0; i < out.size(); ++i)
            EXPECT_NEAR(out[i], ref.values[i], 1e-4 * std::fabs(ref.values[i]) + 1e-4) << "set " << set << " i " << i;
        EXPECT_EQ(std::max_element(out.begin(), out.end()) - out.begin(),
                  std::max_element(ref.values.begin(), ref.values.end()) - ref.values.begin())
            << "set " << set;
    }
}

TEST_F(ParserFixture, SupportsModelAndOperator) {
    EXPECT_TRUE(parser->supportsOperator("Conv"));
    EXPECT_TRUE(parser->supportsOperator("Gemm"));
    EXPECT_FALSE(parser->supportsOperator("NotAnOp"));
    EXPECT_FALSE(parser->supportsOperator(nullptr));
    const auto m = model({node({"x"}, {"y"}, "n0", "Relu")}, "y");
    EXPECT_TRUE(parser->supportsModel(m.data(), m.size()));
}

TEST_F(ParserFixture, TinyModelParses) {
    const auto m = model({node({"x"}, {"t"}, "n0", "Relu"), node({"t", "x"}, {"y"}, "n1", "Add")}, "y");
    ASSERT_TRUE(parser->parse(m.data(), m.size())) << lastError();
    ASSERT_EQ(network->getNbOutputs(), 1);
    EXPECT_STREQ(network->getOutput(0)->getName(), "y");
}

TEST_F(ParserFixture, TruncatedModelFails) {
    const auto m = model({node({"x"}, {"y"}, "n0", "Relu")}, "y");
    EXPECT_FALSE(parser->parse(m.data(), m.size() - 7));
    ASSERT_GE(parser->getNbErrors(), 1);
    EXPECT_EQ(parser->getError(0)->code(), kiln::onnx::ErrorCode::kMODEL_DESERIALIZE_FAILED);
    EXPECT_EQ(parser->getError(0)->node(), -1);
}

TEST_F(ParserFixture, TruncatedRealModelFails) {
    const auto path = kData / "models" / "mnist-cnn" / "model.onnx";
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path << " (shared data absent)";
    const std::string bytes = readFile(path);
    for (size_t cut : {size_t(1), bytes.size() / 3, bytes.size() / 2, bytes.size() - 1}) {
        CapturingLogger l;
        auto net = builder->createNetworkV2(0);
        auto p = kiln::onnx::createParser(*net, l);
        EXPECT_FALSE(p->parse(bytes.data(), cut)) << "cut at " << cut;
        EXPECT_GE(p->getNbErrors(), 1);
    }
}

TEST_F(ParserFixture, GarbageBytesFail) {
    std::string garbage(4096, '\0');
    for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = char((i * 2654435761u) >> 13);
    EXPECT_FALSE(parser->parse(garbage.data(), garbage.size()));
    EXPECT_GE(parser->getNbErrors(), 1);
    EXPECT_FALSE(parser->parse(nullptr, 0));
}

TEST_F(ParserFixture, UndefinedInputNamesTheNode) {
    const auto m = model({node({"x"}, {"t"}, "ok", "Relu"), node({"t", "ghost"}, {"y"}, "bad_add", "Add")}, "y");
    EXPECT_FALSE(parser->parse(m.data(), m.size()));
    ASSERT_EQ(parser->getNbErrors(), 1);
    const auto* e = parser->getError(0);
    EXPECT_EQ(e->code(), kiln::onnx::ErrorCode::kINVALID_GRAPH);
    EXPECT_EQ(e->node(), 1);
    EXPECT_STREQ(e->nodeName(), "bad_add");
    EXPECT_STREQ(e->nodeOperator(), "Add");
    EXPECT_NE(std::string(e->desc()).find("ghost"), std::string::npos) << e->desc();
}

TEST_F(ParserFixture, UnsupportedOpNamesTheNode) {
    const auto m = model({node({"x"}, {"y"}, "mystery", "FrobnicateOp")}, "y");
    EXPECT_FALSE(parser->parse(m.data(), m.size()));
    ASSERT_EQ(parser->getNbErrors(), 1);
    const auto* e = parser->getError(0);
    EXPECT_EQ(e->code(), kiln::onnx::ErrorCode::kUNSUPPORTED_NODE);
    EXPECT_EQ(e->node(), 0);
    EXPECT_STREQ(e->nodeName(), "mystery");
    EXPECT_STREQ(e->nodeOperator(), "FrobnicateOp");
    parser->clearErrors();
    EXPECT_EQ(parser->getNbErrors(), 0);
    EXPECT_FALSE(parser->supportsModel(m.data(), m.size()));
    ASSERT_EQ(parser->getNbErrors(), 1);
    EXPECT_EQ(parser->getError(0)->code(), kiln::onnx::ErrorCode::kUNSUPPORTED_NODE);
}

TEST(OnnxRobustness, MutatedMnistNeverCrashes) {
    const auto path = kData / "models" / "mnist-cnn" / "model.onnx";
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path << " (shared data absent)";
    const std::string original = readFile(path);
    uint64_t seed = 12345;
    auto next = [&seed] {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        return seed >> 33;
    };
    // Mutate the graph structure (the nodes sit in the first ~1.5 KB, the
    // inputs/outputs in the last ~1 KB; the weights between them); the result
    // only has to be a clean true/false with an error on false.
    int parsed = 0;
    for (int iter = 0; iter < 400; ++iter) {
        std::string bytes = original;
        const int flips = 1 + int(next() % 3);
        for (int f = 0; f < flips; ++f) {
            const size_t pos = next() % 2 ? next() % 1500 : bytes.size() - 1 - next() % 1000;
            bytes[pos] = char(next() % 3 ? next() : bytes[pos] ^ (1 << (next() % 8)));
        }
        CapturingLogger log;
        auto builder = kiln::createInferBuilder(log);
        auto network = builder->createNetworkV2(0);
        auto parser = kiln::onnx::createParser(*network, log);
        const bool ok = parser->parse(bytes.data(), bytes.size());
        if (!ok) {
            EXPECT_GE(parser->getNbErrors(), 1) << "iteration " << iter;
        }
        parsed += ok;
    }
    std::printf("mutated models that still parsed: %d of 400\n", parsed);
}

TEST_F(ParserFixture, ExternalDataIsAClearError) {
    std::string t, entry;
    putInt(t, 1, 4);
    putInt(t, 2, 1);
    putBytes(t, 8, "w");
    putBytes(entry, 1, "location");
    putBytes(entry, 2, "weights.bin");
    putBytes(t, 13, entry);
    putInt(t, 14, 1);  // EXTERNAL
    std::string m = model({node({"x", "w"}, {"y"}, "add", "Add")}, "y");
    std::string graph;  // append the initializer as a second GraphProto fragment (fields merge)
    putBytes(graph, 5, t);
    putBytes(m, 7, graph);
    EXPECT_FALSE(parser->parse(m.data(), m.size()));
    ASSERT_GE(parser->getNbErrors(), 1);
    EXPECT_NE(std::string(parser->getError(0)->desc()).find("external data"), std::string::npos)
        << parser->getError(0)->desc();
}

TEST_F(ParserFixture, ConvWithBadTensorWeightsNamesTheNode) {
    // Weights may be a tensor computed at run time, but a [1, 4] one cannot be a kernel.
    const auto m = model({node({"x", "x"}, {"y"}, "conv_dyn", "Conv")}, "y");
    EXPECT_FALSE(parser->parse(m.data(), m.size()));
    ASSERT_EQ(parser->getNbErrors(), 1);
    EXPECT_EQ(parser->getError(0)->code(), kiln::onnx::ErrorCode::kINVALID_NODE);
    EXPECT_NE(std::string(parser->getError(0)->desc()).find("rank"), std::string::npos) << parser->getError(0)->desc();
    EXPECT_STREQ(parser->getError(0)->nodeName(), "conv_dyn");
    EXPECT_STREQ(parser->getError(0)->nodeOperator(), "Conv");
    EXPECT_EQ(parser->getError(0)->node(), 0);
}
