// Where a `kiln` subcommand gets its engine: an engine file (--engine), or an
// ONNX model parsed and built in memory (--onnx) with the shared build flags.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "build_options.h"
#include "common.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace kiln::cli {

// True when this kiln was built with the ONNX parser (kiln_onnx).
bool haveOnnxParser();

// An ONNX model parsed into a network and built; everything the engine was
// made from stays alive with it (the parser owns the weights it handed over).
struct OnnxBuild {
    std::unique_ptr<IBuilder> builder;
    std::unique_ptr<INetworkDefinition> network;
    std::shared_ptr<void> parser;  // kiln::onnx::IParser, kept opaque for builds without kiln_onnx
    std::unique_ptr<IBuilderConfig> config;
    std::unique_ptr<ITimingCache> timingCache;  // --timing-cache, attached to config
    std::unique_ptr<IEngine> engine;
    std::map<std::string, ShapeRange> ranges;  // shape ranges of the inputs that have one
    double parseMs = 0, buildMs = 0;
};

// Parses `path` and builds it with `o`. On a parse failure every parser error
// is printed as "error: PATH: node I 'NAME' (OP): MESSAGE" and `error` says how
// many there were. `fixedShapes` pins dynamic inputs (see addShapeProfile).
bool buildOnnx(const std::string& path, const BuildOptions& o, const ShapeMap& fixedShapes, ConsoleLogger& logger,
               OnnxBuild& out, std::string& error);

// The --engine / --onnx pair and the build flags for --onnx.
struct EngineSource {
    std::string engineFile, onnxFile;
    bool verbose = false;
    BuildOptions build;
    CLI::Option* engineOpt = nullptr;
    CLI::Option* onnxOpt = nullptr;

    // "model.onnx" or "x.engine": what the results are about.
    const std::string& label() const { return onnxFile.empty() ? engineFile : onnxFile; }
};

// Adds --engine FILE, --onnx MODEL (exactly one is required), the build flags
// (used with --onnx only) and --verbose.
void addEngineSource(CLI::App& app, EngineSource& src);

// Loads the engine file or builds the model; unless `quiet`, prints one line
// about an in-memory build. `fixedShapes`: see addShapeProfile.
bool obtainEngine(const EngineSource& src, const ShapeMap& fixedShapes, ConsoleLogger& logger, LoadedEngine& out,
                  std::string& error, bool quiet = false);

}  // namespace kiln::cli
