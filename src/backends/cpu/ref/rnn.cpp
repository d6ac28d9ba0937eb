// Reference RNN (docs/ops.md): ONNX RNN / GRU / LSTM cells in float64.
// Every (direction, batch row) pair is an independent recurrence, so those
// run in parallel; each step computes the gate pre-activations
// W x_t + R h_(t-1) + biases, then the cell's update.
#include <algorithm>
#include <cmath>
#include <string>

#include "../../../ir/ops/rnn.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

using ir::RNNCell;

enum class Act {
    kRelu,
    kTanh,
    kSigmoid,
    kLeakyRelu,
    kThresholdedRelu,
    kScaledTanh,
    kHardSigmoid,
    kElu,
    kSoftsign,
    kSoftplus
};

struct ActFn {
    Act act = Act::kTanh;
    double alpha = 0, beta = 0;

    double operator()(double x) const {
        switch (act) {
            case Act::kRelu:
                return x > 0 ? x : 0;
            case Act::kTanh:
                return std::tanh(x);
            case Act::kSigmoid:
                return 1 / (1 + std::exp(-x));
            case Act::kLeakyRelu:
                return x >= 0 ? x : alpha * x;
            case Act::kThresholdedRelu:
                return x > alpha ? x : 0;
            case Act::kScaledTanh:
                return alpha * std::tanh(beta * x);
            case Act::kHardSigmoid:
                return std::max(0.0, std::min(1.0, alpha * x + beta));
            case Act::kElu:
                return x >= 0 ? x : alpha * (std::exp(x) - 1);
            case Act::kSoftsign:
                return x / (1 + std::fabs(x));
            case Act::kSoftplus:
                return x > 30 ? x : std::log1p(std::exp(x));
        }
        return x;
    }
};

Act actOf(const std::string& n) {
    if (n == "relu") return Act::kRelu;
    if (n == "sigmoid") return Act::kSigmoid;
    if (n == "leaky_relu") return Act::kLeakyRelu;
    if (n == "thresholded_relu") return Act::kThresholdedRelu;
    if (n == "scaled_tanh") return Act::kScaledTanh;
    if (n == "hard_sigmoid") return Act::kHardSigmoid;
    if (n == "elu") return Act::kElu;
    if (n == "softsign") return Act::kSoftsign;
    if (n == "softplus") return Act::kSoftplus;
    return Act::kTanh;
}

std::vector<double> load(const HostTensor& t) {
    std::vector<double> v(size_t(t.data ? t.numel() : 0));
    for (size_t i = 0; i < v.size(); ++i) v[i] = ir::loadAsDouble(t.data, t.dtype, int64_t(i));
    return v;
}

bool given(const KernelArgs& args, size_t i) {
    return i < args.inputs.size() && i < args.node.inputs.size() && args.node.inputs[i] >= 0 && args.inputs[i].data;
}

}  // namespace

