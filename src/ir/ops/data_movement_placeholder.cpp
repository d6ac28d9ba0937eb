// PLACEHOLDER: replaced by the data_movement family's real schemas; delete when done.
#include "op_families.h"
namespace kiln::ir {
void registerDataMovementOps(std::vector<OpSchema>&) {}
}  // namespace kiln::ir
