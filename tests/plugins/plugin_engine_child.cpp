// The other process of the plugin serialization tests: loads an engine file, runs it on
// the deterministic inputs the tests use, and writes its outputs (raw bytes, in binding
// order). Exit codes: 0 done, 2 usage or I/O, 3 the engine did not load, 4 it did not run.
//
// Usage: plugin_engine_child ENGINE OUT [--builtin] [--plugins LIBRARY]...
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "kiln/kiln.h"

namespace {
struct StderrLogger : kiln::ILogger {
    void log(Severity s, const char* msg) noexcept override {
        if (s <= Severity::kERROR) std::fprintf(stderr, "%s\n", msg);
    }
};
}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) return 2;
    StderrLogger log;
    for (int i = 3; i < argc; ++i) {
        if (std::strcmp(argv[i], "--builtin") == 0) {
            if (!kiln::initBuiltinPlugins(&log, "")) return 2;
        } else if (std::strcmp(argv[i], "--plugins") == 0 && i + 1 < argc) {
            if (!kiln::loadPluginLibrary(argv[++i], &log)) return 2;
        } else {
            return 2;
        }
    }
    std::ifstream in(argv[1], std::ios::binary);
    const std::vector<char> blob((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto runtime = kiln::createInferRuntime(log);
    auto engine = runtime->deserializeCudaEngine(blob.data(), blob.size());
    if (!engine) return 3;
    auto ctx = engine->createExecutionContext();
    std::vector<std::vector<uint8_t>> buffers;
    for (int32_t i = 0; i < engine->getNbIOTensors(); ++i) {
        const char* name = engine->getIOTensorName(i);
        const int64_t n = kiln::volume(ctx->getTensorShape(name));
        buffers.emplace_back(size_t(n) * kiln::dataTypeSize(engine->getTensorDataType(name)) + 1);
        // Float inputs: x[k] = sin(0.1 k + i), what the tests feed in their own process.
        if (engine->getTensorIOMode(name) == kiln::TensorIOMode::kINPUT) {
            if (engine->getTensorDataType(name) != kiln::DataType::kFLOAT) return 2;
            for (int64_t k = 0; k < n; ++k) {
                const float v = float(std::sin(0.1 * double(k) + i));
                std::memcpy(buffers.back().data() + 4 * k, &v, 4);
            }
        }
        ctx->setTensorAddress(name, buffers.back().data());
    }
    if (!ctx->execute()) return 4;
    std::ofstream out(argv[2], std::ios::binary);
    for (int32_t i = 0; i < engine->getNbIOTensors(); ++i)
        if (engine->getTensorIOMode(engine->getIOTensorName(i)) == kiln::TensorIOMode::kOUTPUT)
            out.write(reinterpret_cast<const char*>(buffers[size_t(i)].data()),
                      std::streamsize(buffers[size_t(i)].size() - 1));
    return out.good() ? 0 : 2;
}
