// Shape inference at a run's input shapes that also evaluates, on the host,
// the small tensors shapes are computed from: Shape and the integer
// arithmetic, gathers, concats and slices on its result (TensorRT's shape
// tensors). Without their values, a Slice, Reshape or Expand whose extents
// come from an input's shape would have unknown extents until a run, and an
// engine with a dynamic profile could not say its output shapes beforehand.
#pragma once
#include <cstdint>
#include <vector>

#include "ir/graph.h"
#include "ir/op_schema.h"

namespace kiln::cpu {

struct Tactic;
class ThreadPool;

// Runs node n's reference kernel `ref` on host tensors: `in` with their data
// (where the kernel reads values), into fresh buffers, one per output at
// out's shapes. False where the kernel cannot be made or fails.
bool runReference(const ir::Node& n, const Tactic& ref, const std::vector<ir::TensorDesc>& in,
                  const std::vector<ir::TensorDesc>& out, ThreadPool& pool, std::vector<std::vector<uint8_t>>& bytes);

// Every value of g at these input shapes: its shape (a value whose shape
// depends on data computed at run time keeps the shape the graph records,
// with its -1 extents) and, for constants and the small tensors evaluated
// here, its values (data[v], nullptr where unknown; constants point into g).
struct HostValues {
    std::vector<ir::Shape> shapes;
    std::vector<const void*> data;
    std::vector<std::vector<uint8_t>> computed;  // what data points into, for evaluated values
};
HostValues evaluateHostValues(const ir::Graph& g, const std::vector<ir::Shape>& inputs);

// evaluateHostValues(g, inputs).shapes.
std::vector<ir::Shape> inferWithHostValues(const ir::Graph& g, const std::vector<ir::Shape>& inputs);

}  // namespace kiln::cpu
