// Deconvolution: the reference kernel against a plain float64 scatter loop
// written here. Expected output shapes and pads are worked out by hand.
#include <gtest/gtest.h>

#include "ops/op_test_util.h"

using namespace kiln;
using kiln::ir::DType;
using kiln::ir::Shape;
using kiln::test::TestTensor;
using Ints = std::vector<int64_t>;

namespace {

// Definition: each x[n, c, i] adds x * w[c, mg, k] to y[n, g*Mg+mg, i*s + k*d - pb]
// when that lands inside y; y starts at the bias.
std::vector<double> deconv64(const TestTensor& X, const TestTensor& W, const TestTensor* B, const Ints& strides,
                             const Ints& dil, const Ints& padsBegin, int64_t group, const Shape& yShape) {
    const auto x = X.toDoubles(), w = W.toDoubles();
    const size_t k = X.shape.size() - 2;
    const int64_t C = X.shape[1], M = yShape[1], Cg = C / group, Mg = W.shape[1];
    int64_t outPlane = 1, kVol = 1;
    for (size_t a = 0; a < k; ++a) {
        outPlane *= yShape[2 + a];
        kVol *= W.shape[2 + a];
    }
    std::vector<double> y(size_t(ir::volume(yShape)), 0.0);
    if (B) {
        const auto b = B->toDoubles();
        for (size_t i = 0; i < y.size(); ++i) y[i] = b[size_t((int64_t(i) / outPlane) % M)];
    }
    std::vector<int64_t> idx(X.shape.size()), kidx(k);
    for (size_t flat = 0; flat < x.size(); ++flat) {
        int64_t r = int64_t(flat);
        for (size_t a = X.shape.size(); a-- > 0;) {
            idx[a] = r % X.shape[a];
            r /= X.shape[a];
        }
        const int64_t n = idx[0], c = idx[1], g = c / Cg;
        for (int64_t mg = 0; mg < Mg; ++mg) {
            for (int64_t kf = 0; kf < kVol; ++kf) {
                int64_t rk = kf;
                for (size_t a = k; a-- > 0;) {
                    kidx[a] = rk % W.shape[2 + a];
                    rk /= W.shape[2 + a];
                }
                int64_t yi = n * M + g * Mg + mg, wi = c * Mg + mg;
                bool inside = true;
                for (size_t a = 0; a < k; ++a) {
                    const int64_t pos = idx[2 + a] * strides[a] + kidx[a] * dil[a] - padsBegin[a];
                    if (pos < 0 || pos >= yShape[2 + a]) inside = false;
                    yi = yi * yShape[2 + a] + pos;
                    wi = wi * W.shape[2 + a] + kidx[a];
                }
                if (inside) y[size_t(yi)] += x[flat] * w[size_t(wi)];
            }
        }
    }
    return y;
}

void expectDeconv(const ir::Attrs& attrs, const TestTensor& X, const TestTensor& W, const TestTensor* B,
                  const Ints& strides, const Ints& dil, const Ints& padsBegin, int64_t group, const Shape& yShape,
                  double tol = 1e-5) {
    std::vector<TestTensor> in{X, W};
    if (B) in.push_back(*B);
    auto r = test::runOp("Deconvolution", attrs, in);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, yShape);
    EXPECT_EQ(r.outputs[0].dtype, X.dtype);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), deconv64(X, W, B, strides, dil, padsBegin, group, yShape), tol, tol);
}

std::string deconvError(const ir::Attrs& attrs, const std::vector<TestTensor>& in) {
    auto r = test::runOp("Deconvolution", attrs, in);
    EXPECT_FALSE(r.status.ok());
    return r.status.message();
}

ir::Attrs attrs(Ints strides, Ints pb, Ints pe) {
    ir::Attrs a;
    a.set("strides", std::move(strides));
    a.set("pads_begin", std::move(pb));
    a.set("pads_end", std::move(pe));
    return a;
}

}  // namespace

