// ElementWise on CUDA: binary ops with numpy broadcasting, the semantics of
// the CPU reference (integer ops wrap and never trap, x/0 = 0 for integers,
// max/min propagate NaN, mod takes the divisor's sign; and/or/xor are logical
// on bool and bitwise on integers; shifts on unsigned integers give 0 for a
// shift by the width or more). Same-shape operands
// take a flat path with 16-byte loads; others a strided path over collapsed dims.
#include <cmath>

#include "device_common.cuh"
#include "kernels.h"
#include "visit_types.cuh"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;

enum BinOp : int {
    kSum,
    kSub,
    kProd,
    kDiv,
    kPow,
    kMax,
    kMin,
    kFloorDiv,
    kMod,
    kFmod,
    kAnd,
    kOr,
    kXor,
    kEqual,
    kGreater,
    kLess,
    kGreaterEqual,
    kLessEqual,
    kShiftLeft,
    kShiftRight,
};

bool parseBinOp(const std::string& s, int& op) {
    static const char* kNames[] = {
        "sum", "sub", "prod", "div",   "pow",     "max",  "min",           "floor_div",  "mod",        "fmod",
        "and", "or",  "xor",  "equal", "greater", "less", "greater_equal", "less_equal", "shift_left", "shift_right"};
    for (int i = 0; i < int(sizeof(kNames) / sizeof(kNames[0])); ++i)
        if (s == kNames[i]) {
            op = i;
            return true;
        }
    return false;
}

bool isLogical(int op) { return op == kAnd || op == kOr || op == kXor; }
bool isComparison(int op) { return op >= kEqual && op <= kLessEqual; }
bool isShift(int op) { return op == kShiftLeft || op == kShiftRight; }

// The dtype rules of the CPU reference (docs/ops.md).
bool dtypeOk(int op, ir::DType t) {
    if (isLogical(op)) return t == ir::DType::kBool || ir::dtypeIsArithmeticInteger(t);
    if (isShift(op)) return ir::dtypeIsArithmeticInteger(t) && !ir::dtypeIsSigned(t);
    if (isComparison(op) && t == ir::DType::kBool) return true;
    return ir::dtypeIsArithmetic(t);
}

