// Activation and Unary on CUDA: one thread per element with 16-byte
// loads, the op chosen at run time inside the kernel (uniform across the
// grid, so the branch costs nothing next to the memory traffic). Semantics
// follow the CPU references (docs/ops.md).
#include <cmath>
#include <limits>

#include "device_common.cuh"
#include "kernels.h"
#include "visit_types.cuh"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;

int findName(const std::string& s, const char* const* names, int count) {
    for (int i = 0; i < count; ++i)
        if (s == names[i]) return i;
    return -1;
}

// ---------------------------------------------------------------- Activation
enum Act : int {
    kRelu,
    kSigmoid,
    kTanh,
    kLeakyRelu,
    kElu,
    kSelu,
    kSoftsign,
    kSoftplus,
    kClip,
    kHardSigmoid,
    kScaledTanh,
    kThresholdedRelu,
    kGeluErf,
    kGeluTanh,
    kSilu,
};
const char* const kActNames[] = {"relu",        "sigmoid",          "tanh",     "leaky_relu", "elu",
                                 "selu",        "softsign",         "softplus", "clip",       "hard_sigmoid",
                                 "scaled_tanh", "thresholded_relu", "gelu_erf", "gelu_tanh",  "silu"};
int parseAct(const std::string& s) { return findName(s, kActNames, int(sizeof(kActNames) / sizeof(kActNames[0]))); }

bool actDtypeOk(int a, ir::DType t) {
    if (t == ir::DType::kF32 || t == ir::DType::kF16 || t == ir::DType::kBF16 || t == ir::DType::kF64) return true;
    return (a == kRelu || a == kClip) && ir::dtypeIsArithmeticInteger(t);
}

template <class C>
__device__ __forceinline__ C sigmoidOf(C x) {
    if (x >= 0) return C(1) / (C(1) + exp(-x));
    const C e = exp(x);
    return e / (C(1) + e);
}

template <class C>
__device__ __forceinline__ C activate(int act, C x, C alpha, C beta) {
    switch (act) {
        case kRelu:
            return x < 0 ? C(0) : x;
        case kSigmoid:
            return sigmoidOf(x);
        case kTanh:
            return tanh(x);
        case kLeakyRelu:
            return x >= 0 ? x : alpha * x;
        case kElu:
            return x >= 0 ? x : alpha * C(expm1(x));
        case kSelu:
            return beta * (x > 0 ? x : alpha * C(expm1(x)));
        case kSoftsign:
            return x / (C(1) + fabs(x));
        case kSoftplus:
            return C(log1p(exp(-fabs(x)))) + (x > 0 ? x : C(0));
        case kClip: {
            const C lo = x < alpha ? alpha : x;
            return beta < lo ? beta : lo;
        }
        case kHardSigmoid: {
            const C v = alpha * x + beta;
            return v > 1 ? C(1) : (v < 0 ? C(0) : v);
        }
        case kScaledTanh:
            return alpha * C(tanh(beta * x));
        case kThresholdedRelu:
            return x > alpha ? x : C(0);
        case kGeluErf:
            return C(0.5) * x * (C(1) + C(erf(x * C(0.70710678118654752440))));
        case kGeluTanh: {
            const C k = C(0.79788456080286535588);
            return C(0.5) * x * (C(1) + C(tanh(k * (x + C(0.044715) * x * x * x))));
        }
        case kSilu:
            return x * sigmoidOf(x);
        default:
            return x;
    }
}

// Fixed >= 0 compiles one activation (the hot ones of transformers and
// CNNs); -1 picks `act` at run time.
template <class S, int Fixed = -1>
struct ActFloatFn {
    int act;
    ComputeT<S> alpha, beta;
    __device__ S operator()(S x) const {
        return Elem<S>::store(activate(Fixed >= 0 ? Fixed : act, Elem<S>::load(x), alpha, beta));
    }
};

