// Helpers of the plugin tests: make plugin fields, create built-in plugins through the
// registry, build a one-plugin network (explicit batch, CPU) and run it.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "kiln/kiln.h"

namespace plugintest {

struct Logger : kiln::ILogger {
    std::string errors;
    void log(Severity s, const char* msg) noexcept override {
        if (s <= Severity::kERROR) errors += std::string(msg ? msg : "") + "\n";
    }
};

// A host tensor with its full dimensions.
struct Tensor {
    kiln::DataType type = kiln::DataType::kFLOAT;
    std::vector<int64_t> dims;
    std::vector<uint8_t> bytes;

    int64_t volume() const;
    std::vector<float> floats() const;
    std::vector<int32_t> ints() const;
};
Tensor floats(std::vector<int64_t> dims, const std::vector<float>& v);
Tensor floats(std::vector<int64_t> dims, const std::vector<double>& v);
Tensor int32s(std::vector<int64_t> dims, const std::vector<int32_t>& v);

// Plugin fields whose data lives as long as this object.
class Fields {
public:
    Fields& f(const char* name, float v) { return add(name, kiln::PluginFieldType::kFLOAT32, &v, 4, 1); }
    Fields& i(const char* name, int32_t v) { return add(name, kiln::PluginFieldType::kINT32, &v, 4, 1); }
    Fields& fs(const char* name, const std::vector<float>& v) {
        return add(name, kiln::PluginFieldType::kFLOAT32, v.data(), 4, int32_t(v.size()));
    }
    Fields& is(const char* name, const std::vector<int32_t>& v) {
        return add(name, kiln::PluginFieldType::kINT32, v.data(), 4, int32_t(v.size()));
    }
    Fields& add(const char* name, kiln::PluginFieldType t, const void* data, size_t elemSize, int32_t n);
    const kiln::PluginFieldCollection* collection();

private:
    std::deque<std::vector<uint8_t>> data_;
    std::deque<std::string> names_;
    std::vector<kiln::PluginField> fields_;
    kiln::PluginFieldCollection fc_;
};

// Registers the built-in plugins (once), with a logger that lives as long as the process
// (the registry keeps it), and returns that logger.
Logger& builtinPlugins();

// Registers the built-in plugins (once) and creates one from fields; null on failure.
std::unique_ptr<kiln::IPluginV2> createBuiltin(const char* name, Fields& fields, Logger& log);

struct RunResult {
    bool ok = false;
    std::vector<Tensor> outputs;
    std::string errors;
};

// One network: `inputs` as network inputs, the plugin on them, every plugin output marked.
RunResult runPlugin(kiln::IPluginV2& plugin, const std::vector<Tensor>& inputs);

// got within atol + rtol * |want| of want, element by element.
::testing::AssertionResult near(const std::vector<float>& got, const std::vector<double>& want, double atol = 1e-5,
                                double rtol = 1e-5);

}  // namespace plugintest
