// OneHot reference kernel: out[o, j, i] = j == index[o, i] ? on : off, with
// negative indices counted from the end and out-of-range ones all off.
#include "nn_util.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

Status onehot(KernelArgs& a) {
    KILN_RETURN_IF_ERROR(movement::inferAndCheck(a, &ir::nn::inferOneHot));
    ir::nn::OneHotParams p;
    KILN_RETURN_IF_ERROR(ir::nn::resolveOneHot(a.node, movement::descsOf(a.inputs), p));
    const HostTensor& idx = a.inputs[0];
    const HostTensor& values = a.inputs[1];
    HostTensor& out = a.outputs[0];
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < p.axis; ++d) outer *= idx.shape[size_t(d)];
    for (size_t d = size_t(p.axis); d < idx.shape.size(); ++d) inner *= idx.shape[d];
    const int64_t depth = p.depth;
    // Non-integer indices are truncated, as ONNX casts them to int64.
    std::vector<int64_t> hot(size_t(idx.numel()));
    for (size_t i = 0; i < hot.size(); ++i) {
        const double v = ir::loadAsDouble(idx.data, idx.dtype, int64_t(i));
        int64_t k = std::isfinite(v) && std::fabs(v) < 9.2e18 ? int64_t(v) : -depth - 1;
        if (k < 0) k += depth;
        hot[i] = k;  // outside [0, depth) matches no position
    }
    const size_t es = ir::dtypeSize(out.dtype);
    const auto* off = values.as<uint8_t>();
    const auto* on = off + es;
    auto* dst = out.as<uint8_t>();
    a.pool.parallelFor(
        outer * depth,
        [&](int64_t b, int64_t e) {
            for (int64_t r = b; r < e; ++r) {
                const int64_t o = r / depth, j = r % depth;
                for (int64_t i = 0; i < inner; ++i)
                    std::memcpy(dst + (r * inner + i) * int64_t(es), hot[size_t(o * inner + i)] == j ? on : off, es);
            }
        },
        std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(inner, 1)));
    return Status::Ok();
}

bool onehotSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&) {
    return in.size() == 3 && in[0].dtype != ir::DType::kBool && in[2].dtype != ir::DType::kBool && node.op == "OneHot";
}

}  // namespace kiln::cpu::ref
