// Pad reference kernel: a Slice with start = -pads_begin and stride 1, whose
// fill value comes from the Value input when given.
#include "movement_util.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

Status pad(KernelArgs& a) {
    KILN_RETURN_IF_ERROR(movement::inferAndCheck(a, &ir::movement::inferPad));
    ir::movement::SliceParams p;
    KILN_RETURN_IF_ERROR(ir::movement::resolvePad(a.node, movement::descsOf(a.inputs), p));
    std::vector<uint8_t> fill;
    KILN_RETURN_IF_ERROR(movement::fillElement(a, 2, p.fillValue, fill));
    return movement::sampleSlice(a, p, fill.data());
}

bool padSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in[0].dtype == out[0].dtype;
}

}  // namespace kiln::cpu::ref
