// sample_plugin: a custom layer written as a plugin in its own library (mish_plugin.h,
// mish_plugin.cpp -> libkiln_sample_plugin.so), loaded at run time and used in a network.
// The program knows the layer only by name, through the plugin registry, as a program
// loading a TensorRT plugin library does.
//
// Usage: sample_plugin [PLUGIN_LIBRARY [ENGINE_FILE]]
//   PLUGIN_LIBRARY  the plugin library (default: the one built beside this sample)
//   ENGINE_FILE     also save the engine there (for `kiln run --engine ENGINE_FILE --plugins ...`)
// Prints "&&&& PASSED kiln.sample_plugin" when the engine's outputs match the formula, before
// and after serialization.
#include <kiln/kiln.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

const char* kTest = "kiln.sample_plugin";

class Logger : public kiln::ILogger {
    void log(Severity severity, const char* msg) noexcept override {
        if (severity <= Severity::kWARNING) std::fprintf(stderr, "%s\n", msg);
    }
} gLogger;

int failed(const std::string& why) {
    std::printf("%s\n&&&& FAILED %s\n", why.c_str(), kTest);
    return 1;
}

// Runs `engine` on x (named tensors "x" -> "y").
bool infer(kiln::ICudaEngine& engine, std::vector<float>& x, std::vector<float>& y) {
    auto context = engine.createExecutionContext();
    return context && context->setTensorAddress("x", x.data()) && context->setTensorAddress("y", y.data()) &&
           context->execute();
}

}  // namespace

int main(int argc, char** argv) {
    const char* library = argc > 1 ? argv[1] : KILN_SAMPLE_PLUGIN_LIB;
    const char* enginePath = argc > 2 ? argv[2] : nullptr;
    std::printf("&&&& RUNNING %s\n", kTest);

    // 1. Load the plugin library: its creators register themselves.
    if (!kiln::loadPluginLibrary(library, &gLogger)) return failed(std::string("cannot load ") + library);
    kiln::IPluginCreator* creator = kiln::getPluginRegistry()->getPluginCreator("Mish_Sample", "1", "");
    if (!creator) return failed("the library registered no Mish_Sample plugin");

    // 2. Create the plugin from its fields, as a parser would.
    const float beta = 2.f;
    const kiln::PluginField field("beta", &beta, kiln::PluginFieldType::kFLOAT32, 1);
    const kiln::PluginFieldCollection fields{1, &field};
    std::unique_ptr<kiln::IPluginV2> plugin(creator->createPlugin("mish", &fields));
    if (!plugin) return failed("the creator rejected the fields");

    // 3. A network x -> Mish -> y; the network keeps its own copy of the plugin.
    auto builder = kiln::createInferBuilder(gLogger);
    auto network = builder->createNetworkV2(0);
    kiln::ITensor* x = network->addInput("x", kiln::DataType::kFLOAT, kiln::Dims4(2, 3, 4, 5));
    kiln::IPluginV2Layer* mish = network->addPluginV2(&x, 1, *plugin);
    if (!mish) return failed("addPluginV2 failed");
    plugin.reset();
    mish->getOutput(0)->setName("y");
    network->markOutput(*mish->getOutput(0));
    auto config = builder->createBuilderConfig();
    config->setBackend(kiln::BackendKind::kCPU);
    auto engine = builder->buildEngineWithConfig(*network, *config);
    if (!engine) return failed("the build failed");

    // 4. Run, and check against the formula.
    std::vector<float> input(120), output(120), again(120);
    for (size_t i = 0; i < input.size(); ++i) input[i] = float(i) / 12.f - 5.f;
    if (!infer(*engine, input, output)) return failed("inference failed");
    for (size_t i = 0; i < input.size(); ++i) {
        const double v = input[i], want = v * std::tanh(std::log1p(std::exp(beta * v)) / beta);
        if (std::fabs(output[i] - want) > 1e-5 + 1e-5 * std::fabs(want))
            return failed("y[" + std::to_string(i) + "] = " + std::to_string(output[i]) + ", want " +
                          std::to_string(want));
    }

    // 5. Serialize and load again: the engine recreates the plugin through the registry.
    auto blob = engine->serialize();
    if (!blob) return failed("serialization failed");
    if (enginePath) {
        std::ofstream(enginePath, std::ios::binary)
            .write(static_cast<const char*>(blob->data()), std::streamsize(blob->size()));
        std::printf("saved the engine to %s\n", enginePath);
    }
    auto runtime = kiln::createInferRuntime(gLogger);
    auto loaded = runtime->deserializeCudaEngine(blob->data(), blob->size());
    if (!loaded || !infer(*loaded, input, again)) return failed("the deserialized engine failed");
    if (again != output) return failed("the deserialized engine computed other values");

    std::printf("&&&& PASSED %s\n", kTest);
    return 0;
}