Status rnn(KernelArgs& args) {
    ir::RNNParams p;
    KILN_RETURN_IF_ERROR(ir::resolveRNN(args.node, p));
    const HostTensor& xt = args.inputs[0];
    if (xt.shape.size() != 3) return Status::Error("RNN: X must be rank 3, got " + ir::shapeToString(xt.shape));
    const int64_t T = p.batchFirst ? xt.shape[1] : xt.shape[0], B = p.batchFirst ? xt.shape[0] : xt.shape[1];
    const int64_t I = xt.shape[2], H = p.hiddenSize, D = p.numDirections, G = p.numGates, GH = G * H;
    const std::vector<double> X = load(xt), W = load(args.inputs[1]), R = load(args.inputs[2]);
    if (int64_t(W.size()) != D * GH * I || int64_t(R.size()) != D * GH * H)
        return Status::Error("RNN: W or R does not match X and hidden_size");
    const std::vector<double> Bias =
        given(args, 3) ? load(args.inputs[3]) : std::vector<double>(size_t(D * 2 * GH), 0.0);
    const std::vector<double> H0 = given(args, 5) ? load(args.inputs[5]) : std::vector<double>(size_t(D * B * H), 0.0);
    const std::vector<double> C0 = given(args, 6) ? load(args.inputs[6]) : std::vector<double>(size_t(D * B * H), 0.0);
    const std::vector<double> P = given(args, 7) ? load(args.inputs[7]) : std::vector<double>(size_t(D * 3 * H), 0.0);
    std::vector<int64_t> lens(size_t(B), T);
    if (given(args, 4)) {
        for (int64_t b = 0; b < B; ++b) {
            const int64_t len = int64_t(ir::loadAsDouble(args.inputs[4].data, args.inputs[4].dtype, b));
            if (len < 0 || len > T)
                return Status::Error("RNN: sequence_lens[" + std::to_string(b) + "] = " + std::to_string(len) +
                                     " is outside [0, " + std::to_string(T) + "]");
            lens[size_t(b)] = len;
        }
    }
    const size_t perDir = p.activations.size() / size_t(D);
    std::vector<ActFn> acts(p.activations.size());
    for (size_t i = 0; i < acts.size(); ++i) acts[i] = {actOf(p.activations[i]), p.alpha[i], p.beta[i]};

    HostTensor& Y = args.outputs[0];
    HostTensor* Yh = args.outputs.size() > 1 && args.outputs[1].data ? &args.outputs[1] : nullptr;
    HostTensor* Yc = args.outputs.size() > 2 && args.outputs[2].data ? &args.outputs[2] : nullptr;
    auto clip = [&](double v) { return p.clip > 0 ? std::clamp(v, -p.clip, p.clip) : v; };

    args.pool.parallelFor(D * B, [&](int64_t begin, int64_t end) {
        std::vector<double> h(static_cast<size_t>(H)), c(static_cast<size_t>(H)), xw(static_cast<size_t>(GH)),
            hr(static_cast<size_t>(GH));
        std::vector<double> z(static_cast<size_t>(H)), rg(static_cast<size_t>(H)), rh(static_cast<size_t>(H)),
            cand(static_cast<size_t>(H));  // GRU
        for (int64_t job = begin; job < end; ++job) {
            const int64_t d = job / B, b = job % B, len = lens[size_t(b)];
            const bool reverse = p.direction == ir::RNNDir::kReverse || d == 1;
            const ActFn* fn = acts.data() + size_t(d) * perDir;
            const double* Wd = W.data() + d * GH * I;
            const double* Rd = R.data() + d * GH * H;
            const double* Wb = Bias.data() + d * 2 * GH;
            const double* Rb = Wb + GH;
            const double* Pd = P.data() + d * 3 * H;
            const int64_t stateAt = p.batchFirst ? (b * D + d) * H : (d * B + b) * H;
            std::copy_n(H0.data() + stateAt, H, h.data());
            std::copy_n(C0.data() + stateAt, H, c.data());
            auto yAt = [&](int64_t t) { return p.batchFirst ? ((b * T + t) * D + d) * H : ((t * D + d) * B + b) * H; };
            for (int64_t s = 0; s < len; ++s) {
                const int64_t t = reverse ? len - 1 - s : s;
                const double* x = X.data() + (p.batchFirst ? (b * T + t) * I : (t * B + b) * I);
                for (int64_t k = 0; k < GH; ++k) {
                    double a = Wb[k], r = Rb[k];
                    for (int64_t i = 0; i < I; ++i) a += x[i] * Wd[k * I + i];
                    for (int64_t j = 0; j < H; ++j) r += h[size_t(j)] * Rd[k * H + j];
                    xw[size_t(k)] = a;
                    hr[size_t(k)] = r;
                }
                if (p.cell == RNNCell::kRNN) {
                    for (int64_t j = 0; j < H; ++j) h[size_t(j)] = fn[0](clip(xw[size_t(j)] + hr[size_t(j)]));
                } else if (p.cell == RNNCell::kGRU) {
                    // Gates z, r, h. Without linear_before_reset the candidate
                    // applies R_h to (r * h_(t-1)), so that product is redone.
                    for (int64_t j = 0; j < H; ++j) {
                        const size_t u = size_t(j);
                        z[u] = fn[0](clip(xw[u] + hr[u]));
                        rg[u] = fn[0](clip(xw[size_t(H + j)] + hr[size_t(H + j)]));
                        rh[u] = rg[u] * h[u];
                    }
                    for (int64_t j = 0; j < H; ++j) {
                        const size_t u = size_t(j), k = size_t(2 * H + j);
                        double pre = xw[k];
                        if (p.linearBeforeReset) {
                            pre += rg[u] * hr[k];
                        } else {
                            pre += Rb[2 * H + j];
                            for (int64_t q = 0; q < H; ++q) pre += rh[size_t(q)] * Rd[(2 * H + j) * H + q];
                        }
                        cand[u] = fn[1](clip(pre));
                    }
                    for (int64_t j = 0; j < H; ++j) {
                        const size_t u = size_t(j);
                        h[u] = (1 - z[u]) * cand[u] + z[u] * h[u];
                    }
                } else {
                    // Gates i, o, f, c; peepholes i, o, f.
                    for (int64_t j = 0; j < H; ++j) {
                        const size_t u = size_t(j);
                        const double ig = fn[0](clip(xw[u] + hr[u] + Pd[j] * c[u]));
                        const double fg =
                            p.inputForget
                                ? 1 - ig
                                : fn[0](clip(xw[size_t(2 * H + j)] + hr[size_t(2 * H + j)] + Pd[2 * H + j] * c[u]));
                        const double cg = fn[1](clip(xw[size_t(3 * H + j)] + hr[size_t(3 * H + j)]));
                        c[u] = fg * c[u] + ig * cg;
                        const double og = fn[0](clip(xw[size_t(H + j)] + hr[size_t(H + j)] + Pd[H + j] * c[u]));
                        h[u] = og * fn[2](c[u]);
                    }
                }
                for (int64_t j = 0; j < H; ++j) ir::storeFromDouble(Y.data, Y.dtype, yAt(t) + j, h[size_t(j)]);
            }
            for (int64_t t = len; t < T; ++t)
                for (int64_t j = 0; j < H; ++j) ir::storeFromDouble(Y.data, Y.dtype, yAt(t) + j, 0.0);
            for (int64_t j = 0; j < H; ++j) {
                if (Yh) ir::storeFromDouble(Yh->data, Yh->dtype, stateAt + j, h[size_t(j)]);
                if (Yc) ir::storeFromDouble(Yc->data, Yc->dtype, stateAt + j, c[size_t(j)]);
            }
        }
    });
    return Status::Ok();
}

bool rnnSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    if (in.size() < 3 || out.empty()) return false;
    const ir::DType t = in[0].dtype;
    return (t == ir::DType::kF32 || t == ir::DType::kF16 || t == ir::DType::kBF16) && out[0].dtype == t;
}

}  // namespace kiln::cpu::ref
