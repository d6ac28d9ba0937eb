// Tests for the kiln tool's .npy / TensorProto readers and writers. The readers
// face hostile files, so besides round trips this checks hand-built edge cases,
// every truncation of valid files, and fixed-seed garbage (run under ASan/UBSan).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "tensor_file.h"

using namespace kiln::tool;
namespace fs = std::filesystem;

namespace {

constexpr ElemType kAllTypes[] = {ElemType::kF32, ElemType::kF16, ElemType::kBF16, ElemType::kF64, ElemType::kI8,
                                  ElemType::kU8,  ElemType::kI16, ElemType::kU16,  ElemType::kI32, ElemType::kU32,
                                  ElemType::kI64, ElemType::kU64, ElemType::kBool};

using Bytes = std::vector<uint8_t>;

Bytes toBytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

template <typename T>
Bytes leBytes(std::initializer_list<T> values) {
    Bytes out(values.size() * sizeof(T));
    std::memcpy(out.data(), values.begin(), out.size());
    return out;
}

template <typename T>
Bytes beBytes(std::initializer_list<T> values) {
    Bytes out = leBytes(values);
    for (size_t i = 0; i < out.size(); i += sizeof(T)) std::reverse(out.begin() + i, out.begin() + i + sizeof(T));
    return out;
}

// A tensor with deterministic contents of the given type (bools stay 0/1).
TensorData patterned(ElemType type, std::vector<int64_t> shape, uint32_t seed = 7) {
    TensorData t;
    t.type = type;
    t.shape = std::move(shape);
    size_t count = 0;
    EXPECT_TRUE(elementCount(t.shape, count));
    std::mt19937 rng(seed);
    t.bytes.resize(count * elemSize(type));
    for (uint8_t& b : t.bytes) b = static_cast<uint8_t>(type == ElemType::kBool ? rng() & 1 : rng());
    return t;
}

// An .npy file from a header dict text, padded the way numpy pads it.
Bytes npyFile(int major, std::string header, const Bytes& data) {
    const size_t prefix = major == 1 ? 10 : 12;
    while ((prefix + header.size() + 1) % 64 != 0) header.push_back(' ');
    header.push_back('\n');
    Bytes out = toBytes("\x93NUMPY");
    out.push_back(static_cast<uint8_t>(major));
    out.push_back(0);
    for (size_t i = 0; i < prefix - 8; ++i) out.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

// Builds protobuf messages field by field.
class Proto {
public:
    Proto& varint(uint32_t field, uint64_t v) {
        tag(field, 0);
        put(v);
        return *this;
    }
    Proto& fixed32(uint32_t field, uint32_t v) {
        tag(field, 5);
        for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<uint8_t>(v >> (8 * i)));
        return *this;
    }
    Proto& fixed64(uint32_t field, uint64_t v) {
        tag(field, 1);
        for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<uint8_t>(v >> (8 * i)));
        return *this;
    }
    Proto& len(uint32_t field, const Bytes& payload) {
        tag(field, 2);
        put(payload.size());
        bytes.insert(bytes.end(), payload.begin(), payload.end());
        return *this;
    }
    Proto& packedVarints(uint32_t field, std::initializer_list<uint64_t> values) {
        Proto inner;
        for (uint64_t v : values) inner.put(v);
        return len(field, inner.bytes);
    }
    Proto& raw(const Bytes& b) {
        bytes.insert(bytes.end(), b.begin(), b.end());
        return *this;
    }
    Proto& dims(std::initializer_list<int64_t> ds) {
        for (int64_t d : ds) varint(1, static_cast<uint64_t>(d));
        return *this;
    }
    Bytes bytes;

private:
    void tag(uint32_t field, uint32_t wire) { put((field << 3) | wire); }
    void put(uint64_t v) {
        while (v >= 0x80) {
            bytes.push_back(static_cast<uint8_t>(v | 0x80));
            v >>= 7;
        }
        bytes.push_back(static_cast<uint8_t>(v));
    }
};

uint32_t floatBits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

bool parseNpy(const Bytes& b, TensorData& t, std::string& err) { return readNpy(b.data(), b.size(), t, err); }
bool parsePb(const Bytes& b, TensorData& t, std::string& err) { return readTensorProto(b.data(), b.size(), t, err); }

std::vector<double> npyValues(const Bytes& b) {
    TensorData t;
    std::string err;
    EXPECT_TRUE(parseNpy(b, t, err)) << err;
    return toDoubles(t);
}

std::vector<double> pbValues(const Bytes& b, ElemType expectType) {
    TensorData t;
    std::string err;
    EXPECT_TRUE(parsePb(b, t, err)) << err;
    EXPECT_EQ(t.type, expectType) << elemTypeName(t.type);
    return toDoubles(t);
}

std::string npyError(const Bytes& b) {
    TensorData t;
    std::string err;
    EXPECT_FALSE(parseNpy(b, t, err));
    return err;
}

std::string pbError(const Bytes& b) {
    TensorData t;
    std::string err;
    EXPECT_FALSE(parsePb(b, t, err));
    return err;
}

