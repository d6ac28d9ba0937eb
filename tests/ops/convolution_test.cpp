// Convolution: the reference kernel against a plain float64 loop written here.
// Expected output shapes and pads are worked out by hand in each test.
#include <gtest/gtest.h>

#include "ops/op_test_util.h"

using namespace kiln;
using kiln::ir::DType;
using kiln::ir::Shape;
using kiln::test::TestTensor;
using Ints = std::vector<int64_t>;

namespace {

// Direct definition: y[n,m,o] = B[m] + sum_{c,k} x[n, g*Cg+c, o*s + k*d - pb] * w[m, c, k],
// out-of-range input positions read as zero.
std::vector<double> conv64(const TestTensor& X, const TestTensor& W, const TestTensor* B, const Ints& strides,
                           const Ints& dil, const Ints& padsBegin, int64_t group, const Shape& yShape) {
    const auto x = X.toDoubles(), w = W.toDoubles();
    const std::vector<double> b = B ? B->toDoubles() : std::vector<double>{};
    const size_t k = X.shape.size() - 2;
    const int64_t C = X.shape[1], M = yShape[1], Cg = C / group, Mg = M / group;
    int64_t kVol = 1;
    for (size_t a = 0; a < k; ++a) kVol *= W.shape[2 + a];
    std::vector<double> y(size_t(ir::volume(yShape)));
    std::vector<int64_t> idx(yShape.size()), kidx(k);
    for (size_t flat = 0; flat < y.size(); ++flat) {
        int64_t r = int64_t(flat);
        for (size_t a = yShape.size(); a-- > 0;) {
            idx[a] = r % yShape[a];
            r /= yShape[a];
        }
        const int64_t n = idx[0], m = idx[1], g = m / Mg;
        double sum = b.empty() ? 0.0 : b[size_t(m)];
        for (int64_t c = 0; c < Cg; ++c) {
            for (int64_t kf = 0; kf < kVol; ++kf) {
                int64_t rk = kf;
                for (size_t a = k; a-- > 0;) {
                    kidx[a] = rk % W.shape[2 + a];
                    rk /= W.shape[2 + a];
                }
                int64_t xi = n * C + g * Cg + c, wi = m * Cg + c;
                bool inside = true;
                for (size_t a = 0; a < k; ++a) {
                    const int64_t pos = idx[2 + a] * strides[a] + kidx[a] * dil[a] - padsBegin[a];
                    if (pos < 0 || pos >= X.shape[2 + a]) inside = false;
                    xi = xi * X.shape[2 + a] + pos;
                    wi = wi * W.shape[2 + a] + kidx[a];
                }
                if (inside) sum += x[size_t(xi)] * w[size_t(wi)];
            }
        }
        y[flat] = sum;
    }
    return y;
}

ir::Attrs attrs2d(Ints strides, Ints pb, Ints pe) {
    ir::Attrs a;
    a.set("strides", std::move(strides));
    a.set("pads_begin", std::move(pb));
    a.set("pads_end", std::move(pe));
    return a;
}

// Runs Convolution and checks shape and values against conv64 with the given pads.
void expectConv(const ir::Attrs& attrs, const TestTensor& X, const TestTensor& W, const TestTensor* B,
                const Ints& strides, const Ints& dil, const Ints& padsBegin, int64_t group, const Shape& yShape,
                double tol = 1e-5) {
    std::vector<TestTensor> in{X, W};
    if (B) in.push_back(*B);
    auto r = test::runOp("Convolution", attrs, in);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, yShape);
    EXPECT_EQ(r.outputs[0].dtype, X.dtype);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), conv64(X, W, B, strides, dil, padsBegin, group, yShape), tol, tol);
}

std::string convError(const ir::Attrs& attrs, const std::vector<TestTensor>& in) {
    auto r = test::runOp("Convolution", attrs, in);
    EXPECT_FALSE(r.status.ok());
    return r.status.message();
}

}  // namespace

TEST(Convolution, Hand1DStridePadBias) {
    // x = 1..5, w = [1, 0, -1], pads 1/1, stride 2: O = (5+2-3)/2 + 1 = 3.
    ir::Attrs a;
    a.set("strides", Ints{2});
    a.set("pads_begin", Ints{1});
    a.set("pads_end", Ints{1});
    auto r = test::runOp("Convolution", a,
                         {TestTensor::f32({1, 1, 5}, {1, 2, 3, 4, 5}), TestTensor::f32({1, 1, 3}, {1, 0, -1}),
                          TestTensor::f32({1}, {0.5f})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (Shape{1, 1, 3}));
    // windows: [0,1,2] -> 0-2, [2,3,4] -> 2-4, [4,5,0] -> 4-0; plus 0.5.
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{-1.5, -1.5, 4.5}), 0, 1e-6);
}

