// FullyConnected's epilogue (docs/ops.md): a residual input R and an
// activation, Y = act(X·Wᵀ + B + R), which only the CUDA builder's
// cuda-fc-epilogue pass makes; tactics without it refuse such a layer.
#pragma once
#include "../graph.h"

namespace kiln::ir {

inline bool fcHasResidual(const Node& n) { return n.inputs.size() > 3 && n.inputs[3] >= 0; }
inline bool fcHasEpilogue(const Node& n) { return fcHasResidual(n) || !n.attrs.getString("activation", "").empty(); }

}  // namespace kiln::ir
