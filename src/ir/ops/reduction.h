// Parameter resolution of the reduction family shared by shape inference and
// the CPU reference kernels, so both read attributes and value-carrying
// inputs the same way.
#pragma once
#include <vector>

#include "../op_schema.h"

namespace kiln::ir {

// Which axes Reduce reduces: input 1 (Axes, int32/int64 1-D) when given, else
// the `axes` attribute. Empty axes mean every axis, or none with
// `noop_with_empty_axes` = 1. Axes are normalized; out-of-range and repeated
// axes are errors. `known` is false when the Axes input's values are not known
// yet (build time); `mask` is then empty and `count` holds how many axes the
// input lists.
struct ReduceAxes {
    bool known = true;
    std::vector<bool> mask;  // one entry per input dim
    int64_t count = 0;       // number of reduced axes
};
Status resolveReduceAxes(const Node& node, const std::vector<TensorDesc>& in, ReduceAxes& out);

}  // namespace kiln::ir