TEST(Convolution, Conv2DStridePadBias) {
    auto X = TestTensor::random(DType::kF32, {2, 3, 7, 6}, 1);
    auto W = TestTensor::random(DType::kF32, {4, 3, 3, 3}, 2);
    auto B = TestTensor::random(DType::kF32, {4}, 3);
    // H: (7+2-3)/2+1 = 4, W: (6+2-3)/2+1 = 3 (floor of 2.5).
    expectConv(attrs2d({2, 2}, {1, 1}, {1, 1}), X, W, &B, {2, 2}, {1, 1}, {1, 1}, 1, {2, 4, 4, 3});
}

TEST(Convolution, AsymmetricPads) {
    auto X = TestTensor::random(DType::kF32, {1, 2, 5, 5}, 4);
    auto W = TestTensor::random(DType::kF32, {3, 2, 3, 2}, 5);
    // H: (5+1+2-3)/2+1 = 3, W: (5+0+1-2)/1+1 = 5.
    expectConv(attrs2d({2, 1}, {1, 0}, {2, 1}), X, W, nullptr, {2, 1}, {1, 1}, {1, 0}, 1, {1, 3, 3, 5});
}

TEST(Convolution, DilationWithGroups) {
    auto X = TestTensor::random(DType::kF32, {2, 4, 8, 7}, 6);
    auto W = TestTensor::random(DType::kF32, {6, 2, 3, 2}, 7);  // group 2: C/group = 2, M = 6
    auto B = TestTensor::random(DType::kF32, {6}, 8);
    auto a = attrs2d({1, 2}, {2, 1}, {1, 0});
    a.set("dilations", Ints{2, 3});
    a.set("group", int64_t(2));
    // H: (8+3-(2*2+1))/1+1 = 7, W: (7+1-(3*1+1))/2+1 = 3.
    expectConv(a, X, W, &B, {1, 2}, {2, 3}, {2, 1}, 2, {2, 6, 7, 3});
}

TEST(Convolution, Depthwise) {
    auto X = TestTensor::random(DType::kF32, {1, 3, 6, 6}, 9);
    auto W = TestTensor::random(DType::kF32, {3, 1, 3, 3}, 10);
    auto B = TestTensor::random(DType::kF32, {3}, 11);
    auto a = attrs2d({1, 1}, {1, 1}, {1, 1});
    a.set("group", int64_t(3));
    expectConv(a, X, W, &B, {1, 1}, {1, 1}, {1, 1}, 3, {1, 3, 6, 6});
    // Depth multiplier 2: M = 6, each input channel feeds two outputs.
    auto W2 = TestTensor::random(DType::kF32, {6, 1, 3, 3}, 12);
    expectConv(a, X, W2, nullptr, {1, 1}, {1, 1}, {1, 1}, 3, {1, 6, 6, 6});
}

TEST(Convolution, Conv3D) {
    auto X = TestTensor::random(DType::kF32, {2, 2, 4, 5, 3}, 13);
    auto W = TestTensor::random(DType::kF32, {3, 2, 2, 3, 2}, 14);
    auto B = TestTensor::random(DType::kF32, {3}, 15);
    ir::Attrs a;
    a.set("strides", Ints{1, 2, 1});
    a.set("pads_begin", Ints{0, 1, 1});
    a.set("pads_end", Ints{1, 1, 0});
    a.set("dilations", Ints{2, 1, 1});
    // D: (4+1-3)/1+1 = 3, H: (5+2-3)/2+1 = 3, W: (3+1-2)/1+1 = 3.
    expectConv(a, X, W, &B, {1, 2, 1}, {2, 1, 1}, {0, 1, 1}, 1, {2, 3, 3, 3, 3});
}