TEST(Deconvolution, Hand1DStrideBias) {
    // x = [1,2,3], w = [1,10], stride 2: O = 2*2 + 2 = 6, no overlap.
    ir::Attrs a;
    a.set("strides", Ints{2});
    auto r = test::runOp("Deconvolution", a,
                         {TestTensor::f32({1, 1, 3}, {1, 2, 3}), TestTensor::f32({1, 1, 2}, {1, 10}),
                          TestTensor::f32({1}, {1})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (Shape{1, 1, 6}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{2, 11, 3, 21, 4, 31}), 0, 1e-6);
}

TEST(Deconvolution, Hand1DOverlapAndPad) {
    // x = [1,2], w = [1,1,1], stride 1, pads 1/0: full = [1,3,3,2], drop first -> [3,3,2].
    auto r = test::runOp("Deconvolution", attrs({1}, {1}, {0}),
                         {TestTensor::f32({1, 1, 2}, {1, 2}), TestTensor::f32({1, 1, 3}, {1, 1, 1})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (Shape{1, 1, 3}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{3, 3, 2}), 0, 1e-6);
}

TEST(Deconvolution, Deconv2DStridePadOutputPadding) {
    auto X = TestTensor::random(DType::kF32, {2, 3, 3, 4}, 1);
    auto W = TestTensor::random(DType::kF32, {3, 2, 3, 3}, 2);
    auto B = TestTensor::random(DType::kF32, {2}, 3);
    auto a = attrs({2, 2}, {1, 1}, {1, 1});
    a.set("output_padding", Ints{1, 1});
    // H: 2*2 + 1 + 3 - 2 = 6, W: 2*3 + 1 + 3 - 2 = 8.
    expectDeconv(a, X, W, &B, {2, 2}, {1, 1}, {1, 1}, 1, {2, 2, 6, 8});
}

TEST(Deconvolution, AsymmetricPads) {
    auto X = TestTensor::random(DType::kF32, {1, 2, 4, 3}, 4);
    auto W = TestTensor::random(DType::kF32, {2, 3, 3, 2}, 5);
    // H: 2*3 + 3 - 0 - 2 = 7, W: 1*2 + 2 - 1 - 0 = 3.
    expectDeconv(attrs({2, 1}, {0, 1}, {2, 0}), X, W, nullptr, {2, 1}, {1, 1}, {0, 1}, 1, {1, 3, 7, 3});
}

TEST(Deconvolution, DilationWithGroups) {
    auto X = TestTensor::random(DType::kF32, {2, 4, 3, 4}, 6);
    auto W = TestTensor::random(DType::kF32, {4, 3, 2, 3}, 7);  // group 2: M = 6
    auto B = TestTensor::random(DType::kF32, {6}, 8);
    auto a = attrs({1, 2}, {1, 0}, {0, 2});
    a.set("dilations", Ints{2, 2});
    a.set("group", int64_t(2));
    // H: 2 + (2*1+1) - 1 = 4, W: 2*3 + (2*2+1) - 2 = 9.
    expectDeconv(a, X, W, &B, {1, 2}, {2, 2}, {1, 0}, 2, {2, 6, 4, 9});
}

TEST(Deconvolution, Depthwise) {
    auto X = TestTensor::random(DType::kF32, {1, 3, 4, 4}, 9);
    auto W = TestTensor::random(DType::kF32, {3, 1, 3, 3}, 10);
    auto a = attrs({2, 2}, {1, 1}, {1, 1});
    a.set("group", int64_t(3));
    // 2*3 + 3 - 2 = 7.
    expectDeconv(a, X, W, nullptr, {2, 2}, {1, 1}, {1, 1}, 3, {1, 3, 7, 7});
}

TEST(Deconvolution, Deconv3D) {
    auto X = TestTensor::random(DType::kF32, {1, 2, 2, 3, 2}, 11);
    auto W = TestTensor::random(DType::kF32, {2, 2, 2, 2, 3}, 12);
    auto B = TestTensor::random(DType::kF32, {2}, 13);
    ir::Attrs a = attrs({2, 1, 2}, {0, 1, 1}, {1, 0, 1});
    a.set("output_padding", Ints{1, 0, 0});
    // D: 2*1 + 1 + 2 - 1 = 4, H: 2 + 2 - 1 = 3, W: 2*1 + 3 - 2 = 3.
    expectDeconv(a, X, W, &B, {2, 1, 2}, {1, 1, 1}, {0, 1, 1}, 1, {1, 2, 4, 3, 3});
}

TEST(Deconvolution, OutputShapeComputesPads) {
    // S = 3, K = 3, stride 2: unpadded extent 2*2 + 3 = 7.
    auto X = TestTensor::random(DType::kF32, {1, 2, 3}, 14);
    auto W = TestTensor::random(DType::kF32, {2, 2, 3}, 15);
    auto B = TestTensor::random(DType::kF32, {2}, 16);
    ir::Attrs a;
    a.set("strides", Ints{2});
    a.set("pads_begin", Ints{3});  // ignored once output_shape is given
    a.set("output_shape", Ints{6});
    // total pad 1: ONNX puts the odd unit at the beginning unless SAME_UPPER.
    expectDeconv(a, X, W, &B, {2}, {1}, {1}, 1, {1, 2, 6});
    a.set("auto_pad", "SAME_UPPER");
    expectDeconv(a, X, W, &B, {2}, {1}, {0}, 1, {1, 2, 6});
    a.set("auto_pad", "SAME_LOWER");
    expectDeconv(a, X, W, &B, {2}, {1}, {1}, 1, {1, 2, 6});
    // Larger than the unpadded extent: the extra trailing output holds just the bias.
    a.set("auto_pad", "NOTSET");
    a.set("output_shape", Ints{8});
    expectDeconv(a, X, W, &B, {2}, {1}, {0}, 1, {1, 2, 8});
    // 2-D: total pads 3 -> 2/1 and 2 -> 1/1.
    auto X2 = TestTensor::random(DType::kF32, {1, 1, 3, 3}, 17);
    auto W2 = TestTensor::random(DType::kF32, {1, 1, 3, 2}, 18);
    ir::Attrs b;
    b.set("strides", Ints{2, 2});
    b.set("output_shape", Ints{4, 4});  // H: 7 - 4 = 3, W: 6 - 4 = 2
    expectDeconv(b, X2, W2, nullptr, {2, 2}, {1, 1}, {2, 1}, 1, {1, 1, 4, 4});
}

TEST(Deconvolution, SameUpperVsLower) {
    // No output_shape: O = S * stride = 6. K = 3: extent 7, total 1.
    auto X = TestTensor::random(DType::kF32, {1, 1, 3}, 19);
    auto W = TestTensor::random(DType::kF32, {1, 2, 3}, 20);
    ir::Attrs up, low;
    up.set("strides", Ints{2});
    up.set("auto_pad", "SAME_UPPER");
    low = up;
    low.set("auto_pad", "SAME_LOWER");
    expectDeconv(up, X, W, nullptr, {2}, {1}, {0}, 1, {1, 2, 6});
    expectDeconv(low, X, W, nullptr, {2}, {1}, {1}, 1, {1, 2, 6});
    // K = 4: extent 8, total 2 -> 1/1 either way.
    auto W4 = TestTensor::random(DType::kF32, {1, 1, 4}, 21);
    expectDeconv(up, X, W4, nullptr, {2}, {1}, {1}, 1, {1, 1, 6});
    expectDeconv(low, X, W4, nullptr, {2}, {1}, {1}, 1, {1, 1, 6});
}

TEST(Deconvolution, ValidIgnoresPads) {
    auto X = TestTensor::random(DType::kF32, {1, 2, 3, 2}, 22);
    auto W = TestTensor::random(DType::kF32, {2, 1, 2, 3}, 23);
    auto a = attrs({2, 3}, {1, 1}, {1, 1});
    a.set("auto_pad", "VALID");
    // H: 2*2 + 2 = 6, W: 3*1 + 3 = 6.
    expectDeconv(a, X, W, nullptr, {2, 3}, {1, 1}, {0, 0}, 1, {1, 1, 6, 6});
}

TEST(Deconvolution, Float16AndBFloat16) {
    for (DType t : {DType::kF16, DType::kBF16}) {
        auto X = TestTensor::random(t, {1, 4, 4, 3}, 24);
        auto W = TestTensor::random(t, {4, 2, 3, 3}, 25);
        auto B = TestTensor::random(t, {4}, 26);
        auto a = attrs({2, 1}, {1, 0}, {0, 1});
        a.set("group", int64_t(2));
        // H: 2*3 + 3 - 1 = 8, W: 2 + 3 - 1 = 4.
        const double tol = t == DType::kF16 ? 2e-3 : 1.6e-2;
        expectDeconv(a, X, W, &B, {2, 1}, {1, 1}, {1, 0}, 2, {1, 4, 8, 4}, tol);
    }
}

TEST(Deconvolution, Float64WithFloat32Bias) {
    auto X = TestTensor::random(DType::kF64, {2, 4, 3, 4}, 30);
    auto W = TestTensor::random(DType::kF64, {4, 3, 2, 3}, 31);  // group 2: M = 6
    auto B = TestTensor::random(DType::kF32, {6}, 32);
    auto a = attrs({1, 2}, {1, 0}, {0, 2});
    a.set("dilations", Ints{2, 2});
    a.set("group", int64_t(2));
    // H: 2 + (2*1+1) - 1 = 4, W: 2*3 + (2*2+1) - 2 = 9.
    expectDeconv(a, X, W, &B, {1, 2}, {2, 2}, {1, 0}, 2, {2, 6, 4, 9}, 1e-12);
}

TEST(Deconvolution, LargerMultithreaded) {
    auto X = TestTensor::random(DType::kF32, {2, 6, 7, 9}, 27);
    auto W = TestTensor::random(DType::kF32, {6, 5, 4, 3}, 28);
    auto B = TestTensor::random(DType::kF32, {5}, 29);
    auto a = attrs({2, 2}, {1, 1}, {1, 0});
    a.set("output_padding", Ints{1, 1});
    // H: 2*6 + 1 + 4 - 2 = 15, W: 2*8 + 1 + 3 - 1 = 19.
    expectDeconv(a, X, W, &B, {2, 2}, {1, 1}, {1, 1}, 1, {2, 5, 15, 19}, 1e-4);
}

TEST(Deconvolution, UnknownDimsPropagate) {
    ir::Node n;
    n.op = "Deconvolution";
    n.name = "d";
    n.inputs = {0, 1};
    n.outputs = {2};
    n.attrs = attrs({2, 2}, {0, 0}, {0, 0});
    std::vector<ir::TensorDesc> in{{DType::kF32, {-1, 4, -1, 5}, nullptr}, {DType::kF32, {4, 3, 2, 2}, nullptr}};
    std::vector<ir::TensorDesc> out;
    ASSERT_TRUE(ir::inferNode(n, in, out).ok());
    EXPECT_EQ(out[0].shape, (Shape{-1, 3, -1, 10}));
    // An explicit output_shape is known even when the input's is not.
    n.attrs.set("output_shape", Ints{7, 9});
    ASSERT_TRUE(ir::inferNode(n, in, out).ok());
    EXPECT_EQ(out[0].shape, (Shape{-1, 3, 7, 9}));
}

TEST(Deconvolution, Errors) {
    auto X = TestTensor::random(DType::kF32, {1, 4, 3, 3}, 30);
    auto W = TestTensor::random(DType::kF32, {4, 2, 3, 3}, 31);
    ASSERT_TRUE(test::runOp("Deconvolution", {}, {X, W}).status.ok());
    ir::Attrs g3;
    g3.set("group", int64_t(3));
    EXPECT_NE(deconvError(g3, {X, W}).find("not divisible by group"), std::string::npos);
    // W dim 0 must equal C.
    EXPECT_NE(deconvError({}, {X, TestTensor::random(DType::kF32, {3, 2, 3, 3}, 32)}).find("W dim 0"),
              std::string::npos);
    EXPECT_NE(deconvError({}, {X, TestTensor::random(DType::kF32, {4, 2, 3}, 33)}).find("rank"), std::string::npos);
    // Output extent < 1: S = 1, K = 1, pads 1/1 -> 1 - 2 = -1.
    EXPECT_NE(deconvError(attrs({1}, {1}, {1}), {TestTensor::f32({1, 1, 1}, {1}), TestTensor::f32({1, 1, 1}, {1})})
                  .find("output extent"),
              std::string::npos);
    ir::Attrs a;
    a.set("output_shape", Ints{5});
    EXPECT_NE(deconvError(a, {X, W}).find("output_shape"), std::string::npos);
    a = {};
    a.set("output_shape", Ints{5, 0});
    EXPECT_NE(deconvError(a, {X, W}).find("output_shape"), std::string::npos);
    a = {};
    a.set("output_padding", Ints{-1, 0});
    EXPECT_NE(deconvError(a, {X, W}).find("output_padding"), std::string::npos);
    a = {};
    a.set("dilations", Ints{0, 1});
    EXPECT_NE(deconvError(a, {X, W}).find("dilations"), std::string::npos);
    // Bias must be [M] = [2].
    EXPECT_NE(deconvError({}, {X, W, TestTensor::f32({4}, {1, 2, 3, 4})}).find("B must be"), std::string::npos);
}
