#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <random>

#include "engine/checksum.h"
#include "engine/format.h"

using namespace kiln;
using namespace kiln::engine;
namespace off = kiln::engine::header_offset;

namespace {

ir::ConstData bytesOf(size_t n, uint8_t seed) {
    auto b = std::make_shared<ir::Bytes>(n);
    for (size_t i = 0; i < n; ++i) (*b)[i] = uint8_t(seed + 7 * i);
    return b;
}

// A small plan that touches every field: an input with a range, constants (two
// sharing one buffer), two nodes with attrs of every variant alternative, an
// omitted optional input, a profile, a memory plan and build info.
Plan samplePlan() {
    Plan p;
    p.backend = Backend::kCPU;
    p.deviceFingerprint = "x86-64 avx2 fma";
    p.producer = "kiln 0.1.0";
    p.implicitBatch = true;
    p.maxBatchSize = 8;
    p.buildInfo = {{"fp16", "1"}, {"int8", "0"}, {"workspace", "1048576"}};
    ir::Graph& g = p.graph;
    const int x = g.addValue("x", ir::DType::kF32, {-1, 4});
    g.values[x].hasRange = true;
    g.values[x].rangeMin = -2.5f;
    g.values[x].rangeMax = 3.25f;
    g.inputs = {x};
    const auto wData = bytesOf(4 * 4 * 4, 11);
    const int w = g.addConstant("w", ir::DType::kF32, {4, 4}, wData);
    const int b = g.addConstant("b", ir::DType::kF16, {4}, bytesOf(4 * 2, 99));
    const int w2 = g.addConstant("w_alias", ir::DType::kI32, {16}, wData);
    const int mm = g.addNode("MatMul", "mm", {x, w}, 1);
    ir::Node& n0 = g.nodes[mm];
    n0.attrs.set("alpha", 1.5);
    n0.attrs.set("transB", int64_t(1));
    n0.attrs.set("mode", "gemm");
    n0.attrs.set("perm", std::vector<int64_t>{1, 0, -3});
    n0.attrs.set("scales", std::vector<double>{0.5, -0.0, 1e300});
    n0.precision = int(ir::DType::kF16);
    n0.tactic = "cpu.gemm.avx2";
    const int mmOut = n0.outputs[0];
    const int add = g.addNode("Add", "add", {mmOut, b, -1, w2}, 1, {"y"});  // invalidates n0
    ir::Node& n1 = g.nodes[add];
    n1.attrs.set("axis", int64_t(-1));
    n1.attrs.set("beta", -0.25);
    n1.attrs.set("name", std::string());
    n1.attrs.set("empty_ints", std::vector<int64_t>{});
    n1.attrs.set("empty_floats", std::vector<double>{});
    n1.tactic = "cpu.eltwise";
    g.values[mmOut].shape = {8, 4};
    g.values[n1.outputs[0]].shape = {8, 4};
    g.outputs = {n1.outputs[0]};
    Profile prof;
    prof.min = {{1, 4}};
    prof.opt = {{4, 4}};
    prof.max = {{8, 4}};
    p.profiles = {prof};
    p.memory.offsets = {-1, -1, -1, -1, 0, -1};
    p.memory.arenaBytes = 128;
    p.memory.workspaceBytes = 4096;
    return p;
}

std::vector<uint8_t> write(const Plan& p) {
    std::vector<uint8_t> out;
    Status st = writeEngine(p, out);
    EXPECT_TRUE(st.ok()) << st.message();
    return out;
}

Status read(const std::vector<uint8_t>& f, Plan& p) { return readEngine(f.data(), f.size(), p); }

std::string readError(const std::vector<uint8_t>& f) {
    Plan p;
    Status st = read(f, p);
    EXPECT_FALSE(st.ok());
    return st.message();
}

void putU32(std::vector<uint8_t>& f, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) f[at + i] = uint8_t(v >> (8 * i));
}

