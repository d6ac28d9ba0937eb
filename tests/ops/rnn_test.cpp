// RNN op tests: the three cells against a plain float64 implementation written
// here in the style of ONNX's definition (whole-batch steps, a mask for
// sequence lengths, reversal by flipping the sequence), plus shape checks.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <sstream>

#include "op_test_util.h"

namespace kiln {
namespace {

using ir::DType;
using test::runOp;
using test::TestTensor;
using Mat = std::vector<double>;  // row-major

double sigm(double x) { return 1 / (1 + std::exp(-x)); }

struct Cfg {
    std::string cell = "lstm", direction = "forward";
    int64_t T = 4, B = 3, I = 5, H = 2;
    bool bias = true, seqLens = false, initH = true, initC = true, peep = true;
    bool lbr = false, batchFirst = false;
    double clip = 0;
    std::string activations;  // IR names, comma separated; empty: defaults
    std::vector<double> alpha, beta;
};

int64_t gates(const Cfg& c) { return c.cell == "lstm" ? 4 : c.cell == "gru" ? 3 : 1; }
int64_t dirs(const Cfg& c) { return c.direction == "bidirectional" ? 2 : 1; }

using Fn = std::function<double(double)>;
Fn fnOf(const std::string& n, double a, double b) {
    if (n == "sigmoid") return sigm;
    if (n == "relu") return [](double x) { return std::max(x, 0.0); };
    if (n == "leaky_relu") return [a](double x) { return x >= 0 ? x : a * x; };
    if (n == "hard_sigmoid") return [a, b](double x) { return std::min(1.0, std::max(0.0, a * x + b)); };
    if (n == "scaled_tanh") return [a, b](double x) { return a * std::tanh(b * x); };
    return [](double x) { return std::tanh(x); };
}

// One direction over time-major x [T][B][I]; lens[b] masks steps t >= lens[b]:
// the state is carried and Y is 0 there. Returns Y [T][B][H]; h, c updated.
Mat runDirection(const Cfg& cfg, const Mat& x, const double* W, const double* R, const double* Wb, const double* Rb,
                 const double* P, Mat& h, Mat& c, const std::vector<int64_t>& lens, bool reverse,
                 const std::vector<Fn>& f) {
    const int64_t T = cfg.T, B = cfg.B, I = cfg.I, H = cfg.H, G = gates(cfg);
    auto clip = [&](double v) { return cfg.clip > 0 ? std::min(cfg.clip, std::max(-cfg.clip, v)) : v; };
    Mat Y(size_t(T * B * H), 0.0);
    for (int64_t s = 0; s < T; ++s) {
        const int64_t t = reverse ? T - 1 - s : s;  // flipped sequence, flipped mask
        for (int64_t b = 0; b < B; ++b) {
            if (t >= lens[size_t(b)]) continue;  // masked: keep h, c; Y stays 0
            // gate pre-activations: xW^T + Wb and hR^T + Rb, separately
            Mat xw(size_t(G * H)), hr(size_t(G * H));
            for (int64_t k = 0; k < G * H; ++k) {
                double s1 = Wb[k], s2 = Rb[k];
                for (int64_t i = 0; i < I; ++i) s1 += W[k * I + i] * x[size_t((t * B + b) * I + i)];
                for (int64_t j = 0; j < H; ++j) s2 += R[k * H + j] * h[size_t(b * H + j)];
                xw[size_t(k)] = s1;
                hr[size_t(k)] = s2;
            }
            Mat hn(static_cast<size_t>(H)), cn(static_cast<size_t>(H));
            for (int64_t j = 0; j < H; ++j) {
                const double hp = h[size_t(b * H + j)], cp = c[size_t(b * H + j)];
                if (cfg.cell == "rnn") {
                    hn[size_t(j)] = f[0](clip(xw[size_t(j)] + hr[size_t(j)]));
                } else if (cfg.cell == "gru") {
                    const double z = f[0](clip(xw[size_t(j)] + hr[size_t(j)]));
                    const double r = f[0](clip(xw[size_t(H + j)] + hr[size_t(H + j)]));
                    double pre;
                    if (cfg.lbr) {
                        pre = xw[size_t(2 * H + j)] + r * hr[size_t(2 * H + j)];
                    } else {
                        // (r . h) R_h^T: each h_q is scaled by its own reset gate r_q.
                        pre = xw[size_t(2 * H + j)] + Rb[2 * H + j];
                        for (int64_t q = 0; q < H; ++q) {
                            const double rq = f[0](clip(xw[size_t(H + q)] + hr[size_t(H + q)]));
                            pre += R[(2 * H + j) * H + q] * rq * h[size_t(b * H + q)];
                        }
                    }
                    const double hh = f[1](clip(pre));
                    hn[size_t(j)] = (1 - z) * hh + z * hp;
                } else {
                    const double i = f[0](clip(xw[size_t(j)] + hr[size_t(j)] + P[j] * cp));
                    const double fg = f[0](clip(xw[size_t(2 * H + j)] + hr[size_t(2 * H + j)] + P[2 * H + j] * cp));
                    const double g = f[1](clip(xw[size_t(3 * H + j)] + hr[size_t(3 * H + j)]));
                    const double cc = fg * cp + i * g;
                    const double o = f[0](clip(xw[size_t(H + j)] + hr[size_t(H + j)] + P[H + j] * cc));
                    cn[size_t(j)] = cc;
                    hn[size_t(j)] = o * f[2](cc);
                }
            }
            for (int64_t j = 0; j < H; ++j) {
                h[size_t(b * H + j)] = hn[size_t(j)];
                if (cfg.cell == "lstm") c[size_t(b * H + j)] = cn[size_t(j)];
                Y[size_t((t * B + b) * H + j)] = hn[size_t(j)];
            }
        }
    }
    return Y;
}

void checkRNN(const Cfg& cfg, uint32_t seed) {
    const int64_t T = cfg.T, B = cfg.B, I = cfg.I, H = cfg.H, G = gates(cfg), D = dirs(cfg);
    const TestTensor Xt = cfg.batchFirst ? TestTensor::random(DType::kF32, {B, T, I}, seed)
                                         : TestTensor::random(DType::kF32, {T, B, I}, seed);
    const TestTensor Wt = TestTensor::random(DType::kF32, {D, G * H, I}, seed + 1, -0.8, 0.8);
    const TestTensor Rt = TestTensor::random(DType::kF32, {D, G * H, H}, seed + 2, -0.8, 0.8);
    const TestTensor Bt = cfg.bias ? TestTensor::random(DType::kF32, {D, 2 * G * H}, seed + 3) : TestTensor::none();
    std::vector<int32_t> lensI(static_cast<size_t>(B));
    for (int64_t b = 0; b < B; ++b) lensI[size_t(b)] = int32_t((b * 2 + 1) % (T + 1));  // includes 0 and T-ish
    const TestTensor St = cfg.seqLens ? TestTensor::i32({B}, lensI) : TestTensor::none();
    const ir::Shape stateShape = cfg.batchFirst ? ir::Shape{B, D, H} : ir::Shape{D, B, H};
    const TestTensor H0 = cfg.initH ? TestTensor::random(DType::kF32, stateShape, seed + 4) : TestTensor::none();
    const bool lstm = cfg.cell == "lstm";
    const TestTensor C0 =
        lstm && cfg.initC ? TestTensor::random(DType::kF32, stateShape, seed + 5) : TestTensor::none();
    const TestTensor Pt = lstm && cfg.peep ? TestTensor::random(DType::kF32, {D, 3 * H}, seed + 6) : TestTensor::none();

    ir::Attrs a;
    a.set("cell", cfg.cell);
    a.set("direction", cfg.direction);
    a.set("hidden_size", H);
    a.set("layout", int64_t(cfg.batchFirst ? 1 : 0));
    if (cfg.lbr) a.set("linear_before_reset", int64_t(1));
    if (cfg.clip > 0) a.set("clip", cfg.clip);
    if (!cfg.activations.empty()) {
        a.set("activations", cfg.activations);
        a.set("activation_alpha", cfg.alpha);
        a.set("activation_beta", cfg.beta);
    }
    std::vector<TestTensor> ins = {Xt, Wt, Rt, Bt, St, H0};
    if (lstm) ins.push_back(C0), ins.push_back(Pt);
    const int nOut = lstm ? 3 : 2;
    const auto r = runOp("RNN", a, ins, nOut);
    ASSERT_TRUE(r.status.ok()) << r.status.message();

    // Reference: time-major copies, then each direction.
    const Mat xv = Xt.toDoubles();
    Mat x(size_t(T * B * I));
    for (int64_t t = 0; t < T; ++t)
        for (int64_t b = 0; b < B; ++b)
            for (int64_t i = 0; i < I; ++i)
                x[size_t((t * B + b) * I + i)] =
                    cfg.batchFirst ? xv[size_t((b * T + t) * I + i)] : xv[size_t((t * B + b) * I + i)];
    const Mat W = Wt.toDoubles(), R = Rt.toDoubles();
    const Mat Bv = cfg.bias ? Bt.toDoubles() : Mat(size_t(D * 2 * G * H), 0.0);
    const Mat Pv = lstm && cfg.peep ? Pt.toDoubles() : Mat(size_t(D * 3 * H), 0.0);
    const Mat h0 = cfg.initH ? H0.toDoubles() : Mat(size_t(D * B * H), 0.0);
    const Mat c0 = lstm && cfg.initC ? C0.toDoubles() : Mat(size_t(D * B * H), 0.0);
    std::vector<int64_t> lens(size_t(B), T);
    if (cfg.seqLens)
        for (int64_t b = 0; b < B; ++b) lens[size_t(b)] = lensI[size_t(b)];
    const size_t perDir = lstm ? 3 : cfg.cell == "gru" ? 2 : 1;
    std::vector<std::string> names;
    if (cfg.activations.empty()) {
        const char* dflt[3] = {cfg.cell == "rnn" ? "tanh" : "sigmoid", "tanh", "tanh"};
        for (int64_t d = 0; d < D; ++d)
            for (size_t k = 0; k < perDir; ++k) names.push_back(dflt[k]);
    } else {
        std::stringstream ss(cfg.activations);
        for (std::string s; std::getline(ss, s, ',');) names.push_back(s);
    }

    Mat Y(size_t(T * D * B * H)), Yh(size_t(D * B * H)), Yc(size_t(D * B * H));
    for (int64_t d = 0; d < D; ++d) {
        std::vector<Fn> f;
        for (size_t k = 0; k < perDir; ++k) {
            const size_t idx = size_t(d) * perDir + k;
            f.push_back(fnOf(names[idx], cfg.alpha.empty() ? 0 : cfg.alpha[idx], cfg.beta.empty() ? 0 : cfg.beta[idx]));
        }
        Mat h(size_t(B * H)), c(size_t(B * H));
        for (int64_t b = 0; b < B; ++b)
            for (int64_t j = 0; j < H; ++j) {
                const size_t src = size_t(cfg.batchFirst ? (b * D + d) * H + j : (d * B + b) * H + j);
                h[size_t(b * H + j)] = h0[src];
                c[size_t(b * H + j)] = c0[src];
            }
        const bool reverse = cfg.direction == "reverse" || d == 1;
        const Mat Yd =
            runDirection(cfg, x, W.data() + d * G * H * I, R.data() + d * G * H * H, Bv.data() + d * 2 * G * H,
                         Bv.data() + d * 2 * G * H + G * H, Pv.data() + d * 3 * H, h, c, lens, reverse, f);
        for (int64_t t = 0; t < T; ++t)
            for (int64_t b = 0; b < B; ++b)
                for (int64_t j = 0; j < H; ++j) {
                    const size_t dst =
                        size_t(cfg.batchFirst ? ((b * T + t) * D + d) * H + j : ((t * D + d) * B + b) * H + j);
                    Y[dst] = Yd[size_t((t * B + b) * H + j)];
                }
        for (int64_t b = 0; b < B; ++b)
            for (int64_t j = 0; j < H; ++j) {
                const size_t dst = size_t(cfg.batchFirst ? (b * D + d) * H + j : (d * B + b) * H + j);
                Yh[dst] = h[size_t(b * H + j)];
                Yc[dst] = c[size_t(b * H + j)];
            }
    }
    EXPECT_CLOSE(r.outputs[0].toDoubles(), Y, 1e-5, 1e-6);
    EXPECT_CLOSE(r.outputs[1].toDoubles(), Yh, 1e-5, 1e-6);
    if (lstm) EXPECT_CLOSE(r.outputs[2].toDoubles(), Yc, 1e-5, 1e-6);
}

TEST(RNNTest, LstmEveryDirection) {
    uint32_t seed = 1;
    for (const char* dir : {"forward", "reverse", "bidirectional"}) {
        SCOPED_TRACE(dir);
        Cfg c;
        c.direction = dir;
        checkRNN(c, seed += 10);
    }
}

TEST(RNNTest, LstmSequenceLengthsLayoutClipAndNoOptionals) {
    Cfg c;
    c.direction = "bidirectional";
    c.seqLens = true;
    c.batchFirst = true;
    c.clip = 0.5;
    checkRNN(c, 100);
    Cfg bare;
    bare.bias = bare.initH = bare.initC = bare.peep = false;
    checkRNN(bare, 110);
}

TEST(RNNTest, GruBothResetPlacements) {
    for (bool lbr : {false, true})
        for (const char* dir : {"forward", "bidirectional"}) {
            SCOPED_TRACE(std::string(dir) + (lbr ? " lbr" : ""));
            Cfg c;
            c.cell = "gru";
            c.direction = dir;
            c.lbr = lbr;
            c.seqLens = true;
            checkRNN(c, lbr ? 200 : 210);
        }
}

TEST(RNNTest, PlainRnnCustomActivations) {
    Cfg c;
    c.cell = "rnn";
    checkRNN(c, 300);
    c.direction = "bidirectional";
    c.activations = "relu,leaky_relu";
    c.alpha = {0, 0.3};
    c.beta = {0, 0};
    c.seqLens = true;
    checkRNN(c, 310);
    Cfg g;
    g.cell = "gru";
    g.activations = "hard_sigmoid,scaled_tanh";
    g.alpha = {0.3, 1.5};
    g.beta = {0.4, 0.7};
    checkRNN(g, 320);
}

TEST(RNNTest, HandValueSingleStep) {
    // RNN, H = 1, I = 1, tanh: h1 = tanh(w x + r h0 + wb + rb).
    ir::Attrs a;
    a.set("cell", "rnn");
    a.set("hidden_size", int64_t(1));
    const auto r =
        runOp("RNN", a,
              {TestTensor::f32({1, 1, 1}, {2}), TestTensor::f32({1, 1, 1}, {0.5}), TestTensor::f32({1, 1, 1}, {3}),
               TestTensor::f32({1, 2}, {0.1, 0.2}), TestTensor::none(), TestTensor::f32({1, 1, 1}, {-0.4})},
              2);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    const double want = std::tanh(0.5 * 2 + 3 * -0.4 + 0.1 + 0.2);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{want}), 1e-6, 0);
    EXPECT_CLOSE(r.outputs[1].toDoubles(), (std::vector<double>{want}), 1e-6, 0);
}

