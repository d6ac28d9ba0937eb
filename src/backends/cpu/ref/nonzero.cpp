// NonZero reference kernel: coordinates of non-zero elements, row-major order.
#include <cstring>

#include "ref_kernels.h"

namespace kiln::cpu::ref {

bool nonzeroSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in.size() == 1 && out.size() == 1 && out[0].dtype == ir::DType::kI64;
}

Status nonzero(KernelArgs& args) {
    const HostTensor& x = args.inputs[0];
    HostTensor& y = args.outputs[0];
    const ir::Shape shape = x.shape.empty() ? ir::Shape{1} : x.shape;
    const int64_t n = x.numel(), rank = int64_t(shape.size());
    std::vector<int64_t> hits;
    for (int64_t i = 0; i < n; ++i)
        if (ir::loadAsDouble(x.data, x.dtype, i) != 0.0) hits.push_back(i);
    if (y.shape != ir::Shape{rank, int64_t(hits.size())})
        return Status::Error("nonzero: output must be [" + std::to_string(rank) + ", " + std::to_string(hits.size()) +
                             "], got " + ir::shapeToString(y.shape));
    const auto strides = ir::stridesOf(shape);
    int64_t* out = y.as<int64_t>();
    const int64_t count = int64_t(hits.size());
    for (int64_t k = 0; k < count; ++k)
        for (int64_t d = 0; d < rank; ++d) out[d * count + k] = hits[size_t(k)] / strides[size_t(d)] % shape[size_t(d)];
    return Status::Ok();
}

}  // namespace kiln::cpu::ref