TEST(Convolution, SameUpperVsLowerOddPadding) {
    // S = 5, K = 4, stride 1: O = 5, total pad = 4 + 4 - 5 = 3.
    auto X = TestTensor::random(DType::kF32, {1, 2, 5}, 16);
    auto W = TestTensor::random(DType::kF32, {2, 2, 4}, 17);
    ir::Attrs up, low;
    up.set("auto_pad", "SAME_UPPER");
    low.set("auto_pad", "SAME_LOWER");
    expectConv(up, X, W, nullptr, {1}, {1}, {1}, 1, {1, 2, 5});   // 1 before, 2 after
    expectConv(low, X, W, nullptr, {1}, {1}, {2}, 1, {1, 2, 5});  // 2 before, 1 after
    auto ru = test::runOp("Convolution", up, {X, W});
    auto rl = test::runOp("Convolution", low, {X, W});
    EXPECT_NE(ru.outputs[0].toDoubles(), rl.outputs[0].toDoubles());

    // 2-D, stride 2, explicit pads ignored: H 6 -> O 3, total 2*2+3-6 = 1;
    // W 7 -> O 4, total 3*2+3-7 = 2 (even split).
    auto X2 = TestTensor::random(DType::kF32, {1, 1, 6, 7}, 18);
    auto W2 = TestTensor::random(DType::kF32, {2, 1, 3, 3}, 19);
    auto up2 = attrs2d({2, 2}, {5, 5}, {5, 5});
    up2.set("auto_pad", "SAME_UPPER");
    auto low2 = up2;
    low2.set("auto_pad", "SAME_LOWER");
    expectConv(up2, X2, W2, nullptr, {2, 2}, {1, 1}, {0, 1}, 1, {1, 2, 3, 4});
    expectConv(low2, X2, W2, nullptr, {2, 2}, {1, 1}, {1, 1}, 1, {1, 2, 3, 4});
}

TEST(Convolution, SameWithDilation) {
    // S = 6, K = 3, dil 2 (extent 5), stride 1: O = 6, total = 5 + 5 - 6 = 4 -> 2/2.
    auto X = TestTensor::random(DType::kF32, {1, 1, 6}, 20);
    auto W = TestTensor::random(DType::kF32, {1, 1, 3}, 21);
    ir::Attrs a;
    a.set("auto_pad", "SAME_LOWER");
    a.set("dilations", Ints{2});
    expectConv(a, X, W, nullptr, {1}, {2}, {2}, 1, {1, 1, 6});
}

TEST(Convolution, ValidIgnoresPads) {
    auto X = TestTensor::random(DType::kF32, {1, 2, 7, 5}, 22);
    auto W = TestTensor::random(DType::kF32, {2, 2, 3, 3}, 23);
    auto a = attrs2d({2, 1}, {3, 3}, {3, 3});
    a.set("auto_pad", "VALID");
    // H: (7-3)/2+1 = 3, W: 5-3+1 = 3.
    expectConv(a, X, W, nullptr, {2, 1}, {1, 1}, {0, 0}, 1, {1, 2, 3, 3});
}

TEST(Convolution, CeilMode) {
    // S = 6, K = 3, stride 2: floor((6-3)/2)+1 = 2, ceil -> 3; the last window
    // reads one position past the input (zero).
    auto X = TestTensor::random(DType::kF32, {1, 1, 6, 6}, 24);
    auto W = TestTensor::random(DType::kF32, {1, 1, 3, 3}, 25);
    auto a = attrs2d({2, 2}, {0, 0}, {0, 0});
    expectConv(a, X, W, nullptr, {2, 2}, {1, 1}, {0, 0}, 1, {1, 1, 2, 2});
    a.set("ceil_mode", int64_t(1));
    expectConv(a, X, W, nullptr, {2, 2}, {1, 1}, {0, 0}, 1, {1, 1, 3, 3});
}

TEST(Convolution, AbsentBiasInput) {
    auto X = TestTensor::random(DType::kF32, {1, 2, 4}, 26);
    auto W = TestTensor::random(DType::kF32, {3, 2, 2}, 27);
    auto r = test::runOp("Convolution", {}, {X, W, TestTensor::none()});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), conv64(X, W, nullptr, {1}, {1}, {0}, 1, {1, 3, 3}), 1e-5, 1e-5);
}

TEST(Convolution, Float16AndBFloat16) {
    for (DType t : {DType::kF16, DType::kBF16}) {
        auto X = TestTensor::random(t, {2, 4, 5, 5}, 28);
        auto W = TestTensor::random(t, {4, 2, 3, 3}, 29);
        auto B = TestTensor::random(t, {4}, 30);
        auto a = attrs2d({1, 1}, {1, 1}, {1, 1});
        a.set("group", int64_t(2));
        // Reference on the already-rounded inputs; the kernel rounds only its output.
        const double tol = t == DType::kF16 ? 2e-3 : 1.6e-2;
        expectConv(a, X, W, &B, {1, 1}, {1, 1}, {1, 1}, 2, {2, 4, 5, 5}, tol);
    }
}