// Sizes past one 16x16 tile in every GEMM dimension (batch rows, input and
// hidden sizes, gates), with lengths and both directions.
TEST(RNNTest, LargerSizesAcrossTiles) {
    Cfg lstm;
    lstm.direction = "bidirectional";
    lstm.T = 5, lstm.B = 19, lstm.I = 37, lstm.H = 21;
    lstm.seqLens = true;
    checkRNN(lstm, 400);
    Cfg gru = lstm;
    gru.cell = "gru";
    gru.batchFirst = true;
    checkRNN(gru, 410);
    gru.lbr = true;
    checkRNN(gru, 420);
}

// float16 / bfloat16 inputs give the float32 result of the same values,
// rounded to the narrow type.
TEST(RNNTest, SixteenBitTypesMatchFloat) {
    const int64_t T = 4, B = 3, I = 5, H = 3, D = 2;
    for (DType t : {DType::kF16, DType::kBF16})
        for (const char* cell : {"lstm", "gru", "rnn"}) {
            SCOPED_TRACE(std::string(cell) + (t == DType::kF16 ? " float16" : " bfloat16"));
            const int64_t G = std::string(cell) == "lstm" ? 4 : std::string(cell) == "gru" ? 3 : 1;
            std::vector<TestTensor> narrow = {TestTensor::random(t, {T, B, I}, 500),
                                              TestTensor::random(t, {D, G * H, I}, 501, -0.8, 0.8),
                                              TestTensor::random(t, {D, G * H, H}, 502, -0.8, 0.8),
                                              TestTensor::random(t, {D, 2 * G * H}, 503),
                                              TestTensor::i32({B}, {4, 1, 3}),
                                              TestTensor::random(t, {D, B, H}, 504)};
            if (G == 4) {
                narrow.push_back(TestTensor::random(t, {D, B, H}, 505));
                narrow.push_back(TestTensor::random(t, {D, 3 * H}, 506));
            }
            std::vector<TestTensor> wide;
            for (const TestTensor& n : narrow)
                wide.push_back(n.dtype == t ? TestTensor::fromDoubles(DType::kF32, n.shape, n.toDoubles()) : n);
            ir::Attrs a;
            a.set("cell", cell);
            a.set("direction", "bidirectional");
            a.set("hidden_size", H);
            a.set("clip", 2.5);
            const int outs = G == 4 ? 3 : 2;
            const auto rn = runOp("RNN", a, narrow, outs), rw = runOp("RNN", a, wide, outs);
            ASSERT_TRUE(rn.status.ok()) << rn.status.message();
            ASSERT_TRUE(rw.status.ok()) << rw.status.message();
            const double tol = t == DType::kF16 ? 2e-3 : 1e-2;
            for (int o = 0; o < outs; ++o) {
                EXPECT_EQ(rn.outputs[size_t(o)].dtype, t);
                EXPECT_CLOSE(rn.outputs[size_t(o)].toDoubles(), rw.outputs[size_t(o)].toDoubles(), tol, tol);
            }
        }
}

