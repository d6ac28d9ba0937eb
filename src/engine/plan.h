// What an engine holds: one compiled Plan per optimization profile, each with
// the optimized graph and its chosen tactics (timed at that profile's opt
// shapes), the I/O bindings, the profile's shape ranges and the memory plan
// (sized for its max shapes). Plans of one engine share their constant
// buffers where the builder left them untouched. The engine file format
// (format.h) serializes exactly this.
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

// Whether every profile fixes every input extent (min == max): only then do
// tensors keep the shapes the plan records in every run.
inline bool fixedShapes(const std::vector<Profile>& profiles) {
    for (const Profile& p : profiles)
        if (p.min != p.max) return false;
    return true;
}

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
    // Exactly one: the profile this plan was compiled for (an engine with
    // several profiles is several plans, see Engine below).
    std::vector<Profile> profiles;
    MemoryPlan memory;
    std::map<std::string, std::string> buildInfo;  // flags the engine was built with, for inspect
};

// A whole engine: plans[k] is optimization profile k. Every plan has the same
// backend, producer, device, build info, batch mode and I/O tensors (names,
// dtypes, ranks); validatePlans (format.h) checks it.
using Plans = std::vector<Plan>;

}  // namespace kiln::engine
