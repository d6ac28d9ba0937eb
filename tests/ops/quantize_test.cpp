// Quantize, Dequantize and BitCast against plainly written references: the
// quantization formula written out with float32 arithmetic and
// std::nearbyint, per-tensor / per-axis / blocked scales indexed by hand, and
// hand-checked values for saturation, ties, sub-byte ranges and float8.
#include <gtest/gtest.h>

#include <cfenv>
#include <cmath>
#include <cstring>
#include <limits>

#include "ops/op_test_util.h"

using namespace kiln;
using kiln::ir::DType;
using kiln::test::runOp;
using kiln::test::TestTensor;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

ir::Attrs quantAttrs(DType to, int64_t axis = 1, std::vector<int64_t> block = {}) {
    ir::Attrs a;
    a.set("to", int64_t(to));
    a.set("axis", axis);
    if (!block.empty()) a.set("block_shape", block);
    return a;
}

// Index of the scale of element `flat` of a tensor of `shape`: per-tensor,
// per-axis or blocked, written out with explicit coordinates.
int64_t scaleIndex(const ir::Shape& shape, int64_t flat, const ir::Shape& scale, int64_t axis,
                   const std::vector<int64_t>& block) {
    std::vector<int64_t> coord(shape.size());
    for (size_t d = shape.size(); d-- > 0;) {
        coord[d] = flat % shape[d];
        flat /= shape[d];
    }
    if (!block.empty()) {
        int64_t idx = 0;
        for (size_t d = 0; d < shape.size(); ++d) idx = idx * scale[d] + coord[d] / block[d];
        return idx;
    }
    if (ir::volume(scale) == 1) return 0;
    return coord[size_t(axis < 0 ? axis + int64_t(shape.size()) : axis)];
}

// ONNX QuantizeLinear for float32 x and scale and an integer output range.
std::vector<double> refQuantize(const TestTensor& x, const TestTensor& s, const TestTensor* zp, double lo, double hi,
                                int64_t axis, const std::vector<int64_t>& block = {}) {
    const auto xv = x.toDoubles(), sv = s.toDoubles();
    std::vector<double> out;
    for (int64_t i = 0; i < x.numel(); ++i) {
        const int64_t k = scaleIndex(x.shape, i, s.shape, axis, block);
        const float q = float(xv[size_t(i)]) / float(sv[size_t(k)]);
        double r = std::nearbyint(double(q)) + (zp ? zp->toDoubles()[size_t(k)] : 0.0);
        out.push_back(std::min(std::max(r, lo), hi));
    }
    return out;
}

}  // namespace

TEST(Quantize, PerTensorUint8RoundsHalfToEvenAndSaturates) {
    ASSERT_EQ(std::fegetround(), FE_TONEAREST);
    const auto x = TestTensor::f32({10}, {0, 1, 2.5, 3.5, -0.5, 300, -5, 127.4f, 0.5, 1.5});
    const auto s = TestTensor::f32({}, {1});
    auto r = runOp("Quantize", quantAttrs(DType::kU8), {x, s});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].dtype, DType::kU8);
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0, 1, 2, 4, 0, 255, 0, 127, 0, 2}));
    // With a zero point 128 and scale 0.5.
    const auto zp = TestTensor::fromDoubles(DType::kU8, {}, {128});
    r = runOp("Quantize", quantAttrs(DType::kU8), {x, TestTensor::f32({}, {0.5f}), zp});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), refQuantize(x, TestTensor::f32({}, {0.5f}), &zp, 0, 255, 1), 0, 0);
}

TEST(Quantize, PerAxisInt8WithZeroPoints) {
    for (int64_t axis : {0, 1, 2, -1}) {
        SCOPED_TRACE("axis " + std::to_string(axis));
        const ir::Shape shape{2, 3, 4};
        const int64_t extent = shape[size_t(axis < 0 ? axis + 3 : axis)];
        const auto x = TestTensor::random(DType::kF32, shape, 7, -40, 40);
        std::vector<double> sv, zv;
        for (int64_t c = 0; c < extent; ++c) sv.push_back(0.05 + 0.1 * double(c)), zv.push_back(double(c * 7 - 9));
        const auto s = TestTensor::fromDoubles(DType::kF32, {extent}, sv);
        const auto zp = TestTensor::fromDoubles(DType::kI8, {extent}, zv);
        auto r = runOp("Quantize", quantAttrs(DType::kI8, axis), {x, s, zp});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        EXPECT_CLOSE(r.outputs[0].toDoubles(), refQuantize(x, s, &zp, -128, 127, axis), 0, 0);
    }
}

