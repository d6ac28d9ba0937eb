// Unary reference kernel: one math function per element.
#include <cmath>
#include <limits>
#include <string>

#include "broadcast.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

enum class UnOp {
    kExp, kLog, kSqrt, kRecip, kAbs, kNeg, kSin, kCos, kTan, kAsin, kAcos, kAtan, kSinh, kCosh,
    kAsinh, kAcosh, kAtanh, kCeil, kFloor, kRound, kErf, kNot, kSign, kIsNan, kIsInf,
};

bool parseUnOp(const std::string& s, UnOp& op) {
    static const std::pair<const char*, UnOp> kNames[] = {
        {"exp", UnOp::kExp}, {"log", UnOp::kLog}, {"sqrt", UnOp::kSqrt}, {"recip", UnOp::kRecip},
        {"abs", UnOp::kAbs}, {"neg", UnOp::kNeg}, {"sin", UnOp::kSin}, {"cos", UnOp::kCos},
        {"tan", UnOp::kTan}, {"asin", UnOp::kAsin}, {"acos", UnOp::kAcos}, {"atan", UnOp::kAtan},
        {"sinh", UnOp::kSinh}, {"cosh", UnOp::kCosh}, {"asinh", UnOp::kAsinh}, {"acosh", UnOp::kAcosh},
        {"atanh", UnOp::kAtanh}, {"ceil", UnOp::kCeil}, {"floor", UnOp::kFloor}, {"round", UnOp::kRound},
        {"erf", UnOp::kErf}, {"not", UnOp::kNot}, {"sign", UnOp::kSign}, {"isnan", UnOp::kIsNan},
        {"isinf", UnOp::kIsInf},
    };
    for (const auto& [name, value] : kNames)
        if (s == name) {
            op = value;
            return true;
        }
    return false;
}

// The dtype rules of docs/ops.md; empty when (op, t) is valid.
std::string dtypeProblem(UnOp op, ir::DType t) {
    bool ok;
    switch (op) {
        case UnOp::kNot: ok = t == ir::DType::kBool || ir::dtypeIsArithmeticInteger(t); break;  // bitwise on integers
        case UnOp::kAbs:
        case UnOp::kSign: ok = ir::dtypeIsArithmetic(t); break;
        case UnOp::kNeg:  // unsigned negation has no meaning
            ok = ir::dtypeIsArithmetic(t) && ir::dtypeIsSigned(t);
            break;
        default: ok = ir::dtypeIsArithmeticFloat(t); break;
    }
    return ok ? "" : "unsupported input dtype " + std::string(ir::dtypeName(t));
}

template <class F>
F roundHalfEven(F x) {  // independent of the FP rounding mode
    F r = std::round(x);  // half away from zero
    if (std::fabs(x - std::trunc(x)) == F(0.5)) r = F(2) * std::round(x / F(2));
    return r;
}

template <class S, class Out, class F>
Status applyUnary(KernelArgs& args, F f) {
    const S* x = args.inputs[0].as<const S>();
    Out* y = args.outputs[0].as<Out>();
    args.pool.parallelFor(args.inputs[0].numel(), [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) y[i] = Elem<Out>::store(f(Elem<S>::load(x[i])));
    }, kParallelGrain);
    return Status::Ok();
}

