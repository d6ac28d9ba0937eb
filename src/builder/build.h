// The builder: network graph -> optimized, tuned, memory-planned engine plan.
#pragma once
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "engine/plan.h"

namespace kiln::builder {

class TimingCacheData;

// Severity numbers follow kiln::ILogger::Severity.
using LogFn = std::function<void(int severity, const std::string& msg)>;
constexpr int kLogError = 1, kLogWarning = 2, kLogInfo = 3, kLogVerbose = 4;

struct BuildOptions {
    engine::Backend backend = engine::Backend::kCPU;
    bool implicitBatch = false;
    int32_t maxBatchSize = 1;
    bool fp16 = false, bf16 = false, int8 = false, fp8 = false, tf32 = false;
    bool obeyPrecision = false;
    bool refit = false;
    size_t workspaceLimit = size_t(1) << 30;
    int optimizationLevel = 3;  // 0: no timing, take the first supported tactic
    int timingIterations = 4;
    std::set<std::string> disabledPasses;
    // Optimization profiles: shape ranges per network input (indexed like
    // Graph::inputs; an empty shape: the input is static there); empty when
    // every input is static. buildPlans compiles one plan per profile.
    std::vector<engine::Profile> profiles;
    // Tactic timings to reuse, and where new ones go (timing_cache.h); null:
    // none kept beyond this build. With ignoreMismatch, entries of another
    // device are accepted (kept, not used) instead of failing the build.
    TimingCacheData* timingCache = nullptr;
    bool timingCacheIgnoreMismatch = false;
    // IBuilder::isNetworkSupported(): the passes run and every layer gets the
    // first tactic that supports it, with nothing timed and no device touched
    // (a CUDA network is checked on machines without a GPU). The plan is for
    // that check only: it is never serialized or run.
    bool supportOnly = false;
};

// Builds a plan from a network graph (explicit-batch form; dynamic dims -1 are
// resolved from the profiles or the max batch size).
// Uses only the first of options.profiles.
Status buildPlan(ir::Graph network, const BuildOptions& options, const LogFn& log, engine::Plan& plan);

// One plan per optimization profile (one plan when there are none): each
// profile gets its own passes, tactics (timed at its opt shapes) and memory
// plan (sized for its max shapes); constants the passes leave alone stay
// shared between the plans.
Status buildPlans(const ir::Graph& network, const BuildOptions& options, const LogFn& log, engine::Plans& plans);

// The tactic name of the loop boundary nodes, which the executor runs itself.
inline constexpr const char* kControlTactic = "control";

// Chooses a tactic for every node (sets Node::tactic); returns the largest
// workspace among the chosen tactics.
Status chooseTactics(ir::Graph& g, const BuildOptions& options, const LogFn& log, size_t& workspaceBytes);

// Checks that every node's chosen tactic supports the node at the graph's
// current shapes within the workspace limit (tactics timed at a profile's opt
// shapes must hold over its whole range); raises `workspaceBytes` to the
// largest workspace they need there.
Status checkTactics(const ir::Graph& g, const BuildOptions& options, size_t& workspaceBytes);

// Lifetime-based arena planning: offsets for every intermediate value.
Status planMemory(const ir::Graph& g, bool fixedShapes, engine::MemoryPlan& plan);

// A short description of this machine for the engine header.
std::string cpuFingerprint();

}  // namespace kiln::builder
