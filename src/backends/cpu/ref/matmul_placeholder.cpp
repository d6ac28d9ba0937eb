// PLACEHOLDER: replaced by the matmul family's reference kernels; delete when done.
#include "ref_kernels.h"
namespace kiln::cpu::ref {
Status matmul(KernelArgs&) { return Status::Error("matmul: not implemented"); }
bool matmulSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
Status fullyConnected(KernelArgs&) { return Status::Error("fullyConnected: not implemented"); }
bool fullyConnectedSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
}  // namespace kiln::cpu::ref