template <class S>
struct ActIntFn {
    int act;
    S lo, hi;
    __device__ S operator()(S x) const {
        if (act == kRelu) return x > S(0) ? x : S(0);
        const S v = x < lo ? lo : x;
        return hi < v ? hi : v;
    }
};

template <class S>
S intBound(double v, S dflt) {
    if (std::isnan(v)) return dflt;
    const double lo = double(std::numeric_limits<S>::lowest()), hi = double(std::numeric_limits<S>::max());
    return v <= lo ? std::numeric_limits<S>::lowest() : v >= hi ? std::numeric_limits<S>::max() : S(v);
}

// ---------------------------------------------------------------- Unary
enum UnOp : int {
    kExp,
    kLog,
    kSqrt,
    kRecip,
    kAbs,
    kNeg,
    kSin,
    kCos,
    kTan,
    kAsin,
    kAcos,
    kAtan,
    kSinh,
    kCosh,
    kAsinh,
    kAcosh,
    kAtanh,
    kCeil,
    kFloor,
    kRound,
    kErf,
    kNot,
    kSign,
    kIsNan,
    kIsInf,
};
const char* const kUnNames[] = {"exp",   "log",   "sqrt", "recip", "abs",  "neg",   "sin",   "cos",   "tan",
                                "asin",  "acos",  "atan", "sinh",  "cosh", "asinh", "acosh", "atanh", "ceil",
                                "floor", "round", "erf",  "not",   "sign", "isnan", "isinf"};
int parseUnOp(const std::string& s) { return findName(s, kUnNames, int(sizeof(kUnNames) / sizeof(kUnNames[0]))); }

bool isFloatCompute(ir::DType t) {
    return t == ir::DType::kF32 || t == ir::DType::kF16 || t == ir::DType::kBF16 || t == ir::DType::kF64;
}

// The dtype rules of the CPU reference (docs/ops.md): not is logical on bool
// and bitwise on integers; neg needs a signed type.
bool unDtypeOk(int op, ir::DType t) {
    switch (op) {
        case kNot:
            return t == ir::DType::kBool || ir::dtypeIsArithmeticInteger(t);
        case kAbs:
        case kSign:
            return ir::dtypeIsArithmetic(t);
        case kNeg:
            return ir::dtypeIsArithmetic(t) && ir::dtypeIsSigned(t);
        default:
            return isFloatCompute(t);
    }
}

template <class C>
__device__ __forceinline__ C unaryFloat(int op, C v) {
    switch (op) {
        case kExp:
            return exp(v);
        case kLog:
            return log(v);
        case kSqrt:
            return sqrt(v);
        case kRecip:
            return C(1) / v;
        case kAbs:
            return fabs(v);
        case kNeg:
            return -v;
        case kSin:
            return sin(v);
        case kCos:
            return cos(v);
        case kTan:
            return tan(v);
        case kAsin:
            return asin(v);
        case kAcos:
            return acos(v);
        case kAtan:
            return atan(v);
        case kSinh:
            return sinh(v);
        case kCosh:
            return cosh(v);
        case kAsinh:
            return asinh(v);
        case kAcosh:
            return acosh(v);
        case kAtanh:
            return atanh(v);
        case kCeil:
            return ceil(v);
        case kFloor:
            return floor(v);
        case kRound:
            return rint(v);  // half to even in the default rounding mode
        case kErf:
            return erf(v);
        case kSign:
            return isnan(v) ? v : C((v > 0) - (v < 0));
        default:
            return v;
    }
}

template <class S>
struct UnaryFn {
    int op;
    __device__ S operator()(S x) const {
        if constexpr (kIsBool<S>) {
            return Elem<S>::store(!Elem<S>::load(x));
        } else if constexpr (kIsFloat<S>) {
            return Elem<S>::store(unaryFloat(op, Elem<S>::load(x)));
        } else {
            using U = std::make_unsigned_t<S>;
            if (op == kNot) return S(~x);
            if (op == kAbs) {
                if constexpr (std::is_signed_v<S>)
                    return x < 0 ? S(U(0) - U(x)) : x;
                else
                    return x;
            }
            if (op == kNeg) return S(U(0) - U(x));
            if constexpr (std::is_signed_v<S>)
                return S((x > 0) - (x < 0));
            else
                return S(x != 0);
        }
    }
};