TEST(Quantize, BlockedScales) {
    // Blocks of 2 along axis 1, also when the block does not divide the extent.
    struct Case {
        ir::Shape x, s;
        std::vector<int64_t> block;
    };
    for (const Case& c :
         {Case{{3, 4}, {3, 2}, {1, 2}}, Case{{2, 5}, {2, 3}, {1, 2}}, Case{{4, 3, 2}, {2, 3, 1}, {2, 1, 2}}}) {
        SCOPED_TRACE(ir::shapeToString(c.x) + " / " + ir::shapeToString(c.s));
        const auto x = TestTensor::random(DType::kF32, c.x, 11, -20, 20);
        const auto s = TestTensor::random(DType::kF32, c.s, 12, 0.5, 3);
        const auto zp = TestTensor::random(DType::kU8, c.s, 13, 0, 9);
        auto r = runOp("Quantize", quantAttrs(DType::kU8, 1, c.block), {x, s, zp});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        EXPECT_CLOSE(r.outputs[0].toDoubles(), refQuantize(x, s, &zp, 0, 255, 1, c.block), 0, 0);
        // Dequantize undoes it up to the rounding: (q - zp) * s.
        ir::Attrs da = quantAttrs(DType::kF32, 1, c.block);
        auto d = runOp("Dequantize", da, {r.outputs[0], s, zp});
        ASSERT_TRUE(d.status.ok()) << d.status.message();
        const auto q = r.outputs[0].toDoubles(), sv = s.toDoubles(), zv = zp.toDoubles();
        std::vector<double> want;
        for (int64_t i = 0; i < x.numel(); ++i) {
            const int64_t k = scaleIndex(c.x, i, c.s, 1, c.block);
            want.push_back(double(float(q[size_t(i)] - zv[size_t(k)]) * float(sv[size_t(k)])));
        }
        EXPECT_CLOSE(d.outputs[0].toDoubles(), want, 0, 0);
    }
}

TEST(Quantize, NarrowIntegerOutputs) {
    const auto x = TestTensor::f32({8}, {-20, -8.6f, -2.5f, -1, 0, 1.5f, 7.4f, 20});
    const auto s = TestTensor::f32({}, {1});
    struct Case {
        DType to;
        double lo, hi;
    };
    for (const Case& c : {Case{DType::kI4, -8, 7}, Case{DType::kU4, 0, 15}, Case{DType::kI2, -2, 1},
                          Case{DType::kU2, 0, 3}, Case{DType::kI16, -32768, 32767}, Case{DType::kU16, 0, 65535}}) {
        SCOPED_TRACE(ir::dtypeName(c.to));
        auto r = runOp("Quantize", quantAttrs(c.to), {x, s});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        EXPECT_CLOSE(r.outputs[0].toDoubles(), refQuantize(x, s, nullptr, c.lo, c.hi, 1), 0, 0);
    }
    // int4 bytes are canonical: -8 is 0xF8; a zero point of type int4 shifts.
    auto r = runOp("Quantize", quantAttrs(DType::kI4), {x, s, TestTensor::fromDoubles(DType::kI4, {}, {-3})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].bytes, (std::vector<uint8_t>{0xf8, 0xf8, 0xfb, 0xfc, 0xfd, 0xff, 0x04, 0x07}));
}

TEST(Quantize, Float8AndFp4Outputs) {
    // x / 2: 0, 0.5, 1, 50000 (saturates to 448 / NaN), 100 (a tie: 96), NaN.
    const auto x = TestTensor::f32({6}, {0, 1, 2, 100000, 200, float(kNaN)});
    const auto s = TestTensor::f32({}, {2});
    auto r = runOp("Quantize", quantAttrs(DType::kFP8), {x, s, TestTensor::fromDoubles(DType::kFP8, {}, {0})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].bytes, (std::vector<uint8_t>{0x00, 0x30, 0x38, 0x7e, 0x6c, 0x7f}));
    ir::Attrs noSat = quantAttrs(DType::kFP8);
    noSat.set("saturate", int64_t(0));
    r = runOp("Quantize", noSat, {x, s});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].bytes, (std::vector<uint8_t>{0x00, 0x30, 0x38, 0x7f, 0x6c, 0x7f}));
    r = runOp("Quantize", noSat, {x, s, TestTensor::fromDoubles(DType::kFP8, {}, {0})});
    ASSERT_TRUE(r.status.ok());
    r = runOp("Quantize", quantAttrs(DType::kFP8E5M2), {x, s});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    // E5M2 reaches 57344: 50000 is 49152 (0x7a).
    EXPECT_EQ(r.outputs[0].bytes, (std::vector<uint8_t>{0x00, 0x38, 0x3c, 0x7a, 0x56, 0x7e}));
    // fp4: x / 2 = 0, 0.5, 1, 50000 -> 6, 100 -> 6, NaN -> -0 (0x8).
    r = runOp("Quantize", quantAttrs(DType::kFP4), {x, s});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].bytes, (std::vector<uint8_t>{0x0, 0x1, 0x2, 0x7, 0x7, 0x8}));
    // A float8 zero point must be zero.
    r = runOp("Quantize", quantAttrs(DType::kFP8), {x, s, TestTensor::fromDoubles(DType::kFP8, {}, {1})});
    EXPECT_FALSE(r.status.ok());
}

