// Cumulative reference kernel: a running sum or product along the axis,
// accumulated in double (floats) or int64 (integers, wrapping).
#include "nn_util.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

template <class S>
void scan(const S* x, S* y, int64_t outer, int64_t n, int64_t inner, const ir::nn::CumulativeParams& p,
          ThreadPool& pool) {
    using A = nn::AccT<S>;
    pool.parallelFor(
        outer * inner,
        [&](int64_t b, int64_t e) {
            for (int64_t line = b; line < e; ++line) {
                const int64_t base = (line / inner) * n * inner + line % inner;
                A acc = p.product ? A(1) : A(0);
                for (int64_t s = 0; s < n; ++s) {
                    const int64_t j = p.reverse ? n - 1 - s : s;
                    const int64_t at = base + j * inner;
                    const A v = nn::loadAcc(x, at);
                    if (!p.exclusive) acc = p.product ? nn::mulWrap(acc, v) : nn::addWrap(acc, v);
                    nn::storeAcc(y, at, acc);
                    if (p.exclusive) acc = p.product ? nn::mulWrap(acc, v) : nn::addWrap(acc, v);
                }
            }
        },
        std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n, 1)));
}

}  // namespace

Status cumulative(KernelArgs& a) {
    KILN_RETURN_IF_ERROR(movement::inferAndCheck(a, &ir::nn::inferCumulative));
    ir::nn::CumulativeParams p;
    const auto descs = movement::descsOf(a.inputs);
    KILN_RETURN_IF_ERROR(ir::nn::resolveCumulative(a.node, descs, p));
    const HostTensor& x = a.inputs[0];
    int64_t axis = 0;
    KILN_RETURN_IF_ERROR(ir::nn::readAxisInput(descs[1], int64_t(x.shape.size()), axis));
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= x.shape[size_t(d)];
    for (size_t d = size_t(axis) + 1; d < x.shape.size(); ++d) inner *= x.shape[d];
    const int64_t n = x.shape[size_t(axis)];
    if (x.numel() == 0) return Status::Ok();
    return visitDType(x.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        if constexpr (kIsBoolElem<S> || std::is_same_v<S, Fp8E4M3>) {
            return Status::Error("Cumulative: unsupported dtype " + std::string(ir::dtypeName(x.dtype)));
        } else {
            scan<S>(x.as<const S>(), a.outputs[0].as<S>(), outer, n, inner, p, a.pool);
            return Status::Ok();
        }
    });
}

bool cumulativeSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                        const std::vector<ir::TensorDesc>&) {
    ir::nn::CumulativeParams p;
    return ir::nn::resolveCumulative(node, in, p).ok() &&
           (in[1].dtype == ir::DType::kI32 || in[1].dtype == ir::DType::kI64);
}

}  // namespace kiln::cpu::ref
