// Einsum reference kernel: for every output element, the sum over the summed
// labels of the product of the inputs' elements (double for floats, wrapping
// int64 for integers). Plain nested loops: the ground truth, not a fast path.
#include "nn_util.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

template <class S>
void contract(KernelArgs& a, const ir::nn::EinsumPlan& plan) {
    using A = nn::AccT<S>;
    const size_t nin = a.inputs.size(), nl = plan.labelSize.size();
    // stride[i][label]: how far input i moves when the label advances by one
    // (the sum over its axes with that label; 0 for a broadcast extent 1).
    std::vector<std::vector<int64_t>> stride(nin, std::vector<int64_t>(nl, 0));
    for (size_t i = 0; i < nin; ++i) {
        const auto st = ir::stridesOf(a.inputs[i].shape);
        for (size_t ax = 0; ax < plan.inputLabels[i].size(); ++ax)
            if (a.inputs[i].shape[ax] != 1) stride[i][size_t(plan.inputLabels[i][ax])] += st[ax];
    }
    const std::vector<int>& outL = plan.outputLabels;
    const std::vector<int>& sumL = plan.sumLabels;
    int64_t sumCount = 1;
    for (int l : sumL) sumCount *= plan.labelSize[size_t(l)];
    S* out = a.outputs[0].as<S>();
    a.pool.parallelFor(
        a.outputs[0].numel(),
        [&](int64_t b, int64_t e) {
            std::vector<int64_t> base(nin), sumIdx(sumL.size()), off(nin);
            for (int64_t o = b; o < e; ++o) {
                std::fill(base.begin(), base.end(), 0);
                for (int64_t r = o, k = int64_t(outL.size()) - 1; k >= 0; --k) {
                    const int l = outL[size_t(k)];
                    const int64_t c = r % plan.labelSize[size_t(l)];
                    r /= plan.labelSize[size_t(l)];
                    for (size_t i = 0; i < nin; ++i) base[i] += c * stride[i][size_t(l)];
                }
                A acc = A(0);
                std::fill(sumIdx.begin(), sumIdx.end(), 0);
                off = base;
                for (int64_t s = 0; s < sumCount; ++s) {
                    A prod = A(1);
                    for (size_t i = 0; i < nin; ++i)
                        prod = nn::mulWrap(prod, nn::loadAcc(a.inputs[i].as<const S>(), off[i]));
                    acc = nn::addWrap(acc, prod);
                    for (int64_t k = int64_t(sumL.size()) - 1; k >= 0; --k) {  // odometer over summed labels
                        const size_t l = size_t(sumL[size_t(k)]);
                        for (size_t i = 0; i < nin; ++i) off[i] += stride[i][l];
                        if (++sumIdx[size_t(k)] < plan.labelSize[l]) break;
                        for (size_t i = 0; i < nin; ++i) off[i] -= stride[i][l] * plan.labelSize[l];
                        sumIdx[size_t(k)] = 0;
                    }
                }
                nn::storeAcc(out, o, acc);
            }
        },
        std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(sumCount, 1)));
}

}  // namespace

Status einsum(KernelArgs& a) {
    KILN_RETURN_IF_ERROR(movement::inferAndCheck(a, &ir::nn::inferEinsum));
    std::vector<ir::Shape> shapes;
    for (const auto& t : a.inputs) shapes.push_back(t.shape);
    ir::nn::EinsumPlan plan;
    KILN_RETURN_IF_ERROR(ir::nn::planEinsum(a.node.attrs.getString("equation"), shapes, plan));
    return visitDType(a.outputs[0].dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        if constexpr (kIsBoolElem<S> || std::is_same_v<S, Fp8E4M3>) {
            return Status::Error("Einsum: unsupported dtype " + std::string(ir::dtypeName(a.outputs[0].dtype)));
        } else {
            contract<S>(a, plan);
            return Status::Ok();
        }
    });
}

bool einsumSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                    const std::vector<ir::TensorDesc>& out) {
    std::vector<ir::TensorDesc> o(1);
    return ir::nn::inferEinsum(node, in, o).ok() && !out.empty() && out[0].dtype == in[0].dtype;
}

}  // namespace kiln::cpu::ref
