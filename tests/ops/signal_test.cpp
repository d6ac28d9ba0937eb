// DFT, STFT, Window and MelWeightMatrix op tests against plain float64 sums
// written here (no FFT), hand values and round trips.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>

#include "op_test_util.h"

namespace kiln {
namespace {

using ir::DType;
using test::runOp;
using test::TestTensor;
using C = std::complex<double>;

// y[k] = sum_n x[n] exp(-+2 pi i k n / N) over a line, x zero-padded/cropped to N.
std::vector<C> naiveDft(const std::vector<C>& x, int64_t N, bool inverse) {
    std::vector<C> y(static_cast<size_t>(N));
    for (int64_t k = 0; k < N; ++k) {
        C acc = 0;
        for (int64_t n = 0; n < N && n < int64_t(x.size()); ++n) {
            const double ang = (inverse ? 2 : -2) * M_PI * double(k * n) / double(N);
            acc += x[size_t(n)] * C(std::cos(ang), std::sin(ang));
        }
        y[size_t(k)] = inverse ? acc / double(N) : acc;
    }
    return y;
}

struct DftCase {
    ir::Shape shape;  // including the trailing 1 or 2
    int64_t axis;
    int64_t length = 0;  // 0: default
    bool inverse = false, onesided = false;
};

// Expected output of a DFT case, computed line by line with naiveDft.
std::vector<double> expectDft(const std::vector<double>& x, const DftCase& c, ir::Shape& outShape) {
    const size_t rank = c.shape.size(), axis = size_t(c.axis < 0 ? c.axis + int64_t(rank) : c.axis);
    const int64_t L = c.shape[axis], comps = c.shape.back();
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < axis; ++d) outer *= c.shape[d];
    for (size_t d = axis + 1; d + 1 < rank; ++d) inner *= c.shape[d];
    const bool irfft = c.inverse && c.onesided;
    const int64_t N = c.length ? c.length : irfft ? 2 * (L - 1) : L;
    const int64_t Lout = c.onesided && !c.inverse ? N / 2 + 1 : N, compsOut = irfft ? 1 : 2;
    outShape = c.shape;
    outShape[axis] = Lout;
    outShape.back() = compsOut;
    std::vector<double> y(size_t(outer * Lout * inner * compsOut));
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
            std::vector<C> line;
            for (int64_t l = 0; l < L; ++l) {
                const size_t at = size_t(((o * L + l) * inner + i) * comps);
                line.push_back(C(x[at], comps == 2 ? x[at + 1] : 0.0));
            }
            if (irfft) {  // full spectrum from the first N/2+1 bins by conjugate symmetry
                std::vector<C> full(static_cast<size_t>(N));
                for (int64_t k = 0; k < N; ++k) {
                    const int64_t src = k <= N / 2 ? k : N - k;
                    const C v = src < L ? line[size_t(src)] : C(0);
                    full[size_t(k)] = k <= N / 2 ? v : std::conj(v);
                }
                line = full;
            }
            const std::vector<C> r = naiveDft(line, N, c.inverse);
            for (int64_t k = 0; k < Lout; ++k) {
                const size_t at = size_t(((o * Lout + k) * inner + i) * compsOut);
                y[at] = r[size_t(k)].real();
                if (compsOut == 2) y[at + 1] = r[size_t(k)].imag();
            }
        }
    return y;
}

void checkDft(const DftCase& c, uint32_t seed, bool axisAsInput = false) {
    const TestTensor x = TestTensor::random(DType::kF32, c.shape, seed);
    ir::Attrs a;
    a.set("inverse", c.inverse);
    a.set("onesided", c.onesided);
    if (c.length) a.set("dft_length", c.length);
    std::vector<TestTensor> ins = {x};
    if (axisAsInput) {
        ins.push_back(TestTensor::none());
        ins.push_back(TestTensor::i64({}, {c.axis}));
    } else {
        a.set("axis", c.axis);
    }
    const auto r = runOp("DFT", a, ins);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ir::Shape want;
    const auto y = expectDft(x.toDoubles(), c, want);
    ASSERT_EQ(r.outputs[0].shape, want);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), y, 1e-5, 1e-5);
}

