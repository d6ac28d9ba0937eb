// What an engine holds: the optimized graph with its chosen tactics, the
// I/O bindings, the optimization profiles and the memory plan. The engine
// file format (format.h) serializes exactly this.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "../ir/graph.h"

namespace kiln::engine {

enum class Backend : uint32_t { kCPU = 0, kCUDA = 1 };
const char* backendName(Backend b);

// Per-input shape ranges (dynamic shapes). An engine with static shapes has one
// profile whose min = opt = max.
struct Profile {
    std::vector<ir::Shape> min, opt, max;  // indexed like Graph::inputs
};

struct MemoryPlan {
    // Arena offset of each value (indexed like Graph::values); -1 for values
    // not in the arena (network I/O, constants).
    std::vector<int64_t> offsets;
    uint64_t arenaBytes = 0;      // activations, sized for the max shapes
    uint64_t workspaceBytes = 0;  // scratch shared by all kernels (max over nodes)
};

struct Plan {
    Backend backend = Backend::kCPU;
    std::string deviceFingerprint;  // e.g. CPU ISA flags or GPU name + SM
    std::string producer;           // "kiln 0.1.0"
    ir::Graph graph;                // node.tactic set; value shapes at max profile
    bool implicitBatch = false;     // built from a classic createNetwork() network
    int32_t maxBatchSize = 1;
    std::vector<Profile> profiles;
    MemoryPlan memory;
    std::map<std::string, std::string> buildInfo;  // flags the engine was built with, for inspect
};

}  // namespace kiln::engine