TEST(Convolution, MixedPrecisionWeights) {
    auto X = TestTensor::random(DType::kF16, {1, 2, 6}, 31);
    auto W = TestTensor::random(DType::kF32, {2, 2, 3}, 32);
    expectConv({}, X, W, nullptr, {1}, {1}, {0}, 1, {1, 2, 4}, 2e-3);
}

TEST(Convolution, Float64WithFloat32Bias) {
    // ConvInteger/QLinearConv lower to a float64 Convolution; its bias may be float32.
    auto X = TestTensor::random(DType::kF64, {2, 4, 7, 6}, 37);
    auto W = TestTensor::random(DType::kF64, {6, 2, 3, 2}, 38);
    auto B = TestTensor::random(DType::kF32, {6}, 39);
    auto a = attrs2d({2, 1}, {1, 0}, {2, 1});
    a.set("dilations", Ints{1, 2});
    a.set("group", int64_t(2));
    // H: (7+1+2-3)/2+1 = 4, W: (6+0+1-3)/1+1 = 5.
    expectConv(a, X, W, &B, {2, 1}, {1, 2}, {1, 0}, 2, {2, 6, 4, 5}, 1e-12);
    auto X1 = TestTensor::random(DType::kF64, {1, 3, 9}, 40);
    auto W1 = TestTensor::random(DType::kF64, {2, 3, 4}, 41);
    auto B1 = TestTensor::random(DType::kF64, {2}, 42);
    ir::Attrs a1;
    a1.set("strides", Ints{2});
    a1.set("pads_begin", Ints{2});
    a1.set("pads_end", Ints{1});
    // (9+3-4)/2+1 = 5.
    expectConv(a1, X1, W1, &B1, {2}, {1}, {2}, 1, {1, 2, 5}, 1e-12);
    auto X3 = TestTensor::random(DType::kF64, {1, 2, 4, 3, 5}, 43);
    auto W3 = TestTensor::random(DType::kF64, {3, 2, 2, 2, 3}, 44);
    ir::Attrs a3;
    a3.set("pads_begin", Ints{0, 1, 1});
    a3.set("pads_end", Ints{1, 0, 1});
    // D: 4+1-2+1 = 4, H: 3+1-2+1 = 3, W: 5+2-3+1 = 5.
    expectConv(a3, X3, W3, nullptr, {1, 1, 1}, {1, 1, 1}, {0, 1, 1}, 1, {1, 3, 4, 3, 5}, 1e-12);
    // Exact integer sums past float32's 24 bits (what ConvInteger needs).
    auto r = test::runOp("Convolution", {},
                         {TestTensor::fromDoubles(DType::kF64, {1, 2, 1}, {16777217, 3}),
                          TestTensor::fromDoubles(DType::kF64, {1, 2, 1}, {16777217, 1})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{16777217.0 * 16777217.0 + 3}), 0, 0);
}

TEST(Convolution, LargerMultithreaded) {
    auto X = TestTensor::random(DType::kF32, {3, 8, 12, 11}, 33);
    auto W = TestTensor::random(DType::kF32, {10, 4, 3, 3}, 34);
    auto B = TestTensor::random(DType::kF32, {10}, 35);
    auto a = attrs2d({1, 2}, {1, 1}, {1, 1});
    a.set("group", int64_t(2));
    // H: 12+2-3+1 = 12, W: (11+2-3)/2+1 = 6.
    expectConv(a, X, W, &B, {1, 2}, {1, 1}, {1, 1}, 2, {3, 10, 12, 6}, 1e-4);
}

TEST(Convolution, EmptyBatch) {
    auto r = test::runOp("Convolution", {}, {TestTensor::f32({0, 2, 4}, {}), TestTensor::random(DType::kF32, {3, 2, 2}, 36)});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (Shape{0, 3, 3}));
    // Zero input channels: every output is just the bias.
    r = test::runOp("Convolution", {},
                    {TestTensor::f32({1, 0, 4}, {}), TestTensor::f32({2, 0, 2}, {}), TestTensor::f32({2}, {1, 2})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (Shape{1, 2, 3}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 1, 1, 2, 2, 2}), 0, 0);
}

