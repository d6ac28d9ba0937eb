// Parse-time evaluation of nodes whose inputs are all known (initializers,
// Constant nodes, shapes of static tensors): the node is converted into a
// scratch network, built for the CPU and run, and its outputs become
// parse-time constants. Shape arithmetic (Shape -> Gather -> Concat ->
// Reshape, Size, Range ...) then leaves static shapes behind, exactly as the
// layers would compute them at run time.
#include <memory>

#include "importer.h"
#include "kiln/builder.h"

namespace kiln::onnx {

namespace {

// Folding is for small shape-like tensors; big constant math is the builder's job.
constexpr int64_t kMaxFoldInputElements = int64_t(1) << 16;
constexpr size_t kMaxFoldOutputBytes = size_t(1) << 20;

class QuietLogger final : public ILogger {
public:
    void log(Severity, const char*) noexcept override {}
};

// Receives one output of the scratch engine.
class ConstantSink final : public IOutputAllocator {
public:
    void* reallocateOutput(const char*, void*, uint64_t size, uint64_t) noexcept override {
        if (size > kMaxFoldOutputBytes) return nullptr;
        storage.assign(size_t(size) / 8 + 9, 0);  // 8-byte aligned, never empty
        bytes = size_t(size);
        return storage.data();
    }
    void notifyShape(const char*, const Dims& d) noexcept override { dims.assign(d.d, d.d + d.nbDims); }

    std::vector<uint64_t> storage;
    size_t bytes = 0;
    std::vector<int64_t> dims;
};

bool nondeterministic(const std::string& op) {
    return op.rfind("Random", 0) == 0 || op == "Bernoulli" || op == "Multinomial";
}

}  // namespace

bool Importer::tryFold(const pb::NodeProto& node, int32_t index) {
    if (!mFoldConstants || node.input_size() == 0 || nondeterministic(node.op_type())) return false;
    int64_t elements = 0;
    for (const auto& name : node.input()) {
        if (name.empty()) continue;
        const Constant* c = findConstant(name);
        if (!c) return false;
        elements += c->count();
    }
    if (elements > kMaxFoldInputElements) return false;

    QuietLogger quiet;
    auto builder = createInferBuilder(quiet);
    auto network = builder ? builder->createNetworkV2(0) : nullptr;
    auto config = builder ? builder->createBuilderConfig() : nullptr;
    if (!network || !config) return false;
    WeightStore store;
    std::vector<ErrorRecord> errors;
    Importer scratch(*network, quiet, store, errors, mModelDir);
    scratch.mOpset = mOpset;
    scratch.mFoldConstants = false;
    for (const auto& name : node.input())
        if (!name.empty()) scratch.mConstants[name] = mConstants[name];
    if (!scratch.importNode(node, index)) return false;

    std::map<std::string, Constant> results;
    std::vector<std::string> computed;
    for (const auto& name : node.output()) {
        if (name.empty()) continue;
        if (const Constant* c = scratch.findConstant(name); c && !scratch.mTensors.count(name)) {
            results[name] = *c;  // the converter bound it as a constant itself
        } else if (auto it = scratch.mTensors.find(name); it != scratch.mTensors.end()) {
            if (it->second->isNetworkOutput()) return false;  // one tensor for two outputs
            network->markOutput(*it->second);
            computed.push_back(name);
        }
    }
    if (!computed.empty()) {
        config->setBackend(BackendKind::kCPU);
        config->setBuilderOptimizationLevel(0);
        auto engine = builder->buildEngineWithConfig(*network, *config);
        auto context = engine ? engine->createExecutionContext() : nullptr;
        if (!context) return false;
        std::vector<ConstantSink> sinks(computed.size());
        for (size_t i = 0; i < computed.size(); ++i)
            if (!context->setOutputAllocator(computed[i].c_str(), &sinks[i])) return false;
        if (!context->enqueueV3(nullptr)) return false;
        for (size_t i = 0; i < computed.size(); ++i) {
            Constant c;
            c.type = engine->getTensorDataType(computed[i].c_str());
            c.dims = sinks[i].dims;
            size_t bytes = dataTypeSize(c.type);
            for (int64_t d : c.dims) bytes *= size_t(d);
            if (bytes > sinks[i].bytes) return false;
            const auto* p = reinterpret_cast<const uint8_t*>(sinks[i].storage.data());
            c.bytes.assign(p, p + bytes);
            results[computed[i]] = std::move(c);
        }
    }
    for (auto& [name, c] : results) mConstants[name] = std::move(c);
    return true;
}

}  // namespace kiln::onnx