template <class S>
Status runTyped(KernelArgs& args, UnOp op) {
    using C = ComputeT<S>;
    if constexpr (kIsBoolElem<S>) {
        if (op == UnOp::kNot) return applyUnary<S, S>(args, [](bool v) { return !v; });
    } else if constexpr (kIsFloatElem<S>) {
        switch (op) {
            case UnOp::kExp: return applyUnary<S, S>(args, [](C v) { return C(std::exp(v)); });
            case UnOp::kLog: return applyUnary<S, S>(args, [](C v) { return C(std::log(v)); });
            case UnOp::kSqrt: return applyUnary<S, S>(args, [](C v) { return C(std::sqrt(v)); });
            case UnOp::kRecip: return applyUnary<S, S>(args, [](C v) { return C(1) / v; });
            case UnOp::kAbs: return applyUnary<S, S>(args, [](C v) { return C(std::fabs(v)); });
            case UnOp::kNeg: return applyUnary<S, S>(args, [](C v) { return -v; });
            case UnOp::kSin: return applyUnary<S, S>(args, [](C v) { return C(std::sin(v)); });
            case UnOp::kCos: return applyUnary<S, S>(args, [](C v) { return C(std::cos(v)); });
            case UnOp::kTan: return applyUnary<S, S>(args, [](C v) { return C(std::tan(v)); });
            case UnOp::kAsin: return applyUnary<S, S>(args, [](C v) { return C(std::asin(v)); });
            case UnOp::kAcos: return applyUnary<S, S>(args, [](C v) { return C(std::acos(v)); });
            case UnOp::kAtan: return applyUnary<S, S>(args, [](C v) { return C(std::atan(v)); });
            case UnOp::kSinh: return applyUnary<S, S>(args, [](C v) { return C(std::sinh(v)); });
            case UnOp::kCosh: return applyUnary<S, S>(args, [](C v) { return C(std::cosh(v)); });
            case UnOp::kAsinh: return applyUnary<S, S>(args, [](C v) { return C(std::asinh(v)); });
            case UnOp::kAcosh: return applyUnary<S, S>(args, [](C v) { return C(std::acosh(v)); });
            case UnOp::kAtanh: return applyUnary<S, S>(args, [](C v) { return C(std::atanh(v)); });
            case UnOp::kCeil: return applyUnary<S, S>(args, [](C v) { return C(std::ceil(v)); });
            case UnOp::kFloor: return applyUnary<S, S>(args, [](C v) { return C(std::floor(v)); });
            case UnOp::kRound: return applyUnary<S, S>(args, [](C v) { return roundHalfEven(v); });
            case UnOp::kErf: return applyUnary<S, S>(args, [](C v) { return C(std::erf(v)); });
            case UnOp::kSign:
                return applyUnary<S, S>(args, [](C v) { return std::isnan(v) ? v : C((v > 0) - (v < 0)); });
            case UnOp::kIsNan: return applyUnary<S, Bool8>(args, [](C v) { return bool(std::isnan(v)); });
            case UnOp::kIsInf: return applyUnary<S, Bool8>(args, [](C v) { return bool(std::isinf(v)); });
            default: break;
        }
    } else if constexpr (kIsIntElem<S>) {
        using U = std::make_unsigned_t<C>;
        switch (op) {
            case UnOp::kNot: return applyUnary<S, S>(args, [](C v) { return C(~v); });
            // abs/neg of the most negative value wrap to itself, as numpy does.
            case UnOp::kAbs:
                if constexpr (std::is_signed_v<C>)
                    return applyUnary<S, S>(args, [](C v) { return v < 0 ? C(U(0) - U(v)) : v; });
                else return applyUnary<S, S>(args, [](C v) { return v; });
            case UnOp::kNeg:
                if constexpr (std::is_signed_v<C>) return applyUnary<S, S>(args, [](C v) { return C(U(0) - U(v)); });
                break;
            case UnOp::kSign:
                if constexpr (std::is_signed_v<C>)
                    return applyUnary<S, S>(args, [](C v) { return C((v > 0) - (v < 0)); });
                else return applyUnary<S, S>(args, [](C v) { return C(v != 0); });
            default: break;
        }
    }
    return Status::Error("unsupported input dtype");  // unreachable after the dtype check
}

}  // namespace

bool unarySupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&) {
    UnOp op;
    return in.size() == 1 && parseUnOp(node.attrs.getString("op"), op) && dtypeProblem(op, in[0].dtype).empty();
}

Status unary(KernelArgs& args) {
    const std::string name = args.node.attrs.getString("op");
    UnOp op;
    if (!parseUnOp(name, op)) return Status::Error("Unary: unknown op '" + name + "'");
    if (args.inputs.size() != 1 || args.outputs.size() != 1) return Status::Error("Unary: expects 1 input and 1 output");
    const ir::DType t = args.inputs[0].dtype;
    if (auto p = dtypeProblem(op, t); !p.empty()) return Status::Error("Unary '" + name + "': " + p);
    const ir::DType want = (op == UnOp::kIsNan || op == UnOp::kIsInf) ? ir::DType::kBool : t;
    if (args.outputs[0].dtype != want || args.outputs[0].numel() != args.inputs[0].numel())
        return Status::Error("Unary: output must be " + std::string(ir::dtypeName(want)) + " " +
                             ir::shapeToString(args.inputs[0].shape));
    return visitArithmeticDType(t, /*withBool=*/true, [&](auto tag) -> Status {
        return runTyped<typename decltype(tag)::type>(args, op).withContext("Unary '" + name + "': ");
    });
}

}  // namespace kiln::cpu::ref
