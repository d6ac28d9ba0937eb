// PLACEHOLDER: replaced by the convolution family's real schemas; delete when done.
#include "op_families.h"
namespace kiln::ir {
void registerConvolutionOps(std::vector<OpSchema>&) {}
}  // namespace kiln::ir
