// kiln_onnx: initializers (and Constant values) stored as external data in
// side files, and every way such a reference can be wrong.
#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "onnx_test_util.h"

using namespace onnx_test;
namespace fs = std::filesystem;

namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

// A TensorProto of `dataType` (1 = FLOAT, 7 = INT64) whose data lives in a file.
std::string externalTensor(const std::string& name, const std::vector<int64_t>& dims, int dataType,
                           const Entries& entries) {
    std::string t;
    for (int64_t d : dims) putInt(t, 1, uint64_t(d));
    putInt(t, 2, uint64_t(dataType));
    putBytes(t, 8, name);
    for (const auto& [k, v] : entries) {
        std::string e;
        putBytes(e, 1, k);
        putBytes(e, 2, v);
        putBytes(t, 13, e);
    }
    putInt(t, 14, 1);  // data_location = EXTERNAL
    return t;
}

// x [1,4] -> nodes -> y, with the given initializers; opset 13.
std::string makeModel(const std::vector<std::string>& nodes, const std::vector<std::string>& inits) {
    std::string graph, opset, m;
    for (const auto& n : nodes) putBytes(graph, 1, n);
    putBytes(graph, 2, "g");
    for (const auto& i : inits) putBytes(graph, 5, i);
    putBytes(graph, 11, typedInfo("x", {1, 4}));
    putBytes(graph, 12, typedInfo("y", {}));
    putInt(m, 1, 8);
    putInt(opset, 2, 13);
    putBytes(m, 8, opset);
    putBytes(m, 7, graph);
    return m;
}

// y = x + w: the simplest model using one initializer.
std::string addModel(const std::string& weightTensor) {
    return makeModel({node({"x", "w"}, {"y"}, "add", "Add")}, {weightTensor});
}

void writeBytes(const fs::path& p, const void* data, size_t n) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary).write(static_cast<const char*>(data), std::streamsize(n));
}

template <typename T>
void writeValues(const fs::path& p, const std::vector<T>& v) {
    writeBytes(p, v.data(), v.size() * sizeof(T));
}

struct ExternalDataTest : ::testing::Test {
    fs::path dir;
    CapturingLogger log;
    std::unique_ptr<kiln::IBuilder> builder = kiln::createInferBuilder(log);
    std::unique_ptr<kiln::INetworkDefinition> network = builder->createNetworkV2(0);
    std::unique_ptr<kiln::onnx::IParser> parser = kiln::onnx::createParser(*network, log);

    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir = fs::temp_directory_path() / ("kiln_ext_" + std::to_string(::getpid()) + "_" + info->name()) / "model";
        fs::remove_all(dir.parent_path());
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir.parent_path()); }

    std::string saveModel(const std::string& bytes) {
        const fs::path p = dir / "model.onnx";
        writeBytes(p, bytes.data(), bytes.size());
        return p.string();
    }

    std::string allErrors() const {
        std::string s;
        for (int i = 0; i < parser->getNbErrors(); ++i) s += std::string(parser->getError(i)->desc()) + "\n";
        return s.empty() ? "(no parser error)" : s;
    }

    // Builds the parsed network for the CPU and runs it on x.
    std::vector<float> run(std::vector<float> x) {
        auto config = builder->createBuilderConfig();
        config->setBackend(kiln::BackendKind::kCPU);
        auto engine = builder->buildEngineWithConfig(*network, *config);
        if (!engine) {
            ADD_FAILURE() << (log.errors.empty() ? "build failed" : log.errors.back());
            return {};
        }
        std::vector<float> y(x.size(), NAN);
        auto ctx = engine->createExecutionContext();
        ctx->setTensorAddress("x", x.data());
        ctx->setTensorAddress("y", y.data());
        EXPECT_TRUE(ctx->enqueueV3(nullptr));
        return y;
    }

    // The model must fail to parse with one error naming `tensor` and
    // containing every string of `words`.
    void expectFailure(const std::string& model, const std::string& tensor, const std::vector<std::string>& words) {
        const std::string path = saveModel(model);
        EXPECT_FALSE(parser->parseFromFile(path.c_str(), 1));
        ASSERT_GE(parser->getNbErrors(), 1);
        const std::string desc = parser->getError(0)->desc();
        EXPECT_NE(desc.find("'" + tensor + "'"), std::string::npos) << desc;
        for (const auto& w : words) EXPECT_NE(desc.find(w), std::string::npos) << "'" << w << "' not in: " << desc;
    }
};

}  // namespace

