// Reference MaxUnpool (docs/ops.md): zeros, then Y.flat[Indices[i]] = X[i].
#include <cstring>
#include <string>

#include "ref_kernels.h"

namespace kiln::cpu::ref {

Status maxUnpool(KernelArgs& args) {
    const HostTensor &x = args.inputs[0], &idx = args.inputs[1];
    HostTensor& y = args.outputs[0];
    const size_t es = ir::dtypeSize(y.dtype);
    std::memset(y.data, 0, y.bytes());
    const int64_t total = y.numel();
    const auto* in = static_cast<const uint8_t*>(x.data);
    auto* out = static_cast<uint8_t*>(y.data);
    const auto* ind = idx.as<const int64_t>();
    for (int64_t i = 0; i < x.numel(); ++i) {
        if (ind[i] < 0 || ind[i] >= total)
            return Status::Error("MaxUnpool: index " + std::to_string(ind[i]) + " at position " + std::to_string(i) +
                                 " is outside the output of " + std::to_string(total) + " elements");
        std::memcpy(out + size_t(ind[i]) * es, in + size_t(i) * es, es);
    }
    return Status::Ok();
}

bool maxUnpoolSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in.size() >= 2 && out.size() == 1 && out[0].dtype == in[0].dtype;
}

}  // namespace kiln::cpu::ref