TEST(Convolution, UnknownDimsPropagate) {
    ir::Node n;
    n.op = "Convolution";
    n.name = "c";
    n.inputs = {0, 1};
    n.outputs = {2};
    n.attrs = attrs2d({2, 1}, {1, 1}, {1, 1});
    std::vector<ir::TensorDesc> in{{DType::kF32, {-1, 3, -1, 8}, nullptr}, {DType::kF32, {5, 3, 3, 3}, nullptr}};
    std::vector<ir::TensorDesc> out;
    ASSERT_TRUE(ir::inferNode(n, in, out).ok());
    EXPECT_EQ(out[0].shape, (Shape{-1, 5, -1, 8}));
    // Unknown C: the group check waits for run time.
    in[0].shape = {1, -1, 4, 4};
    ASSERT_TRUE(ir::inferNode(n, in, out).ok());
    EXPECT_EQ(out[0].shape, (Shape{1, 5, 2, 4}));
}

TEST(Convolution, Errors) {
    auto X = TestTensor::random(DType::kF32, {1, 4, 5, 5}, 37);
    auto W = TestTensor::random(DType::kF32, {6, 2, 3, 3}, 38);
    ir::Attrs g3;
    g3.set("group", int64_t(3));
    EXPECT_NE(convError(g3, {X, W}).find("not divisible by group"), std::string::npos);
    // M = 5 with group 2.
    ir::Attrs g2;
    g2.set("group", int64_t(2));
    EXPECT_NE(convError(g2, {X, TestTensor::random(DType::kF32, {5, 2, 3, 3}, 39)}).find("M=5"), std::string::npos);
    // W dim 1 must be C/group.
    EXPECT_NE(convError({}, {X, W}).find("W dim 1"), std::string::npos);
    // Weight rank mismatch.
    EXPECT_NE(convError({}, {X, TestTensor::random(DType::kF32, {6, 4, 3}, 40)}).find("rank"), std::string::npos);
    // Output extent < 1: 7x7 kernel on a 5x5 input without padding.
    EXPECT_NE(convError({}, {X, TestTensor::random(DType::kF32, {2, 4, 7, 7}, 41)}).find("output extent"),
              std::string::npos);
    // Attribute problems (with a valid W).
    auto W4 = TestTensor::random(DType::kF32, {2, 4, 3, 3}, 43);
    ASSERT_TRUE(test::runOp("Convolution", {}, {X, W4}).status.ok());
    ir::Attrs a;
    a.set("strides", Ints{1});
    EXPECT_NE(convError(a, {X, W4}).find("strides"), std::string::npos);
    a = {};
    a.set("strides", Ints{1, 0});
    EXPECT_NE(convError(a, {X, W4}).find("strides"), std::string::npos);
    a = {};
    a.set("pads_begin", Ints{-1, 0});
    EXPECT_NE(convError(a, {X, W4}).find("pads_begin"), std::string::npos);
    a = {};
    a.set("auto_pad", "SAME");
    EXPECT_NE(convError(a, {X, W4}).find("auto_pad"), std::string::npos);
    a = {};
    a.set("ceil_mode", int64_t(2));
    EXPECT_NE(convError(a, {X, W4}).find("ceil_mode"), std::string::npos);
    a = {};
    a.set("group", int64_t(0));
    EXPECT_NE(convError(a, {X, W4}).find("group"), std::string::npos);
    // Bias of the wrong length, integer input, X of rank 2 or 6.
    EXPECT_NE(convError({}, {X, W4, TestTensor::f32({3}, {1, 2, 3})}).find("B must be"), std::string::npos);
    EXPECT_NE(convError({}, {TestTensor::i32({1, 4, 3, 3}, std::vector<int32_t>(36, 1)), W4}).find("dtype"),
              std::string::npos);
    EXPECT_NE(convError({}, {TestTensor::f32({4, 5}, std::vector<float>(20, 1.f)), W4}).find("X must be"),
              std::string::npos);
    EXPECT_NE(convError({}, {TestTensor::f32({1, 1, 1, 1, 1, 1}, {1.f}), W4}).find("X must be"), std::string::npos);
    // Kernel of extent 0.
    EXPECT_NE(convError({}, {X, TestTensor::f32({2, 4, 0, 3}, {})}).find("extent 0"), std::string::npos);
    // SAME on an empty spatial axis.
    a = {};
    a.set("auto_pad", "SAME_UPPER");
    EXPECT_NE(convError(a, {TestTensor::f32({1, 4, 0, 5}, {}), W4}).find("output extent"), std::string::npos);
}