// ---- integer arithmetic without traps ----
template <class T>
__device__ __forceinline__ T wrapAdd(T a, T b) {
    using U = std::make_unsigned_t<T>;
    return T(U(a) + U(b));
}
template <class T>
__device__ __forceinline__ T wrapSub(T a, T b) {
    using U = std::make_unsigned_t<T>;
    return T(U(a) - U(b));
}
template <class T>
__device__ __forceinline__ T wrapMul(T a, T b) {
    // At least `unsigned`: 16-bit operands would promote to int, where
    // 65535 * 65535 overflows.
    using W = std::common_type_t<std::make_unsigned_t<T>, unsigned>;
    return T(W(a) * W(b));
}
template <class T>
__device__ __forceinline__ bool isMinusOne(T b) {
    if constexpr (std::is_signed_v<T>)
        return b == T(-1);
    else
        return false;
}
template <class T>
__device__ T intBinary(int op, T a, T b) {
    switch (op) {
        case kSum:
            return wrapAdd(a, b);
        case kSub:
            return wrapSub(a, b);
        case kProd:
            return wrapMul(a, b);
        case kDiv:
            if (b == 0) return 0;
            if (isMinusOne(b)) return wrapSub(T(0), a);
            return T(a / b);
        case kFloorDiv: {
            if (b == 0) return 0;
            if (isMinusOne(b)) return wrapSub(T(0), a);
            T q = T(a / b);
            if constexpr (std::is_signed_v<T>)
                if (T(a % b) != 0 && ((a < 0) != (b < 0))) --q;
            return q;
        }
        case kFmod:
            if (b == 0 || isMinusOne(b)) return 0;
            return T(a % b);
        case kMod: {
            if (b == 0 || isMinusOne(b)) return 0;
            T r = T(a % b);
            if constexpr (std::is_signed_v<T>)
                if (r != 0 && ((r < 0) != (b < 0))) r = T(r + b);
            return r;
        }
        case kPow: {
            T base = a, exp = b;
            if constexpr (std::is_signed_v<T>) {
                if (exp < 0) {
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
        case kMax:
            return a < b ? b : a;
        case kMin:
            return b < a ? b : a;
        case kAnd:
            return T(a & b);
        case kOr:
            return T(a | b);
        case kXor:
            return T(a ^ b);
        case kShiftLeft:
        case kShiftRight:
            if constexpr (std::is_unsigned_v<T>) {
                if (b >= T(sizeof(T) * 8)) return 0;  // by the width or more: 0 (C++ leaves it undefined)
                using W = std::common_type_t<T, unsigned>;
                return op == kShiftLeft ? T(W(a) << b) : T(W(a) >> b);
            }
            return 0;
        default:
            return 0;
    }
}

template <class F>
__device__ F floatBinary(int op, F a, F b) {
    switch (op) {
        case kSum:
            return a + b;
        case kSub:
            return a - b;
        case kProd:
            return a * b;
        case kDiv:
            return a / b;
        case kPow:
            return F(pow(a, b));
        case kMax:
            return (isnan(a) || isnan(b)) ? F(NAN) : (a < b ? b : a);
        case kMin:
            return (isnan(a) || isnan(b)) ? F(NAN) : (b < a ? b : a);
        case kFloorDiv:
            return F(floor(a / b));
        case kMod: {
            F r = F(fmod(a, b));
            if (r != 0 && ((r < 0) != (b < 0))) r += b;
            return r;
        }
        case kFmod:
            return F(fmod(a, b));
        default:
            return 0;
    }
}

// One element: S inputs, Out output (S or Bool8 for comparisons and logic).
template <class S, class Out>
__device__ __forceinline__ Out apply(int op, S xa, S xb) {
    using C = ComputeT<S>;
    const C a = Elem<S>::load(xa), b = Elem<S>::load(xb);
    if constexpr (std::is_same_v<Out, Bool8>) {
        switch (op) {
            case kEqual:
                return {uint8_t(a == b)};
            case kGreater:
                return {uint8_t(a > b)};
            case kLess:
                return {uint8_t(a < b)};
            case kGreaterEqual:
                return {uint8_t(a >= b)};
            case kLessEqual:
                return {uint8_t(a <= b)};
            case kAnd:
                return {uint8_t(bool(a) && bool(b))};
            case kOr:
                return {uint8_t(bool(a) || bool(b))};
            case kXor:
                return {uint8_t(bool(a) != bool(b))};
            default:
                return {0};
        }
    } else if constexpr (kIsFloat<S>) {
        return Elem<S>::store(floatBinary<C>(op, a, b));
    } else {
        return intBinary<S>(op, a, b);
    }
}

// Outputs i*V .. i*V+V-1 from V-wide operands (one 16-byte store when Out is S).
template <class S, class Out>
__device__ __forceinline__ void storeVec(int op, const Vec16<S>& va, const Vec16<S>& vb, Out* __restrict__ y,
                                         int64_t i) {
    constexpr int V = Vec16<S>::kN;
    if constexpr (std::is_same_v<Out, S>) {
        Vec16<S> vy;
#pragma unroll
        for (int k = 0; k < V; ++k) vy.v[k] = apply<S, Out>(op, va.v[k], vb.v[k]);
        reinterpret_cast<Vec16<S>*>(y)[i] = vy;
    } else {
#pragma unroll
        for (int k = 0; k < V; ++k) y[i * V + k] = apply<S, Out>(op, va.v[k], vb.v[k]);
    }
}

template <class S, class Out>
__global__ void binaryFlat(const S* __restrict__ a, const S* __restrict__ b, Out* __restrict__ y, int64_t n, int op) {
    constexpr int V = Vec16<S>::kN;
    const int64_t nv = n / V;
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < nv; i += stride) {
        storeVec<S, Out>(op, reinterpret_cast<const Vec16<S>*>(a)[i], reinterpret_cast<const Vec16<S>*>(b)[i], y, i);
    }
    for (int64_t i = nv * V + int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
        y[i] = apply<S, Out>(op, a[i], b[i]);
}

template <class S, class Out>
__global__ void binaryStrided(const S* __restrict__ a, const S* __restrict__ b, Out* __restrict__ y, int64_t n, int op,
                              StridedIndex<2> si) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        int64_t off[2];
        si.offsets(i, off);
        y[i] = apply<S, Out>(op, a[off[0]], b[off[1]]);
    }
}

// Broadcasting where every operand is contiguous or broadcast (stride 1 or 0)
// along the innermost merged dim, whose extent is a multiple of V: each thread
// handles V consecutive outputs with one offset computation and wide loads of
// the contiguous operands (a bias row, a scalar, a residual).
template <class S, class Out>
__global__ void binaryInnerVec(const S* __restrict__ a, const S* __restrict__ b, Out* __restrict__ y, int64_t n, int op,
                               int64_t inner, bool aInner, bool bInner, StridedIndex<2> outer) {
    constexpr int V = Vec16<S>::kN;
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n / V; i += stride) {
        const int64_t e = i * V, row = e / inner, j = e - row * inner;
        int64_t off[2];
        outer.offsets(row, off);
        Vec16<S> va, vb;
        if (aInner)
            va = *reinterpret_cast<const Vec16<S>*>(a + off[0] + j);
        else
#pragma unroll
            for (int k = 0; k < V; ++k) va.v[k] = a[off[0]];
        if (bInner)
            vb = *reinterpret_cast<const Vec16<S>*>(b + off[1] + j);
        else
#pragma unroll
            for (int k = 0; k < V; ++k) vb.v[k] = b[off[1]];
        storeVec<S, Out>(op, va, vb, y, i);
    }
}

