// Loops and conditionals in a flat graph (TensorRT's ILoop / IIfConditional).
//
// A loop is identified by the `loop` attribute of its boundary nodes:
//   LoopRecurrence [init, next] -> current state   (input 1 is a back edge)
//   LoopIterator   [x]          -> x's slice for this iteration
//   LoopTripLimit  [limit]                          (count, or a while condition)
//   LoopOutput     [v, length?] -> v's last value, or its values stacked
// Its body is every node that depends on its recurrences or iterators, up to
// its boundary nodes. A conditional is identified by the `cond` attribute of
//   IfCondition [c] -> c,  IfInput [x] -> x,  IfOutput [c, t, f] -> t or f
// and its two branches are the nodes the IfOutputs' t (f) inputs depend on,
// back to its IfInputs, constants and network inputs.
//
// buildSchedule() derives both from the graph alone (so passes need not keep
// any bookkeeping), checks that no value escapes its region except through
// the boundary nodes, and orders the work: top-level nodes and regions in a
// topological order, each region's nodes contiguous. The builder plans memory
// over that order and the executor follows it.
#pragma once
#include <string_view>
#include <vector>

#include "graph.h"

namespace kiln::ir {

bool isLoopBoundaryOp(std::string_view op);  // LoopRecurrence, LoopIterator, LoopTripLimit, LoopOutput
bool isIfBoundaryOp(std::string_view op);    // IfCondition, IfInput, IfOutput
bool hasControlFlow(const Graph& g);
// Inputs that are read after they are produced (a recurrence's next value):
// not ordering dependencies.
bool isBackEdge(const Node& n, size_t input);

struct ScheduleItem {
    enum class Kind { kNode, kLoop, kIf };
    Kind kind = Kind::kNode;
    int node = -1;                    // kNode
    int64_t id = 0;                   // loop / conditional id
    std::vector<ScheduleItem> body;   // kLoop: one iteration, in order; kIf: the true branch
    std::vector<ScheduleItem> other;  // kIf: the false branch
    std::vector<int> loopOutputs;     // kLoop: LoopOutput nodes (run at the end of each iteration)
    int condition = -1;               // kIf: the condition value
};

struct Schedule {
    std::vector<ScheduleItem> items;
    std::vector<int> order;     // every node once, flattened in execution order
    std::vector<int> position;  // node index -> position in `order`
    // node index -> last position of the outermost loop the node is in (-1: none)
    std::vector<int> loopEnd;
    // node index -> true for nodes in a loop body or on a loop's boundary
    std::vector<char> inLoop;
};

Status buildSchedule(const Graph& g, Schedule& out);

}  // namespace kiln::ir
