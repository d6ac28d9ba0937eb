// FusedConvolution against a float64 convolution + Z + activation written
// plainly in the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "ops/op_test_util.h"

namespace kiln::test {
namespace {

using ir::DType;

// 2-D NCHW convolution with symmetric pads and strides, in float64.
std::vector<double> conv2d(const TestTensor& x, const TestTensor& w, const TestTensor* b, int64_t pad, int64_t stride,
                           ir::Shape& outShape) {
    const auto xv = x.toDoubles(), wv = w.toDoubles();
    const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    const int64_t M = w.shape[0], KH = w.shape[2], KW = w.shape[3];
    const int64_t OH = (H + 2 * pad - KH) / stride + 1, OW = (W + 2 * pad - KW) / stride + 1;
    outShape = {N, M, OH, OW};
    std::vector<double> y(size_t(N * M * OH * OW));
    const std::vector<double> bv = b ? b->toDoubles() : std::vector<double>(size_t(M), 0.0);
    for (int64_t n = 0; n < N; ++n)
        for (int64_t m = 0; m < M; ++m)
            for (int64_t oh = 0; oh < OH; ++oh)
                for (int64_t ow = 0; ow < OW; ++ow) {
                    double acc = bv[size_t(m)];
                    for (int64_t c = 0; c < C; ++c)
                        for (int64_t kh = 0; kh < KH; ++kh)
                            for (int64_t kw = 0; kw < KW; ++kw) {
                                const int64_t ih = oh * stride - pad + kh, iw = ow * stride - pad + kw;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                acc += xv[size_t(((n * C + c) * H + ih) * W + iw)] *
                                       wv[size_t(((m * C + c) * KH + kh) * KW + kw)];
                            }
                    y[size_t(((n * M + m) * OH + oh) * OW + ow)] = acc;
                }
    return y;
}

// clip: [-0.5, 0.75], inside the outputs' range so that both bounds act.
constexpr double kClipLo = -0.5, kClipHi = 0.75;

ir::Attrs attrs(int64_t pad, int64_t stride, const char* act) {
    ir::Attrs a;
    a.set("pads_begin", std::vector<int64_t>{pad, pad});
    a.set("pads_end", std::vector<int64_t>{pad, pad});
    a.set("strides", std::vector<int64_t>{stride, stride});
    a.set("activation", act);
    if (std::string(act) == "clip") {
        a.set("clip_min", kClipLo);
        a.set("clip_max", kClipHi);
    }
    return a;
}

void check(DType t, bool bias, bool z, const char* act, int64_t pad, int64_t stride, double tol, uint32_t seed) {
    SCOPED_TRACE(std::string(ir::dtypeName(t)) + (bias ? " bias" : "") + (z ? " Z" : "") + " act " + act);
    const TestTensor x = TestTensor::random(t, {2, 3, 9, 7}, seed);
    const TestTensor w = TestTensor::random(t, {4, 3, 3, 3}, seed + 1);
    const TestTensor b = TestTensor::random(t, {4}, seed + 2);
    ir::Shape ys;
    std::vector<double> want = conv2d(x, w, bias ? &b : nullptr, pad, stride, ys);
    const TestTensor zt = TestTensor::random(t, ys, seed + 3);
    if (z) {
        const auto zv = zt.toDoubles();
        for (size_t i = 0; i < want.size(); ++i) want[i] += zv[i];
    }
    if (std::string(act) == "relu")
        for (double& v : want) v = v < 0 ? 0 : v;
    if (std::string(act) == "clip")
        for (double& v : want) v = std::min(std::max(v, kClipLo), kClipHi);
    std::vector<TestTensor> in = {x, w, bias ? b : TestTensor::none()};
    if (z) in.push_back(zt);
    const OpResult r = runOp("FusedConvolution", attrs(pad, stride, act), in);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, ys);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, tol, tol);
}

TEST(FusedConvolution, EveryCombinationF32) {
    uint32_t seed = 1;
    for (bool bias : {false, true})
        for (bool z : {false, true})
            for (const char* act : {"none", "relu", "clip"}) check(DType::kF32, bias, z, act, 1, 1, 1e-5, seed += 4);
    check(DType::kF32, true, true, "relu", 0, 2, 1e-5, 99);
}

TEST(FusedConvolution, HalfPrecision) {
    check(DType::kF16, true, true, "relu", 1, 1, 2e-2, 7);
    check(DType::kBF16, true, false, "relu", 1, 1, 6e-2, 8);
    check(DType::kF16, true, false, "clip", 1, 2, 2e-2, 9);
}

TEST(FusedConvolution, Errors) {
    const TestTensor x = TestTensor::random(DType::kF32, {1, 2, 5, 5}, 1),
                     w = TestTensor::random(DType::kF32, {3, 2, 3, 3}, 2);
    EXPECT_FALSE(runOp("FusedConvolution", attrs(0, 1, "tanh"), {x, w}).status.ok());  // unknown activation
    ir::Attrs inverted = attrs(0, 1, "clip");
    inverted.set("clip_min", 1.0);
    inverted.set("clip_max", 0.0);
    EXPECT_FALSE(runOp("FusedConvolution", inverted, {x, w}).status.ok());
    const TestTensor badZ = TestTensor::random(DType::kF32, {1, 3, 5, 5}, 3);          // output is [1,3,3,3]
    EXPECT_FALSE(runOp("FusedConvolution", attrs(0, 1, "relu"), {x, w, TestTensor::none(), badZ}).status.ok());
    const TestTensor halfZ = TestTensor::random(DType::kF16, {1, 3, 3, 3}, 4);
    EXPECT_FALSE(runOp("FusedConvolution", attrs(0, 1, "none"), {x, w, TestTensor::none(), halfZ}).status.ok());
}

}  // namespace
}  // namespace kiln::test