TEST(RNNTest, ShapeErrors) {
    ir::Attrs a;
    a.set("cell", "lstm");
    a.set("hidden_size", int64_t(2));
    const TestTensor x = TestTensor::random(DType::kF32, {3, 1, 4}, 1);
    // W must be [1, 8, 4].
    auto r = runOp(
        "RNN", a, {x, TestTensor::random(DType::kF32, {1, 6, 4}, 2), TestTensor::random(DType::kF32, {1, 8, 2}, 3)}, 3);
    EXPECT_FALSE(r.status.ok());
    // Two activations for an LSTM (needs three).
    a.set("activations", "sigmoid,tanh");
    r = runOp("RNN", a,
              {x, TestTensor::random(DType::kF32, {1, 8, 4}, 2), TestTensor::random(DType::kF32, {1, 8, 2}, 3)}, 3);
    EXPECT_FALSE(r.status.ok());
    // A sequence length past T fails at run time.
    ir::Attrs g;
    g.set("cell", "gru");
    g.set("hidden_size", int64_t(2));
    r = runOp("RNN", g,
              {x, TestTensor::random(DType::kF32, {1, 6, 4}, 2), TestTensor::random(DType::kF32, {1, 6, 2}, 3),
               TestTensor::none(), TestTensor::i32({1}, {4})},
              2);
    EXPECT_FALSE(r.status.ok());
}

}  // namespace
}  // namespace kiln