TEST(Quantize, ComputeTypeDecidesTheRounding) {
    // 2.5002 rounds to 3 in float32 but is 2.5 in float16, which rounds to 2.
    const auto x = TestTensor::f32({2}, {2.5002f, -2.5002f});
    const auto s = TestTensor::f32({}, {1});
    auto r = runOp("Quantize", quantAttrs(DType::kI8), {x, s});
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{3, -3}));
    ir::Attrs a = quantAttrs(DType::kI8);
    a.set("precision", int64_t(DType::kF16));
    r = runOp("Quantize", a, {x, s});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{2, -2}));
    // float16 x and scale compute in float16 by default.
    r = runOp("Quantize", quantAttrs(DType::kI8),
              {TestTensor::fromDoubles(DType::kF16, {1}, {2.5}), TestTensor::fromDoubles(DType::kF16, {}, {1})});
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{2}));
    // int32 x computes in float64: (2^24 + 513) / 1024 = 16384.5009... -> 16385; in
    // float32 x would become 2^24 + 512 and the quotient the tie 16384.5 -> 16384.
    r = runOp("Quantize", quantAttrs(DType::kU16),
              {TestTensor::i32({1}, {(1 << 24) + 513}), TestTensor::f32({}, {1024})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{16385}));
}

TEST(Dequantize, IntegerAndFloat8Inputs) {
    // int8 per axis 0 with zero points, float32 out.
    const auto x = TestTensor::fromDoubles(DType::kI8, {2, 3}, {-128, 0, 127, 5, -5, 10});
    const auto s = TestTensor::f32({2}, {0.5f, 0.1f});
    const auto zp = TestTensor::fromDoubles(DType::kI8, {2}, {1, -2});
    auto r = runOp("Dequantize", quantAttrs(DType::kF32, 0), {x, s, zp});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    std::vector<double> want;
    const auto xv = x.toDoubles();
    for (int i = 0; i < 6; ++i) want.push_back(double(float(xv[size_t(i)] - (i < 3 ? 1 : -2)) * (i < 3 ? 0.5f : 0.1f)));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 0, 0);
    // float16 output: the float32 product rounded once more.
    r = runOp("Dequantize", quantAttrs(DType::kF16, 0), {x, s, zp});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].dtype, DType::kF16);
    std::vector<double> want16;
    for (double v : want) want16.push_back(double(ir::halfToFloat(ir::floatToHalf(float(v)))));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want16, 0, 0);
    // float8 E4M3FN: 0x30 = 0.5, 0x7e = 448, 0xed = -104, times 2.
    TestTensor f8 = TestTensor::fromDoubles(DType::kFP8, {3}, {0, 0, 0});
    f8.bytes = {0x30, 0x7e, 0xed};
    r = runOp("Dequantize", quantAttrs(DType::kF32), {f8, TestTensor::f32({}, {2})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 896, -208}), 0, 0);
    // fp4 codes 0x1 (0.5), 0xa (-1), 0x7 (6).
    TestTensor f4 = TestTensor::fromDoubles(DType::kFP4, {3}, {0, 0, 0});
    f4.bytes = {0x1, 0xa, 0x7};
    r = runOp("Dequantize", quantAttrs(DType::kF32), {f4, TestTensor::f32({}, {2})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, -2, 12}), 0, 0);
    // int32 inputs are read as float32 first (ONNX's reference): 2^24 + 1 -> 2^24.
    r = runOp("Dequantize", quantAttrs(DType::kF64), {TestTensor::i32({1}, {(1 << 24) + 1}), TestTensor::f32({}, {1})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toDoubles()[0], 16777216.0);
    // uint2 / int4 inputs with zero points.
    r = runOp("Dequantize", quantAttrs(DType::kF32),
              {TestTensor::fromDoubles(DType::kU2, {4}, {0, 1, 2, 3}), TestTensor::f32({}, {1.5f}),
               TestTensor::fromDoubles(DType::kU2, {}, {1})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{-1.5, 0, 1.5, 3}), 0, 0);
}

