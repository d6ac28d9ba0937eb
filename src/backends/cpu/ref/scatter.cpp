// Scatter reference kernel: copy Data, then write Updates in index order, so
// that with duplicate indices the last update wins (reduction none) or every
// update is combined (add/mul/max/min). Every index is checked before
// anything is written.
#include "nn_util.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

using ir::nn::ScatterMode;
using ir::nn::ScatterParams;
using ir::nn::ScatterReduction;

Status indexError(int64_t v, size_t pos, size_t dim, int64_t n) {
    return Status::Error("index " + std::to_string(v) + " at position " + std::to_string(pos) +
                         " is out of range for data dim " + std::to_string(dim) + " of extent " + std::to_string(n));
}

// For every update element (elements mode) or update slice (nd mode), the
// element offset in the output it lands on.
Status targetOffsets(const KernelArgs& a, const ScatterParams& p, std::vector<int64_t>& offs, int64_t& sliceLen) {
    const ir::Shape& ds = a.inputs[0].shape;
    const ir::Shape& is = a.inputs[1].shape;
    std::vector<int64_t> idx = nn::loadInt64s(a.inputs[1]);
    const auto strides = ir::stridesOf(ds);
    if (p.mode == ScatterMode::kElements) {
        sliceLen = 1;
        offs.resize(idx.size());
        const size_t rank = is.size(), axis = size_t(p.axis);
        for (size_t flat = 0; flat < idx.size(); ++flat) {
            int64_t v = idx[flat];
            const int64_t n = ds[axis];
            if (v < -n || v >= n) return indexError(v, flat, axis, n);
            if (v < 0) v += n;
            int64_t off = 0;
            int64_t r = int64_t(flat);
            for (size_t d = rank; d-- > 0;) {
                const int64_t c = r % is[d];
                r /= is[d];
                off += (d == axis ? v : c) * strides[d];
            }
            offs[flat] = off;
        }
        return Status::Ok();
    }
    const size_t k = size_t(is.back());
    sliceLen = 1;
    for (size_t d = k; d < ds.size(); ++d) sliceLen *= ds[d];
    const size_t tuples = k ? idx.size() / k : 0;
    offs.resize(tuples);
    for (size_t t = 0; t < tuples; ++t) {
        int64_t off = 0;
        for (size_t j = 0; j < k; ++j) {
            int64_t v = idx[t * k + j];
            if (v < -ds[j] || v >= ds[j]) return indexError(v, t * k + j, j, ds[j]);
            if (v < 0) v += ds[j];
            off += v * strides[j];
        }
        offs[t] = off;
    }
    return Status::Ok();
}

template <class S>
void combine(S* out, const S* upd, const std::vector<int64_t>& offs, int64_t len, ScatterReduction r) {
    using A = nn::AccT<S>;
    for (size_t u = 0; u < offs.size(); ++u) {
        for (int64_t i = 0; i < len; ++i) {
            const int64_t o = offs[u] + i;
            const A a = nn::loadAcc(out, o), b = nn::loadAcc(upd, int64_t(u) * len + i);
            A v;
            switch (r) {
                case ScatterReduction::kAdd:
                    v = nn::addWrap(a, b);
                    break;
                case ScatterReduction::kMul:
                    v = nn::mulWrap(a, b);
                    break;
                case ScatterReduction::kMax:
                case ScatterReduction::kMin: {
                    bool nan = false;
                    if constexpr (std::is_floating_point_v<A>) nan = std::isnan(a) || std::isnan(b);
                    const bool takeB = r == ScatterReduction::kMax ? b > a : b < a;
                    v = nan ? std::numeric_limits<A>::quiet_NaN() : (takeB ? b : a);
                    break;
                }
                default:
                    v = b;
                    break;
            }
            nn::storeAcc(out, o, v);
        }
    }
}

}  // namespace

Status scatter(KernelArgs& a) {
    KILN_RETURN_IF_ERROR(movement::inferAndCheck(a, &ir::nn::inferScatter));
    ScatterParams p;
    KILN_RETURN_IF_ERROR(ir::nn::resolveScatter(a.node, movement::descsOf(a.inputs), p));
    std::vector<int64_t> offs;
    int64_t len = 1;
    KILN_RETURN_IF_ERROR(targetOffsets(a, p, offs, len));
    HostTensor& out = a.outputs[0];
    movement::parallelCopy(out.data, a.inputs[0].data, out.bytes(), a.pool);
    const size_t es = ir::dtypeSize(out.dtype);
    if (p.reduction == ScatterReduction::kNone) {
        const auto* upd = a.inputs[2].as<uint8_t>();
        auto* dst = out.as<uint8_t>();
        for (size_t u = 0; u < offs.size(); ++u)
            std::memcpy(dst + offs[u] * int64_t(es), upd + int64_t(u) * len * int64_t(es), size_t(len) * es);
        return Status::Ok();
    }
    return visitDType(out.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        if constexpr (kIsBoolElem<S> || std::is_same_v<S, Fp8E4M3>) {
            return Status::Error("Scatter: reductions need a numeric dtype, got " +
                                 std::string(ir::dtypeName(out.dtype)));
        } else {
            combine<S>(out.as<S>(), a.inputs[2].as<const S>(), offs, len, p.reduction);
            return Status::Ok();
        }
    });
}

bool scatterSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&) {
    ScatterParams p;
    if (!ir::nn::resolveScatter(node, in, p).ok()) return false;
    return p.reduction == ScatterReduction::kNone ||
           (in[0].dtype != ir::DType::kBool && in[0].dtype != ir::DType::kFP8);
}

}  // namespace kiln::cpu::ref
