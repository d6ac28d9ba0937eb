#include "plugin_test_util.h"

#include <cmath>
#include <mutex>

namespace plugintest {

using kiln::DataType;

int64_t Tensor::volume() const {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    return n;
}

std::vector<float> Tensor::floats() const {
    std::vector<float> v(bytes.size() / 4);
    if (!v.empty()) std::memcpy(v.data(), bytes.data(), bytes.size());
    return v;
}

std::vector<int32_t> Tensor::ints() const {
    std::vector<int32_t> v(bytes.size() / 4);
    if (!v.empty()) std::memcpy(v.data(), bytes.data(), bytes.size());
    return v;
}

Tensor floats(std::vector<int64_t> dims, const std::vector<float>& v) {
    Tensor t{DataType::kFLOAT, std::move(dims), std::vector<uint8_t>(v.size() * 4)};
    EXPECT_EQ(t.volume(), int64_t(v.size()));
    if (!v.empty()) std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
    return t;
}

Tensor floats(std::vector<int64_t> dims, const std::vector<double>& v) {
    return floats(std::move(dims), std::vector<float>(v.begin(), v.end()));
}

Tensor int32s(std::vector<int64_t> dims, const std::vector<int32_t>& v) {
    Tensor t{DataType::kINT32, std::move(dims), std::vector<uint8_t>(v.size() * 4)};
    EXPECT_EQ(t.volume(), int64_t(v.size()));
    if (!v.empty()) std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
    return t;
}

Fields& Fields::add(const char* name, kiln::PluginFieldType t, const void* data, size_t elemSize, int32_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    data_.emplace_back(p, p + elemSize * size_t(n));
    names_.emplace_back(name);
    fields_.emplace_back(names_.back().c_str(), data_.back().data(), t, n);
    return *this;
}

const kiln::PluginFieldCollection* Fields::collection() {
    fc_.nbFields = int32_t(fields_.size());
    fc_.fields = fields_.data();
    return &fc_;
}

Logger& builtinPlugins() {
    static Logger registryLog;  // outlives the registry's use of it
    static std::once_flag once;
    std::call_once(once, [] { EXPECT_TRUE(kiln::initBuiltinPlugins(&registryLog, "")); });
    return registryLog;
}

std::unique_ptr<kiln::IPluginV2> createBuiltin(const char* name, Fields& fields, Logger& log) {
    Logger& registryLog = builtinPlugins();
    kiln::IPluginCreator* c = kiln::getPluginRegistry()->getPluginCreator(name, "1", "");
    if (!c) {
        log.errors += std::string("no creator for ") + name + "\n";
        return nullptr;
    }
    registryLog.errors.clear();
    std::unique_ptr<kiln::IPluginV2> p(c->createPlugin("test", fields.collection()));
    log.errors += registryLog.errors;
    return p;
}

RunResult runPlugin(kiln::IPluginV2& plugin, const std::vector<Tensor>& inputs) {
    RunResult r;
    Logger log;
    auto builder = kiln::createInferBuilder(log);
    auto net = builder->createNetworkV2(0);
    std::vector<kiln::ITensor*> ins;
    for (size_t i = 0; i < inputs.size(); ++i) {
        kiln::Dims d;
        for (int64_t x : inputs[i].dims) d.d[d.nbDims++] = x;
        ins.push_back(net->addInput(("in" + std::to_string(i)).c_str(), inputs[i].type, d));
    }
    kiln::IPluginV2Layer* layer = net->addPluginV2(ins.data(), int32_t(ins.size()), plugin);
    if (!layer) {
        r.errors = log.errors;
        return r;
    }
    for (int32_t o = 0; o < layer->getNbOutputs(); ++o) {
        layer->getOutput(o)->setName(("out" + std::to_string(o)).c_str());
        net->markOutput(*layer->getOutput(o));
    }
    auto config = builder->createBuilderConfig();
    config->setBackend(kiln::BackendKind::kCPU);
    auto engine = builder->buildEngineWithConfig(*net, *config);
    if (!engine) {
        r.errors = log.errors;
        return r;
    }
    auto ctx = engine->createExecutionContext();
    std::vector<std::vector<uint8_t>> buffers;
    buffers.reserve(inputs.size() + size_t(layer->getNbOutputs()));
    for (size_t i = 0; i < inputs.size(); ++i) {
        buffers.push_back(inputs[i].bytes);
        buffers.back().resize(std::max<size_t>(buffers.back().size(), 1));
        const std::string name = "in" + std::to_string(i);
        ctx->setTensorAddress(name.c_str(), buffers.back().data());
    }
    for (int32_t o = 0; o < engine->getNbIOTensors() - int32_t(inputs.size()); ++o) {
        const std::string name = "out" + std::to_string(o);
        const kiln::Dims d = ctx->getTensorShape(name.c_str());
        Tensor t;
        t.type = engine->getTensorDataType(name.c_str());
        for (int k = 0; k < d.nbDims; ++k) t.dims.push_back(d.d[k]);
        t.bytes.assign(size_t(t.volume()) * 4 + (t.type == DataType::kINT64 ? size_t(t.volume()) * 4 : 0), 0xCD);
        r.outputs.push_back(std::move(t));
    }
    for (size_t o = 0; o < r.outputs.size(); ++o) {
        const std::string name = "out" + std::to_string(o);
        r.outputs[o].bytes.resize(std::max<size_t>(r.outputs[o].bytes.size(), 1));
        ctx->setTensorAddress(name.c_str(), r.outputs[o].bytes.data());
    }
    r.ok = ctx->execute();
    r.errors = log.errors;
    return r;
}

::testing::AssertionResult near(const std::vector<float>& got, const std::vector<double>& want, double atol,
                                double rtol) {
    if (got.size() != want.size())
        return ::testing::AssertionFailure() << "got " << got.size() << " values, want " << want.size();
    int bad = 0;
    std::string msg;
    for (size_t i = 0; i < got.size(); ++i) {
        const bool ok =
            std::isnan(want[i]) ? std::isnan(got[i]) : std::fabs(got[i] - want[i]) <= atol + rtol * std::fabs(want[i]);
        if (ok) continue;
        if (++bad <= 8)
            msg +=
                "\n  [" + std::to_string(i) + "] got " + std::to_string(got[i]) + ", want " + std::to_string(want[i]);
    }
    if (bad) return ::testing::AssertionFailure() << bad << " of " << got.size() << " values differ:" << msg;
    return ::testing::AssertionSuccess();
}

}  // namespace plugintest
