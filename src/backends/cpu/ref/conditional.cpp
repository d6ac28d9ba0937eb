// Reference kernels of a conditional's boundary: IfCondition and IfInput pass
// their input through; IfOutput copies the input of the branch that ran (the
// executor ran only that one; see src/ir/control_flow.h).
#include <cstring>

#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

Status copyThrough(const HostTensor& x, HostTensor& y) {
    if (x.dtype != y.dtype || x.shape != y.shape)
        return Status::Error("output " + ir::shapeToString(y.shape) + " differs from input " +
                             ir::shapeToString(x.shape));
    if (x.bytes() && x.data != y.data) std::memcpy(y.data, x.data, x.bytes());
    return Status::Ok();
}

}  // namespace

bool ifPassSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in.size() == 1 && out.size() == 1;
}

Status ifPass(KernelArgs& args) { return copyThrough(args.inputs[0], args.outputs[0]); }

bool ifOutputSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in.size() == 3 && out.size() == 1 && in[0].dtype == ir::DType::kBool;
}

Status ifOutput(KernelArgs& args) {
    const bool c = *args.inputs[0].as<const uint8_t>() != 0;
    return copyThrough(args.inputs[c ? 1 : 2], args.outputs[0]);
}

}  // namespace kiln::cpu::ref