void fixChecksum(std::vector<uint8_t>& f) {
    const uint64_t c = engineChecksum(f.data(), f.size());
    for (int i = 0; i < 8; ++i) f[off::kChecksum + i] = uint8_t(c >> (8 * i));
}

// Position just after the length-prefixed string `s` in the metadata.
size_t after(const std::vector<uint8_t>& f, const std::string& s) {
    std::vector<uint8_t> pat(4);
    putU32(pat, 0, uint32_t(s.size()));
    pat.insert(pat.end(), s.begin(), s.end());
    auto it = std::search(f.begin(), f.end(), pat.begin(), pat.end());
    EXPECT_NE(it, f.end()) << s;
    return size_t(it - f.begin()) + pat.size();
}

bool has(const std::string& msg, const std::string& part) { return msg.find(part) != std::string::npos; }

void expectValuesEqual(const ir::Value& a, const ir::Value& b) {
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.dtype, b.dtype);
    EXPECT_EQ(a.shape, b.shape);
    EXPECT_EQ(a.producer, b.producer) << a.name;
    EXPECT_EQ(a.hasRange, b.hasRange);
    EXPECT_EQ(a.rangeMin, b.rangeMin);
    EXPECT_EQ(a.rangeMax, b.rangeMax);
    ASSERT_EQ(a.isConstant(), b.isConstant()) << a.name;
    if (a.isConstant()) {
        EXPECT_EQ(*a.data, *b.data) << a.name;
    }
}

void expectPlansEqual(const Plan& a, const Plan& b) {
    EXPECT_EQ(a.backend, b.backend);
    EXPECT_EQ(a.deviceFingerprint, b.deviceFingerprint);
    EXPECT_EQ(a.producer, b.producer);
    EXPECT_EQ(a.implicitBatch, b.implicitBatch);
    EXPECT_EQ(a.maxBatchSize, b.maxBatchSize);
    EXPECT_EQ(a.buildInfo, b.buildInfo);
    ASSERT_EQ(a.graph.values.size(), b.graph.values.size());
    for (size_t i = 0; i < a.graph.values.size(); ++i) expectValuesEqual(a.graph.values[i], b.graph.values[i]);
    ASSERT_EQ(a.graph.nodes.size(), b.graph.nodes.size());
    for (size_t i = 0; i < a.graph.nodes.size(); ++i) {
        const ir::Node &x = a.graph.nodes[i], &y = b.graph.nodes[i];
        EXPECT_EQ(x.op, y.op);
        EXPECT_EQ(x.name, y.name);
        EXPECT_EQ(x.inputs, y.inputs);
        EXPECT_EQ(x.outputs, y.outputs);
        EXPECT_TRUE(x.attrs == y.attrs) << x.name;
        EXPECT_EQ(x.precision, y.precision);
        EXPECT_EQ(x.tactic, y.tactic);
        EXPECT_EQ(x.dead, y.dead);
    }
    EXPECT_EQ(a.graph.inputs, b.graph.inputs);
    EXPECT_EQ(a.graph.outputs, b.graph.outputs);
    ASSERT_EQ(a.profiles.size(), b.profiles.size());
    for (size_t i = 0; i < a.profiles.size(); ++i) {
        EXPECT_EQ(a.profiles[i].min, b.profiles[i].min);
        EXPECT_EQ(a.profiles[i].opt, b.profiles[i].opt);
        EXPECT_EQ(a.profiles[i].max, b.profiles[i].max);
    }
    EXPECT_EQ(a.memory.offsets, b.memory.offsets);
    EXPECT_EQ(a.memory.arenaBytes, b.memory.arenaBytes);
    EXPECT_EQ(a.memory.workspaceBytes, b.memory.workspaceBytes);
}

}  // namespace

