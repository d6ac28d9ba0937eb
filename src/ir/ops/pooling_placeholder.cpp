// PLACEHOLDER: replaced by the pooling family's real schemas; delete when done.
#include "op_families.h"
namespace kiln::ir {
void registerPoolingOps(std::vector<OpSchema>&) {}
}  // namespace kiln::ir
