// Pad: constant / reflect / edge / wrap, negative pads (crop), tensor inputs.
// Expected outputs are written out by hand (numpy.pad / ONNX examples).
#include <gtest/gtest.h>

#include "op_test_util.h"

using namespace kiln;
using kiln::test::runOp;
using kiln::test::TestTensor;

namespace {

// A bare node for calling shape inference directly (values unknown).
ir::Node nodeOf(std::string op, std::vector<int> inputs, std::vector<int> outputs) {
    ir::Node n;
    n.op = std::move(op);
    n.name = n.op;
    n.inputs = std::move(inputs);
    n.outputs = std::move(outputs);
    return n;
}

ir::Attrs padAttrs(std::vector<int64_t> begin, std::vector<int64_t> end, const char* mode = "constant",
                   double value = 0) {
    ir::Attrs a;
    a.set("pads_begin", std::move(begin));
    a.set("pads_end", std::move(end));
    a.set("mode", mode);
    a.set("value", value);
    return a;
}

std::vector<double> pad1D(const std::vector<float>& x, int64_t b, int64_t e, const char* mode, double value = 0) {
    auto r = runOp("Pad", padAttrs({b}, {e}, mode, value), {TestTensor::f32({int64_t(x.size())}, x)});
    EXPECT_TRUE(r.status.ok()) << mode << ": " << r.status.message();
    return r.status.ok() ? r.outputs[0].toDoubles() : std::vector<double>{};
}

}  // namespace

TEST(PadOp, Constant2D) {
    auto r = runOp("Pad", padAttrs({1, 0}, {0, 2}, "constant", 9), {TestTensor::f32({2, 2}, {1, 2, 3, 4})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{3, 4}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9}), 0, 0);
}

TEST(PadOp, Reflect1D) {
    EXPECT_CLOSE(pad1D({1, 2, 3, 4}, 2, 3, "reflect"), (std::vector<double>{3, 2, 1, 2, 3, 4, 3, 2, 1}), 0, 0);
    // Pads longer than the input reflect again (numpy semantics).
    EXPECT_CLOSE(pad1D({1, 2, 3}, 5, 0, "reflect"), (std::vector<double>{2, 1, 2, 3, 2, 1, 2, 3}), 0, 0);
}

TEST(PadOp, Edge1D) { EXPECT_CLOSE(pad1D({1, 2, 3}, 2, 1, "edge"), (std::vector<double>{1, 1, 1, 2, 3, 3}), 0, 0); }

TEST(PadOp, Wrap1D) {
    EXPECT_CLOSE(pad1D({1, 2, 3}, 2, 4, "wrap"), (std::vector<double>{2, 3, 1, 2, 3, 1, 2, 3, 1}), 0, 0);
}

TEST(PadOp, OnnxExamples2D) {
    auto x = TestTensor::f32({3, 2}, {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f});
    auto r = runOp("Pad", padAttrs({0, 2}, {0, 0}, "reflect"), {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(),
                 (std::vector<double>{1.0, 1.2, 1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7}), 1e-6, 0);
    r = runOp("Pad", padAttrs({0, 2}, {0, 0}, "edge"), {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(),
                 (std::vector<double>{1.0, 1.0, 1.0, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7}), 1e-6, 0);
    r = runOp("Pad", padAttrs({0, 2}, {0, 0}, "constant"), {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{0, 0, 1.0, 1.2, 0, 0, 2.3, 3.4, 0, 0, 4.5, 5.7}), 1e-6,
                 0);
}

TEST(PadOp, NegativePadsCrop) {
    EXPECT_CLOSE(pad1D({1, 2, 3, 4, 5}, -1, -2, "constant"), (std::vector<double>{2, 3}), 0, 0);
    EXPECT_CLOSE(pad1D({1, 2, 3, 4, 5}, -1, 2, "constant", 8), (std::vector<double>{2, 3, 4, 5, 8, 8}), 0, 0);
    // Modes sample the uncropped input: wrap continues with 1, 2; reflect with 4, 3.
    EXPECT_CLOSE(pad1D({1, 2, 3, 4, 5}, -1, 2, "wrap"), (std::vector<double>{2, 3, 4, 5, 1, 2}), 0, 0);
    EXPECT_CLOSE(pad1D({1, 2, 3, 4, 5}, 2, -3, "reflect"), (std::vector<double>{3, 2, 1, 2}), 0, 0);
    EXPECT_CLOSE(pad1D({1, 2, 3, 4, 5}, -5, 0, "constant"), (std::vector<double>{}), 0, 0);
}

TEST(PadOp, PadsAndValueInputs) {
    auto x = TestTensor::f32({2, 2}, {1, 2, 3, 4});
    ir::Attrs a = padAttrs({9, 9}, {9, 9}, "constant", 100);  // overridden by the inputs
    auto r = runOp("Pad", a, {x, TestTensor::i64({4}, {0, 1, 1, 0}), TestTensor::f32({}, {-1})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{3, 3}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{-1, 1, 2, -1, 3, 4, -1, -1, -1}), 0, 0);

    ir::Attrs m;
    m.set("mode", "constant");
    m.set("value", 6.0);
    r = runOp("Pad", m, {x, TestTensor::i32({4}, {0, 0, 0, 1})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 2, 6, 3, 4, 6}), 0, 0);
}

TEST(PadOp, PadsInputValuesUnknownAtBuildTime) {
    ir::Node n = nodeOf("Pad", {0, 1}, {2});
    std::vector<ir::TensorDesc> in = {{ir::DType::kF32, {2, 2}, nullptr}, {ir::DType::kI64, {4}, nullptr}};
    std::vector<ir::TensorDesc> out;
    auto st = ir::inferNode(n, in, out);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(out[0].shape, (ir::Shape{-1, -1}));
    in[1].shape = {3};
    EXPECT_FALSE(ir::inferNode(n, in, out).ok()) << "pads of the wrong length";
}

TEST(PadOp, Int64ValueIsExact) {
    const int64_t big = (int64_t(1) << 60) + 1;  // would round through float64
    auto r =
        runOp("Pad", padAttrs({1}, {0}), {TestTensor::i64({1}, {5}), TestTensor::none(), TestTensor::i64({1}, {big})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{big, 5}));
}

TEST(PadOp, BoolAndHalf) {
    auto b = runOp("Pad", padAttrs({1}, {1}, "constant", 1), {TestTensor::boolean({1}, {false})});
    ASSERT_TRUE(b.status.ok()) << b.status.message();
    EXPECT_CLOSE(b.outputs[0].toDoubles(), (std::vector<double>{1, 0, 1}), 0, 0);
    auto h = runOp("Pad", padAttrs({0}, {2}, "wrap"), {TestTensor::fromDoubles(ir::DType::kF16, {2}, {0.25, -8})});
    ASSERT_TRUE(h.status.ok()) << h.status.message();
    EXPECT_CLOSE(h.outputs[0].toDoubles(), (std::vector<double>{0.25, -8, 0.25, -8}), 0, 0);
}

TEST(PadOp, EmptyInputConstant) {
    auto r = runOp("Pad", padAttrs({1, 0}, {1, 0}, "constant", 2), {TestTensor::f32({0, 2}, {})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 2}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{2, 2, 2, 2}), 0, 0);
    // Nothing to reflect from.
    EXPECT_FALSE(runOp("Pad", padAttrs({1, 0}, {0, 0}, "reflect"), {TestTensor::f32({0, 2}, {})}).status.ok());
}