// The inner-vector form of a broadcast (see binaryInnerVec); false if it does not apply.
template <class S, class Out>
bool launchInnerVec(const S* a, const S* b, Out* y, int64_t n, int op, const StridedIndex<2>& si, cudaStream_t stream) {
    constexpr int V = Vec16<S>::kN;
    const int r = si.rank;
    if (V < 2 || r < 1) return false;
    const int64_t inner = si.dims[r - 1], sa = si.strides[0][r - 1], sb = si.strides[1][r - 1];
    if (inner % V != 0 || sa > 1 || sb > 1 || !aligned16(y)) return false;
    // Wide loads need 16-byte aligned rows of the contiguous operands.
    auto rowsAligned = [&](const S* p, int k) {
        if (!aligned16(p)) return false;
        for (int d = 0; d < r - 1; ++d)
            if ((si.strides[k][d] * int64_t(sizeof(S))) % 16 != 0) return false;
        return true;
    };
    if ((sa == 1 && !rowsAligned(a, 0)) || (sb == 1 && !rowsAligned(b, 1))) return false;
    StridedIndex<2> outer{};
    outer.rank = r - 1;
    for (int d = 0; d < r - 1; ++d) {
        outer.dims[d] = si.dims[d];
        outer.strides[0][d] = si.strides[0][d];
        outer.strides[1][d] = si.strides[1][d];
    }
    binaryInnerVec<S, Out><<<gridFor(n / V), kBlock, 0, stream>>>(a, b, y, n, op, inner, sa == 1, sb == 1, outer);
    return true;
}

template <class S, class Out>
Status launch(LaunchArgs& args, int op) {
    const DeviceTensor& A = args.inputs[0];
    const DeviceTensor& B = args.inputs[1];
    DeviceTensor& Y = args.outputs[0];
    const int64_t n = Y.numel();
    if (n <= 0) return Status::Ok();
    const S* a = A.as<const S>();
    const S* b = B.as<const S>();
    Out* y = Y.as<Out>();
    if (A.shape == Y.shape && B.shape == Y.shape && aligned16(a) && aligned16(b) && aligned16(y)) {
        const int64_t work = n / Vec16<S>::kN + 1;
        binaryFlat<S, Out><<<gridFor(work), kBlock, 0, args.stream>>>(a, b, y, n, op);
    } else {
        if (!broadcastsTo(A.shape, Y.shape) || !broadcastsTo(B.shape, Y.shape))
            return Status::Error("inputs " + ir::shapeToString(A.shape) + " and " + ir::shapeToString(B.shape) +
                                 " do not broadcast to " + ir::shapeToString(Y.shape));
        StridedIndex<2> si;
        KILN_RETURN_IF_ERROR(
            makeStridedIndex<2>(Y.shape, {broadcastStrides(A.shape, Y.shape), broadcastStrides(B.shape, Y.shape)}, si));
        if (!launchInnerVec<S, Out>(a, b, y, n, op, si, args.stream))
            binaryStrided<S, Out><<<gridFor(n), kBlock, 0, args.stream>>>(a, b, y, n, op, si);
    }
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

}  // namespace

bool elementwiseSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                         const std::vector<ir::TensorDesc>& out) {
    int op;
    return in.size() == 2 && out.size() == 1 && parseBinOp(node.attrs.getString("op"), op) &&
           in[0].dtype == in[1].dtype && dtypeOk(op, in[0].dtype);
}

Status elementwise(LaunchArgs& args) {
    const std::string name = args.node.attrs.getString("op");
    int op;
    if (!parseBinOp(name, op)) return Status::Error("ElementWise: unknown op '" + name + "'");
    if (args.inputs.size() != 2 || args.outputs.size() != 1)
        return Status::Error("ElementWise: expects 2 inputs and 1 output");
    const ir::DType t = args.inputs[0].dtype;
    if (args.inputs[1].dtype != t || !dtypeOk(op, t))
        return Status::Error("ElementWise '" + name + "': unsupported dtypes");
    const bool boolOut = isComparison(op) || (isLogical(op) && t == ir::DType::kBool);
    return visitArithmeticType(t, /*withBool=*/true, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        if (boolOut) return launch<S, Bool8>(args, op);
        if constexpr (kIsBool<S>)
            return Status::Error("ElementWise: bool arithmetic");
        else
            return launch<S, S>(args, op);
    });
}

}  // namespace kiln::cuda::kernels