TEST_F(ExternalDataTest, ReadsOffsetsLengthsAndSeveralFiles) {
    // weights.bin: w1 at 0, w2 at 16 (both with length), then 8 unused bytes;
    // sub/w3.bin: w3 alone, no offset or length (the whole file).
    writeValues<float>(dir / "weights.bin", {1, 2, 3, 4, 10, 20, 30, 40, -1, -1});
    writeValues<float>(dir / "sub" / "w3.bin", {0.5f, 0.25f, 0.125f, 0.0625f});
    const std::string m =
        makeModel({chainNode({"x", "w1"}, "t", "Add"), chainNode({"t", "w2"}, "u", "Mul"),
                   node({"u", "w3"}, {"y"}, "sub", "Sub")},
                  {externalTensor("w1", {1, 4}, 1, {{"location", "weights.bin"}, {"offset", "0"}, {"length", "16"}}),
                   externalTensor("w2", {1, 4}, 1,
                                  {{"location", "weights.bin"}, {"offset", "16"}, {"length", "16"}, {"checksum", "x"}}),
                   externalTensor("w3", {4}, 1, {{"location", "sub/w3.bin"}})});
    ASSERT_TRUE(parser->parseFromFile(saveModel(m).c_str(), 1)) << allErrors();
    expectNear(run({1, 1, 1, 1}),
               {(1 + 1) * 10 - 0.5f, (1 + 2) * 20 - 0.25f, (1 + 3) * 30 - 0.125f, (1 + 4) * 40 - 0.0625f});
}

TEST_F(ExternalDataTest, ParseFromMemoryResolvesAgainstTheModelPath) {
    writeValues<float>(dir / "w.bin", {5, 6, 7, 8});
    const std::string m = addModel(externalTensor("w", {1, 4}, 1, {{"location", "w.bin"}}));
    // The model file itself need not exist: only its directory matters.
    const std::string modelPath = (dir / "not_written.onnx").string();
    ASSERT_TRUE(parser->parse(m.data(), m.size(), modelPath.c_str())) << allErrors();
    expectNear(run({1, 2, 3, 4}), {6, 8, 10, 12});
}

TEST_F(ExternalDataTest, WithoutAModelPathItIsAClearError) {
    writeValues<float>(dir / "w.bin", {5, 6, 7, 8});
    const std::string m = addModel(externalTensor("w", {1, 4}, 1, {{"location", "w.bin"}}));
    EXPECT_FALSE(parser->parse(m.data(), m.size()));
    ASSERT_GE(parser->getNbErrors(), 1);
    const std::string desc = parser->getError(0)->desc();
    EXPECT_NE(desc.find("'w'"), std::string::npos) << desc;
    EXPECT_NE(desc.find("external data"), std::string::npos) << desc;
}

TEST_F(ExternalDataTest, Int64TensorFeedsAShape) {
    // Reshape's shape input from external data: read at parse time.
    writeValues<int64_t>(dir / "shape.bin", {4, 1});
    const std::string m = makeModel({node({"x", "s"}, {"r"}, "reshape", "Reshape"), chainNode({"r"}, "y", "Relu")},
                                    {externalTensor("s", {2}, 7, {{"location", "shape.bin"}})});
    ASSERT_TRUE(parser->parseFromFile(saveModel(m).c_str(), 1)) << allErrors();
    ASSERT_EQ(network->getNbOutputs(), 1);
    const kiln::Dims d = network->getOutput(0)->getDimensions();
    ASSERT_EQ(d.nbDims, 2);
    EXPECT_EQ(d.d[0], 4);
    EXPECT_EQ(d.d[1], 1);
}

TEST_F(ExternalDataTest, ConstantNodeValue) {
    writeValues<float>(dir / "c.bin", {0, 0, 1, 2, 3, 4});
    std::string attr;
    putBytes(attr, 1, "value");
    putBytes(attr, 5, externalTensor("c_value", {1, 4}, 1, {{"location", "c.bin"}, {"offset", "8"}}));
    putInt(attr, 20, 4);  // TENSOR
    std::string constant = node({}, {"c"}, "const", "Constant");
    putBytes(constant, 5, attr);
    const std::string m = makeModel({constant, node({"x", "c"}, {"y"}, "add", "Add")}, {});
    ASSERT_TRUE(parser->parseFromFile(saveModel(m).c_str(), 1)) << allErrors();
    expectNear(run({1, 1, 1, 1}), {2, 3, 4, 5});
}