template <class S>
struct ClassifyFn {  // isnan / isinf
    int op;
    __device__ Bool8 operator()(S x) const {
        const auto v = Elem<S>::load(x);
        return {uint8_t(op == kIsNan ? isnan(v) : isinf(v))};
    }
};

}  // namespace

bool activationSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                        const std::vector<ir::TensorDesc>&) {
    const int a = parseAct(node.attrs.getString("type"));
    return in.size() == 1 && a >= 0 && actDtypeOk(a, in[0].dtype);
}

Status activation(LaunchArgs& args) {
    const std::string name = args.node.attrs.getString("type");
    const int act = parseAct(name);
    if (act < 0) return Status::Error("Activation: unknown type '" + name + "'");
    const DeviceTensor& X = args.inputs[0];
    DeviceTensor& Y = args.outputs[0];
    if (!actDtypeOk(act, X.dtype) || Y.dtype != X.dtype || Y.numel() != X.numel())
        return Status::Error("Activation '" + name + "': unsupported dtype or mismatched output");
    const double alpha = args.node.attrs.getFloat("alpha", 0.0), beta = args.node.attrs.getFloat("beta", 0.0);
    return visitArithmeticType(X.dtype, /*withBool=*/false, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        if constexpr (kIsFloat<S>) {
            using C = ComputeT<S>;
            const S* x = X.as<const S>();
            S* y = Y.as<S>();
            if (act == kGeluErf)
                return mapFlat(x, y, X.numel(), ActFloatFn<S, kGeluErf>{act, C(alpha), C(beta)}, args.stream);
            if (act == kRelu)
                return mapFlat(x, y, X.numel(), ActFloatFn<S, kRelu>{act, C(alpha), C(beta)}, args.stream);
            if (act == kSilu)
                return mapFlat(x, y, X.numel(), ActFloatFn<S, kSilu>{act, C(alpha), C(beta)}, args.stream);
            return mapFlat(x, y, X.numel(), ActFloatFn<S>{act, C(alpha), C(beta)}, args.stream);
        } else if constexpr (kIsInt<S>) {
            const S lo = intBound<S>(std::ceil(alpha), std::numeric_limits<S>::lowest());
            const S hi = intBound<S>(std::floor(beta), std::numeric_limits<S>::max());
            return mapFlat(X.as<const S>(), Y.as<S>(), X.numel(), ActIntFn<S>{act, lo, hi}, args.stream);
        } else {
            return Status::Error("Activation: unsupported dtype");
        }
    });
}

bool unarySupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&) {
    const int op = parseUnOp(node.attrs.getString("op"));
    return in.size() == 1 && op >= 0 && unDtypeOk(op, in[0].dtype);
}

Status unary(LaunchArgs& args) {
    const std::string name = args.node.attrs.getString("op");
    const int op = parseUnOp(name);
    if (op < 0) return Status::Error("Unary: unknown op '" + name + "'");
    const DeviceTensor& X = args.inputs[0];
    DeviceTensor& Y = args.outputs[0];
    if (!unDtypeOk(op, X.dtype) || Y.numel() != X.numel())
        return Status::Error("Unary '" + name + "': unsupported dtype " + std::string(ir::dtypeName(X.dtype)));
    const bool classify = op == kIsNan || op == kIsInf;
    return visitArithmeticType(X.dtype, /*withBool=*/true, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        if constexpr (kIsFloat<S>) {
            if (classify) return mapFlat(X.as<const S>(), Y.as<Bool8>(), X.numel(), ClassifyFn<S>{op}, args.stream);
        }
        return mapFlat(X.as<const S>(), Y.as<S>(), X.numel(), UnaryFn<S>{op}, args.stream);
    });
}

}  // namespace kiln::cuda::kernels