TEST(DFTTest, ForwardRealAndComplexOnEveryAxis) {
    checkDft({{2, 8, 3, 1}, 1}, 1);        // power of two: radix-2 path
    checkDft({{2, 5, 3, 2}, 1}, 2);        // odd length: direct sum
    checkDft({{2, 5, 6, 2}, 2}, 3);        // inner axis
    checkDft({{7, 2}, 0}, 4);              // rank 2
    checkDft({{2, 5, 6, 1}, -2}, 5);       // negative axis
    checkDft({{2, 5, 6, 1}, 2}, 6, true);  // axis as an input
}

TEST(DFTTest, LengthCropsAndPads) {
    checkDft({{1, 6, 2, 2}, 1, 4}, 10);   // crop
    checkDft({{1, 6, 2, 1}, 1, 9}, 11);   // pad
    checkDft({{1, 6, 2, 1}, 1, 16}, 12);  // pad to a power of two
}

TEST(DFTTest, OnesidedInverseAndIrfft) {
    checkDft({{3, 10, 1}, 1, 0, false, true}, 20);   // rfft: 6 bins
    checkDft({{3, 9, 1}, 1, 0, false, true}, 21);    // odd: 5 bins
    checkDft({{3, 10, 2}, 1, 0, true, false}, 22);   // complex inverse
    checkDft({{2, 6, 3, 2}, 1, 0, true, true}, 23);  // irfft to 10 real values
    checkDft({{2, 6, 3, 2}, 1, 11, true, true}, 24);
}

TEST(DFTTest, RfftThenIrfftRoundTrips) {
    const TestTensor x = TestTensor::random(DType::kF32, {2, 12, 1}, 30);
    ir::Attrs f;
    f.set("axis", int64_t(1));
    f.set("onesided", true);
    const auto spec = runOp("DFT", f, {x});
    ASSERT_TRUE(spec.status.ok()) << spec.status.message();
    ir::Attrs inv = f;
    inv.set("inverse", true);
    const auto back = runOp("DFT", inv, {spec.outputs[0]});
    ASSERT_TRUE(back.status.ok()) << back.status.message();
    ASSERT_EQ(back.outputs[0].shape, x.shape);
    EXPECT_CLOSE(back.outputs[0].toDoubles(), x.toDoubles(), 1e-5, 1e-5);
}

TEST(DFTTest, Errors) {
    ir::Attrs a;
    a.set("axis", int64_t(2));  // the complex axis
    EXPECT_FALSE(runOp("DFT", a, {TestTensor::random(DType::kF32, {2, 4, 1}, 1)}).status.ok());
    a.set("axis", int64_t(1));
    EXPECT_FALSE(runOp("DFT", a, {TestTensor::random(DType::kF32, {2, 4, 3}, 1)}).status.ok());  // last dim 3
    a.set("onesided", true);
    EXPECT_FALSE(runOp("DFT", a, {TestTensor::random(DType::kF32, {2, 4, 2}, 1)}).status.ok());  // complex rfft
    ir::Attrs noAxis;
    EXPECT_FALSE(runOp("DFT", noAxis, {TestTensor::random(DType::kF32, {2, 4, 1}, 1)}).status.ok());
}

TEST(DFTTest, LongerLines) {
    checkDft({{3, 100, 1}, 1}, 60);                     // forward, 100 bins
    checkDft({{2, 64, 2}, 1, 0, true, false}, 61);      // complex inverse, radix-2 on the CPU
    checkDft({{2, 33, 2}, 1, 0, true, true}, 62);       // irfft to 64 values
    checkDft({{2, 40, 3, 1}, 1, 57, false, true}, 63);  // padded rfft, inner lines
}

