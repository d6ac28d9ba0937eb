// kiln_onnx: malformed models (cycles, wrong types, missing initializers,
// absurd dims) give errors naming the node (or the tensor when no node is
// involved), and never crash; models found by the fuzzer stay fixed.
#include <filesystem>
#include <limits>

#include "onnx_test_util.h"

using namespace onnx_test;

namespace {

// A model with the given graph inputs (elem type, dims; -1: symbolic) and
// initializers; the output is "y".
struct Input {
    std::string name;
    int elemType = 1;
    std::vector<int64_t> dims;
};

std::string inputInfo(const Input& in) {
    std::string shape, tensorType, type, vi;
    for (int64_t d : in.dims) {
        std::string dim;
        if (d == -1)
            putBytes(dim, 2, "N");
        else
            putInt(dim, 1, uint64_t(d));
        putBytes(shape, 1, dim);
    }
    putInt(tensorType, 1, uint64_t(in.elemType));
    putBytes(tensorType, 2, shape);
    putBytes(type, 1, tensorType);
    putBytes(vi, 1, in.name);
    putBytes(vi, 2, type);
    return vi;
}

std::string graphModel(const std::vector<std::string>& nodes, const std::vector<Input>& inputs,
                       const std::vector<std::string>& inits = {}, const std::string& output = "y",
                       int64_t opsetVersion = 13) {
    std::string graph, opset, m;
    for (const auto& n : nodes) putBytes(graph, 1, n);
    putBytes(graph, 2, "g");
    for (const auto& i : inits) putBytes(graph, 5, i);
    for (const auto& in : inputs) putBytes(graph, 11, inputInfo(in));
    putBytes(graph, 12, typedInfo(output, {}));
    putInt(m, 1, 8);
    putInt(opset, 2, uint64_t(opsetVersion));
    putBytes(m, 8, opset);
    putBytes(m, 7, graph);
    return m;
}

struct MalformedTest : ::testing::Test {
    CapturingLogger log;
    std::unique_ptr<kiln::IBuilder> builder = kiln::createInferBuilder(log);
    std::unique_ptr<kiln::INetworkDefinition> network = builder->createNetworkV2(0);
    std::unique_ptr<kiln::onnx::IParser> parser = kiln::onnx::createParser(*network, log);

    // A fresh network and parser for the next model of a test.
    void reset() {
        parser.reset();
        network = builder->createNetworkV2(0);
        parser = kiln::onnx::createParser(*network, log);
    }

    // Parsing must fail; returns the first error.
    const kiln::onnx::IParserError* parseFails(const std::string& m) {
        EXPECT_FALSE(parser->parse(m.data(), m.size()));
        EXPECT_GE(parser->getNbErrors(), 1);
        return parser->getNbErrors() ? parser->getError(0) : nullptr;
    }

    void expectNodeError(const std::string& m, int32_t index, const char* name, const char* op,
                         const std::vector<std::string>& words) {
        const auto* e = parseFails(m);
        ASSERT_NE(e, nullptr);
        EXPECT_EQ(e->node(), index) << e->desc();
        EXPECT_STREQ(e->nodeName(), name) << e->desc();
        EXPECT_STREQ(e->nodeOperator(), op) << e->desc();
        for (const auto& w : words)
            EXPECT_NE(std::string(e->desc()).find(w), std::string::npos) << w << " / " << e->desc();
    }

    // No node involved: the error names the tensor.
    void expectTensorError(const std::string& m, const std::vector<std::string>& words) {
        const auto* e = parseFails(m);
        ASSERT_NE(e, nullptr);
        EXPECT_EQ(e->node(), -1) << e->desc();
        for (const auto& w : words)
            EXPECT_NE(std::string(e->desc()).find(w), std::string::npos) << w << " / " << e->desc();
    }
};

std::string attrNode(const std::string& name, const std::string& op, const std::vector<std::string>& in,
                     const std::string& attrBytes) {
    std::string n = node(in, {"y"}, name, op);
    putBytes(n, 5, attrBytes);
    return n;
}

}  // namespace

