// Shape (ONNX Shape-15 with start/end) and Identity reference kernels.
#include "movement_util.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

Status shape(KernelArgs& a) {
    KILN_RETURN_IF_ERROR(movement::inferAndCheck(a, &ir::movement::inferShape));
    const ir::Shape& xs = a.inputs[0].shape;
    int64_t start, end;
    ir::movement::shapeRange(a.node, int64_t(xs.size()), start, end);
    for (int64_t d = start; d < end; ++d) a.outputs[0].as<int64_t>()[d - start] = xs[size_t(d)];
    return Status::Ok();
}

bool shapeSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>& out) {
    return out[0].dtype == ir::DType::kI64;
}

Status identity(KernelArgs& a) {
    KILN_RETURN_IF_ERROR(movement::inferAndCheck(a, &ir::movement::inferIdentity));
    movement::parallelCopy(a.outputs[0].data, a.inputs[0].data, a.inputs[0].bytes(), a.pool);
    return Status::Ok();
}

bool identitySupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in[0].dtype == out[0].dtype;
}

}  // namespace kiln::cpu::ref
