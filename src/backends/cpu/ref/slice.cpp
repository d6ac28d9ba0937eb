// Slice reference kernel: per dim, the source coordinate of every output
// index (start + i*stride mapped by the SampleMode), then one indexed copy.
#include "movement_util.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace movement {

Status sampleSlice(KernelArgs& a, const ir::movement::SliceParams& p, const void* fillElem) {
    const HostTensor& x = a.inputs[0];
    HostTensor& y = a.outputs[0];
    const auto strides = ir::stridesOf(x.shape);
    std::vector<std::vector<int64_t>> offs(x.shape.size());
    for (size_t d = 0; d < x.shape.size(); ++d) {
        offs[d].resize(size_t(std::max<int64_t>(y.shape[d], 0)));
        for (int64_t i = 0; i < y.shape[d]; ++i) {
            // Overflow of start + i*stride was ruled out by resolveSlice.
            const int64_t c = ir::movement::sampleCoord(p.start[d] + i * p.stride[d], x.shape[d], p.mode);
            if (c < 0 && p.mode == ir::movement::SampleMode::kStrict)
                return Status::Error("strict mode: dim " + std::to_string(d) + " reads out of bounds");
            offs[d][i] = c < 0 ? -1 : c * strides[d];
        }
    }
    indexedCopy(x.data, y.data, ir::dtypeSize(x.dtype), y.shape, offs, fillElem, a.pool);
    return Status::Ok();
}

}  // namespace movement

Status slice(KernelArgs& a) {
    KILN_RETURN_IF_ERROR(movement::inferAndCheck(a, &ir::movement::inferSlice));
    ir::movement::SliceParams p;
    KILN_RETURN_IF_ERROR(ir::movement::resolveSlice(a.node, movement::descsOf(a.inputs), p));
    std::vector<uint8_t> fill;
    KILN_RETURN_IF_ERROR(movement::fillElement(a, 4, p.fillValue, fill));
    return movement::sampleSlice(a, p, fill.data());
}

bool sliceSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in[0].dtype == out[0].dtype;
}

}  // namespace kiln::cpu::ref