TEST_F(MalformedTest, CycleNamesTheFirstNodeOnIt) {
    // a <- Relu(b), b <- Relu(a): whichever comes first reads an undefined name.
    const auto m = graphModel({node({"b"}, {"a"}, "first", "Relu"), node({"a"}, {"b"}, "second", "Relu"),
                               node({"x", "b"}, {"y"}, "sum", "Add")},
                              {{"x", 1, {1, 4}}});
    expectNodeError(m, 0, "first", "Relu", {"'b'", "not defined"});
}

TEST_F(MalformedTest, NodeReadingItsOwnOutput) {
    const auto m = graphModel({node({"x", "y"}, {"y"}, "loop", "Add")}, {{"x", 1, {1, 4}}});
    expectNodeError(m, 0, "loop", "Add", {"'y'", "not defined"});
}

TEST_F(MalformedTest, MissingInitializer) {
    // Conv's weights "W" are neither an initializer nor produced by a node.
    const auto m = graphModel({node({"x", "W"}, {"y"}, "conv", "Conv")}, {{"x", 1, {1, 1, 4, 4}}});
    expectNodeError(m, 0, "conv", "Conv", {"'W'"});
}

TEST_F(MalformedTest, GraphOutputNeverProduced) {
    const auto m = graphModel({node({"x"}, {"t"}, "r", "Relu")}, {{"x", 1, {1, 4}}});
    expectTensorError(m, {"'y'", "not produced"});
}

TEST_F(MalformedTest, WrongAttributeTypeNamesTheNode) {
    // Softmax's axis is an INT; here it is a FLOAT (and then a STRING).
    Attr a = attrF("axis", 1.0f);
    expectNodeError(graphModel({attrNode("sm", "Softmax", {"x"}, a.bytes)}, {{"x", 1, {1, 4}}}), 0, "sm", "Softmax",
                    {"attribute 'axis'", "FLOAT", "expected INT"});
    reset();
    std::string s;
    putBytes(s, 1, "axis");
    putBytes(s, 4, "one");
    putInt(s, 20, 3);  // STRING
    expectNodeError(graphModel({attrNode("sm2", "Softmax", {"x"}, s)}, {{"x", 1, {1, 4}}}), 0, "sm2", "Softmax",
                    {"attribute 'axis'", "STRING"});
}

TEST_F(MalformedTest, UnsupportedInputElementType) {
    // STRING (8) inputs have no kiln type; an undefined (0) type is malformed.
    expectTensorError(graphModel({node({"x"}, {"y"}, "r", "Relu")}, {{"x", 8, {1, 4}}}), {"'x'", "element type 8"});
    reset();
    expectTensorError(graphModel({node({"x"}, {"y"}, "r", "Relu")}, {{"x", 0, {1, 4}}}), {"'x'", "element type 0"});
}

TEST_F(MalformedTest, InitializerOfTheWrongSize) {
    // dims [2,4] need 8 floats; 3 are given.
    expectTensorError(
        graphModel({node({"x", "w"}, {"y"}, "add", "Add")}, {{"x", 1, {2, 4}}}, {floatInit("w", {2, 4}, {1, 2, 3})}),
        {"'w'", "holds 3 values", "need 8"});
}

TEST_F(MalformedTest, AbsurdInitializerDims) {
    // The element count overflows int64: refused before anything is allocated.
    expectTensorError(graphModel({node({"x", "w"}, {"y"}, "add", "Add")}, {{"x", 1, {1, 4}}},
                                 {floatInit("w", {int64_t(1) << 40, int64_t(1) << 40, 4}, {1, 2, 3, 4})}),
                      {"'w'", "overflows"});
    reset();
    expectTensorError(graphModel({node({"x", "w"}, {"y"}, "add", "Add")}, {{"x", 1, {1, 4}}},
                                 {floatInit("w", {-3, 4}, {1, 2, 3, 4})}),
                      {"'w'", "negative"});
    reset();
    std::vector<int64_t> manyDims(40, 1);
    manyDims.back() = 4;
    // Fine as a parse-time value, but not as a network tensor: the node says so.
    expectNodeError(graphModel({node({"x", "w"}, {"y"}, "add", "Add")}, {{"x", 1, {1, 4}}},
                               {floatInit("w", manyDims, {1, 2, 3, 4})}),
                    0, "add", "Add", {"'w'", "40 dimensions"});
}

