// `kiln build`: define a network, build an engine, save it.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>

#include "common.h"
#include "lenet5.h"

namespace kiln::cli {

namespace {

struct BuildArgs {
    std::string sample, weights, model, save, backend;
    bool fp16 = false, int8 = false, listPasses = false, verbose = false, explicitBatch = false;
    int32_t maxBatch = 1;
    size_t workspaceMb = 0;
    int32_t optLevel = 3;
    std::vector<std::string> disabledPasses;
    std::string timingCache;
    std::string minShapes, optShapes, maxShapes;  // NAME:DxD,... (one optimization profile)
    CLI::Option* workspaceOpt = nullptr;
    CLI::Option* optLevelOpt = nullptr;
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

// Explicit-batch inputs with a dynamic batch get the profile [1, max batch].
bool addBatchProfile(IBuilder& builder, INetworkDefinition& net, IBuilderConfig& config, int32_t maxBatch,
                     std::string& error) {
    IOptimizationProfile* profile = nullptr;
    for (int32_t i = 0; i < net.getNbInputs(); ++i) {
        ITensor* in = net.getInput(i);
        Dims d = in->getDimensions();
        bool dynamic = false;
        for (int32_t k = 0; k < d.nbDims; ++k) {
            if (d.d[k] >= 0) continue;
            if (k != 0) {
                error = std::string("input '") + in->getName() + "' has a dynamic non-batch dimension " + dimsString(d);
                return false;
            }
            dynamic = true;
        }
        if (!dynamic) continue;
        if (!profile) profile = builder.createOptimizationProfile();
        Dims lo = d, hi = d;
        lo.d[0] = 1;
        hi.d[0] = maxBatch;
        profile->setDimensions(in->getName(), OptProfileSelector::kMIN, lo);
        profile->setDimensions(in->getName(), OptProfileSelector::kOPT, hi);
        profile->setDimensions(in->getName(), OptProfileSelector::kMAX, hi);
    }
    if (profile && config.addOptimizationProfile(profile) < 0) {
        error = "the optimization profile was refused (see above)";
        return false;
    }
    return true;
}

// --min-shapes/--opt-shapes/--max-shapes: one optimization profile; the three
// lists must name the same inputs.
bool addShapeProfile(const BuildArgs& a, IBuilder& builder, IBuilderConfig& config, std::string& error) {
    std::map<std::string, std::vector<int64_t>> lists[3];
    const char* options[3] = {"--min-shapes", "--opt-shapes", "--max-shapes"};
    const std::string* args[3] = {&a.minShapes, &a.optShapes, &a.maxShapes};
    for (int k = 0; k < 3; ++k) {
        if (args[k]->empty()) {
            error = std::string(options[k]) + " is missing: give --min-shapes, --opt-shapes and --max-shapes together";
            return false;
        }
        if (!parseShapeList(*args[k], options[k], lists[k], error)) return false;
    }
    IOptimizationProfile* profile = builder.createOptimizationProfile();
    const OptProfileSelector sel[3] = {OptProfileSelector::kMIN, OptProfileSelector::kOPT, OptProfileSelector::kMAX};
    for (const auto& [name, shape] : lists[0]) {
        for (int k = 1; k < 3; ++k)
            if (!lists[k].count(name)) {
                error = std::string(options[k]) + " gives no shape for input '" + name + "' (--min-shapes does)";
                return false;
            }
        for (int k = 0; k < 3; ++k)
            if (!profile->setDimensions(name.c_str(), sel[k], shapeToDims(lists[k][name]))) {
                error = std::string(options[k]) + ": shape of '" + name + "' refused (see above)";
                return false;
            }
    }
    for (int k = 1; k < 3; ++k)
        if (lists[k].size() != lists[0].size()) {
            error = std::string(options[k]) + " names an input --min-shapes does not";
            return false;
        }
    if (config.addOptimizationProfile(profile) < 0) {
        error = "the optimization profile was refused (min <= opt <= max per dimension?)";
        return false;
    }
    return true;
}

bool isKnownPass(const std::string& name) {
    for (int32_t i = 0; const char* p = kiln::getBuilderPassName(i); ++i)
        if (name == p) return true;
    return false;
}

int listPasses() {
    for (int32_t i = 0; const char* p = kiln::getBuilderPassName(i); ++i) std::printf("%s\n", p);
    return kExitOk;
}

int runBuild(const BuildArgs& a) {
    if (a.listPasses) return listPasses();
    if (!a.model.empty())
        return fail("'" + a.model + "': ONNX/Caffe model files are not supported yet (the parser issues add them)");
    if (a.sample.empty()) return fail("no model given: use --sample mnist (model file parsers come later)");
    if (a.save.empty()) return fail("--save FILE is required");
    for (const auto& p : a.disabledPasses)
        if (!isKnownPass(p)) return fail("--disable-pass '" + p + "' is not a builder pass (see --list-passes)");

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

    builder->setMaxBatchSize(a.maxBatch);
    if (a.fp16) config->setFlag(BuilderFlag::kFP16);
    if (a.int8) config->setFlag(BuilderFlag::kINT8);
    if (a.backend == "cuda") config->setBackend(BackendKind::kCUDA);
    if (a.backend == "cpu") config->setBackend(BackendKind::kCPU);
    if (*a.workspaceOpt) config->setMemoryPoolLimit(MemoryPoolType::kWORKSPACE, a.workspaceMb << 20);
    if (*a.optLevelOpt) config->setBuilderOptimizationLevel(a.optLevel);
    for (const auto& p : a.disabledPasses) config->setPassEnabled(p.c_str(), false);
    const bool shapeProfile = !a.minShapes.empty() || !a.optShapes.empty() || !a.maxShapes.empty();
    if (shapeProfile && network->hasImplicitBatchDimension())
        return fail("--min-shapes/--opt-shapes/--max-shapes need an explicit-batch network (--explicit-batch)");
    if (shapeProfile && !addShapeProfile(a, *builder, *config, error)) return fail(error);
    if (!shapeProfile && !network->hasImplicitBatchDimension() &&
        !addBatchProfile(*builder, *network, *config, a.maxBatch, error))
        return fail(error);

    // --timing-cache FILE: timings are read from FILE when it exists, and the
    // cache (with the build's new timings) is written back after the build.
    std::unique_ptr<ITimingCache> timingCache;
    if (!a.timingCache.empty()) {
        std::vector<uint8_t> bytes;
        std::error_code ec;
        if (std::filesystem::exists(a.timingCache, ec) && !readFileBytes(a.timingCache, bytes, error))
            return fail(error);
        timingCache = config->createTimingCache(bytes.data(), bytes.size());
        if (!timingCache) return fail("--timing-cache " + a.timingCache + ": not a kiln timing cache (see above)");
        config->setTimingCache(*timingCache, false);
    }
    const auto start = std::chrono::steady_clock::now();
    auto engine = builder->buildEngineWithConfig(*network, *config);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!engine) {
        if (config->getBackend() == BackendKind::kCUDA && logger.lastError().find("CUDA") != std::string::npos)
            return fail("--backend cuda: the CUDA backend is not available in this kiln build (use --backend cpu)");
        return fail("the build failed (see above)");
    }
    if (timingCache) {
        auto cacheBlob = timingCache->serialize();
        if (!cacheBlob || !writeFileBytes(a.timingCache, cacheBlob->data(), cacheBlob->size(), error))
            return fail("could not write the timing cache " + a.timingCache + ": " + error);
    }
    auto blob = engine->serialize();
    if (!blob) return fail("could not serialize the engine (see above)");
    if (!writeFileBytes(a.save, blob->data(), blob->size(), error)) return fail(error);