// A fresh directory under the system temp dir, removed at scope exit.
struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() /
               ("kiln_tensor_file_test_" + std::to_string(std::random_device{}()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

void writeRaw(const fs::path& p, const Bytes& b) {
    std::ofstream f(p, std::ios::binary);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

}  // namespace

// ---- basics ------------------------------------------------------------------

TEST(TensorFile, ElemSizesNamesAndCounts) {
    EXPECT_EQ(elemSize(ElemType::kF64), 8u);
    EXPECT_EQ(elemSize(ElemType::kBF16), 2u);
    EXPECT_EQ(elemSize(ElemType::kBool), 1u);
    EXPECT_STREQ(elemTypeName(ElemType::kU16), "u16");
    size_t n = 99;
    EXPECT_TRUE(elementCount({}, n));
    EXPECT_EQ(n, 1u);
    EXPECT_TRUE(elementCount({2, 0, 5}, n));
    EXPECT_EQ(n, 0u);
    EXPECT_FALSE(elementCount({2, -1}, n));
    EXPECT_FALSE(elementCount({int64_t{1} << 40, int64_t{1} << 40}, n));
    EXPECT_FALSE(elementCount({0, int64_t{1} << 40, int64_t{1} << 40}, n));  // overflow even with a zero dim
}

TEST(TensorFile, ToDoublesWidensEveryType) {
    TensorData h{ElemType::kF16, {6}, leBytes<uint16_t>({0x3c00, 0xc000, 0x0001, 0x03ff, 0x7c00, 0x7e00}), ""};
    const auto hv = toDoubles(h);
    ASSERT_EQ(hv.size(), 6u);
    EXPECT_EQ(hv[0], 1.0);
    EXPECT_EQ(hv[1], -2.0);
    EXPECT_EQ(hv[2], std::ldexp(1.0, -24));  // smallest subnormal
    EXPECT_EQ(hv[3], 1023 * std::ldexp(1.0, -24));
    EXPECT_TRUE(std::isinf(hv[4]));
    EXPECT_TRUE(std::isnan(hv[5]));
    TensorData b{ElemType::kBF16, {2}, leBytes<uint16_t>({0x3f80, 0xc040}), ""};
    EXPECT_EQ(toDoubles(b), (std::vector<double>{1.0, -3.0}));
    TensorData i{ElemType::kI16, {2}, leBytes<int16_t>({-300, 7}), ""};
    EXPECT_EQ(toDoubles(i), (std::vector<double>{-300, 7}));
    TensorData u{ElemType::kU64, {1}, leBytes<uint64_t>({1ull << 40}), ""};
    EXPECT_EQ(toDoubles(u), (std::vector<double>{std::ldexp(1.0, 40)}));
    TensorData shortBytes{ElemType::kF32, {4}, Bytes(8), ""};
    EXPECT_TRUE(toDoubles(shortBytes).empty());
}

// ---- round trips ---------------------------------------------------------------

TEST(TensorFile, NpyRoundTripEveryType) {
    TempDir dir;
    for (ElemType type : kAllTypes) {
        if (type == ElemType::kBF16) continue;  // .npy has no bfloat16
        for (const std::vector<int64_t>& shape : {std::vector<int64_t>{}, {0}, {5}, {2, 3, 4}, {1, 0, 3}}) {
            SCOPED_TRACE(std::string(elemTypeName(type)) + " rank " + std::to_string(shape.size()));
            const TensorData t = patterned(type, shape);
            Bytes enc;
            std::string err;
            ASSERT_TRUE(encodeNpy(t, enc, err)) << err;
            EXPECT_EQ(enc.size() - t.bytes.size(), 128u);  // header padded to a multiple of 64
            TensorData back;
            ASSERT_TRUE(parseNpy(enc, back, err)) << err;
            EXPECT_EQ(back.type, t.type);
            EXPECT_EQ(back.shape, t.shape);
            EXPECT_EQ(back.bytes, t.bytes);

            const std::string path = (dir.path / "t.npy").string();
            ASSERT_TRUE(writeNpy(path, t, err)) << err;
            TensorData fromFile;
            ASSERT_TRUE(readTensorFile(path, fromFile, err)) << err;
            EXPECT_EQ(fromFile.shape, t.shape);
            EXPECT_EQ(fromFile.bytes, t.bytes);
        }
    }
}

TEST(TensorFile, NpyRefusesBfloat16) {
    TempDir dir;
    std::string err;
    EXPECT_FALSE(writeNpy((dir.path / "b.npy").string(), patterned(ElemType::kBF16, {3}), err));
    EXPECT_NE(err.find("bf16"), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(dir.path / "b.npy"));
}

TEST(TensorFile, TensorProtoRoundTripEveryType) {
    TempDir dir;
    for (ElemType type : kAllTypes) {
        for (const std::vector<int64_t>& shape : {std::vector<int64_t>{}, {0}, {7}, {2, 3, 2}}) {
            SCOPED_TRACE(std::string(elemTypeName(type)) + " rank " + std::to_string(shape.size()));
            TensorData t = patterned(type, shape);
            t.name = shape.size() == 1 ? "" : "tensor:" + std::string(elemTypeName(type));
            const std::string path = (dir.path / "t.pb").string();
            std::string err;
            ASSERT_TRUE(writeTensorProto(path, t, err)) << err;
            TensorData back;
            ASSERT_TRUE(readTensorFile(path, back, err)) << err;
            EXPECT_EQ(back.type, t.type);
            EXPECT_EQ(back.shape, t.shape);
            EXPECT_EQ(back.bytes, t.bytes);
            EXPECT_EQ(back.name, t.name);
        }
    }
}

TEST(TensorFile, WritersRejectInconsistentTensorsAndBadPaths) {
    TempDir dir;
    std::string err;
    TensorData bad{ElemType::kF32, {3}, Bytes(8), ""};
    EXPECT_FALSE(writeNpy((dir.path / "x.npy").string(), bad, err));
    EXPECT_NE(err.find("needs 12"), std::string::npos) << err;
    EXPECT_FALSE(writeTensorProto((dir.path / "x.pb").string(), bad, err));
    EXPECT_FALSE(writeNpy((dir.path / "no/such/dir/x.npy").string(), patterned(ElemType::kF32, {2}), err));
    EXPECT_NE(err.find("cannot create"), std::string::npos) << err;
    TensorData t;
    EXPECT_FALSE(readTensorFile((dir.path / "missing.npy").string(), t, err));
    EXPECT_NE(err.find("missing.npy: cannot open"), std::string::npos) << err;
}

TEST(TensorFile, UnknownExtensionSniffsTheFormat) {
    TempDir dir;
    const TensorData t = patterned(ElemType::kI32, {4});
    Bytes npy, pb;
    std::string err;
    ASSERT_TRUE(encodeNpy(t, npy, err));
    ASSERT_TRUE(encodeTensorProto(t, pb, err));
    writeRaw(dir.path / "a.bin", npy);
    writeRaw(dir.path / "b", pb);
    TensorData a, b;
    ASSERT_TRUE(readTensorFile((dir.path / "a.bin").string(), a, err)) << err;
    ASSERT_TRUE(readTensorFile((dir.path / "b").string(), b, err)) << err;
    EXPECT_EQ(a.bytes, t.bytes);
    EXPECT_EQ(b.bytes, t.bytes);
    // The extension decides when present: an .npy body in a .pb file is a TensorProto error.
    writeRaw(dir.path / "c.pb", npy);
    EXPECT_FALSE(readTensorFile((dir.path / "c.pb").string(), a, err));
    EXPECT_EQ(err.rfind((dir.path / "c.pb").string() + ": ", 0), 0u) << err;
}

// ---- .npy edge cases -------------------------------------------------------------

TEST(TensorFile, NpyVersion1Header) {
    const Bytes f = npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }",
                            leBytes<float>({1.5f, -2, 3, 4}));
    TensorData t;
    std::string err;
    ASSERT_TRUE(parseNpy(f, t, err)) << err;
    EXPECT_EQ(t.type, ElemType::kF32);
    EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 2}));
    EXPECT_EQ(toDoubles(t), (std::vector<double>{1.5, -2, 3, 4}));
}