// float16 / bfloat16 signals give the float32 result of the same values,
// rounded to the narrow type.
TEST(DFTTest, SixteenBitTypesMatchFloat) {
    for (DType t : {DType::kF16, DType::kBF16}) {
        SCOPED_TRACE(t == DType::kF16 ? "float16" : "bfloat16");
        const double tol = t == DType::kF16 ? 1e-3 : 8e-3;
        const TestTensor x = TestTensor::random(t, {2, 12, 2}, 70);
        const TestTensor xw = TestTensor::fromDoubles(DType::kF32, x.shape, x.toDoubles());
        for (bool inverse : {false, true}) {
            ir::Attrs a;
            a.set("axis", int64_t(1));
            a.set("inverse", inverse);
            a.set("onesided", inverse);  // forward complex, then irfft
            const auto rn = runOp("DFT", a, {x}), rw = runOp("DFT", a, {xw});
            ASSERT_TRUE(rn.status.ok() && rw.status.ok()) << rn.status.message() << rw.status.message();
            EXPECT_EQ(rn.outputs[0].dtype, t);
            EXPECT_CLOSE(rn.outputs[0].toDoubles(), rw.outputs[0].toDoubles(), tol, tol);
        }
        const TestTensor sig = TestTensor::random(t, {2, 20, 1}, 71), win = TestTensor::random(t, {6}, 72, 0, 1);
        const auto rn = runOp("STFT", ir::Attrs{}, {sig, TestTensor::i64({}, {3}), win});
        const auto rw =
            runOp("STFT", ir::Attrs{},
                  {TestTensor::fromDoubles(DType::kF32, sig.shape, sig.toDoubles()), TestTensor::i64({}, {3}),
                   TestTensor::fromDoubles(DType::kF32, win.shape, win.toDoubles())});
        ASSERT_TRUE(rn.status.ok() && rw.status.ok()) << rn.status.message() << rw.status.message();
        EXPECT_CLOSE(rn.outputs[0].toDoubles(), rw.outputs[0].toDoubles(), tol, tol);
    }
}

TEST(STFTTest, FramesWindowAndOnesided) {
    const int64_t B = 2, L = 30, N = 8, step = 3;
    const TestTensor x = TestTensor::random(DType::kF32, {B, L, 1}, 40);
    const TestTensor w = TestTensor::random(DType::kF32, {N}, 41, 0, 1);
    for (bool onesided : {true, false}) {
        ir::Attrs a;
        a.set("onesided", onesided);
        const auto r = runOp("STFT", a, {x, TestTensor::i64({}, {step}), w});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        const int64_t frames = (L - N) / step + 1, bins = onesided ? N / 2 + 1 : N;
        ASSERT_EQ(r.outputs[0].shape, (ir::Shape{B, frames, bins, 2}));
        const auto xv = x.toDoubles(), wv = w.toDoubles();
        std::vector<double> want;
        for (int64_t b = 0; b < B; ++b)
            for (int64_t f = 0; f < frames; ++f) {
                std::vector<C> frame;
                for (int64_t n = 0; n < N; ++n) frame.push_back(wv[size_t(n)] * xv[size_t(b * L + f * step + n)]);
                const auto spec = naiveDft(frame, N, false);
                for (int64_t k = 0; k < bins; ++k) {
                    want.push_back(spec[size_t(k)].real());
                    want.push_back(spec[size_t(k)].imag());
                }
            }
        EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-5, 1e-5);
    }
}

TEST(STFTTest, FrameLengthWithoutWindowAndComplexSignal) {
    const TestTensor x = TestTensor::random(DType::kF32, {1, 10, 2}, 50);
    ir::Attrs a;
    a.set("onesided", false);
    const auto r = runOp("STFT", a, {x, TestTensor::i64({}, {4}), TestTensor::none(), TestTensor::i64({}, {5})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (ir::Shape{1, 2, 5, 2}));
    const auto xv = x.toDoubles();
    std::vector<double> want;
    for (int64_t f = 0; f < 2; ++f) {
        std::vector<C> frame;
        for (int64_t n = 0; n < 5; ++n)
            frame.push_back(C(xv[size_t((f * 4 + n) * 2)], xv[size_t((f * 4 + n) * 2 + 1)]));
        for (const C& v : naiveDft(frame, 5, false)) want.push_back(v.real()), want.push_back(v.imag());
    }
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-5, 1e-5);
    // onesided with a complex signal, and frame_length longer than the signal, are errors.
    EXPECT_FALSE(runOp("STFT", ir::Attrs{}, {x, TestTensor::i64({}, {4}), TestTensor::none(), TestTensor::i64({}, {5})})
                     .status.ok());
    EXPECT_FALSE(
        runOp("STFT", a, {x, TestTensor::i64({}, {4}), TestTensor::none(), TestTensor::i64({}, {11})}).status.ok());
}

