// Pad reference kernel: a Slice with start = -pads_begin and stride 1, whose
// fill value comes from the Value input when given.
#include "movement_util.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

Status pad(KernelArgs& a) {
    KILN_RETURN_IF_ERROR(movement::inferAndCheck(a, &ir::movement::inferPad));
    ir::movement::SliceParams p;
    KILN_RETURN_IF_ERROR(ir::movement::resolvePad(a.node, movement::descsOf(a.inputs), p));
    const ir::DType dt = a.inputs[0].dtype;
    auto fill = movement::elementBytes(dt, p.fillValue);
    if (a.inputs.size() > 2 && a.node.inputs.size() > 2 && a.node.inputs[2] >= 0) {
        const HostTensor& v = a.inputs[2];
        if (v.numel() != 1 || !v.data)
            return Status::Error("input 2 (Value) must hold one element, got shape " + ir::shapeToString(v.shape));
        // Same dtype: copy the bits (exact for int64); otherwise convert.
        if (v.dtype == dt) std::memcpy(fill.data(), v.data, ir::dtypeSize(dt));
        else fill = movement::elementBytes(dt, ir::loadAsDouble(v.data, v.dtype, 0));
    }
    return movement::sampleSlice(a, p, fill.data());
}

bool padSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in[0].dtype == out[0].dtype;
}

}  // namespace kiln::cpu::ref
