// Engine files and in-memory ONNX builds for the `kiln` subcommands; see engine_source.h.
#include "engine_source.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#ifdef KILN_HAVE_ONNX
#include "kiln/onnx_parser.h"
#endif

namespace kiln::cli {

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

#ifdef KILN_HAVE_ONNX
// The parser's errors come back as IParserError records, printed with their
// node; this passes on everything else (warnings, info) it logs.
class ParserLogger final : public ILogger {
public:
    explicit ParserLogger(ILogger& next) : next_(next) {}
    void log(Severity s, const char* msg) noexcept override {
        if (s > Severity::kERROR) next_.log(s, msg);
    }

private:
    ILogger& next_;
};

void printParserErrors(const std::string& path, const onnx::IParser& parser) {
    for (int32_t i = 0; i < parser.getNbErrors(); ++i) {
        const onnx::IParserError* e = parser.getError(i);
        if (!e) continue;
        std::string where;
        if (e->node() >= 0) {
            const std::string name = e->nodeName() ? e->nodeName() : "";
            where = "node " + std::to_string(e->node()) + (name.empty() ? " (unnamed" : " '" + name + "' (") +
                    (name.empty() ? ", " : "") + (e->nodeOperator() ? e->nodeOperator() : "?") + "): ";
        }
        std::fprintf(stderr, "error: %s: %s%s\n", path.c_str(), where.c_str(), e->desc() ? e->desc() : "");
    }
}
#endif

}  // namespace

bool haveOnnxParser() {
#ifdef KILN_HAVE_ONNX
    return true;
#else
    return false;
#endif
}

bool buildOnnx(const std::string& path, const BuildOptions& o, const ShapeMap& fixedShapes, ConsoleLogger& logger,
               OnnxBuild& out, std::string& error) {
#ifndef KILN_HAVE_ONNX
    (void)path, (void)o, (void)fixedShapes, (void)logger, (void)out;
    error = "this kiln was built without the ONNX parser (install libprotobuf-dev and protobuf-compiler, then rebuild)";
    return false;
#else
    out.builder = createInferBuilder(logger);
    if (!out.builder) {
        error = "could not create a kiln builder";
        return false;
    }
    out.network = out.builder->createNetworkV2(1u << uint32_t(NetworkDefinitionCreationFlag::kEXPLICIT_BATCH));
    out.config = out.builder->createBuilderConfig();
    if (!out.network || !out.config) {
        error = "could not create a network or builder config";
        return false;
    }
    // The parser logs through its own forwarder, which must live as long as it.
    struct ParserWithLogger {
        ParserLogger logger;
        std::unique_ptr<onnx::IParser> parser;
    };
    auto holder = std::make_shared<ParserWithLogger>(ParserWithLogger{ParserLogger(logger), nullptr});
    holder->parser = onnx::createParser(*out.network, holder->logger);
    if (!holder->parser) {
        error = "could not create an ONNX parser";
        return false;
    }
    onnx::IParser& parser = *holder->parser;
    out.parser = holder;

    const auto t0 = Clock::now();
    const bool parsed = parser.parseFromFile(path.c_str(), int32_t(ILogger::Severity::kINFO));
    out.parseMs = msSince(t0);
    if (!parsed) {
        printParserErrors(path, parser);
        const int32_t n = parser.getNbErrors();
        error = path + ": the ONNX model could not be imported (" + std::to_string(n) + " error" + (n == 1 ? "" : "s") +
                " above)";
        return false;
    }
    if (!applyBuildOptions(o, *out.builder, *out.config, error)) return false;
    if (!addShapeProfile(o, fixedShapes, *out.builder, *out.network, *out.config, out.ranges, error)) return false;

    if (!loadTimingCache(o, *out.config, out.timingCache, error)) return false;

    const auto t1 = Clock::now();
    out.engine = out.builder->buildEngineWithConfig(*out.network, *out.config);
    out.buildMs = msSince(t1);
    if (!out.engine) {
        error = path + ": " + buildFailure(*out.config, logger.lastError());
        return false;
    }
    return saveTimingCache(o, out.timingCache.get(), error);
#endif
}

void addEngineSource(CLI::App& app, EngineSource& src) {
    src.engineOpt = app.add_option("--engine", src.engineFile, "Engine file");
    src.onnxOpt = app.add_option("--onnx", src.onnxFile, "ONNX model, built in memory (with the build flags below)");
    src.engineOpt->excludes(src.onnxOpt);
    app.add_flag("--verbose", src.verbose, "Print kiln's info and verbose messages");
    addBuildOptions(app, src.build, false);
}

bool obtainEngine(const EngineSource& src, const ShapeMap& fixedShapes, ConsoleLogger& logger, LoadedEngine& out,
                  std::string& error, bool quiet) {
    if (src.engineFile.empty() && src.onnxFile.empty()) {
        error = "give the engine to use with --engine FILE or --onnx MODEL";
        return false;
    }
    if (!src.engineFile.empty()) {
        if (src.build.anyGiven()) {
            error =
                "the build flags (--fp16, --backend, --max-batch, --workspace, --opt-level, --disable-pass, "
                "--*-shapes) apply to --onnx only; an engine file is already built";
            return false;
        }
        return loadEngine(src.engineFile, logger, out, error);
    }
    auto built = std::make_shared<OnnxBuild>();
    if (!buildOnnx(src.onnxFile, src.build, fixedShapes, logger, *built, error)) return false;
    if (!quiet)
        std::printf("built %s in memory: %d layers, %s backend, parse %.1f ms, build %.1f ms\n", src.onnxFile.c_str(),
                    built->engine->getNbLayers(), built->engine->getBackend() == BackendKind::kCUDA ? "cuda" : "cpu",
                    built->parseMs, built->buildMs);
    out.engine = std::move(built->engine);
    out.builtFrom = built;
    return true;
}

}  // namespace kiln::cli