TEST(EngineFormat, RoundTripKeepsEveryField) {
    const Plan p = samplePlan();
    const auto f = write(p);
    Plan q;
    Status st = read(f, q);
    ASSERT_TRUE(st.ok()) << st.message();
    expectPlansEqual(p, q);
    // -0.0 and 1e300 survive bit-exactly; buffers shared when written stay shared.
    EXPECT_TRUE(std::signbit(q.graph.nodes[0].attrs.getFloats("scales")[1]));
    EXPECT_EQ(q.graph.values[1].data, q.graph.values[3].data);
    EXPECT_NE(q.graph.values[1].data, q.graph.values[2].data);

    Plan cuda = samplePlan();
    cuda.backend = Backend::kCUDA;
    Plan r;
    ASSERT_TRUE(read(write(cuda), r).ok());
    EXPECT_EQ(r.backend, Backend::kCUDA);
    EXPECT_STREQ(backendName(Backend::kCUDA), "cuda");
    EXPECT_STREQ(backendName(Backend::kCPU), "cpu");
}

TEST(EngineFormat, WritingIsDeterministic) {
    const auto a = write(samplePlan());
    const auto b = write(samplePlan());
    EXPECT_EQ(a, b);
    Plan q;
    ASSERT_TRUE(read(a, q).ok());
    EXPECT_EQ(write(q), a);  // read-then-write reproduces the file
}

TEST(EngineFormat, WeightsAreAlignedAndSharedBuffersStoredOnce) {
    const Plan p = samplePlan();
    const auto f = write(p);
    EngineHeaderInfo h;
    ASSERT_TRUE(readEngineHeader(f.data(), f.size(), h).ok());
    EXPECT_EQ(h.weightsOffset % kEngineAlignment, 0u);
    EXPECT_EQ(h.weightsOffset + h.weightsSize, f.size());
    for (int v : {1, 2}) {
        const ir::Bytes& data = *p.graph.values[v].data;
        auto it = std::search(f.begin() + h.weightsOffset, f.end(), data.begin(), data.end());
        ASSERT_NE(it, f.end());
        EXPECT_EQ(size_t(it - f.begin()) % kEngineAlignment, 0u);
    }
    // w (64 bytes) once, then b at the next 64-byte boundary; w_alias reuses w.
    EXPECT_EQ(h.weightsSize, 64u + 8u);
}

TEST(EngineFormat, HeaderFields) {
    const auto f = write(samplePlan());
    EngineHeaderInfo h;
    Status st = readEngineHeader(f.data(), f.size(), h);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(h.formatVersion, kFormatVersion);
    EXPECT_EQ(h.producerMajor, uint32_t(KILN_VERSION_MAJOR));
    EXPECT_EQ(h.producerMinor, uint32_t(KILN_VERSION_MINOR));
    EXPECT_EQ(h.producerPatch, uint32_t(KILN_VERSION_PATCH));
    EXPECT_EQ(h.backend, Backend::kCPU);
    EXPECT_EQ(h.fileSize, f.size());
    EXPECT_EQ(h.metadataOffset, kEngineHeaderSize);
    EXPECT_EQ(h.checksum, engineChecksum(f.data(), f.size()));
    EXPECT_EQ(std::string(f.begin(), f.begin() + 8), "KILNENG1");

    // It also describes files of other format versions (inspect's job).
    auto g = f;
    putU32(g, off::kFormatVersion, 7);
    ASSERT_TRUE(readEngineHeader(g.data(), g.size(), h).ok());
    EXPECT_EQ(h.formatVersion, 7u);
    EXPECT_FALSE(readEngineHeader(f.data(), 10, h).ok());
}

TEST(EngineFormat, TruncationAtEveryLengthIsRefused) {
    const auto f = write(samplePlan());
    for (size_t n = 0; n < f.size(); ++n) {
        Plan p;
        Status st = readEngine(f.data(), n, p);
        ASSERT_FALSE(st.ok()) << n;
        if (n < kEngineHeaderSize)
            EXPECT_EQ(st.message(), "engine file is truncated: " + std::to_string(n) +
                                        " bytes, the header alone needs " + std::to_string(kEngineHeaderSize));
        else
            EXPECT_EQ(st.message(), "engine file is truncated: header says " + std::to_string(f.size()) +
                                        " bytes, got " + std::to_string(n));
    }
    auto longer = f;
    longer.push_back(0);
    EXPECT_TRUE(has(readError(longer), "trailing data"));
}

