// `kiln inspect`: what an engine file holds — layers, tactics, memory plan,
// bindings — as text or JSON.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "common.h"
#include "engine_source.h"

namespace kiln::cli {

namespace {

struct InspectArgs {
    EngineSource src;
    bool json = false;
};

struct Binding {
    std::string name;
    bool isInput = false;
    DataType type = DataType::kFLOAT;
    Dims dims;  // full shape from the named-tensor API (-1: dynamic)
};

std::vector<Binding> bindingsOf(const IEngine& engine) {
    std::vector<Binding> out;
    for (int32_t i = 0; i < engine.getNbIOTensors(); ++i) {
        const char* name = engine.getIOTensorName(i);
        if (!name) continue;
        out.push_back({name, engine.getTensorIOMode(name) == TensorIOMode::kINPUT, engine.getTensorDataType(name),
                       engine.getTensorShape(name)});
    }
    return out;
}

std::string infoText(const IEngine& engine, bool json) {
    auto info = engine.getEngineInformation(json);
    if (!info || !info->data()) return {};
    return std::string(static_cast<const char*>(info->data()), info->size());
}

int printJson(const IEngine& engine) {
    nlohmann::ordered_json j;  // keeps the keys in the order written here
    j["implicit_batch"] = engine.hasImplicitBatchDimension();
    j["max_batch_size"] = engine.getMaxBatchSize();
    j["layers"] = engine.getNbLayers();
    j["device_memory_bytes"] = engine.getDeviceMemorySize();
    j["backend"] = engine.getBackend() == BackendKind::kCUDA ? "cuda" : "cpu";
    nlohmann::ordered_json bindings = nlohmann::ordered_json::array();
    for (const auto& b : bindingsOf(engine))
        bindings.push_back({{"name", b.name},
                            {"io", b.isInput ? "input" : "output"},
                            {"dtype", dataTypeName(b.type)},
                            {"dims", dimsToShape(b.dims)}});
    j["bindings"] = bindings;
    const std::string info = infoText(engine, true);
    // The library's JSON is embedded as an object; should it ever fail to
    // parse, it is kept as a string rather than lost.
    nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(info, nullptr, false);
    j["engine"] = parsed.is_discarded() ? nlohmann::ordered_json(info) : parsed;
    // Replace, don't throw, on odd bytes in names from the engine file.
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
    return kExitOk;
}

int printText(const IEngine& engine) {
    std::printf("%s", infoText(engine, false).c_str());
    std::printf("bindings:\n");
    for (const auto& b : bindingsOf(engine))
        std::printf("  %-6s %-20s %-8s %s\n", b.isInput ? "input" : "output", b.name.c_str(), dataTypeName(b.type),
                    dimsString(b.dims).c_str());
    std::printf("device memory: %zu bytes per execution context\n", engine.getDeviceMemorySize());
    return kExitOk;
}

int runInspect(const InspectArgs& a) {
    ConsoleLogger logger(a.src.verbose ? ILogger::Severity::kVERBOSE : ILogger::Severity::kWARNING);
    LoadedEngine loaded;
    std::string error;
    // JSON goes to stdout alone, so it stays parseable.
    if (!obtainEngine(a.src, {}, logger, loaded, error, a.json)) return fail(error);
    return a.json ? printJson(*loaded.engine) : printText(*loaded.engine);
}

}  // namespace

Command addInspectCommand(CLI::App& parent) {
    auto a = std::make_shared<InspectArgs>();
    CLI::App* app = parent.add_subcommand(
        "inspect", "Describe an engine (or the one an ONNX model builds into): layers, tactics, memory, bindings");
    addEngineSource(*app, a->src);
    app->add_flag("--json", a->json, "Print JSON instead of text");
    return {app, [a] { return runInspect(*a); }};
}

}  // namespace kiln::cli
