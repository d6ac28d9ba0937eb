// The builder settings `kiln` subcommands share (--fp16, --backend, --workspace,
// shape ranges, ...): their flags, their checks, and how they turn into a
// builder config and an optimization profile.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kiln/kiln.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace kiln::cli {

using ShapeMap = std::map<std::string, std::vector<int64_t>>;

struct BuildOptions {
    bool fp16 = false, int8 = false;
    std::string backend;  // "", "cpu" or "cuda"
    int32_t maxBatch = 1;
    size_t workspaceMb = 0;
    int32_t optLevel = 3;
    std::vector<std::string> disabledPasses, enabledPasses;
    std::vector<std::string> minShapes, optShapes, maxShapes;  // "NAME:1x3x224x224" items
    std::string timingCache;  // --timing-cache FILE
    CLI::Option* workspaceOpt = nullptr;
    CLI::Option* optLevelOpt = nullptr;
    std::vector<CLI::Option*> all;  // every flag above, to tell whether any was given

    bool anyGiven() const;
};

// Adds --fp16, --backend, --max-batch, --workspace, --opt-level, --disable-pass
// and --min-shapes/--opt-shapes/--max-shapes to `app`. `withInt8` adds --int8.
void addBuildOptions(CLI::App& app, BuildOptions& o, bool withInt8);

// Sets flags, backend, workspace, optimization level, passes; the classic
// max batch goes to the builder. False when a pass name is unknown.
bool applyBuildOptions(const BuildOptions& o, IBuilder& builder, IBuilderConfig& config, std::string& error);

// --timing-cache FILE: a cache read from FILE when it exists (empty otherwise),
// attached to `config`; null `cache` when the flag is not given.
bool loadTimingCache(const BuildOptions& o, IBuilderConfig& config, std::unique_ptr<ITimingCache>& cache,
                     std::string& error);
// Writes the cache, with the build's new timings, back to --timing-cache FILE.
bool saveTimingCache(const BuildOptions& o, const ITimingCache* cache, std::string& error);

// "NAME:1x3x224x224,NAME2:1x10" (also repeated flags) -> {NAME: [1,3,224,224], ...}.
// A name may contain ':' (TensorFlow's "input:0"): the shape follows the last one.
bool parseShapeList(const std::vector<std::string>& items, const char* flag, ShapeMap& out, std::string& error);

// The min/opt/max shapes of one input.
struct ShapeRange {
    std::vector<int64_t> min, opt, max;
};

// The profile of an explicit-batch network's inputs: a dynamic input takes
// its range from the shape flags; else from `fixedShapes` (the input files of
// `kiln run`: min = opt = max); else, when only its first dim is dynamic,
// [1, --max-batch]. A flag's missing selector takes --opt-shapes', else the
// other one given. Errors name the input and what to give. `ranges` gets the
// range of every input that has one (for printing).
bool addShapeProfile(const BuildOptions& o, const ShapeMap& fixedShapes, IBuilder& builder, INetworkDefinition& network,
                     IBuilderConfig& config, std::map<std::string, ShapeRange>& ranges, std::string& error);

// The last error a failed build logged, turned into advice when it is the
// missing CUDA backend.
std::string buildFailure(const IBuilderConfig& config, const std::string& lastLoggedError);

}  // namespace kiln::cli