TEST(EngineFormat, EverySingleBitFlipIsRefused) {
    const auto f = write(samplePlan());
    ASSERT_LT(f.size(), 2048u);
    auto g = f;
    for (size_t byte = 0; byte < g.size(); ++byte) {
        for (int bit = 0; bit < 8; ++bit) {
            g[byte] ^= uint8_t(1u << bit);
            Plan p;
            ASSERT_FALSE(read(g, p).ok()) << "byte " << byte << " bit " << bit;
            g[byte] ^= uint8_t(1u << bit);
        }
    }
    // Flips past the header, which no earlier check sees, fail the checksum.
    g[f.size() - 1] ^= 1;
    EXPECT_EQ(readError(g), "engine file is corrupted: checksum mismatch");
}

TEST(EngineFormat, WrongVersionIsRefused) {
    auto f = write(samplePlan());
    putU32(f, off::kFormatVersion, kFormatVersion + 1);
    fixChecksum(f);
    const std::string msg = readError(f);
    EXPECT_TRUE(has(msg, "engine format version " + std::to_string(kFormatVersion + 1) +
                             " is not supported by this kiln (reads version " + std::to_string(kFormatVersion) +
                             "); rebuild the engine"))
        << msg;
}

TEST(EngineFormat, BadMagicIsRefused) {
    auto f = write(samplePlan());
    f[3] = 'X';
    EXPECT_EQ(readError(f), "not a kiln engine file (bad magic)");
    std::vector<uint8_t> zeros(200, 0);
    EXPECT_EQ(readError(zeros), "not a kiln engine file (bad magic)");
}

TEST(EngineFormat, OtherByteOrderIsRefused) {
    auto f = write(samplePlan());
    std::reverse(f.begin() + off::kEndianMarker, f.begin() + off::kEndianMarker + 4);
    fixChecksum(f);
    const std::string msg = readError(f);
    const char* expect = std::endian::native == std::endian::little ? "engine written on a big-endian machine"
                                                                    : "engine written on a little-endian machine";
    EXPECT_TRUE(has(msg, expect)) << msg;
    EngineHeaderInfo h;
    EXPECT_FALSE(readEngineHeader(f.data(), f.size(), h).ok());
}

TEST(EngineFormat, MisplacedSectionsAreRefused) {
    auto f = write(samplePlan());
    auto g = f;
    g[off::kMetadataSize + 7] = 0x80;  // metadata size ~ 2^63
    fixChecksum(g);
    EXPECT_TRUE(has(readError(g), "metadata section lies outside the file"));
    g = f;
    g[off::kWeightsOffset] += 8;  // misaligned
    fixChecksum(g);
    EXPECT_TRUE(has(readError(g), "weights section is misplaced"));
}

TEST(EngineFormat, HugeCountsAreRefusedBeforeAllocating) {
    const auto f = write(samplePlan());
    // The producer string's length, the first field of the metadata.
    auto g = f;
    putU32(g, kEngineHeaderSize, 0xFFFFFFFFu);
    fixChecksum(g);
    std::string msg = readError(g);
    EXPECT_TRUE(has(msg, "engine metadata is malformed: count 4294967295")) << msg;
    // The input count of node "add" (just after its name).
    g = f;
    putU32(g, after(f, "add"), 0x7FFFFFFFu);
    fixChecksum(g);
    msg = readError(g);
    EXPECT_TRUE(has(msg, "count 2147483647")) << msg;
    // The value count (after producer, fingerprint, build info, flags).
    g = f;
    putU32(g, after(f, "1048576") + 1 + 4, 0xFFFFFFF0u);
    fixChecksum(g);
    msg = readError(g);
    EXPECT_TRUE(has(msg, "count 4294967280")) << msg;
}

