// ElementWise reference kernel: binary ops with numpy broadcasting.
#include <cmath>
#include <limits>
#include <string>

#include "broadcast.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

enum class BinOp {
    kSum, kSub, kProd, kDiv, kPow, kMax, kMin, kFloorDiv, kMod, kFmod,
    kAnd, kOr, kXor,
    kEqual, kGreater, kLess, kGreaterEqual, kLessEqual,
    kShiftLeft, kShiftRight,
};

bool parseBinOp(const std::string& s, BinOp& op) {
    static const std::pair<const char*, BinOp> kNames[] = {
        {"sum", BinOp::kSum}, {"sub", BinOp::kSub}, {"prod", BinOp::kProd}, {"div", BinOp::kDiv},
        {"pow", BinOp::kPow}, {"max", BinOp::kMax}, {"min", BinOp::kMin},
        {"floor_div", BinOp::kFloorDiv}, {"mod", BinOp::kMod}, {"fmod", BinOp::kFmod},
        {"and", BinOp::kAnd}, {"or", BinOp::kOr}, {"xor", BinOp::kXor},
        {"equal", BinOp::kEqual}, {"greater", BinOp::kGreater}, {"less", BinOp::kLess},
        {"greater_equal", BinOp::kGreaterEqual}, {"less_equal", BinOp::kLessEqual},
        {"shift_left", BinOp::kShiftLeft}, {"shift_right", BinOp::kShiftRight},
    };
    for (const auto& [name, value] : kNames)
        if (s == name) {
            op = value;
            return true;
        }
    return false;
}

bool isLogical(BinOp op) { return op == BinOp::kAnd || op == BinOp::kOr || op == BinOp::kXor; }
bool isComparison(BinOp op) { return op >= BinOp::kEqual && op <= BinOp::kLessEqual; }
bool isShift(BinOp op) { return op == BinOp::kShiftLeft || op == BinOp::kShiftRight; }

// The dtype rules of docs/ops.md; empty when (op, t) is valid.
std::string dtypeProblem(BinOp op, ir::DType t) {
    const std::string name(ir::dtypeName(t));
    if (isLogical(op))  // logical on bool, bitwise on integers
        return t == ir::DType::kBool || ir::dtypeIsArithmeticInteger(t)
                   ? ""
                   : "and/or/xor need bool or integer inputs, got " + name;
    if (isShift(op))
        return ir::dtypeIsArithmeticInteger(t) && !ir::dtypeIsSigned(t) ? ""
                                                                         : "shifts need unsigned integers, got " + name;
    if (isComparison(op) && t == ir::DType::kBool) return "";
    return ir::dtypeIsArithmetic(t) ? "" : "unsupported input dtype " + name;
}

// ---- integer arithmetic: wraps on overflow, x/0 = 0, never traps ----

template <class T>
T wrapAdd(T a, T b) {
    using U = std::make_unsigned_t<T>;
    return T(U(a) + U(b));
}
template <class T>
T wrapSub(T a, T b) {
    using U = std::make_unsigned_t<T>;
    return T(U(a) - U(b));
}
template <class T>
T wrapMul(T a, T b) {
    // At least `unsigned`: 16-bit operands would promote to int, where
    // 65535 * 65535 overflows.
    using W = std::common_type_t<std::make_unsigned_t<T>, unsigned>;
    return T(W(a) * W(b));
}
template <class T>
T shiftLeft(T a, T b) {  // by the width or more: 0 (C++ leaves it undefined)
    return b >= T(sizeof(T) * 8) ? T(0) : T(std::common_type_t<T, unsigned>(a) << b);
}
template <class T>
T shiftRight(T a, T b) {
    return b >= T(sizeof(T) * 8) ? T(0) : T(a >> b);
}
template <class T>
bool isMinusOne(T b) {
    if constexpr (std::is_signed_v<T>) return b == T(-1);
    else return false;
}
template <class T>
T intDiv(T a, T b) {  // truncates toward zero
    if (b == 0) return 0;
    if (isMinusOne(b)) return wrapSub(T(0), a);  // INT_MIN / -1 would trap
    return T(a / b);
}
template <class T>
T intFloorDiv(T a, T b) {
    if (b == 0) return 0;
    if (isMinusOne(b)) return wrapSub(T(0), a);
    T q = T(a / b);
    if constexpr (std::is_signed_v<T>)
        if (T(a % b) != 0 && ((a < 0) != (b < 0))) --q;
    return q;
}
template <class T>
T intFmod(T a, T b) {  // sign of the dividend
    if (b == 0 || isMinusOne(b)) return 0;
    return T(a % b);
}
template <class T>
T intMod(T a, T b) {  // sign of the divisor
    if (b == 0 || isMinusOne(b)) return 0;
    T r = T(a % b);
    if constexpr (std::is_signed_v<T>)
        if (r != 0 && ((r < 0) != (b < 0))) r = T(r + b);
    return r;
}
template <class T>
T intPow(T base, T exp) {
    if constexpr (std::is_signed_v<T>) {
        if (exp < 0) {  // 1 / base^|exp| truncated; 1/0 follows the x/0 = 0 rule
            if (base == 1) return 1;
            if (base == -1) return (exp % 2 == 0) ? T(1) : T(-1);
            return 0;
        }
    }
    T result = 1;
    using U = std::make_unsigned_t<T>;
    for (U e = U(exp); e != 0; e >>= 1) {
        if (e & 1u) result = wrapMul(result, base);
        base = wrapMul(base, base);
    }
    return result;
}

