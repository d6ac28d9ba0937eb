// Reference Reduce (docs/ops.md): sum, prod, max, min, mean, l1, l2,
// sum_square, log_sum, log_sum_exp over any set of axes. Float types are
// computed in double; integers (sum, prod, max, min, mean) in their own type
// with two's-complement wrap-around, so 64-bit values stay exact beyond 2^53.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "ir/ops/reduction.h"
#include "reduce_layout.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

enum class ReduceOp { kSum, kProd, kMax, kMin, kMean, kL1, kL2, kSumSquare, kLogSum, kLogSumExp };

bool parseReduceOp(const std::string& s, ReduceOp& op) {
    static const std::pair<const char*, ReduceOp> kOps[] = {
        {"sum", ReduceOp::kSum},       {"prod", ReduceOp::kProd}, {"max", ReduceOp::kMax},
        {"min", ReduceOp::kMin},       {"mean", ReduceOp::kMean}, {"l1", ReduceOp::kL1},
        {"l2", ReduceOp::kL2},         {"sum_square", ReduceOp::kSumSquare},
        {"log_sum", ReduceOp::kLogSum}, {"log_sum_exp", ReduceOp::kLogSumExp}};
    for (const auto& [name, o] : kOps)
        if (s == name) {
            op = o;
            return true;
        }
    return false;
}

bool intCapable(ReduceOp op) {
    return op == ReduceOp::kSum || op == ReduceOp::kProd || op == ReduceOp::kMax || op == ReduceOp::kMin ||
           op == ReduceOp::kMean;
}

bool isIntType(ir::DType t) { return ir::dtypeIsArithmeticInteger(t); }

// One row of a float reduction; an empty row yields the op's identity.
double reduceFloatRow(ReduceOp op, const HostTensor& x, int64_t base, const std::vector<int64_t>& offs) {
    constexpr double kInf = std::numeric_limits<double>::infinity();
    auto at = [&](size_t j) { return ir::loadAsDouble(x.data, x.dtype, base + offs[j]); };
    const size_t n = offs.size();
    double acc = 0.0;
    switch (op) {
        case ReduceOp::kSum:
        case ReduceOp::kMean:
            for (size_t j = 0; j < n; ++j) acc += at(j);
            return op == ReduceOp::kMean ? acc / double(n) : acc;  // 0/0 = NaN for an empty mean
        case ReduceOp::kProd:
            acc = 1.0;
            for (size_t j = 0; j < n; ++j) acc *= at(j);
            return acc;
        case ReduceOp::kMax:
        case ReduceOp::kMin: {
            const bool isMax = op == ReduceOp::kMax;
            acc = isMax ? -kInf : kInf;
            for (size_t j = 0; j < n; ++j) {
                const double v = at(j);
                if (std::isnan(v)) return v;  // NaN propagates, like numpy
                acc = isMax ? std::max(acc, v) : std::min(acc, v);
            }
            return acc;
        }
        case ReduceOp::kL1:
            for (size_t j = 0; j < n; ++j) acc += std::fabs(at(j));
            return acc;
        case ReduceOp::kL2:
        case ReduceOp::kSumSquare:
            for (size_t j = 0; j < n; ++j) acc += at(j) * at(j);
            return op == ReduceOp::kL2 ? std::sqrt(acc) : acc;
        case ReduceOp::kLogSum:
            for (size_t j = 0; j < n; ++j) acc += at(j);
            return std::log(acc);  // log(0) = -inf for an empty row
        case ReduceOp::kLogSumExp: {
            double mx = -kInf;
            for (size_t j = 0; j < n; ++j) {
                const double v = at(j);
                if (std::isnan(v)) return v;
                mx = std::max(mx, v);
            }
            // All -inf (or empty) gives -inf; any +inf gives +inf; both would
            // otherwise produce inf - inf = NaN below.
            if (std::isinf(mx)) return mx;
            for (size_t j = 0; j < n; ++j) acc += std::exp(at(j) - mx);
            return mx + std::log(acc);
        }
    }
    return 0.0;
}