TEST(WindowTest, HannHammingBlackmanPeriodicAndSymmetric) {
    for (const char* kind : {"hann", "hamming", "blackman"})
        for (bool periodic : {true, false}) {
            ir::Attrs a;
            a.set("kind", kind);
            a.set("periodic", periodic);
            const int64_t N = 7;
            const auto r = runOp("Window", a, {TestTensor::i64({}, {N})});
            ASSERT_TRUE(r.status.ok()) << r.status.message();
            std::vector<double> want;
            const double D = periodic ? N : N - 1;
            for (int64_t n = 0; n < N; ++n) {
                const double t = double(n) / D;
                if (std::string(kind) == "hann")
                    want.push_back(std::pow(std::sin(M_PI * t), 2));
                else if (std::string(kind) == "hamming")
                    want.push_back(0.54347826086956519 - 0.45652173913043481 * std::cos(2 * M_PI * t));
                else
                    want.push_back(0.42 - 0.5 * std::cos(2 * M_PI * t) + 0.08 * std::cos(4 * M_PI * t));
            }
            SCOPED_TRACE(std::string(kind) + (periodic ? " periodic" : " symmetric"));
            EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-6, 1e-7);
        }
    // Output dtype and an empty window.
    ir::Attrs a;
    a.set("kind", "hann");
    a.set("dtype", int64_t(DType::kF16));
    const auto r = runOp("Window", a, {TestTensor::i64({}, {0})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].dtype, DType::kF16);
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{0}));
    EXPECT_FALSE(runOp("Window", a, {TestTensor::i64({}, {-1})}).status.ok());
}

TEST(WindowTest, IntegerAndDoubleOutputs) {
    // Periodic Hann of 8: 0.5 - 0.5 cos(2 pi n / 8) is 1 at n = 4 only, so an
    // integer output (truncated) is one-hot there.
    ir::Attrs a;
    a.set("kind", "hann");
    a.set("dtype", int64_t(DType::kI32));
    auto r = runOp("Window", a, {TestTensor::i64({}, {8})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].dtype, DType::kI32);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{0, 0, 0, 0, 1, 0, 0, 0}), 0, 0);
    a.set("kind", "blackman");
    a.set("periodic", int64_t(0));
    a.set("dtype", int64_t(DType::kF64));
    r = runOp("Window", a, {TestTensor::i64({}, {300})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    std::vector<double> want;
    for (int n = 0; n < 300; ++n) {
        const double t = 2 * M_PI * n / 299;
        want.push_back(0.42 - 0.5 * std::cos(t) + 0.08 * std::cos(2 * t));
    }
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-12, 1e-14);
}

TEST(MelWeightMatrixTest, TriangularFiltersByHand) {
    // 3 mel bins over dft_length 16 (9 spectrum bins), 8 kHz, 0..4000 Hz.
    const int64_t M = 3, n = 16, rate = 8000;
    const double lo = 0, hi = 4000;
    const auto r = runOp("MelWeightMatrix", ir::Attrs{},
                         {TestTensor::i64({}, {M}), TestTensor::i64({}, {n}), TestTensor::i64({}, {rate}),
                          TestTensor::f32({}, {float(lo)}), TestTensor::f32({}, {float(hi)})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (ir::Shape{9, 3}));
    auto mel = [](double hz) { return 2595 * std::log10(1 + hz / 700); };
    std::vector<int64_t> pts;
    for (int64_t i = 0; i < M + 2; ++i) {
        const double m = mel(lo) + double(i) * (mel(hi) - mel(lo)) / double(M + 2);
        pts.push_back(int64_t(std::floor((n + 1) * 700 * (std::pow(10, m / 2595) - 1) / rate)));
    }
    std::vector<double> want(27, 0.0);
    for (int64_t i = 0; i < M; ++i) {
        for (int64_t j = pts[size_t(i)]; j <= pts[size_t(i + 1)]; ++j)
            want[size_t(j * M + i)] = pts[size_t(i + 1)] == pts[size_t(i)]
                                          ? 1.0
                                          : double(j - pts[size_t(i)]) / double(pts[size_t(i + 1)] - pts[size_t(i)]);
        for (int64_t j = pts[size_t(i + 1)]; j < pts[size_t(i + 2)]; ++j)
            want[size_t(j * M + i)] = double(pts[size_t(i + 2)] - j) / double(pts[size_t(i + 2)] - pts[size_t(i + 1)]);
    }
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-6, 1e-7);
    // The upper edge must not pass the Nyquist bin; lower >= upper is an error.
    EXPECT_FALSE(runOp("MelWeightMatrix", ir::Attrs{},
                       {TestTensor::i64({}, {M}), TestTensor::i64({}, {n}), TestTensor::i64({}, {rate}),
                        TestTensor::f32({}, {500}), TestTensor::f32({}, {100})})
                     .status.ok());
}

}  // namespace
}  // namespace kiln
