// `kiln build`: import a model (ONNX) or define one (--sample), build an
// engine, save it.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>

#include "build_options.h"
#include "common.h"
#include "engine_source.h"
#include "lenet5.h"

namespace kiln::cli {

namespace {

struct BuildArgs {
    std::string sample, weights, onnx, model, save;
    bool listPasses = false, verbose = false, explicitBatch = false;
    BuildOptions opts;
    CLI::Option* explicitBatchOpt = nullptr;
};

// The bundled LeNet-5 weights: the source tree's copy (compile definition),
// else one next to the executable.
std::string findDefaultWeights(std::vector<std::string>& searched) {
    const char* file = "lenet5_fashion.wts";
    std::vector<std::filesystem::path> dirs;
#ifdef KILN_SAMPLE_DATA_DIR
    dirs.emplace_back(KILN_SAMPLE_DATA_DIR);
#endif
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        dirs.push_back(exe.parent_path());
        dirs.push_back(exe.parent_path() / "data");
    }
    for (const auto& d : dirs) {
        const auto p = d / file;
        searched.push_back(p.string());
        if (std::filesystem::is_regular_file(p, ec)) return p.string();
    }
    return {};
}

int listPasses() {
    for (int32_t i = 0; const char* p = kiln::getBuilderPassName(i); ++i) std::printf("%s\n", p);
    return kExitOk;
}

void printRanges(const std::map<std::string, ShapeRange>& ranges) {
    for (const auto& [name, r] : ranges)
        std::printf("profile:     %s min %s opt %s max %s\n", name.c_str(), shapeString(r.min).c_str(),
                    shapeString(r.opt).c_str(), shapeString(r.max).c_str());
}

void printTensors(const char* label, const INetworkDefinition& network, bool inputs) {
    const int32_t n = inputs ? network.getNbInputs() : network.getNbOutputs();
    for (int32_t i = 0; i < n; ++i) {
        const ITensor* t = inputs ? network.getInput(i) : network.getOutput(i);
        std::printf("%-12s %s %s %s\n", i == 0 ? label : "", t->getName(), dataTypeName(t->getType()),
                    dimsString(t->getDimensions()).c_str());
    }
}

int saveEngine(const BuildArgs& a, IEngine& engine, std::string& error) {
    auto blob = engine.serialize();
    if (!blob) return fail("could not serialize the engine (see above)");
    if (!writeFileBytes(a.save, blob->data(), blob->size(), error)) return fail(error);
    std::printf("engine size: %zu bytes\n", blob->size());
    std::printf("saved:       %s\n", a.save.c_str());
    return kExitOk;
}

// `kiln build --onnx model.onnx`: parse, build with the flags, save.
int buildFromOnnx(const BuildArgs& a) {
    if (a.explicitBatchOpt && *a.explicitBatchOpt)
        return fail("--explicit-batch is for --sample: ONNX networks always have explicit batch dimensions");
    ConsoleLogger logger(a.verbose ? ILogger::Severity::kVERBOSE : ILogger::Severity::kWARNING);
    OnnxBuild built;
    std::string error;
    if (!buildOnnx(a.onnx, a.opts, {}, logger, built, error)) return fail(error);
    std::printf("model:       %s (ONNX)\n", a.onnx.c_str());
    printTensors("inputs:", *built.network, true);
    printTensors("outputs:", *built.network, false);
    printRanges(built.ranges);
    std::printf("backend:     %s\n", built.engine->getBackend() == BackendKind::kCUDA ? "cuda" : "cpu");
    std::printf("parse time:  %.1f ms\n", built.parseMs);
    std::printf("build time:  %.1f ms\n", built.buildMs);
    std::printf("layers:      %d (network had %d)\n", built.engine->getNbLayers(), built.network->getNbLayers());
    return saveEngine(a, *built.engine, error);
}

int runBuild(const BuildArgs& a) {
    if (a.listPasses) return listPasses();
    if (a.save.empty()) return fail("--save FILE is required");
    if (!a.model.empty()) {
        // A bare model argument: ONNX by its extension; other formats come later.
        if (std::filesystem::path(a.model).extension() != ".onnx")
            return fail("'" + a.model +
                        "': unknown model format (ONNX models: --onnx FILE; Caffe is not supported yet)");
        BuildArgs onnxArgs = a;
        onnxArgs.onnx = a.model;
        return buildFromOnnx(onnxArgs);
    }
    if (!a.onnx.empty()) return buildFromOnnx(a);
    if (a.sample.empty()) return fail("no model given: use --onnx MODEL or --sample mnist");

    std::string weightsPath = a.weights, error;
    if (weightsPath.empty()) {
        std::vector<std::string> searched;
        weightsPath = findDefaultWeights(searched);
        if (weightsPath.empty()) {
            std::string where;
            for (const auto& s : searched) where += "\n  " + s;
            return fail("no --weights given and the bundled LeNet-5 weights were not found; looked for:" + where);
        }
    }
    samples::WeightMap weights;
    if (!samples::loadWeights(weightsPath, weights, error)) return fail(error);

    ConsoleLogger logger(a.verbose ? ILogger::Severity::kVERBOSE : ILogger::Severity::kWARNING);
    auto builder = createInferBuilder(logger);
    if (!builder) return fail("could not create a kiln builder");
    auto network = a.explicitBatch
                       ? builder->createNetworkV2(1u << uint32_t(NetworkDefinitionCreationFlag::kEXPLICIT_BATCH))
                       : builder->createNetwork();
    auto config = builder->createBuilderConfig();
    if (!network || !config) return fail("could not create a network or builder config");
    if (!samples::defineLeNet5(*network, weights, error)) return fail("LeNet-5 from " + weightsPath + ": " + error);

    if (!applyBuildOptions(a.opts, *builder, *config, error)) return fail(error);
    std::map<std::string, ShapeRange> ranges;
    if (network->hasImplicitBatchDimension()) {
        if (!a.opts.minShapes.empty() || !a.opts.optShapes.empty() || !a.opts.maxShapes.empty())
            return fail("the shape flags need an explicit-batch network (--explicit-batch)");
    } else if (!addShapeProfile(a.opts, {}, *builder, *network, *config, ranges, error)) {
        return fail(error);
    }

    std::unique_ptr<ITimingCache> timingCache;
    if (!loadTimingCache(a.opts, *config, timingCache, error)) return fail(error);
    const auto start = std::chrono::steady_clock::now();
    auto engine = builder->buildEngineWithConfig(*network, *config);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!engine) return fail(buildFailure(*config, logger.lastError()));
    if (!saveTimingCache(a.opts, timingCache.get(), error)) return fail(error);

