// Reshapes that move no data (a Shuffle whose transposes are identities) can
// share their input's memory: the memory planner gives both one arena slot,
// the engine loader checks a plan by the same rule, and the Shuffle kernels
// skip the copy when input and output are one buffer. Saves a full copy per
// Reshape/Flatten/Squeeze/Unsqueeze (a third of ViT's layers). A Gather that
// picks one slice along the first axis (ViT's split of Q, K and V) can be a
// view at an offset in its input's slot.
#pragma once
#include <vector>

#include "control_flow.h"
#include "graph.h"
#include "op_schema.h"

namespace kiln::ir {

// A value's place inside another's arena slot: `offset` bytes in.
struct ArenaView {
    int source = -1;  // -1: not a view
    int64_t offset = 0;
};

// Per value: the value whose arena slot it shares (the start of its chain of
// views) and where in it. Only intermediates with static shapes outside
// loops, never a network input or output (those live in the caller's
// buffers). With fixedShapes (every profile fixes every extent), a Gather of
// one constant index along axis 0 is a view too, at its slice's offset when
// that is a multiple of 64 bytes; where shapes vary, the slice would move
// with them.
std::vector<ArenaView> arenaViews(const Graph& g, const Schedule& sched, bool fixedShapes);

// Where a Gather's output is one contiguous slice of its data (default mode,
// axis 0, one index known on the host, data of static shape): that slice's
// byte offset; else -1. The Gather kernels skip the copy when the output
// already lies there (a view).
int64_t gatherSliceOffset(const Node& n, const std::vector<TensorDesc>& in);

}  // namespace kiln::ir
