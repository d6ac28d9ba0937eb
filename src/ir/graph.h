// The IR: a graph of values (tensors) and nodes (ops) in topological order.
// Weights and other constants are values that carry immutable shared data;
// there is no Constant node. Shapes are the build-time shapes (the maximum of
// the profile for dynamic inputs); kernels see concrete shapes at run time.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "attrs.h"
#include "dtype.h"
#include "shape.h"
#include "status.h"

namespace kiln::ir {

using Bytes = std::vector<uint8_t>;
using ConstData = std::shared_ptr<const Bytes>;

struct Value {
    std::string name;
    DType dtype = DType::kF32;
    Shape shape;
    ConstData data;     // non-null for constants
    int producer = -1;  // index of the producing node, -1 for inputs and constants
    bool hasRange = false;  // INT8 dynamic range set by the user or calibration
    float rangeMin = 0.f, rangeMax = 0.f;

    bool isConstant() const { return data != nullptr; }
};

struct Node {
    std::string op;    // op type, e.g. "Convolution"; see docs/ops.md
    std::string name;  // unique layer name
    std::vector<int> inputs;   // value ids; -1 marks an omitted optional input
    std::vector<int> outputs;  // value ids
    Attrs attrs;
    int precision = -1;  // DType the user pinned for the computation, -1 if free
    std::string tactic;  // chosen by the builder
    bool dead = false;   // set by passes; removed by Graph::compact()

    // True when input i is listed and not an omitted optional input.
    bool hasInput(size_t i) const { return i < inputs.size() && inputs[i] >= 0; }
};

class Graph {
public:
    std::vector<Value> values;
    std::vector<Node> nodes;
    std::vector<int> inputs;   // value ids of the network inputs, in binding order
    std::vector<int> outputs;  // value ids of the marked outputs, in binding order

    int addValue(std::string name, DType dtype, Shape shape);
    int addConstant(std::string name, DType dtype, Shape shape, ConstData data);
    // Adds a node whose outputs are fresh values named "<name>_out<i>" (or
    // the given names); returns the node index.
    int addNode(std::string op, std::string name, std::vector<int> inputs, int numOutputs,
                std::vector<std::string> outputNames = {});

    // consumers()[v] lists the indices of the live nodes reading value v.
    std::vector<std::vector<int>> consumers() const;
    bool isGraphOutput(int v) const;
    // Replaces every use of value `from` (node inputs and graph outputs) by `to`.
    void replaceAllUses(int from, int to);
    // Orders nodes topologically and refreshes Value::producer; fails on a cycle
    // or on a value read before anything produces it.
    Status topoSort();
    // Drops dead nodes and values nothing references; renumbers ids.
    void compact();
    // Checks ids, producers and that every consumed value is defined.
    Status validate() const;
    int findValue(const std::string& name) const;  // -1 if absent
    std::string uniqueName(const std::string& base) const;
};

// Kahn's algorithm taking the lowest ready index first, so the order is
// deterministic and keeps insertion order wherever dependencies allow.
// `succ[i]` lists the items that depend on i; `indeg[i]` counts i's
// dependencies (consumed). The result is shorter than `succ` on a cycle, and
// the items left with indeg > 0 lie on or behind it.
std::vector<int> stableTopologicalOrder(const std::vector<std::vector<int>>& succ, std::vector<int>& indeg);

// Reads a constant value as doubles (for folding and small shape tensors).
std::vector<double> constantAsDoubles(const Value& v);
std::vector<int64_t> constantAsInts(const Value& v);

}  // namespace kiln::ir
