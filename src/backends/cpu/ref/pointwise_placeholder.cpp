// PLACEHOLDER: replaced by the pointwise family's reference kernels; delete when done.
#include "ref_kernels.h"
namespace kiln::cpu::ref {
Status elementwise(KernelArgs&) { return Status::Error("elementwise: not implemented"); }
bool elementwiseSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
Status unary(KernelArgs&) { return Status::Error("unary: not implemented"); }
bool unarySupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
Status activation(KernelArgs&) { return Status::Error("activation: not implemented"); }
bool activationSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
Status prelu(KernelArgs&) { return Status::Error("prelu: not implemented"); }
bool preluSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
Status select(KernelArgs&) { return Status::Error("select: not implemented"); }
bool selectSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
Status cast(KernelArgs&) { return Status::Error("cast: not implemented"); }
bool castSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
Status scale(KernelArgs&) { return Status::Error("scale: not implemented"); }
bool scaleSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
}  // namespace kiln::cpu::ref
