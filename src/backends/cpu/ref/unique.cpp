// Unique reference kernel: ir::computeUnique, then the unique items copied out.
#include <cstring>

#include "ir/ops/data_dependent.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

bool uniqueSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in.size() == 1 && !out.empty() && out[0].dtype == in[0].dtype;
}

Status unique(KernelArgs& args) {
    const HostTensor& x = args.inputs[0];
    ir::UniqueParams p;
    KILN_RETURN_IF_ERROR(ir::resolveUnique(args.node, {x.dtype, x.shape, x.data}, p));
    const ir::UniqueResult r = ir::computeUnique({x.dtype, x.shape, x.data}, p);
    const int64_t u = int64_t(r.first.size());
    HostTensor& y = args.outputs[0];
    ir::Shape want = {u};
    int64_t outer = 1, inner = 1, items = x.numel();
    if (p.hasAxis) {
        want = x.shape;
        want[size_t(p.axis)] = u;
        items = x.shape[size_t(p.axis)];
        for (int64_t d = 0; d < p.axis; ++d) outer *= x.shape[size_t(d)];
        for (size_t d = size_t(p.axis) + 1; d < x.shape.size(); ++d) inner *= x.shape[d];
    }
    if (y.shape != want) return Status::Error("unique: output 0 must be " + ir::shapeToString(want));
    const size_t es = ir::dtypeSize(x.dtype), row = size_t(inner) * es;
    const auto* src = static_cast<const uint8_t*>(x.data);
    auto* dst = static_cast<uint8_t*>(y.data);
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t k = 0; k < u; ++k)
            std::memcpy(dst + size_t(o * u + k) * row, src + size_t(o * items + r.first[size_t(k)]) * row, row);
    const std::vector<int64_t>* rest[3] = {&r.first, &r.inverse, &r.counts};
    for (size_t i = 1; i < args.outputs.size(); ++i) {
        HostTensor& t = args.outputs[i];
        const auto& v = *rest[i - 1];
        if (t.dtype != ir::DType::kI64 || t.numel() != int64_t(v.size()))
            return Status::Error("unique: output " + std::to_string(i) + " must be int64 [" + std::to_string(v.size()) +
                                 "]");
        if (!v.empty()) std::memcpy(t.data, v.data(), v.size() * 8);
    }
    return Status::Ok();
}

}  // namespace kiln::cpu::ref
