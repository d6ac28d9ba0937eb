// PLACEHOLDER: replaced by the data_movement family's reference kernels; delete when done.
#include "ref_kernels.h"
namespace kiln::cpu::ref {
Status concat(KernelArgs&) { return Status::Error("concat: not implemented"); }
bool concatSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
Status shuffle(KernelArgs&) { return Status::Error("shuffle: not implemented"); }
bool shuffleSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
Status gather(KernelArgs&) { return Status::Error("gather: not implemented"); }
bool gatherSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
Status slice(KernelArgs&) { return Status::Error("slice: not implemented"); }
bool sliceSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
Status pad(KernelArgs&) { return Status::Error("pad: not implemented"); }
bool padSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
Status resize(KernelArgs&) { return Status::Error("resize: not implemented"); }
bool resizeSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
Status shape(KernelArgs&) { return Status::Error("shape: not implemented"); }
bool shapeSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
Status identity(KernelArgs&) { return Status::Error("identity: not implemented"); }
bool identitySupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
}  // namespace kiln::cpu::ref
