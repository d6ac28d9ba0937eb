// PLACEHOLDER: replaced by the matmul family's real schemas; delete when done.
#include "op_families.h"
namespace kiln::ir {
void registerMatMulOps(std::vector<OpSchema>&) {}
}  // namespace kiln::ir