TEST(EngineFormat, SemanticallyInvalidMetadataIsRefused) {
    const auto f = write(samplePlan());
    struct Case {
        std::string after;
        size_t skip;
        uint32_t value;
        const char* expect;
    };
    // Node layout: name, input count, ids...; value layout: name, dtype u8, flags u8, rank, dims.
    const Case cases[] = {
        {"add", 4, 999, "input id out of range"},
        {"add", 4, uint32_t(-7), "input id out of range"},
        {"mm", 4 + 4 * 2 + 4, 77, "output id out of range"},
        {"x", 0, 77, "invalid dtype 77"},
        {"x", 1, 0x80, "unknown flags"},
        {"x", 2, 9, "rank 9"},
        {"x", 2 + 4, uint32_t(-5), "dimension -5"},
        {"w", 2 + 4, 5, "need 80"},                                           // [5,4] F32 no longer matches 64 bytes
        {"b", 2 + 4 + 8 + 4 + 4, 32, "outside the 72-byte weights section"},  // constant offset
        {"mm", 4 + 4 * 2 + 4 + 4 + 4 + 4 + 5, 9, "unknown attribute type tag 9"},  // first attr tag ("alpha")
    };
    for (const Case& c : cases) {
        auto g = f;
        const size_t at = after(f, c.after) + c.skip;
        if (c.after == "x" && (c.skip == 0 || c.skip == 1))
            g[at] = uint8_t(c.value);
        else if (c.after == "mm" && c.skip > 20)
            g[at] = uint8_t(c.value);
        else
            putU32(g, at, c.value);
        fixChecksum(g);
        const std::string msg = readError(g);
        EXPECT_TRUE(has(msg, c.expect)) << c.expect << " <- " << msg;
    }
}

TEST(EngineFormat, WriterRefusesPlansItCouldNotReadBack) {
    std::vector<uint8_t> out;
    Plan p = samplePlan();
    p.graph.values[1].shape = {4, 5};
    Status st = writeEngine(p, out);
    EXPECT_FALSE(st.ok());
    EXPECT_TRUE(has(st.message(), "cannot write the engine: constant 'w'")) << st.message();
    p = samplePlan();
    p.memory.offsets.pop_back();
    EXPECT_FALSE(writeEngine(p, out).ok());
    p = samplePlan();
    p.graph.nodes[1].inputs[0] = 42;
    EXPECT_FALSE(writeEngine(p, out).ok());
    p = samplePlan();
    p.profiles[0].min[0] = {9, 4};  // min > opt
    EXPECT_FALSE(writeEngine(p, out).ok());
}

// Random byte edits with a repaired checksum reach the metadata parser; it
// must refuse or accept cleanly (run under the sanitizers to catch overreads).
TEST(EngineFormat, RandomMetadataEditsNeverCrash) {
    const auto f = write(samplePlan());
    std::mt19937 rng(1234);
    int refused = 0;
    for (int iter = 0; iter < 3000; ++iter) {
        auto g = f;
        const int edits = 1 + int(rng() % 4);
        for (int e = 0; e < edits; ++e) {
            const size_t at = kEngineHeaderSize + rng() % (g.size() - kEngineHeaderSize);
            g[at] = uint8_t(rng() % 3 == 0 ? 0xFF : rng());
        }
        fixChecksum(g);
        Plan p;
        if (!read(g, p).ok()) ++refused;
    }
    EXPECT_GT(refused, 1000);
}