// ---- float arithmetic ----

template <class F>
F floatMod(F a, F b) {  // Python's %: the result takes the divisor's sign
    F r = std::fmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}
template <class F>
F nanMax(F a, F b) {  // NaN propagates, as numpy.maximum
    return (std::isnan(a) || std::isnan(b)) ? std::numeric_limits<F>::quiet_NaN() : (a < b ? b : a);
}
template <class F>
F nanMin(F a, F b) {
    return (std::isnan(a) || std::isnan(b)) ? std::numeric_limits<F>::quiet_NaN() : (b < a ? b : a);
}

// Applies f (on compute types) to every broadcast pair, storing as Out.
template <class S, class Out, class F>
Status applyBinary(KernelArgs& args, F f) {
    BroadcastPlan<2> plan;
    KILN_RETURN_IF_ERROR(planBroadcast<2>(args.outputs[0].shape, {args.inputs[0].shape, args.inputs[1].shape}, plan));
    const S* a = args.inputs[0].as<const S>();
    const S* b = args.inputs[1].as<const S>();
    Out* y = args.outputs[0].as<Out>();
    const int64_t sa = plan.innerStride(0), sb = plan.innerStride(1);
    auto op = [&](S x, S z) { return Elem<Out>::store(f(Elem<S>::load(x), Elem<S>::load(z))); };
    parallelForEachBroadcastRow(args.pool, plan, [&](int64_t o, const std::array<int64_t, 2>& off, int64_t n) {
        const S* pa = a + off[0];
        const S* pb = b + off[1];
        Out* py = y + o;
        if constexpr (kIsFloatElem<S>) {
            // Separate loops for the stride patterns so the common cases vectorize.
            if (sa && sb) for (int64_t j = 0; j < n; ++j) py[j] = op(pa[j], pb[j]);
            else if (sa) for (int64_t j = 0; j < n; ++j) py[j] = op(pa[j], pb[0]);
            else if (sb) for (int64_t j = 0; j < n; ++j) py[j] = op(pa[0], pb[j]);
            else for (int64_t j = 0; j < n; ++j) py[j] = op(pa[0], pb[0]);
        } else {
            // Integers and bool (index math, masks): one strided loop keeps the
            // many integer instantiations cheap to compile.
            for (int64_t j = 0; j < n; ++j) py[j] = op(pa[j * sa], pb[j * sb]);
        }
    });
    return Status::Ok();
}