    std::printf("model:       LeNet-5 (--sample mnist, weights %s)\n", weightsPath.c_str());
    std::printf("backend:     %s, %s batch, max batch %d\n",
                engine->getBackend() == BackendKind::kCUDA ? "cuda" : "cpu",
                engine->hasImplicitBatchDimension() ? "implicit" : "explicit", a.opts.maxBatch);
    printRanges(ranges);
    std::printf("build time:  %.1f ms\n", ms);
    std::printf("layers:      %d (network had %d)\n", engine->getNbLayers(), network->getNbLayers());
    return saveEngine(a, *engine, error);
}

}  // namespace

Command addBuildCommand(CLI::App& parent) {
    auto a = std::make_shared<BuildArgs>();
    CLI::App* app = parent.add_subcommand("build", "Build an engine from a model and save it");
    auto* model = app->add_option("model", a->model, "Model file (same as --onnx for a .onnx file)");
    auto* onnx = app->add_option("--onnx", a->onnx, "ONNX model to import")->excludes(model);
    app->add_option("--sample", a->sample, "Built-in model definition")
        ->check(CLI::IsMember({"mnist"}))
        ->excludes(model)
        ->excludes(onnx);
    app->add_option("--weights", a->weights, "Weights (.wts) for --sample (default: the bundled lenet5_fashion.wts)");
    addBuildOptions(*app, a->opts, true);
    app->add_flag("--list-passes", a->listPasses, "Print the builder pass names and exit");
    a->explicitBatchOpt = app->add_flag("--explicit-batch", a->explicitBatch,
                                        "--sample: build an explicit-batch network (dynamic batch 1..max)");
    app->add_flag("--verbose", a->verbose, "Print kiln's info and verbose messages");
    app->add_option("--save", a->save, "Engine file to write");
    return {app, [a] { return runBuild(*a); }};
}

}  // namespace kiln::cli
