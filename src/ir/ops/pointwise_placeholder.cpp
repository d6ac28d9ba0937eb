// PLACEHOLDER: replaced by the pointwise family's real schemas; delete when done.
#include "op_families.h"
namespace kiln::ir {
void registerPointwiseOps(std::vector<OpSchema>&) {}
}  // namespace kiln::ir
