// PLACEHOLDER: replaced by the reduction family's real schemas; delete when done.
#include "op_families.h"
namespace kiln::ir {
void registerReductionOps(std::vector<OpSchema>&) {}
}  // namespace kiln::ir
