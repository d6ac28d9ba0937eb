// Reference MaxUnpool (docs/ops.md): zeros, then X[i] goes to the position that
// Indices[i] names in the default output shape.
#include <cstring>
#include <string>

#include "ref_kernels.h"

namespace kiln::cpu::ref {

Status maxUnpool(KernelArgs& args) {
    const HostTensor &x = args.inputs[0], &idx = args.inputs[1];
    HostTensor& y = args.outputs[0];
    const ir::Attrs& a = args.node.attrs;
    const size_t rank = x.shape.size(), k = rank - 2;
    const auto kernel = a.getInts("kernel");
    const auto strides = a.getInts("strides", std::vector<int64_t>(k, 1));
    const auto pb = a.getInts("pads_begin", std::vector<int64_t>(k, 0));
    const auto pe = a.getInts("pads_end", std::vector<int64_t>(k, 0));
    // Indices address the default (inferred) shape; a larger output shape
    // holds that block in its leading corner, zeros elsewhere.
    ir::Shape inferred = {x.shape[0], x.shape[1]};
    for (size_t i = 0; i < k; ++i) inferred.push_back((x.shape[2 + i] - 1) * strides[i] + kernel[i] - pb[i] - pe[i]);
    for (size_t d = 0; d < rank; ++d)
        if (inferred[d] > y.shape[d])
            return Status::Error("MaxUnpool: output shape " + ir::shapeToString(y.shape) + " is smaller than " +
                                 ir::shapeToString(inferred));
    const size_t es = ir::dtypeSize(y.dtype);
    std::memset(y.data, 0, y.bytes());
    const int64_t total = ir::volume(inferred);
    const auto* in = static_cast<const uint8_t*>(x.data);
    auto* out = static_cast<uint8_t*>(y.data);
    const auto* ind = idx.as<const int64_t>();
    for (int64_t i = 0; i < x.numel(); ++i) {
        if (ind[i] < 0 || ind[i] >= total)
            return Status::Error("MaxUnpool: index " + std::to_string(ind[i]) + " at position " + std::to_string(i) +
                                 " is outside the " + std::to_string(total) + " elements of " +
                                 ir::shapeToString(inferred));
        int64_t at = 0;
        for (size_t d = 0, rem = size_t(ind[i]); d < rank; ++d) {
            int64_t below = 1;
            for (size_t e = d + 1; e < rank; ++e) below *= inferred[e];
            at = at * y.shape[d] + int64_t(rem) / below;
            rem %= size_t(below);
        }
        std::memcpy(out + size_t(at) * es, in + size_t(i) * es, es);
    }
    return Status::Ok();
}

bool maxUnpoolSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in.size() >= 2 && out.size() == 1 && out[0].dtype == in[0].dtype;
}

}  // namespace kiln::cpu::ref