TEST(TensorFile, NpyVersion2And3Headers) {
    const Bytes v2 = npyFile(2, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,)}", leBytes<int64_t>({-1, 0, 1}));
    EXPECT_EQ(npyValues(v2), (std::vector<double>{-1, 0, 1}));
    const Bytes v3 = npyFile(3, "{'descr': '|u1', 'fortran_order': False, 'shape': (2,)}", Bytes{200, 7});
    EXPECT_EQ(npyValues(v3), (std::vector<double>{200, 7}));
    Bytes v4 = v3;
    v4[6] = 4;
    EXPECT_NE(npyError(v4).find("unsupported npy version 4.0"), std::string::npos);
}

TEST(TensorFile, NpyHeaderDictSyntaxVariants) {
    const Bytes data = leBytes<int32_t>({1, 2, 3});
    for (const char* header : {
             "{'shape': (3,), 'descr': '<i4', 'fortran_order': False}",
             "{\"fortran_order\":False,\"shape\":(3,),\"descr\":\"<i4\",}",
             "  {  'descr' :  '<i4' ,\n 'fortran_order' : False , 'shape' : ( 3 , ) , }  ",
             "{'descr': '<i4', 'fortran_order': False, 'shape': [3], 'extra': (None, 'x', [1, 2]),}",
             "{'descr': 'i4', 'fortran_order': False, 'shape': (3L,)}",
         }) {
        SCOPED_TRACE(header);
        EXPECT_EQ(npyValues(npyFile(1, header, data)), (std::vector<double>{1, 2, 3}));
    }
}

TEST(TensorFile, NpyScalarShape) {
    TensorData t;
    std::string err;
    ASSERT_TRUE(parseNpy(npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': ()}", leBytes<double>({2.25})),
                         t, err))
        << err;
    EXPECT_TRUE(t.shape.empty());
    EXPECT_EQ(toDoubles(t), (std::vector<double>{2.25}));
}

