// PLACEHOLDER: replaced by the pooling family's reference kernels; delete when done.
#include "ref_kernels.h"
namespace kiln::cpu::ref {
Status pooling(KernelArgs&) { return Status::Error("pooling: not implemented"); }
bool poolingSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
Status lrn(KernelArgs&) { return Status::Error("lrn: not implemented"); }
bool lrnSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
}  // namespace kiln::cpu::ref
