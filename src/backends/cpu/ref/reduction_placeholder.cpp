// PLACEHOLDER: replaced by the reduction family's reference kernels; delete when done.
#include "ref_kernels.h"
namespace kiln::cpu::ref {
Status softmax(KernelArgs&) { return Status::Error("softmax: not implemented"); }
bool softmaxSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
Status reduce(KernelArgs&) { return Status::Error("reduce: not implemented"); }
bool reduceSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
Status normalization(KernelArgs&) { return Status::Error("normalization: not implemented"); }
bool normalizationSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
Status topk(KernelArgs&) { return Status::Error("topk: not implemented"); }
bool topkSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
}  // namespace kiln::cpu::ref
