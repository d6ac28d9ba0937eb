// Reshapes that move no data (a Shuffle whose transposes are identities) can
// share their input's memory: the memory planner gives both one arena slot,
// the engine loader checks a plan by the same rule, and the Shuffle kernels
// skip the copy when input and output are one buffer. Saves a full copy per
// Reshape/Flatten/Squeeze/Unsqueeze (a third of ViT's layers).
#pragma once
#include <vector>

#include "control_flow.h"
#include "graph.h"

namespace kiln::ir {

// Per value: the value whose arena slot it shares (the start of its chain of
// views), or -1. Only intermediates with static shapes outside loops, never a
// network input or output (those live in the caller's buffers).
std::vector<int> arenaViews(const Graph& g, const Schedule& sched);

}  // namespace kiln::ir