TEST_F(ExternalDataTest, OffsetsBeyondFourGiB) {
    // A sparse 5 GiB side file with the tensor near its end: offsets and the
    // file size must be handled as 64-bit, and only the range is read.
    const fs::path p = dir / "big.bin";
    const uint64_t offset = (uint64_t(5) << 30) - 16;
    const int fd = ::open(p.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    const std::vector<float> w = {9, 8, 7, 6};
    const bool wrote = ::pwrite(fd, w.data(), 16, off_t(offset)) == 16;
    ::close(fd);
    if (!wrote) GTEST_SKIP() << "the temporary file system cannot hold a sparse 5 GiB file";
    const std::string m = addModel(externalTensor(
        "w", {1, 4}, 1, {{"location", "big.bin"}, {"offset", std::to_string(offset)}, {"length", "16"}}));
    ASSERT_TRUE(parser->parseFromFile(saveModel(m).c_str(), 1)) << allErrors();
    expectNear(run({1, 1, 1, 1}), {10, 9, 8, 7});
}

TEST_F(ExternalDataTest, ModelFileOverTwoGiBIsRefusedWithAHint) {
    // Protobuf cannot hold a message over 2 GiB; the file is refused by size
    // (sparse, never read).
    const fs::path p = dir / "huge.onnx";
    const int fd = ::open(p.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    const bool sized = ::ftruncate(fd, off_t((uint64_t(2) << 30) + 4096)) == 0;
    ::close(fd);
    if (!sized) GTEST_SKIP() << "the temporary file system cannot hold a sparse 2 GiB file";
    EXPECT_FALSE(parser->parseFromFile(p.c_str(), 1));
    ASSERT_GE(parser->getNbErrors(), 1);
    const std::string desc = parser->getError(0)->desc();
    EXPECT_NE(desc.find("2 GiB"), std::string::npos) << desc;
    EXPECT_NE(desc.find("external data"), std::string::npos) << desc;
}

TEST_F(ExternalDataTest, MissingFile) {
    expectFailure(addModel(externalTensor("w", {1, 4}, 1, {{"location", "nowhere.bin"}})), "w",
                  {"nowhere.bin", "cannot be opened"});
}

TEST_F(ExternalDataTest, OffsetPastTheEnd) {
    writeValues<float>(dir / "w.bin", {1, 2, 3, 4});
    expectFailure(addModel(externalTensor("w", {1, 4}, 1, {{"location", "w.bin"}, {"offset", "17"}, {"length", "16"}})),
                  "w", {"w.bin", "offset 17", "past the end", "16 bytes"});
}

TEST_F(ExternalDataTest, LengthPastTheEnd) {
    writeValues<float>(dir / "w.bin", {1, 2, 3, 4});
    expectFailure(addModel(externalTensor("w", {1, 4}, 1, {{"location", "w.bin"}, {"offset", "4"}, {"length", "16"}})),
                  "w", {"w.bin", "length 16", "past the end"});
    // offset + length overflowing 64 bits must not wrap around into range.
    parser->clearErrors();
    expectFailure(addModel(externalTensor(
                      "w", {1, 4}, 1, {{"location", "w.bin"}, {"offset", "8"}, {"length", "18446744073709551610"}})),
                  "w", {"w.bin", "past the end"});
}

TEST_F(ExternalDataTest, RangeSizeMustMatchTheDims) {
    writeValues<float>(dir / "w.bin", {1, 2, 3, 4, 5});
    // Five floats to the end of the file, but [1,4] needs four.
    expectFailure(addModel(externalTensor("w", {1, 4}, 1, {{"location", "w.bin"}})), "w",
                  {"w.bin", "holds 20 bytes", "need 16"});
}

TEST_F(ExternalDataTest, MalformedOffsetAndMissingLocation) {
    writeValues<float>(dir / "w.bin", {1, 2, 3, 4});
    expectFailure(addModel(externalTensor("w", {1, 4}, 1, {{"location", "w.bin"}, {"offset", "-4"}})), "w",
                  {"offset '-4'", "not a non-negative integer"});
    parser->clearErrors();
    expectFailure(addModel(externalTensor("w", {1, 4}, 1, {{"location", "w.bin"}, {"length", "16 "}})), "w",
                  {"length '16 '"});
    parser->clearErrors();
    expectFailure(addModel(externalTensor("w", {1, 4}, 1, {{"offset", "0"}})), "w", {"no 'location'"});
}

TEST_F(ExternalDataTest, PathsEscapingTheModelDirectoryAreRefused) {
    // The file exists one level up: reachable by '..', but off limits.
    writeValues<float>(dir.parent_path() / "outside.bin", {1, 2, 3, 4});
    expectFailure(addModel(externalTensor("w", {1, 4}, 1, {{"location", "../outside.bin"}})), "w",
                  {"../outside.bin", "relative path inside the model's directory"});
    parser->clearErrors();
    expectFailure(addModel(externalTensor("w", {1, 4}, 1, {{"location", "sub/../../outside.bin"}})), "w",
                  {"sub/../../outside.bin", "relative path inside"});
    parser->clearErrors();
    const std::string absolute = (dir.parent_path() / "outside.bin").string();
    expectFailure(addModel(externalTensor("w", {1, 4}, 1, {{"location", absolute}})), "w",
                  {absolute, "relative path inside"});
    // A symbolic link inside the directory that leads out of it.
    std::error_code ec;
    fs::create_symlink(dir.parent_path() / "outside.bin", dir / "link.bin", ec);
    if (!ec) {
        parser->clearErrors();
        expectFailure(addModel(externalTensor("w", {1, 4}, 1, {{"location", "link.bin"}})), "w",
                      {"link.bin", "outside the model's directory"});
    }
}

TEST_F(ExternalDataTest, ADirectoryIsNotAFile) {
    fs::create_directories(dir / "adir");
    expectFailure(addModel(externalTensor("w", {1, 4}, 1, {{"location", "adir"}})), "w",
                  {"adir", "not a regular file"});
}