TEST(Quantize, ShapeAndTypeErrors) {
    const auto x = TestTensor::f32({2, 3}, {1, 2, 3, 4, 5, 6});
    // Scale of the wrong extent for axis 1.
    EXPECT_FALSE(runOp("Quantize", quantAttrs(DType::kU8), {x, TestTensor::f32({2}, {1, 1})}).status.ok());
    // 2-D scale without a block shape.
    EXPECT_FALSE(
        runOp("Quantize", quantAttrs(DType::kU8), {x, TestTensor::f32({2, 3}, {1, 1, 1, 1, 1, 1})}).status.ok());
    // Block shape that does not match the scale.
    EXPECT_FALSE(
        runOp("Quantize", quantAttrs(DType::kU8, 1, {1, 2}), {x, TestTensor::f32({2, 1}, {1, 1})}).status.ok());
    // Zero point of another type than the output.
    EXPECT_FALSE(runOp("Quantize", quantAttrs(DType::kU8),
                       {x, TestTensor::f32({}, {1}), TestTensor::fromDoubles(DType::kI8, {}, {0})})
                     .status.ok());
    // Outputs that are not quantized types; non-float scales.
    EXPECT_FALSE(runOp("Quantize", quantAttrs(DType::kF32), {x, TestTensor::f32({}, {1})}).status.ok());
    EXPECT_FALSE(runOp("Quantize", quantAttrs(DType::kU8), {x, TestTensor::i32({}, {1})}).status.ok());
    EXPECT_FALSE(runOp("Dequantize", quantAttrs(DType::kI32),
                       {TestTensor::fromDoubles(DType::kI8, {1}, {1}), TestTensor::f32({}, {1})})
                     .status.ok());
    EXPECT_FALSE(runOp("Dequantize", quantAttrs(DType::kF32), {x, TestTensor::f32({}, {1})}).status.ok());
    // A float8 input needs a zero zero point.
    EXPECT_FALSE(runOp("Dequantize", quantAttrs(DType::kF32),
                       {TestTensor::fromDoubles(DType::kFP8, {1}, {1}), TestTensor::f32({}, {1}),
                        TestTensor::fromDoubles(DType::kFP8, {}, {2})})
                     .status.ok());
}

TEST(BitCast, ReinterpretsBits) {
    ir::Attrs a;
    a.set("to", int64_t(DType::kI32));
    auto r = runOp("BitCast", a, {TestTensor::f32({3}, {1.0f, -2.0f, 0.0f})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0x3f800000, int32_t(0xc0000000), 0}));
    a.set("to", int64_t(DType::kF64));
    r = runOp("BitCast", a, {TestTensor::i64({1}, {0x4000000000000000})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toDoubles(), (std::vector<double>{2.0}));
    a.set("to", int64_t(DType::kU8));
    r = runOp("BitCast", a, {TestTensor::boolean({2}, {true, false})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{1, 0}));
    // int4 -> uint4 keeps the 4 bits: -1 is 15; uint4 -> int4 sign-extends.
    a.set("to", int64_t(DType::kU4));
    r = runOp("BitCast", a, {TestTensor::fromDoubles(DType::kI4, {3}, {-1, -8, 7})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].bytes, (std::vector<uint8_t>{15, 8, 7}));
    a.set("to", int64_t(DType::kI4));
    r = runOp("BitCast", a, {r.outputs[0]});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].bytes, (std::vector<uint8_t>{0xff, 0xf8, 0x07}));
    // Different widths are refused.
    a.set("to", int64_t(DType::kI64));
    EXPECT_FALSE(runOp("BitCast", a, {TestTensor::f32({1}, {1})}).status.ok());
    a.set("to", int64_t(DType::kU8));
    EXPECT_FALSE(runOp("BitCast", a, {TestTensor::fromDoubles(DType::kI4, {1}, {1})}).status.ok());
}