// One row of an integer reduction in the element type T. Sum/prod wrap
// (computed in uint64, which is well defined); the mean truncates toward zero,
// and the empty mean, which has no integer NaN, gives 0.
template <class T>
T reduceIntRow(ReduceOp op, const T* x, int64_t base, const std::vector<int64_t>& offs) {
    const size_t n = offs.size();
    uint64_t acc = 0;
    switch (op) {
        case ReduceOp::kSum:
        case ReduceOp::kMean:
            for (size_t j = 0; j < n; ++j) acc += uint64_t(x[base + offs[j]]);
            if (op == ReduceOp::kSum) return T(acc);
            if (n == 0) return T(0);
            if constexpr (std::is_signed_v<T>) return T(int64_t(acc) / int64_t(n));
            else return T(acc / n);
        case ReduceOp::kProd:
            acc = 1;
            for (size_t j = 0; j < n; ++j) acc *= uint64_t(x[base + offs[j]]);
            return T(acc);
        case ReduceOp::kMax: {
            T m = std::numeric_limits<T>::lowest();
            for (size_t j = 0; j < n; ++j) m = std::max(m, x[base + offs[j]]);
            return m;
        }
        case ReduceOp::kMin: {
            T m = std::numeric_limits<T>::max();
            for (size_t j = 0; j < n; ++j) m = std::min(m, x[base + offs[j]]);
            return m;
        }
        default:
            return T(0);  // unreachable: rejected by intCapable()
    }
}

template <class T>
void reduceIntRows(ReduceOp op, const HostTensor& x, HostTensor& y, const detail::RowLayout& L, ThreadPool& pool) {
    pool.parallelFor(int64_t(L.rowBase.size()), [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) y.as<T>()[r] = reduceIntRow<T>(op, x.as<const T>(), L.rowBase[size_t(r)], L.inRow);
    });
}

}  // namespace

bool reduceSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                    const std::vector<ir::TensorDesc>& out) {
    ReduceOp op;
    if (in.empty() || in.size() > 2 || out.size() != 1 || out[0].dtype != in[0].dtype) return false;
    if (!parseReduceOp(node.attrs.getString("op", "sum"), op)) return false;
    return detail::isFloatType(in[0].dtype) || (isIntType(in[0].dtype) && intCapable(op));
}

Status reduce(KernelArgs& args) {
    const HostTensor& x = args.inputs[0];
    HostTensor& y = args.outputs[0];
    ReduceOp op;
    const std::string opName = args.node.attrs.getString("op", "sum");
    if (!parseReduceOp(opName, op)) return Status::Error("reduce: unknown op '" + opName + "'");
    const bool isInt = isIntType(x.dtype) && intCapable(op);
    if (!detail::isFloatType(x.dtype) && !isInt) return detail::unsupportedDType("reduce", x.dtype);
    if (y.dtype != x.dtype) return Status::Error("reduce: output dtype differs from input");

    std::vector<ir::TensorDesc> in;
    for (const HostTensor& t : args.inputs) in.push_back({t.dtype, t.shape, t.data});
    ir::ReduceAxes axes;
    KILN_RETURN_IF_ERROR(ir::resolveReduceAxes(args.node, in, axes));
    if (!axes.known) return Status::Error("reduce: the axes are not known");
    const detail::RowLayout L = detail::makeRowLayout(x.shape, axes.mask);
    // rowBase enumerates the kept axes, i.e. exactly the output elements (its
    // offsets stay in range even when a reduced extent is 0: nothing is read).
    const int64_t outRows = int64_t(L.rowBase.size());
    if (outRows != y.numel())
        return Status::Error("reduce: output shape " + ir::shapeToString(y.shape) + " does not match input " +
                             ir::shapeToString(x.shape));

    if (isInt) {
        switch (x.dtype) {
            case ir::DType::kI8: reduceIntRows<int8_t>(op, x, y, L, args.pool); break;
            case ir::DType::kU8: reduceIntRows<uint8_t>(op, x, y, L, args.pool); break;
            case ir::DType::kI16: reduceIntRows<int16_t>(op, x, y, L, args.pool); break;
            case ir::DType::kU16: reduceIntRows<uint16_t>(op, x, y, L, args.pool); break;
            case ir::DType::kI32: reduceIntRows<int32_t>(op, x, y, L, args.pool); break;
            case ir::DType::kU32: reduceIntRows<uint32_t>(op, x, y, L, args.pool); break;
            case ir::DType::kI64: reduceIntRows<int64_t>(op, x, y, L, args.pool); break;
            case ir::DType::kU64: reduceIntRows<uint64_t>(op, x, y, L, args.pool); break;
            default: return detail::unsupportedDType("reduce", x.dtype);
        }
        return Status::Ok();
    }
    args.pool.parallelFor(outRows, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r)
            ir::storeFromDouble(y.data, y.dtype, r, reduceFloatRow(op, x, L.rowBase[size_t(r)], L.inRow));
    });
    return Status::Ok();
}

}  // namespace kiln::cpu::ref