template <class S>
Status runTyped(KernelArgs& args, BinOp op) {
    using C = ComputeT<S>;
    switch (op) {
        case BinOp::kEqual: return applyBinary<S, Bool8>(args, [](C a, C b) { return a == b; });
        case BinOp::kGreater: return applyBinary<S, Bool8>(args, [](C a, C b) { return a > b; });
        case BinOp::kLess: return applyBinary<S, Bool8>(args, [](C a, C b) { return a < b; });
        case BinOp::kGreaterEqual: return applyBinary<S, Bool8>(args, [](C a, C b) { return a >= b; });
        case BinOp::kLessEqual: return applyBinary<S, Bool8>(args, [](C a, C b) { return a <= b; });
        default: break;
    }
    if constexpr (kIsBoolElem<S>) {
        switch (op) {
            case BinOp::kAnd: return applyBinary<S, S>(args, [](bool a, bool b) { return a && b; });
            case BinOp::kOr: return applyBinary<S, S>(args, [](bool a, bool b) { return a || b; });
            case BinOp::kXor: return applyBinary<S, S>(args, [](bool a, bool b) { return a != b; });
            default: break;
        }
    } else if constexpr (kIsFloatElem<S>) {
        switch (op) {
            case BinOp::kSum: return applyBinary<S, S>(args, [](C a, C b) { return a + b; });
            case BinOp::kSub: return applyBinary<S, S>(args, [](C a, C b) { return a - b; });
            case BinOp::kProd: return applyBinary<S, S>(args, [](C a, C b) { return a * b; });
            case BinOp::kDiv: return applyBinary<S, S>(args, [](C a, C b) { return a / b; });
            case BinOp::kPow: return applyBinary<S, S>(args, [](C a, C b) { return C(std::pow(a, b)); });
            case BinOp::kMax: return applyBinary<S, S>(args, [](C a, C b) { return nanMax(a, b); });
            case BinOp::kMin: return applyBinary<S, S>(args, [](C a, C b) { return nanMin(a, b); });
            // floor(a / b), as TensorRT's kFLOOR_DIV (not Python's divmod-based form).
            case BinOp::kFloorDiv: return applyBinary<S, S>(args, [](C a, C b) { return C(std::floor(a / b)); });
            case BinOp::kMod: return applyBinary<S, S>(args, [](C a, C b) { return floatMod(a, b); });
            case BinOp::kFmod: return applyBinary<S, S>(args, [](C a, C b) { return C(std::fmod(a, b)); });
            default: break;
        }
    } else if constexpr (kIsIntElem<S>) {
        // Wrapping sum/sub/prod and the bitwise ops give the same bits for a
        // signed type and its unsigned twin: signed types reuse the unsigned code.
        if constexpr (std::is_signed_v<S>) {
            switch (op) {
                case BinOp::kSum:
                case BinOp::kSub:
                case BinOp::kProd:
                case BinOp::kAnd:
                case BinOp::kOr:
                case BinOp::kXor: return runTyped<std::make_unsigned_t<S>>(args, op);
                default: break;
            }
        } else {
            switch (op) {
                case BinOp::kAnd: return applyBinary<S, S>(args, [](C a, C b) { return C(a & b); });
                case BinOp::kOr: return applyBinary<S, S>(args, [](C a, C b) { return C(a | b); });
                case BinOp::kXor: return applyBinary<S, S>(args, [](C a, C b) { return C(a ^ b); });
                case BinOp::kShiftLeft: return applyBinary<S, S>(args, [](C a, C b) { return shiftLeft(a, b); });
                case BinOp::kShiftRight: return applyBinary<S, S>(args, [](C a, C b) { return shiftRight(a, b); });
                case BinOp::kSum: return applyBinary<S, S>(args, [](C a, C b) { return wrapAdd(a, b); });
                case BinOp::kSub: return applyBinary<S, S>(args, [](C a, C b) { return wrapSub(a, b); });
                case BinOp::kProd: return applyBinary<S, S>(args, [](C a, C b) { return wrapMul(a, b); });
                default: break;
            }
        }
        switch (op) {
            case BinOp::kDiv: return applyBinary<S, S>(args, [](C a, C b) { return intDiv(a, b); });
            case BinOp::kPow: return applyBinary<S, S>(args, [](C a, C b) { return intPow(a, b); });
            case BinOp::kMax: return applyBinary<S, S>(args, [](C a, C b) { return a < b ? b : a; });
            case BinOp::kMin: return applyBinary<S, S>(args, [](C a, C b) { return b < a ? b : a; });
            case BinOp::kFloorDiv: return applyBinary<S, S>(args, [](C a, C b) { return intFloorDiv(a, b); });
            case BinOp::kMod: return applyBinary<S, S>(args, [](C a, C b) { return intMod(a, b); });
            case BinOp::kFmod: return applyBinary<S, S>(args, [](C a, C b) { return intFmod(a, b); });
            default: break;
        }
    }
    return Status::Error("unsupported input dtype");  // unreachable after the dtype check
}

}  // namespace

bool elementwiseSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                         const std::vector<ir::TensorDesc>&) {
    BinOp op;
    return in.size() == 2 && parseBinOp(node.attrs.getString("op"), op) && in[0].dtype == in[1].dtype &&
           dtypeProblem(op, in[0].dtype).empty();
}

Status elementwise(KernelArgs& args) {
    const std::string name = args.node.attrs.getString("op");
    BinOp op;
    if (!parseBinOp(name, op)) return Status::Error("ElementWise: unknown op '" + name + "'");
    if (args.inputs.size() != 2 || args.outputs.size() != 1)
        return Status::Error("ElementWise: expects 2 inputs and 1 output");
    const ir::DType t = args.inputs[0].dtype;
    if (args.inputs[1].dtype != t)
        return Status::Error("ElementWise: input dtypes differ: " + std::string(ir::dtypeName(t)) + " and " +
                             std::string(ir::dtypeName(args.inputs[1].dtype)));
    if (auto p = dtypeProblem(op, t); !p.empty()) return Status::Error("ElementWise '" + name + "': " + p);
    const ir::DType want = isComparison(op) ? ir::DType::kBool : t;
    if (args.outputs[0].dtype != want)
        return Status::Error("ElementWise: output dtype " + std::string(ir::dtypeName(args.outputs[0].dtype)) +
                             ", expected " + std::string(ir::dtypeName(want)));
    return visitArithmeticDType(t, /*withBool=*/true, [&](auto tag) -> Status {
        return runTyped<typename decltype(tag)::type>(args, op).withContext("ElementWise '" + name + "': ");
    });
}

}  // namespace kiln::cpu::ref