    std::printf("model:       LeNet-5 (--sample mnist, weights %s)\n", weightsPath.c_str());
    std::printf("backend:     %s, %s batch, max batch %d\n",
                engine->getBackend() == BackendKind::kCUDA ? "cuda" : "cpu",
                engine->hasImplicitBatchDimension() ? "implicit" : "explicit", a.maxBatch);
    std::printf("build time:  %.1f ms\n", ms);
    std::printf("layers:      %d (network had %d)\n", engine->getNbLayers(), network->getNbLayers());
    std::printf("engine size: %zu bytes\n", blob->size());
    std::printf("saved:       %s\n", a.save.c_str());
    return kExitOk;
}

}  // namespace

Command addBuildCommand(CLI::App& parent) {
    auto a = std::make_shared<BuildArgs>();
    CLI::App* app = parent.add_subcommand("build", "Build an engine from a model and save it");
    auto* model = app->add_option("model", a->model, "Model file (ONNX/Caffe: not supported yet)");
    app->add_option("--sample", a->sample, "Built-in model definition")
        ->check(CLI::IsMember({"mnist"}))
        ->excludes(model);
    app->add_option("--weights", a->weights, "Weights (.wts) for --sample (default: the bundled lenet5_fashion.wts)");
    app->add_flag("--fp16", a->fp16, "Allow float16 kernels");
    app->add_flag("--int8", a->int8, "Allow int8 kernels");
    app->add_option("--backend", a->backend, "Target device (default: the library's)")
        ->check(CLI::IsMember({"cpu", "cuda"}));
    app->add_option("--max-batch", a->maxBatch, "Largest batch the engine runs")
        ->capture_default_str()
        ->check(CLI::Range(1, 1 << 20));
    a->workspaceOpt =
        app->add_option("--workspace", a->workspaceMb, "Workspace limit in MiB")->check(CLI::Range(0, 1 << 20));
    a->optLevelOpt = app->add_option("--opt-level", a->optLevel, "0: no tactic timing; 1+: time every candidate")
                         ->check(CLI::Range(0, 100));
    app->add_option("--disable-pass", a->disabledPasses, "Turn a builder pass off (repeatable)")
        ->allow_extra_args(false);
    app->add_flag("--list-passes", a->listPasses, "Print the builder pass names and exit");
    app->add_option("--min-shapes", a->minShapes, "NAME:1x3x224x224,...: smallest shapes of the dynamic inputs");
    app->add_option("--opt-shapes", a->optShapes, "NAME:DxD,...: the shapes tactics are timed at");
    app->add_option("--max-shapes", a->maxShapes, "NAME:DxD,...: largest shapes (the memory plan's)");
    app->add_flag("--explicit-batch", a->explicitBatch, "Build an explicit-batch network (dynamic batch 1..max)");
    app->add_flag("--verbose", a->verbose, "Print kiln's info and verbose messages");
    app->add_option("--save", a->save, "Engine file to write");
    app->add_option("--timing-cache", a->timingCache,
                    "Timing cache file: read when it exists, written back with the build's new timings");
    return {app, [a] { return runBuild(*a); }};
}

}  // namespace kiln::cli
