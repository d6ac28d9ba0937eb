// Shape inference at a run's input shapes that also evaluates, on the host,
// the small tensors shapes are computed from: Shape and the integer
// arithmetic, gathers, concats and slices on its result (TensorRT's shape
// tensors). Without their values, a Slice, Reshape or Expand whose extents
// come from an input's shape would have unknown extents until a run, and an
// engine with a dynamic profile could not say its output shapes beforehand.
#pragma once
#include <vector>

#include "ir/graph.h"

namespace kiln::cpu {

// The shape of every value of g at these input shapes; a value whose shape
// depends on data computed at run time keeps the shape the graph records
// (with its -1 extents).
std::vector<ir::Shape> inferWithHostValues(const ir::Graph& g, const std::vector<ir::Shape>& inputs);

}  // namespace kiln::cpu
