// `kiln run`: one inference with inputs from files (or random), outputs to
// files, and comparisons against expected outputs; the engine comes from a
// file or is built in memory from an ONNX model.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

#include "common.h"
#include "compare.h"
#include "engine_source.h"
#include "io_tensors.h"

namespace kiln::cli {

namespace {

struct RunArgs {
    EngineSource src;
    std::vector<std::string> inputs, expects, outputs;
    double rtol = 1e-5, atol = 1e-6;
    int32_t batch = 1;
    uint32_t seed = 1234;
    CLI::Option* batchOpt = nullptr;
    std::vector<std::string> shapes;  // --shapes NAME:DxD,...
};

// Parses NAME=FILE arguments of one flag; false on a malformed pair, or on a
// repeated name unless `repeatable` (one output may go to several files).
bool parsePairs(const std::vector<std::string>& args, const char* flag, std::multimap<std::string, std::string>& out,
                std::string& error, bool repeatable = false) {
    for (const auto& arg : args) {
        std::string name, file;
        if (!splitNameFile(arg, name, file)) {
            error = std::string(flag) + " '" + arg + "': expected NAME=FILE";
            return false;
        }
        if (out.count(name) && !repeatable) {
            error = std::string(flag) + ": '" + name + "' is given twice";
            return false;
        }
        out.emplace(name, file);
    }
    return true;
}

const IoTensor* findOutput(const IoSet& io, const std::string& name) {
    for (const auto& t : io.tensors)
        if (!t.isInput && t.name == name) return &t;
    return nullptr;
}

std::string outputNames(const IEngine& engine) {
    std::string s;
    for (int32_t i = 0; i < engine.getNbIOTensors(); ++i) {
        const char* n = engine.getIOTensorName(i);
        if (n && engine.getTensorIOMode(n) == TensorIOMode::kOUTPUT) s += std::string(s.empty() ? "" : ", ") + n;
    }
    return s;
}

// A few leading values, so a run without --output/--expect still shows something.
void printPreview(const IoTensor& t) {
    tool::TensorData d;
    std::string error;
    std::printf("output '%s': %s %s", t.name.c_str(), dataTypeName(t.type), shapeString(t.shape).c_str());
    if (toTensorData(t, d, error)) {
        const auto v = tool::toDoubles(d);
        std::printf(" =");
        for (size_t i = 0; i < v.size() && i < 8; ++i) std::printf(" %.6g", v[i]);
        if (v.size() > 8) std::printf(" ...");
    }
    std::printf("\n");
}

// Compares one output with its expected file; prints the verdict line.
bool checkExpect(const IoTensor& out, const tool::TensorData& want, double rtol, double atol) {
    tool::TensorData got;
    std::string error;
    if (!toTensorData(out, got, error)) {
        std::printf("%s: %s -> MISMATCH\n", out.name.c_str(), error.c_str());
        return false;
    }
    const auto g = tool::toDoubles(got), w = tool::toDoubles(want);
    if (g.size() != w.size()) {
        std::printf("%s: the expected tensor has %zu elements %s, the output %zu %s -> MISMATCH\n", out.name.c_str(),
                    w.size(), shapeString(want.shape).c_str(), g.size(), shapeString(out.shape).c_str());
        return false;
    }
    if (want.shape != out.shape)
        std::printf("note: %s: expected shape %s differs from the output's %s; comparing element by element\n",
                    out.name.c_str(), shapeString(want.shape).c_str(), shapeString(out.shape).c_str());
    const CompareResult r = compareTensors(g, w, rtol, atol);
    std::printf("%s\n", formatCompare(out.name, r).c_str());
    return r.ok();
}

// Index of the largest value of each row (the last axis) of `v`, for
// classifier outputs; empty when there is no class axis to speak of.
std::vector<size_t> argmaxRows(const std::vector<double>& v, const std::vector<int64_t>& shape) {
    const size_t classes = shape.empty() ? v.size() : size_t(std::max<int64_t>(shape.back(), 0));
    if (classes < 2 || v.size() % classes != 0) return {};
    std::vector<size_t> best;
    for (size_t row = 0; row < v.size() / classes; ++row) {
        const auto first = v.begin() + std::ptrdiff_t(row * classes);
        best.push_back(size_t(std::max_element(first, first + std::ptrdiff_t(classes)) - first));
    }
    return best;
}

std::string joinIndices(const std::vector<size_t>& v) {
    std::string s;
    for (size_t i = 0; i < v.size() && i < 16; ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return v.size() > 16 ? s + ", ..." : s;
}

// "NAME: predicted class 7 (expected 7)": the top class per row of a
// classifier output next to the expected tensor's.
void printPredictedClass(const IoTensor& out, const tool::TensorData& want) {
    tool::TensorData got;
    std::string error;
    if (out.type != DataType::kFLOAT && out.type != DataType::kHALF && out.type != DataType::kBF16) return;
    if (!toTensorData(out, got, error)) return;
    const auto g = argmaxRows(tool::toDoubles(got), out.shape), w = argmaxRows(tool::toDoubles(want), out.shape);
    if (g.empty() || g.size() != w.size()) return;
    std::printf("%s: predicted class%s %s (expected %s)%s\n", out.name.c_str(), g.size() > 1 ? "es" : "",
                joinIndices(g).c_str(), joinIndices(w).c_str(), g == w ? "" : " -> DIFFERENT CLASS");
}

int runRun(const RunArgs& a) {
    std::multimap<std::string, std::string> inputFiles, expectFiles, outputFiles;
    std::string error;
    if (!parsePairs(a.inputs, "--input", inputFiles, error) || !parsePairs(a.expects, "--expect", expectFiles, error) ||
        !parsePairs(a.outputs, "--output", outputFiles, error, true))
        return fail(error);
    for (const auto& [name, file] : outputFiles)
        if (!isTensorFileExtension(file))
            return fail("--output " + name + "=" + file + ": use a .npy or .pb file name");

    // Files first: their shapes pin the dynamic inputs of an --onnx build.
    InputSpec spec;
    spec.seed = a.seed;
    if (*a.batchOpt) spec.batch = a.batch;
    if (!parseShapeList(a.shapes, "--shapes", spec.shapes, error)) return fail(error);
    ShapeMap fileShapes;
    for (const auto& [name, file] : inputFiles) {
        if (!tool::readTensorFile(file, spec.files[name], error)) return fail(error);
        fileShapes[name] = spec.files[name].shape;
    }
    std::map<std::string, tool::TensorData> expected;
    for (const auto& [name, file] : expectFiles)
        if (!tool::readTensorFile(file, expected[name], error)) return fail(error);

    ConsoleLogger logger(a.src.verbose ? ILogger::Severity::kVERBOSE : ILogger::Severity::kWARNING);
    LoadedEngine loaded;
    if (!obtainEngine(a.src, fileShapes, logger, loaded, error)) return fail(error);
    const IEngine& engine = *loaded.engine;

    // Every name is checked before anything runs, so a typo costs no inference.
    for (const auto* files : {&expectFiles, &outputFiles})
        for (const auto& [name, file] : *files)
            if (engine.getTensorIOMode(name.c_str()) != TensorIOMode::kOUTPUT)
                return fail("the engine has no output named '" + name + "' (outputs: " + outputNames(engine) + ")");
    auto ctx = loaded.engine->createExecutionContext();
    if (!ctx) return fail("could not create an execution context (see above)");
    IoSet io;
    std::vector<std::string> notices;
    if (!prepareIo(engine, *ctx, spec, io, notices, error)) return fail(error);
    for (const auto& n : notices) std::printf("note: %s\n", n.c_str());
    for (const auto& t : io.tensors)
        if (t.isInput && !spec.files.count(t.name))
            std::printf("input '%s': random %s %s (seed %u)\n", t.name.c_str(), dataTypeName(t.type),
                        shapeString(t.shape).c_str(), a.seed + uint32_t(t.bindingIndex));

    const auto start = std::chrono::steady_clock::now();
    if (!runInference(*ctx, io)) return fail("inference failed (see above)");
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("ran batch %d in %.3f ms\n", io.batch, ms);

    for (const auto& t : io.tensors)
        if (!t.isInput) printPreview(t);
    for (const auto& [name, file] : outputFiles) {
        tool::TensorData d;
        if (!toTensorData(*findOutput(io, name), d, error) || !writeTensorFile(file, d, error)) return fail(error);
        std::printf("wrote '%s' to %s\n", name.c_str(), file.c_str());
    }
    bool allMatch = true;
    for (const auto& [name, want] : expected) {
        allMatch &= checkExpect(*findOutput(io, name), want, a.rtol, a.atol);
        printPredictedClass(*findOutput(io, name), want);
    }
    return allMatch ? kExitOk : kExitMismatch;
}

}  // namespace

Command addRunCommand(CLI::App& parent) {
    auto a = std::make_shared<RunArgs>();
    CLI::App* app = parent.add_subcommand("run",
                                          "Run an engine (or an ONNX model built in memory) once; save and/or "
                                          "check its outputs");
    addEngineSource(*app, a->src);
    app->add_option("--shapes", a->shapes, "NAME:1x3x224x224,...: shapes of dynamic inputs (within the profile)")
        ->allow_extra_args(false);
    app->add_option("--input", a->inputs, "NAME=FILE (.npy or .pb); other inputs get random data")
        ->allow_extra_args(false);
    app->add_option("--expect", a->expects, "NAME=FILE: compare output NAME with FILE")->allow_extra_args(false);
    app->add_option("--output", a->outputs, "NAME=FILE: write output NAME (.npy or .pb)")->allow_extra_args(false);
    app->add_option("--rtol", a->rtol, "Relative tolerance")->capture_default_str()->check(CLI::NonNegativeNumber);
    app->add_option("--atol", a->atol, "Absolute tolerance")->capture_default_str()->check(CLI::NonNegativeNumber);
    a->batchOpt =
        app->add_option("--batch", a->batch, "Batch size (default: the input files', else 1 or the profile's opt)")
            ->check(CLI::Range(1, 1 << 30));
    app->add_option("--seed", a->seed, "Seed of the random inputs (input i uses seed + i)")->capture_default_str();
    return {app, [a] { return runRun(*a); }};
}

}  // namespace kiln::cli
