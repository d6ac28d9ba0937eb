// PLACEHOLDER: replaced by the convolution family's reference kernels; delete when done.
#include "ref_kernels.h"
namespace kiln::cpu::ref {
Status convolution(KernelArgs&) { return Status::Error("convolution: not implemented"); }
bool convolutionSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
Status deconvolution(KernelArgs&) { return Status::Error("deconvolution: not implemented"); }
bool deconvolutionSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) { return false; }
}  // namespace kiln::cpu::ref