TEST_F(MalformedTest, AbsurdInputDims) {
    // A negative dim other than "unknown" is malformed; too many dims are refused.
    expectTensorError(graphModel({node({"x"}, {"y"}, "r", "Relu")}, {{"x", 1, {1, -7}}}), {"'x'"});
    reset();
    expectTensorError(graphModel({node({"x"}, {"y"}, "r", "Relu")}, {{"x", 1, std::vector<int64_t>(40, 1)}}),
                      {"'x'", "dimensions"});
    // Huge but valid dims parse; the build may refuse them but must not crash.
    reset();
    const auto m = graphModel({node({"x"}, {"y"}, "r", "Relu")}, {{"x", 1, {int64_t(1) << 40, int64_t(1) << 40}}});
    if (parser->parse(m.data(), m.size())) {
        auto config = builder->createBuilderConfig();
        config->setBackend(kiln::BackendKind::kCPU);
        auto engine = builder->buildEngineWithConfig(*network, *config);
        if (!engine) {
            EXPECT_FALSE(log.errors.empty());
        }
    }
}

TEST_F(MalformedTest, ReshapeToAnAbsurdShapeNamesTheNode) {
    // The network refuses the reshape (logging why, under the node's name);
    // a node using its output fails to import, naming that input.
    const auto m = graphModel({node({"x", "s"}, {"r"}, "reshape", "Reshape"), node({"r"}, {"y"}, "after", "Relu")},
                              {{"x", 1, {1, 4}}}, {int64Init("s", {int64_t(1) << 40, int64_t(1) << 40})});
    expectNodeError(m, 1, "after", "Relu", {"'r'", "no valid shape"});
    bool named = false;
    for (const auto& e : log.errors) named = named || e.find("reshape") != std::string::npos;
    EXPECT_TRUE(named) << "the network's own error should name the reshape layer";
    // As the graph's output, the build refuses it with the reason.
    reset();
    const auto last = graphModel({node({"x", "s"}, {"y"}, "reshape", "Reshape")}, {{"x", 1, {1, 4}}},
                                 {int64Init("s", {int64_t(1) << 40, int64_t(1) << 40})});
    if (parser->parse(last.data(), last.size())) {
        auto config = builder->createBuilderConfig();
        config->setBackend(kiln::BackendKind::kCPU);
        log.errors.clear();
        EXPECT_EQ(builder->buildEngineWithConfig(*network, *config), nullptr);
        ASSERT_FALSE(log.errors.empty());
        EXPECT_NE(log.errors.back().find("reshape"), std::string::npos) << log.errors.back();
    }
}

// ConstantOfShape with a constant but absurd shape (a fuzzer input took minutes:
// the parser filled 2^31 elements one by one). Beyond 1 TiB, or when the size
// overflows, it is refused at once naming node and output; below that but above
// the parse-time limit it is a Fill layer, computed only if the engine runs.
TEST_F(MalformedTest, ConstantOfShapeOfAnAbsurdShape) {
    const auto huge = graphModel({node({"s"}, {"y"}, "zeros", "ConstantOfShape")}, {},
                                 {int64Init("s", {int64_t(1) << 20, int64_t(1) << 20, 2})});
    expectNodeError(huge, 0, "zeros", "ConstantOfShape", {"'y'", "[1048576,1048576,2]", "1 TiB"});
    reset();
    const auto overflow =
        graphModel({node({"s"}, {"y"}, "zeros", "ConstantOfShape")}, {}, {int64Init("s", {int64_t(1) << 62, 3})});
    expectNodeError(overflow, 0, "zeros", "ConstantOfShape", {"'y'", "1 TiB"});
    reset();
    const auto negative = graphModel({node({"s"}, {"y"}, "zeros", "ConstantOfShape")}, {}, {int64Init("s", {4, -2})});
    expectNodeError(negative, 0, "zeros", "ConstantOfShape", {"'y'", "negative"});
    reset();
    // 2^38 floats (exactly 1 TiB): accepted as a Fill layer, not filled here.
    const auto big = graphModel({node({"s"}, {"y"}, "zeros", "ConstantOfShape")}, {},
                                {int64Init("s", {int64_t(1) << 20, int64_t(1) << 18})});
    ASSERT_TRUE(parser->parse(big.data(), big.size())) << parser->getError(0)->desc();
    bool fill = false;
    for (int32_t i = 0; i < network->getNbLayers(); ++i)
        fill = fill || network->getLayer(i)->getType() == kiln::LayerType::kFILL;
    EXPECT_TRUE(fill);
    // Dropout's all-true mask of a huge static input takes the same path.
    reset();
    const auto mask =
        graphModel({node({"x"}, {"t", "y"}, "drop", "Dropout")}, {{"x", 1, {int64_t(1) << 20, int64_t(1) << 20, 2}}});
    expectNodeError(mask, 0, "drop", "Dropout", {"'y'", "1 TiB"});
}