TEST(PadOp, Large3DEdgeMatchesLoop) {
    auto x = TestTensor::random(ir::DType::kF32, {3, 40, 50}, 4);
    auto r = runOp("Pad", padAttrs({0, 3, -2}, {1, 5, 7}, "edge"), {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (ir::Shape{4, 48, 55}));
    const auto xv = x.toDoubles();
    auto clampi = [](int v, int n) { return v < 0 ? 0 : v >= n ? n - 1 : v; };
    std::vector<double> want;
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 48; ++j)
            for (int k = 0; k < 55; ++k)
                want.push_back(xv[size_t((clampi(i, 3) * 40 + clampi(j - 3, 40)) * 50 + clampi(k + 2, 50))]);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 0, 0);
}

TEST(PadOp, Errors) {
    auto x = TestTensor::f32({3}, {1, 2, 3});
    auto st = runOp("Pad", padAttrs({-2}, {-2}), {x}).status;
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("below zero"), std::string::npos) << st.message();
    EXPECT_FALSE(runOp("Pad", padAttrs({1, 1}, {1}), {x}).status.ok());
    EXPECT_FALSE(runOp("Pad", padAttrs({1}, {1}, "symmetric"), {x}).status.ok());
    EXPECT_FALSE(runOp("Pad", {}, {x}).status.ok());                                   // no pads at all
    EXPECT_FALSE(runOp("Pad", {}, {x, TestTensor::i64({3}, {0, 0, 0})}).status.ok());  // wrong Pads length
    EXPECT_FALSE(runOp("Pad", {}, {x, TestTensor::f32({2}, {0, 0})}).status.ok());     // Pads dtype
    EXPECT_FALSE(runOp("Pad", padAttrs({1}, {1}), {x, TestTensor::none(), TestTensor::f32({2}, {1, 2})}).status.ok());
}

// Only the innermost axis padded (how channels are padded to 8 for tensor
// cores): on CUDA, the row-per-thread kernels (16-byte stores for rows of 8
// float16 or float32 values, element stores for the 6-wide rows); values
// written out by loops.
TEST(PadOp, InnermostAxisOnly) {
    for (ir::DType t : {ir::DType::kF32, ir::DType::kF16})
        for (int64_t cout : {8, 6})
            for (int64_t begin : {0, 2}) {
                const int64_t rows = 2 * 7 * 9, cin = 3;
                std::vector<double> x(size_t(rows * cin));
                for (size_t i = 0; i < x.size(); ++i) x[i] = double(i % 1000) - 400;
                auto r = runOp("Pad", padAttrs({0, 0, 0, begin}, {0, 0, 0, cout - cin - begin}, "constant", 5),
                               {TestTensor::fromDoubles(t, {2, 7, 9, cin}, x)});
                ASSERT_TRUE(r.status.ok()) << r.status.message();
                ASSERT_EQ(r.outputs[0].shape, (ir::Shape{2, 7, 9, cout}));
                std::vector<double> want;
                for (int64_t row = 0; row < rows; ++row)
                    for (int64_t c = 0; c < cout; ++c)
                        want.push_back(c >= begin && c < begin + cin ? x[size_t(row * cin + c - begin)] : 5.0);
                EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 0, 0);
            }
}
