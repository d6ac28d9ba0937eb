// Fill reference kernel: y[i_0, ..., i_k] = alpha + sum_d beta[d] * i_d
// (linspace), or seeded random values. Integer outputs are computed in int64 (wrapping), so ONNX Range
// over int64 is exact; floats in double, rounded once to the output type.
#include <cmath>
#include <random>

#include "broadcast.h"
#include "ir/ops/fill.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

template <class S>
void fillLinspace(const ir::FillParams& p, HostTensor& y, ThreadPool& pool) {
    const ir::Shape& s = y.shape;
    const size_t rank = s.size();
    S* out = y.as<S>();
    pool.parallelFor(
        y.numel(),
        [&](int64_t b, int64_t e) {
            std::vector<int64_t> idx(rank, 0);
            int64_t rem = b;  // multi-index of element b
            for (size_t d = rank; d-- > 0;) {
                idx[d] = s[d] ? rem % s[d] : 0;
                rem = s[d] ? rem / s[d] : 0;
            }
            for (int64_t i = b; i < e; ++i) {
                if constexpr (kIsIntElem<S>) {
                    uint64_t v = uint64_t(p.alphaInt);
                    for (size_t d = 0; d < rank; ++d) v += uint64_t(p.betaInt[d]) * uint64_t(idx[d]);
                    out[i] = S(v);
                } else {
                    double v = p.alpha;
                    for (size_t d = 0; d < rank; ++d) v += p.beta[d] * double(idx[d]);
                    if constexpr (kIsBoolElem<S>)
                        out[i] = Elem<S>::store(v != 0.0);
                    else
                        out[i] = Elem<S>::store(ComputeT<S>(v));
                }
                for (size_t d = rank; d-- > 0;) {  // odometer increment
                    if (++idx[d] < s[d]) break;
                    idx[d] = 0;
                }
            }
        },
        kParallelGrain);
}

// Random fills draw sequentially from one seeded generator, so a given seed
// always gives the same tensor (run on one thread for that reason).
template <class S>
void fillRandom(const ir::FillParams& p, HostTensor& y) {
    std::mt19937_64 rng(p.seed);
    const double lo = p.alpha, hi = p.betaFirst;
    std::uniform_real_distribution<double> uniform(lo, hi);
    std::normal_distribution<double> normal(lo, hi);
    S* out = y.as<S>();
    for (int64_t i = 0; i < y.numel(); ++i) {
        const double v = p.op == ir::FillParams::kRandomUniform ? uniform(rng) : normal(rng);
        if constexpr (kIsIntElem<S>)
            out[i] = S(std::floor(v));
        else if constexpr (kIsBoolElem<S>)
            out[i] = Elem<S>::store(v != 0.0);
        else
            out[i] = Elem<S>::store(ComputeT<S>(v));
    }
}

}  // namespace

bool fillSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return out.size() == 1;
}

Status fill(KernelArgs& args) {
    ir::FillParams p;
    std::vector<ir::TensorDesc> in;
    for (const HostTensor& t : args.inputs) in.push_back({t.dtype, t.shape, t.data});
    KILN_RETURN_IF_ERROR(ir::resolveFill(args.node, in, p));
    HostTensor& y = args.outputs[0];
    if (y.dtype != p.dtype || y.shape != p.shape)
        return Status::Error("fill: output must be " + std::string(ir::dtypeName(p.dtype)) +
                             ir::shapeToString(p.shape));
    return visitDType(y.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        if (p.op == ir::FillParams::kLinspace)
            fillLinspace<S>(p, y, args.pool);
        else
            fillRandom<S>(p, y);
        return Status::Ok();
    });
}

}  // namespace kiln::cpu::ref
