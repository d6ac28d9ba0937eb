// Op definitions: for each op type, its arity and its shape/type inference.
// Reference kernels live in backends/cpu/ref; every op is documented in
// docs/ops.md (inputs, attributes, semantics), which is the contract between
// the network API, the parsers, the passes and the kernels.
#pragma once
#include <string_view>
#include <vector>

#include "graph.h"

namespace kiln::ir {

// What shape inference knows about one tensor. `data` is set when the values
// are known (constants at build time; every tensor on the CPU at run time), so
// ops whose output shape depends on values (Reshape by tensor, Shape, Slice by
// tensor) can infer it.
struct TensorDesc {
    DType dtype = DType::kF32;
    Shape shape;
    const void* data = nullptr;
};

// True when optional input i is given: listed, not omitted, and described.
inline bool hasInput(const Node& node, const std::vector<TensorDesc>& in, size_t i) {
    return i < in.size() && node.hasInput(i);
}

using InferFn = Status (*)(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out);

struct OpSchema {
    std::string_view op;
    int minInputs;
    int maxInputs;  // -1: unbounded (Concat)
    int minOutputs;
    int maxOutputs;
    InferFn infer;
};

// What shape inference knows about a node's inputs / outputs from the graph:
// each value's dtype, build-time shape and constant data (absent inputs are
// empty descriptors; outputs carry no data).
std::vector<TensorDesc> describeInputs(const Graph& g, const Node& n);
std::vector<TensorDesc> describeOutputs(const Graph& g, const Node& n);

// nullptr if the op type is unknown.
const OpSchema* findOpSchema(std::string_view op);
const std::vector<OpSchema>& allOpSchemas();

// Runs the schema's checks and inference; errors name the node and op.
Status inferNode(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out);

// Infers every node of the graph in order, updating value dtypes and shapes.
Status inferGraph(Graph& g);

}  // namespace kiln::ir