TEST(TensorFile, NpyBigEndian) {
    EXPECT_EQ(npyValues(npyFile(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,)}", beBytes<float>({1.5f, -8}))),
              (std::vector<double>{1.5, -8}));
    EXPECT_EQ(npyValues(npyFile(1, "{'descr': '>i2', 'fortran_order': False, 'shape': (2,)}", beBytes<int16_t>({-2, 513}))),
              (std::vector<double>{-2, 513}));
    EXPECT_EQ(npyValues(npyFile(1, "{'descr': '>u8', 'fortran_order': False, 'shape': (1,)}", beBytes<uint64_t>({1ull << 33}))),
              (std::vector<double>{std::ldexp(1.0, 33)}));
    EXPECT_EQ(npyValues(npyFile(1, "{'descr': '>f2', 'fortran_order': False, 'shape': (1,)}", beBytes<uint16_t>({0x3c00}))),
              (std::vector<double>{1.0}));
    EXPECT_EQ(npyValues(npyFile(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (1,)}", beBytes<double>({-0.5}))),
              (std::vector<double>{-0.5}));
}

TEST(TensorFile, NpyFortranOrderIsConvertedToCOrder) {
    // Column-major [[1,2,3],[4,5,6]].
    EXPECT_EQ(npyValues(npyFile(1, "{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3)}",
                                leBytes<int32_t>({1, 4, 2, 5, 3, 6}))),
              (std::vector<double>{1, 2, 3, 4, 5, 6}));
    // Rank 3: C-order value at (i,j,k) is 100i+10j+k; lay it out first-dim-fastest.
    std::vector<int16_t> fortran(2 * 3 * 4);
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j)
            for (int k = 0; k < 4; ++k) fortran[i + 2 * (j + 3 * k)] = static_cast<int16_t>(100 * i + 10 * j + k);
    Bytes data(fortran.size() * 2);
    std::memcpy(data.data(), fortran.data(), data.size());
    const auto v = npyValues(npyFile(1, "{'descr': '<i2', 'fortran_order': True, 'shape': (2, 3, 4)}", data));
    ASSERT_EQ(v.size(), 24u);
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j)
            for (int k = 0; k < 4; ++k) EXPECT_EQ(v[static_cast<size_t>(i * 12 + j * 4 + k)], 100 * i + 10 * j + k);
}

