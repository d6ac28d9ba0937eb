// Activation reference kernel. Float types compute in float32 (float64 in
// float64); relu and clip also take integer types.
#include <cmath>
#include <limits>
#include <string>

#include "broadcast.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

enum class Act {
    kRelu, kSigmoid, kTanh, kLeakyRelu, kElu, kSelu, kSoftsign, kSoftplus, kClip, kHardSigmoid,
    kScaledTanh, kThresholdedRelu, kGeluErf, kGeluTanh, kSilu,
};

bool parseAct(const std::string& s, Act& a) {
    static const std::pair<const char*, Act> kNames[] = {
        {"relu", Act::kRelu}, {"sigmoid", Act::kSigmoid}, {"tanh", Act::kTanh},
        {"leaky_relu", Act::kLeakyRelu}, {"elu", Act::kElu}, {"selu", Act::kSelu},
        {"softsign", Act::kSoftsign}, {"softplus", Act::kSoftplus}, {"clip", Act::kClip},
        {"hard_sigmoid", Act::kHardSigmoid}, {"scaled_tanh", Act::kScaledTanh},
        {"thresholded_relu", Act::kThresholdedRelu}, {"gelu_erf", Act::kGeluErf},
        {"gelu_tanh", Act::kGeluTanh}, {"silu", Act::kSilu},
    };
    for (const auto& [name, value] : kNames)
        if (s == name) {
            a = value;
            return true;
        }
    return false;
}

bool dtypeOk(Act a, ir::DType t) {
    if (t == ir::DType::kF32 || t == ir::DType::kF16 || t == ir::DType::kBF16 || t == ir::DType::kF64) return true;
    return (a == Act::kRelu || a == Act::kClip) && ir::dtypeIsArithmeticInteger(t);
}

template <class C>
C sigmoid(C x) {  // never exponentiates a large positive number
    if (x >= 0) return C(1) / (C(1) + std::exp(-x));
    const C e = std::exp(x);
    return e / (C(1) + e);
}

template <class S, class F>
void applyAct(KernelArgs& args, F f) {
    const S* x = args.inputs[0].as<const S>();
    S* y = args.outputs[0].as<S>();
    args.pool.parallelFor(args.inputs[0].numel(), [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) y[i] = Elem<S>::store(f(Elem<S>::load(x[i])));
    }, kParallelGrain);
}

template <class S>
Status runFloat(KernelArgs& args, Act act, double alphaD, double betaD) {
    using C = ComputeT<S>;
    const C alpha = C(alphaD), beta = C(betaD);
    switch (act) {
        // NaN passes through relu (x < 0 is false).
        case Act::kRelu: applyAct<S>(args, [](C x) { return x < 0 ? C(0) : x; }); break;
        case Act::kSigmoid: applyAct<S>(args, [](C x) { return sigmoid(x); }); break;
        case Act::kTanh: applyAct<S>(args, [](C x) { return C(std::tanh(x)); }); break;
        case Act::kLeakyRelu: applyAct<S>(args, [=](C x) { return x >= 0 ? x : alpha * x; }); break;
        case Act::kElu: applyAct<S>(args, [=](C x) { return x >= 0 ? x : alpha * C(std::expm1(x)); }); break;
        case Act::kSelu:
            applyAct<S>(args, [=](C x) { return beta * (x > 0 ? x : alpha * C(std::expm1(x))); });
            break;
        case Act::kSoftsign: applyAct<S>(args, [](C x) { return x / (C(1) + std::fabs(x)); }); break;
        case Act::kSoftplus:  // log(1+e^x) without overflow for large x
            applyAct<S>(args, [](C x) { return C(std::log1p(std::exp(-std::fabs(x)))) + (x > 0 ? x : C(0)); });
            break;
        case Act::kClip:  // min(max(x, alpha), beta); NaN propagates
            applyAct<S>(args, [=](C x) {
                const C lo = x < alpha ? alpha : x;
                return beta < lo ? beta : lo;
            });
            break;
        case Act::kHardSigmoid:
            applyAct<S>(args, [=](C x) {
                const C v = alpha * x + beta;
                return v > 1 ? C(1) : (v < 0 ? C(0) : v);
            });
            break;
        case Act::kScaledTanh: applyAct<S>(args, [=](C x) { return alpha * C(std::tanh(beta * x)); }); break;
        case Act::kThresholdedRelu: applyAct<S>(args, [=](C x) { return x > alpha ? x : C(0); }); break;
        case Act::kGeluErf:
            applyAct<S>(args, [](C x) { return C(0.5) * x * (C(1) + C(std::erf(x * C(0.70710678118654752440)))); });
            break;
        case Act::kGeluTanh:
            applyAct<S>(args, [](C x) {
                const C k = C(0.79788456080286535588);  // sqrt(2/pi)
                return C(0.5) * x * (C(1) + C(std::tanh(k * (x + C(0.044715) * x * x * x))));
            });
            break;
        case Act::kSilu: applyAct<S>(args, [](C x) { return x * sigmoid(x); }); break;
    }
    return Status::Ok();
}

template <class S>
Status runInt(KernelArgs& args, Act act, double alpha, double beta) {
    if (act == Act::kRelu) {
        applyAct<S>(args, [](S x) { return x > S(0) ? x : S(0); });
        return Status::Ok();
    }
    // clip: bounds become integers first (ceil/floor, so a fractional bound
    // lets nothing beyond it through; outside the type they saturate), then
    // the clamp is exact even for int64.
    const auto toInt = [](double v, S dflt) {
        if (std::isnan(v)) return dflt;
        const double lo = double(std::numeric_limits<S>::lowest()), hi = double(std::numeric_limits<S>::max());
        return v <= lo ? std::numeric_limits<S>::lowest() : v >= hi ? std::numeric_limits<S>::max() : S(v);
    };
    const S lo = toInt(std::ceil(alpha), std::numeric_limits<S>::lowest());
    const S hi = toInt(std::floor(beta), std::numeric_limits<S>::max());
    applyAct<S>(args, [=](S x) {
        const S v = x < lo ? lo : x;
        return hi < v ? hi : v;
    });
    return Status::Ok();
}

}  // namespace

bool activationSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                        const std::vector<ir::TensorDesc>&) {
    Act a;
    return in.size() == 1 && parseAct(node.attrs.getString("type"), a) && dtypeOk(a, in[0].dtype);
}

Status activation(KernelArgs& args) {
    const std::string name = args.node.attrs.getString("type");
    Act act;
    if (!parseAct(name, act)) return Status::Error("Activation: unknown type '" + name + "'");
    if (args.inputs.size() != 1 || args.outputs.size() != 1)
        return Status::Error("Activation: expects 1 input and 1 output");
    const ir::DType t = args.inputs[0].dtype;
    if (!dtypeOk(act, t))
        return Status::Error("Activation '" + name + "': unsupported input dtype " + std::string(ir::dtypeName(t)));
    if (args.outputs[0].dtype != t || args.outputs[0].numel() != args.inputs[0].numel())
        return Status::Error("Activation: output must match the input's dtype and shape");
    const double alpha = args.node.attrs.getFloat("alpha", 0.0), beta = args.node.attrs.getFloat("beta", 0.0);
    return visitDType(t, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        if constexpr (kIsIntElem<S>) return runInt<S>(args, act, alpha, beta);
        else if constexpr (kIsFloatElem<S>) return runFloat<S>(args, act, alpha, beta);
        else return Status::Error("Activation: unsupported input dtype");
    });
}

}  // namespace kiln::cpu::ref