// Geometry attributes near int64's limits must give an error, not overflow
// the extent arithmetic (UBSan would stop the sanitized suite here).
TEST_F(MalformedTest, DeformConvWithAbsurdPadsNamesTheNode) {
    const std::vector<Input> in = {{"x", 1, {1, 1, 4, 4}}, {"w", 1, {1, 1, 2, 2}}, {"off", 1, {1, 8, 3, 3}}};
    const int64_t big = std::numeric_limits<int64_t>::max();
    for (const auto& attr :
         {attrIs("pads", {big, 0, big, 0}), attrIs("dilations", {big, 1}), attrIs("strides", {1, big})}) {
        reset();
        std::string n = node({"x", "w", "off"}, {"y"}, "deform", "DeformConv");
        putBytes(n, 5, attr.bytes);
        const auto m = graphModel({n}, in, {}, "y", 19);
        log.errors.clear();
        if (parser->parse(m.data(), m.size())) {  // the output's shape is checked when the engine is built
            auto config = builder->createBuilderConfig();
            config->setBackend(kiln::BackendKind::kCPU);
            EXPECT_EQ(builder->buildEngineWithConfig(*network, *config), nullptr);
        }
        bool named = false;
        for (const auto& e : log.errors)
            named = named || (e.find("deform") != std::string::npos && e.find("2^31") != std::string::npos);
        EXPECT_TRUE(named) << (log.errors.empty() ? "no error" : log.errors.back());
    }
}

TEST_F(MalformedTest, NameDefinedTwice) {
    const auto m = graphModel({node({"x"}, {"t"}, "first", "Relu"), node({"x"}, {"t"}, "again", "Sigmoid"),
                               node({"t"}, {"y"}, "last", "Relu")},
                              {{"x", 1, {1, 4}}});
    expectNodeError(m, 1, "again", "Sigmoid", {"'t'", "already defined"});
    reset();
    expectNodeError(
        graphModel({node({"x"}, {"x"}, "shadow", "Relu"), node({"x"}, {"y"}, "last", "Relu")}, {{"x", 1, {1, 4}}}), 0,
        "shadow", "Relu", {"'x'", "already defined"});
}

TEST_F(MalformedTest, NodeWithTooFewInputs) {
    expectNodeError(graphModel({node({"x"}, {"y"}, "half_add", "Add")}, {{"x", 1, {1, 4}}}), 0, "half_add", "Add",
                    {"takes 2 inputs", "has 1"});
}

// Every input the fuzzer once crashed on (tests/fuzz/regressions/onnx_parser_fuzz) must now
// parse or fail cleanly, with an error when it fails.
TEST(OnnxFuzzRegressions, EveryKeptInputIsHandled) {
    const std::filesystem::path dir =
        std::filesystem::path(KILN_SOURCE_DIR) / "tests" / "fuzz" / "regressions" / "onnx_parser_fuzz";
    if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no " << dir;
    int n = 0;
    for (const auto& f : std::filesystem::directory_iterator(dir)) {
        if (!f.is_regular_file()) continue;
        const std::string bytes = readFile(f.path());
        CapturingLogger log;
        auto builder = kiln::createInferBuilder(log);
        auto network = builder->createNetworkV2(0);
        auto parser = kiln::onnx::createParser(*network, log);
        if (parser->parse(bytes.data(), bytes.size())) {
            auto config = builder->createBuilderConfig();
            config->setBackend(kiln::BackendKind::kCPU);
            config->setMemoryPoolLimit(kiln::MemoryPoolType::kWORKSPACE, size_t(16) << 20);
            config->setBuilderOptimizationLevel(0);
            builder->buildEngineWithConfig(*network, *config);
        } else {
            EXPECT_GE(parser->getNbErrors(), 1) << f.path();
        }
        ++n;
    }
    std::printf("fuzz regression inputs replayed: %d\n", n);
}