TEST(EngineChecksum, StreamingMatchesOneShotAndSeesEveryBit) {
    std::vector<uint8_t> buf(200);
    for (size_t i = 0; i < buf.size(); ++i) buf[i] = uint8_t(i * 31 + 5);
    for (size_t n : {0u, 1u, 7u, 8u, 31u, 32u, 33u, 100u, 200u}) {
        const uint64_t whole = checksum64(buf.data(), n);
        for (size_t split : {size_t(0), n / 3, n / 2, n}) {
            Checksum64 c;
            c.update(buf.data(), split);
            c.update(buf.data() + split, n - split);
            EXPECT_EQ(c.finish(), whole) << n << " " << split;
        }
        for (size_t bit = 0; bit < n * 8; ++bit) {
            buf[bit / 8] ^= uint8_t(1u << (bit % 8));
            ASSERT_NE(checksum64(buf.data(), n), whole) << n << " " << bit;
            buf[bit / 8] ^= uint8_t(1u << (bit % 8));
        }
    }
    // Trailing zero bytes change the checksum (the length is mixed in).
    std::vector<uint8_t> zeros(16, 0);
    EXPECT_NE(checksum64(zeros.data(), 15), checksum64(zeros.data(), 16));
    EXPECT_NE(checksum64(zeros.data(), 0), checksum64(zeros.data(), 1));
}

// Format 2: one plan per optimization profile; constants the plans share are
// stored once; plans that disagree on their settings or I/O are refused.
TEST(EngineFormat, SeveralProfilesRoundTripAndShareWeights) {
    const Plan a = samplePlan();
    Plan b = samplePlan();  // shares a's constant buffers
    for (size_t v = 0; v < b.graph.values.size(); ++v) b.graph.values[v].data = a.graph.values[v].data;
    b.profiles[0].min = {{2, 4}};
    b.profiles[0].opt = {{8, 4}};
    b.memory.arenaBytes = 128;
    std::vector<uint8_t> one, two;
    ASSERT_TRUE(writeEngine(a, one).ok());
    Status st = writeEngine(Plans{a, b}, two);
    ASSERT_TRUE(st.ok()) << st.message();
    EngineHeaderInfo h1, h2;
    ASSERT_TRUE(readEngineHeader(one.data(), one.size(), h1).ok());
    ASSERT_TRUE(readEngineHeader(two.data(), two.size(), h2).ok());
    EXPECT_EQ(h1.weightsSize, h2.weightsSize) << "shared constants are stored once";

    Plans back;
    st = readEngine(two.data(), two.size(), back);
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_EQ(back.size(), 2u);
    expectPlansEqual(a, back[0]);
    expectPlansEqual(b, back[1]);
    EXPECT_EQ(back[0].graph.values[1].data, back[1].graph.values[1].data) << "shared again after reading";
    std::vector<uint8_t> again;
    ASSERT_TRUE(writeEngine(back, again).ok());
    EXPECT_EQ(again, two);

    // The one-plan reader refuses a two-profile file rather than dropping a profile.
    Plan single;
    st = readEngine(two.data(), two.size(), single);
    EXPECT_FALSE(st.ok());
    EXPECT_TRUE(has(st.message(), "2 optimization profiles")) << st.message();

    std::vector<uint8_t> out;
    Plan other = samplePlan();
    other.maxBatchSize = 4;
    st = writeEngine(Plans{a, other}, out);
    EXPECT_TRUE(has(st.message(), "profile 1 was built with other settings")) << st.message();
    other = samplePlan();
    other.graph.values[size_t(other.graph.inputs[0])].name = "renamed";
    st = writeEngine(Plans{a, other}, out);
    EXPECT_TRUE(has(st.message(), "profile 1 input 0 differs")) << st.message();
    other = samplePlan();
    other.profiles.push_back(other.profiles[0]);
    st = writeEngine(Plans{a, other}, out);
    EXPECT_TRUE(has(st.message(), "exactly one optimization profile")) << st.message();
    EXPECT_FALSE(writeEngine(Plans{}, out).ok());

    // A plan count of zero in the file is refused: it follows the last build
    // info value, the implicit-batch flag (u8) and the max batch size (i32).
    auto g = one;
    putU32(g, after(g, "1048576") + 1 + 4, 0);
    fixChecksum(g);
    EXPECT_TRUE(has(readError(g), "no optimization profile")) << readError(g);
}