TEST(TensorFile, NpyBoolsAreNormalised) {
    TensorData t;
    std::string err;
    ASSERT_TRUE(parseNpy(npyFile(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,)}", Bytes{0, 1, 5}), t, err));
    EXPECT_EQ(t.type, ElemType::kBool);
    EXPECT_EQ(t.bytes, (Bytes{0, 1, 1}));
}

TEST(TensorFile, NpyErrorsNameTheProblem) {
    const Bytes f4 = leBytes<float>({1, 2});
    auto hdr = [](const std::string& descr, const std::string& shape) {
        return "{'descr': " + descr + ", 'fortran_order': False, 'shape': " + shape + "}";
    };
    EXPECT_NE(npyError(toBytes("PK\x03\x04 not numpy")).find("magic"), std::string::npos);
    EXPECT_NE(npyError(npyFile(1, hdr("[('a', '<f4')]", "(2,)"), f4)).find("structured"), std::string::npos);
    EXPECT_NE(npyError(npyFile(1, hdr("'<c8'", "(1,)"), f4)).find("unsupported npy dtype '<c8'"), std::string::npos);
    EXPECT_NE(npyError(npyFile(1, hdr("'<U3'", "(1,)"), f4)).find("unsupported"), std::string::npos);
    EXPECT_NE(npyError(npyFile(1, hdr("'<f4'", "(3,)"), f4)).find("holds 8 data bytes"), std::string::npos);
    EXPECT_NE(npyError(npyFile(1, hdr("'<f4'", "(1,)"), f4)).find("holds 8 data bytes"), std::string::npos);
    EXPECT_NE(npyError(npyFile(1, hdr("'<f4'", "(-2,)"), f4)).find("non-negative"), std::string::npos);
    EXPECT_NE(npyError(npyFile(1, hdr("'<f4'", "(99999999999999999999,)"), f4)).find("too large"), std::string::npos);
    EXPECT_NE(npyError(npyFile(1, hdr("'<f4'", "(4294967296, 4294967296)"), f4)).find("overflows"), std::string::npos);
    EXPECT_NE(npyError(npyFile(1, "{'descr': '<f4', 'shape': (2,)}", f4)).find("fortran_order"), std::string::npos);
    EXPECT_NE(npyError(npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", f4)).find("npy header"),
              std::string::npos);
    EXPECT_NE(npyError(npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x", f4)).find("after"),
              std::string::npos);
    EXPECT_NE(npyError(npyFile(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", f4)).find("fortran_order"),
              std::string::npos);
    EXPECT_NE(npyError(npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': " + std::string(5000, '(') + "}",
                               f4))
                  .find("nested too deeply"),
              std::string::npos);
    Bytes longHeader = npyFile(1, hdr("'<f4'", "(2,)"), f4);
    longHeader[8] = 0xff;
    longHeader[9] = 0xff;
    EXPECT_NE(npyError(longHeader).find("declares 65535 bytes"), std::string::npos);
}

// ---- TensorProto edge cases ----------------------------------------------------------

TEST(TensorFile, ProtoFloatDataPackedAndUnpacked) {
    Proto packed;
    Bytes floats;
    for (float f : {1.0f, -2.5f, 3.25f}) {
        const uint32_t u = floatBits(f);
        for (int i = 0; i < 4; ++i) floats.push_back(static_cast<uint8_t>(u >> (8 * i)));
    }
    packed.dims({3}).varint(2, 1).len(4, floats);
    EXPECT_EQ(pbValues(packed.bytes, ElemType::kF32), (std::vector<double>{1.0, -2.5, 3.25}));

    Proto unpacked;
    unpacked.varint(2, 1).fixed32(4, floatBits(1.0f)).fixed32(4, floatBits(-2.5f)).dims({1, 3});
    unpacked.fixed32(4, floatBits(3.25f));  // fields may come in any order
    EXPECT_EQ(pbValues(unpacked.bytes, ElemType::kF32), (std::vector<double>{1.0, -2.5, 3.25}));

    Proto packedDims;
    packedDims.packedVarints(1, {1, 1, 2}).varint(2, 1).fixed32(4, floatBits(4)).fixed32(4, floatBits(5));
    TensorData t;
    std::string err;
    ASSERT_TRUE(parsePb(packedDims.bytes, t, err)) << err;
    EXPECT_EQ(t.shape, (std::vector<int64_t>{1, 1, 2}));
}

TEST(TensorFile, ProtoInt32DataCarriesNarrowTypes) {
    Proto f16;
    f16.dims({4}).varint(2, 10).packedVarints(5, {0x3c00, 0xc000, 0x3800, 0x7c00});
    const auto hv = pbValues(f16.bytes, ElemType::kF16);
    ASSERT_EQ(hv.size(), 4u);
    EXPECT_EQ(hv[0], 1.0);
    EXPECT_EQ(hv[1], -2.0);
    EXPECT_EQ(hv[2], 0.5);
    EXPECT_TRUE(std::isinf(hv[3]));

    Proto bf16;
    bf16.dims({2}).varint(2, 16).varint(5, 0x3f80).varint(5, 0xc040);  // unpacked int32_data
    EXPECT_EQ(pbValues(bf16.bytes, ElemType::kBF16), (std::vector<double>{1.0, -3.0}));

    // Negative int32 values are 10-byte sign-extended varints.
    Proto i8;
    i8.dims({3}).varint(2, 3).packedVarints(5, {static_cast<uint64_t>(int64_t{-128}), 127, 0});
    EXPECT_EQ(pbValues(i8.bytes, ElemType::kI8), (std::vector<double>{-128, 127, 0}));

    Proto u16;
    u16.dims({2}).varint(2, 4).packedVarints(5, {65535, 1});
    EXPECT_EQ(pbValues(u16.bytes, ElemType::kU16), (std::vector<double>{65535, 1}));

    Proto boolean;
    boolean.dims({3}).varint(2, 9).packedVarints(5, {1, 0, 1});
    EXPECT_EQ(pbValues(boolean.bytes, ElemType::kBool), (std::vector<double>{1, 0, 1}));

    Proto i32;
    i32.varint(2, 6).varint(5, static_cast<uint64_t>(int64_t{-70000}));  // scalar: no dims
    EXPECT_EQ(pbValues(i32.bytes, ElemType::kI32), (std::vector<double>{-70000}));

    Proto outOfRange;
    outOfRange.dims({1}).varint(2, 3).varint(5, 300);
    EXPECT_NE(pbError(outOfRange.bytes).find("int32_data value 300 at index 0 does not fit i8"), std::string::npos);
}

TEST(TensorFile, ProtoInt64DoubleAndUint64Data) {
    Proto i64;
    i64.dims({3}).varint(2, 7).packedVarints(7, {static_cast<uint64_t>(int64_t{-5}), 1ull << 40, 0});
    EXPECT_EQ(pbValues(i64.bytes, ElemType::kI64), (std::vector<double>{-5, std::ldexp(1.0, 40), 0}));
    Proto i64Unpacked;
    i64Unpacked.dims({2}).varint(2, 7).varint(7, 9).varint(7, static_cast<uint64_t>(int64_t{-9}));
    EXPECT_EQ(pbValues(i64Unpacked.bytes, ElemType::kI64), (std::vector<double>{9, -9}));

    double d = -1.75;
    uint64_t dbits;
    std::memcpy(&dbits, &d, 8);
    Proto f64;
    f64.dims({2}).varint(2, 11).fixed64(10, dbits).fixed64(10, 0);
    EXPECT_EQ(pbValues(f64.bytes, ElemType::kF64), (std::vector<double>{-1.75, 0}));

    Proto u32;
    u32.dims({2}).varint(2, 12).packedVarints(11, {4000000000u, 1});
    EXPECT_EQ(pbValues(u32.bytes, ElemType::kU32), (std::vector<double>{4e9, 1}));
    Proto u32Big;
    u32Big.dims({1}).varint(2, 12).packedVarints(11, {1ull << 32});
    EXPECT_NE(pbError(u32Big.bytes).find("does not fit u32"), std::string::npos);

    Proto u64;
    u64.dims({1}).varint(2, 13).varint(11, ~0ull);
    EXPECT_EQ(pbValues(u64.bytes, ElemType::kU64), (std::vector<double>{std::ldexp(1.0, 64)}));
}

TEST(TensorFile, ProtoRawDataAndName) {
    Proto p;
    p.dims({2, 2}).varint(2, 5).len(8, toBytes("weights")).len(9, leBytes<int16_t>({1, -2, 3, -4}));
    TensorData t;
    std::string err;
    ASSERT_TRUE(parsePb(p.bytes, t, err)) << err;
    EXPECT_EQ(t.name, "weights");
    EXPECT_EQ(t.type, ElemType::kI16);
    EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 2}));
    EXPECT_EQ(toDoubles(t), (std::vector<double>{1, -2, 3, -4}));
}

TEST(TensorFile, ProtoSkipsUnknownFieldsOfEveryWireType) {
    Proto inner;
    inner.varint(1, 5).len(2, toBytes("nested"));
    Proto p;
    p.varint(99, 12345)                         // varint
        .fixed64(100, 0x0102030405060708ull)    // fixed64
        .len(12, toBytes("doc string"))         // doc_string
        .len(13, inner.bytes)                   // external_data entry (ignored when not EXTERNAL)
        .len(3, Proto().varint(1, 0).varint(2, 4).bytes)  // segment
        .fixed32(101, 7)                        // fixed32
        .raw({0xb3, 0x06})                      // start group 102
        .varint(1, 3)
        .raw({0xbb, 0x06, 0xbc, 0x06})          // nested group 103 opened and closed
        .raw({0xb4, 0x06})                      // end group 102
        .varint(14, 0)                          // data_location DEFAULT
        .dims({2})
        .varint(2, 1)
        .len(9, leBytes<float>({0.5f, 8}))
        .len(536870911, toBytes("max field number"));
    EXPECT_EQ(pbValues(p.bytes, ElemType::kF32), (std::vector<double>{0.5, 8}));
}

TEST(TensorFile, ProtoErrorsNameTheProblem) {
    const Bytes twelve = leBytes<float>({1, 2, 3});
    {
        Proto p;
        p.dims({1000000}).varint(2, 1).len(9, twelve);
        const std::string err = pbError(p.bytes);
        EXPECT_NE(err.find("say 1000000 elements (4000000 bytes) but raw_data holds 12 bytes"), std::string::npos) << err;
    }
    {
        Proto p;
        p.dims({1}).varint(2, 8).len(6, toBytes("hello"));
        EXPECT_EQ(pbError(p.bytes), "string tensors are not supported");
        Proto q;
        q.varint(2, 8);
        EXPECT_EQ(pbError(q.bytes), "string tensors are not supported");
    }
    {
        Proto p;
        p.dims({3}).varint(2, 1).len(13, Proto().len(1, toBytes("location")).len(2, toBytes("w.bin")).bytes).varint(14, 1);
        EXPECT_NE(pbError(p.bytes).find("EXTERNAL"), std::string::npos);
    }
    {
        Proto p;
        p.dims({4}).varint(2, 1).len(9, Bytes(4));
        p.bytes.push_back(0x80);  // a varint tag that never ends
        const std::string err = pbError(p.bytes);
        EXPECT_EQ(err, "truncated varint at byte " + std::to_string(p.bytes.size() - 1)) << err;
    }
    {
        Proto p;
        p.dims({2}).varint(2, 1).raw({0x4a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00});  // raw_data length 2^32-1
        EXPECT_NE(pbError(p.bytes).find("runs past the end"), std::string::npos);
    }
    {
        Proto p;
        p.dims({2}).varint(2, 6).len(4, Bytes(8));
        EXPECT_NE(pbError(p.bytes).find("data_type is INT32 but the values are in float_data"), std::string::npos);
    }
    {
        Proto p;
        p.dims({1}).varint(2, 1).fixed32(4, 0).len(9, Bytes(4));
        EXPECT_NE(pbError(p.bytes).find("both raw_data and float_data"), std::string::npos);
    }
    {
        Proto p;
        p.dims({5}).varint(2, 1).fixed32(4, 0);
        EXPECT_NE(pbError(p.bytes).find("say 5 elements but float_data holds 1 values"), std::string::npos);
        Proto q;
        q.dims({5}).varint(2, 1);
        EXPECT_NE(pbError(q.bytes).find("no data"), std::string::npos);
    }
    {
        Proto p;
        p.dims({1}).varint(2, 14).len(9, Bytes(8));
        EXPECT_NE(pbError(p.bytes).find("unsupported data_type 14 (COMPLEX64)"), std::string::npos);
        Proto q;
        q.dims({1}).len(9, Bytes(4));
        EXPECT_NE(pbError(q.bytes).find("UNDEFINED"), std::string::npos);
    }
    {
        Proto p;
        p.varint(1, static_cast<uint64_t>(int64_t{-3})).varint(2, 1);
        EXPECT_NE(pbError(p.bytes).find("negative or overflow"), std::string::npos);
        Proto q;
        q.dims({int64_t{1} << 62, int64_t{1} << 62}).varint(2, 1).len(9, Bytes(4));
        EXPECT_NE(pbError(q.bytes).find("negative or overflow"), std::string::npos);
    }
    {
        Proto p;
        p.dims({1}).varint(2, 1).len(4, Bytes(6));
        EXPECT_NE(pbError(p.bytes).find("not a multiple of 4"), std::string::npos);
        Proto q;
        q.varint(9, 3);  // raw_data as a varint
        EXPECT_NE(pbError(q.bytes).find("field raw_data has wire type 0"), std::string::npos);
        Proto r;
        r.raw({0x00, 0x01});  // field number 0
        EXPECT_NE(pbError(r.bytes).find("invalid field number 0 at byte 0"), std::string::npos);
        Proto s;
        s.raw({0xbc, 0x06});  // end group with nothing open
        EXPECT_NE(pbError(s.bytes).find("unmatched end-group"), std::string::npos);
        Proto u;
        u.raw({0xb3, 0x06, 0x08, 0x01});  // group never closed
        EXPECT_NE(pbError(u.bytes).find("never closed"), std::string::npos);
        Proto w;
        w.raw({0xbe, 0x06, 0x00});  // wire type 6
        EXPECT_NE(pbError(w.bytes).find("invalid wire type 6"), std::string::npos);
        Bytes longVarint(11, 0xff);
        longVarint.insert(longVarint.begin(), 0x08);
        EXPECT_NE(pbError(longVarint).find("longer than 10 bytes at byte 1"), std::string::npos);
    }
}

// ---- real ONNX test data -------------------------------------------------------------

TEST(TensorFile, ReadsOnnxBackendTestAbs) {
    const fs::path dir = fs::path(KILN_SHARED_DATA) / "onnx-backend/node/test_abs/test_data_set_0";
    if (!fs::exists(dir)) GTEST_SKIP() << "shared data is absent: " << dir;
    TensorData in, out;
    std::string err;
    ASSERT_TRUE(readTensorFile((dir / "input_0.pb").string(), in, err)) << err;
    ASSERT_TRUE(readTensorFile((dir / "output_0.pb").string(), out, err)) << err;
    EXPECT_EQ(in.type, ElemType::kF32);
    EXPECT_EQ(in.shape, (std::vector<int64_t>{3, 4, 5}));
    EXPECT_EQ(in.name, "x");
    EXPECT_EQ(out.shape, in.shape);
    const auto x = toDoubles(in), y = toDoubles(out);
    ASSERT_EQ(x.size(), 60u);
    ASSERT_EQ(y.size(), 60u);
    bool sawNegative = false;
    for (size_t i = 0; i < x.size(); ++i) {
        EXPECT_EQ(std::fabs(x[i]), y[i]) << "element " << i;
        sawNegative |= x[i] < 0;
    }
    EXPECT_TRUE(sawNegative);

    // What we write reads back identically, and as an .npy too.
    TempDir tmp;
    ASSERT_TRUE(writeTensorProto((tmp.path / "x.pb").string(), in, err)) << err;
    ASSERT_TRUE(writeNpy((tmp.path / "x.npy").string(), in, err)) << err;
    TensorData a, b;
    ASSERT_TRUE(readTensorFile((tmp.path / "x.pb").string(), a, err)) << err;
    ASSERT_TRUE(readTensorFile((tmp.path / "x.npy").string(), b, err)) << err;
    EXPECT_EQ(a.bytes, in.bytes);
    EXPECT_EQ(a.name, "x");
    EXPECT_EQ(b.bytes, in.bytes);
    EXPECT_EQ(b.shape, in.shape);
}

// ---- hostile input -------------------------------------------------------------------

TEST(TensorFile, EveryTruncationFailsCleanly) {
    std::vector<std::pair<Bytes, bool>> files;  // (bytes, isNpy)
    for (ElemType type : {ElemType::kF32, ElemType::kF16, ElemType::kI64, ElemType::kBool}) {
        const TensorData t = patterned(type, {2, 3});
        Bytes b;
        std::string err;
        ASSERT_TRUE(encodeNpy(t, b, err));
        files.emplace_back(b, true);
        ASSERT_TRUE(encodeTensorProto(t, b, err));
        files.emplace_back(b, false);
    }
    files.emplace_back(npyFile(2, "{'descr': '>i4', 'fortran_order': True, 'shape': (2, 2)}", Bytes(16)), true);
    Proto typed;
    typed.dims({3}).varint(2, 1).fixed32(4, 1).fixed32(4, 2).fixed32(4, 3);
    files.emplace_back(typed.bytes, false);
    const fs::path real = fs::path(KILN_SHARED_DATA) / "onnx-backend/node/test_abs/test_data_set_0/input_0.pb";
    if (fs::exists(real)) {
        std::ifstream f(real, std::ios::binary);
        files.emplace_back(Bytes(std::istreambuf_iterator<char>(f), {}), false);
    }
    for (const auto& [bytes, isNpy] : files) {
        TensorData t;
        std::string err;
        ASSERT_TRUE(isNpy ? parseNpy(bytes, t, err) : parsePb(bytes, t, err)) << err;
        for (size_t cut = 0; cut < bytes.size(); ++cut) {
            // Copy into an exact-size buffer so ASan catches any read past the cut.
            const Bytes prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
            err.clear();
            const bool ok = isNpy ? parseNpy(prefix, t, err) : parsePb(prefix, t, err);
            EXPECT_FALSE(ok) << "cut at " << cut << " of " << bytes.size();
            EXPECT_FALSE(err.empty()) << "cut at " << cut;
        }
    }
}

TEST(TensorFile, RandomGarbageNeverCrashes) {
    std::mt19937 rng(20240611);
    auto check = [](const Bytes& b) {
        TensorData t;
        std::string err;
        for (bool npy : {true, false}) {
            const bool ok = npy ? parseNpy(b, t, err) : parsePb(b, t, err);
            if (ok) {
                size_t count = 0;
                ASSERT_TRUE(elementCount(t.shape, count));
                ASSERT_EQ(t.bytes.size(), count * elemSize(t.type));
                (void)toDoubles(t);
            } else {
                ASSERT_FALSE(err.empty());
            }
        }
    };
    // Pure noise, noise behind a valid npy prefix, and single-byte mutations of valid files.
    for (int i = 0; i < 20000; ++i) {
        Bytes b(rng() % 200);
        for (uint8_t& x : b) x = static_cast<uint8_t>(rng());
        check(b);
        Bytes n = toBytes("\x93NUMPY");
        n.push_back(static_cast<uint8_t>(1 + rng() % 3));
        n.push_back(0);
        n.insert(n.end(), b.begin(), b.end());
        check(n);
    }
    std::vector<Bytes> seeds;
    for (ElemType type : kAllTypes) {
        const TensorData t = patterned(type, {2, 2});
        Bytes b;
        std::string err;
        if (encodeNpy(t, b, err)) seeds.push_back(b);
        ASSERT_TRUE(encodeTensorProto(t, b, err));
        seeds.push_back(b);
    }
    Proto typed;
    typed.dims({2}).varint(2, 10).packedVarints(5, {0x3c00, 0x4000}).len(12, toBytes("doc"));
    seeds.push_back(typed.bytes);
    for (int i = 0; i < 20000; ++i) {
        Bytes b = seeds[rng() % seeds.size()];
        for (int m = 1 + static_cast<int>(rng() % 3); m > 0; --m) b[rng() % b.size()] = static_cast<uint8_t>(rng());
        check(b);
    }
}

// The narrow ONNX types: float8 codes one per byte (raw_data or int32_data), the
// sub-byte types packed low bits first (raw_data, or int32_data holding one
// packed byte per entry) and unpacked to one element per byte.
TEST(TensorFile, ProtoNarrowTypes) {
    {
        Proto p;
        p.dims({3}).varint(2, 17).len(9, Bytes{0x38, 0x7f, 0xd0});
        const auto v = pbValues(p.bytes, ElemType::kF8E4M3FN);
        ASSERT_EQ(v.size(), 3u);
        EXPECT_EQ(v[0], 1.0);
        EXPECT_TRUE(std::isnan(v[1]));
        EXPECT_EQ(v[2], -8.0);
        Proto q;
        q.dims({2}).varint(2, 18).packedVarints(5, {0x80, 0x7f});
        const auto u = pbValues(q.bytes, ElemType::kF8E4M3FNUZ);
        EXPECT_TRUE(std::isnan(u[0]));
        EXPECT_EQ(u[1], 240.0);
    }
    {
        Proto p;
        p.dims({4}).varint(2, 19).len(9, Bytes{0x7c, 0xfc, 0x7b, 0x01});
        EXPECT_EQ(pbValues(p.bytes, ElemType::kF8E5M2),
                  (std::vector<double>{INFINITY, -INFINITY, 57344, 0x1p-16}));
        Proto q;
        q.dims({2}).varint(2, 24).len(9, Bytes{0x7f, 0x82});
        EXPECT_EQ(pbValues(q.bytes, ElemType::kF8E8M0), (std::vector<double>{1, 8}));
    }
    {
        // int4 [7, -8, -1] packed as 0x87 0x0f (the last high nibble is padding).
        Proto p;
        p.dims({3}).varint(2, 22).len(9, Bytes{0x87, 0x0f});
        TensorData t;
        std::string err;
        ASSERT_TRUE(parsePb(p.bytes, t, err)) << err;
        EXPECT_EQ(t.type, ElemType::kI4);
        EXPECT_EQ(t.bytes, (Bytes{0x07, 0xf8, 0xff}));
        EXPECT_EQ(toDoubles(t), (std::vector<double>{7, -8, -1}));
        // uint2 from int32_data: 0xe4 = 3,2,1,0 from the high bits down.
        Proto q;
        q.dims({5}).varint(2, 25).packedVarints(5, {0xe4, 0x01});
        EXPECT_EQ(pbValues(q.bytes, ElemType::kU2), (std::vector<double>{0, 1, 2, 3, 1}));
        Proto r;
        r.dims({3}).varint(2, 26).packedVarints(5, {0x39});
        EXPECT_EQ(pbValues(r.bytes, ElemType::kI2), (std::vector<double>{1, -2, -1}));
        // fp4 codes 1 (0.5) and 0xa (-1).
        Proto f;
        f.dims({2}).varint(2, 23).len(9, Bytes{0xa1});
        EXPECT_EQ(pbValues(f.bytes, ElemType::kF4E2M1), (std::vector<double>{0.5, -1}));
    }
    {
        // Packed sizes are checked.
        Proto p;
        p.dims({3}).varint(2, 21).len(9, Bytes{0x12});
        EXPECT_NE(pbError(p.bytes).find("packed"), std::string::npos);
        Proto q;
        q.dims({2}).varint(2, 21).packedVarints(5, {0x112});
        EXPECT_NE(pbError(q.bytes).find("not a packed byte"), std::string::npos);
    }
    // Writing packs them again; reading unpacks to the same canonical bytes.
    TempDir dir;
    const std::pair<ElemType, Bytes> cases[] = {
        {ElemType::kI4, {0x07, 0xf8, 0xff, 0x00, 0x01}}, {ElemType::kU4, {15, 0, 9}},
        {ElemType::kI2, {0x01, 0xfe, 0xff, 0x00, 0x01}}, {ElemType::kU2, {3, 2, 1, 0, 3, 3, 3}},
        {ElemType::kF4E2M1, {0xf, 0x8, 0x1}},           {ElemType::kF8E5M2FNUZ, {0x80, 0x01, 0xff}},
    };
    for (const auto& [type, bytes] : cases) {
        SCOPED_TRACE(elemTypeName(type));
        TensorData t{type, {int64_t(bytes.size())}, bytes, "n"};
        const std::string path = (dir.path / "n.pb").string();
        std::string err;
        ASSERT_TRUE(writeTensorProto(path, t, err)) << err;
        TensorData back;
        ASSERT_TRUE(readTensorFile(path, back, err)) << err;
        EXPECT_EQ(back.type, type);
        EXPECT_EQ(back.bytes, bytes);
        EXPECT_FALSE(writeNpy((dir.path / "n.npy").string(), t, err));  // npy has no such dtype
    }
}
