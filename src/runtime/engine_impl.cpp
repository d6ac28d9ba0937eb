#include <algorithm>
#include <new>
#include <sstream>

#include "engine/format.h"
#include "runtime_objects.h"

namespace kiln::runtime {

namespace {
void logError(ILogger* l, const std::string& m) {
    if (l) l->log(ILogger::Severity::kERROR, m.c_str());
}
Dims toDims(const ir::Shape& s) {
    Dims d;
    d.nbDims = int32_t(s.size());
    for (size_t i = 0; i < s.size() && i < size_t(Dims::MAX_DIMS); ++i) d.d[i] = s[i];
    return d;
}
Dims badDims() {
    Dims d;
    d.nbDims = -1;
    return d;
}
}  // namespace

std::unique_ptr<EngineImpl> EngineImpl::fromPlans(engine::Plans plans, ILogger* logger, IGpuAllocator* allocator) {
    std::vector<std::shared_ptr<const EngineCore>> cores;
    Status st = plans.empty() ? Status::Error("the engine has no optimization profile") : Status::Ok();
    try {  // preparing kernels allocates (packed weights); callers are noexcept
        for (size_t k = 0; k < plans.size() && st.ok(); ++k) {
            st = EngineCore::create(std::move(plans[k]), cores.emplace_back(), allocator, int(k));
            if (!st.ok() && plans.size() > 1) st = st.withContext("optimization profile " + std::to_string(k) + ": ");
        }
    } catch (const std::bad_alloc&) {
        st = Status::Error("out of memory while preparing the engine's kernels");
    } catch (const std::length_error&) {  // a buffer asked for more than the address space
        st = Status::Error("out of memory while preparing the engine's kernels: a buffer larger than the address space");
    }
    if (!st.ok()) {
        logError(logger, st.message());
        return nullptr;
    }
    return std::make_unique<EngineImpl>(std::move(cores), logger, allocator);
}

ir::Shape EngineImpl::declaredShape(int i) const {
    ir::Shape s = core_->declaredShape(i);
    for (size_t k = 1; k < cores_.size(); ++k) {
        const ir::Shape other = cores_[k]->declaredShape(i);
        for (size_t d = 0; d < s.size() && d < other.size(); ++d)
            if (other[d] != s[d]) s[d] = -1;
    }
    return s;
}

Dims EngineImpl::getProfileShape(const char* name, int32_t profile, OptProfileSelector select) const noexcept {
    const int i = findBinding(name, "getProfileShape");
    if (i < 0) return badDims();
    if (!core_->bindings()[size_t(i)].isInput) {
        logError(logger_, std::string("getProfileShape: '") + name + "' is an output; profiles give input shapes");
        return badDims();
    }
    const int sel = int(select);
    if (profile < 0 || profile >= getNbOptimizationProfiles() || sel < 0 || sel > 2) {
        logError(logger_, "getProfileShape: the engine has " + std::to_string(getNbOptimizationProfiles()) +
                              " optimization profile(s); profile " + std::to_string(profile) + " selector " +
                              std::to_string(sel) + " is out of range");
        return badDims();
    }
    const engine::Profile& p = cores_[size_t(profile)]->plan().profiles[0];
    return toDims(sel == 0 ? p.min[size_t(i)] : sel == 1 ? p.opt[size_t(i)] : p.max[size_t(i)]);
}

int EngineImpl::findBinding(const char* name, const char* call) const {
    if (!name) {
        logError(logger_, std::string(call) + ": null tensor name");
        return -1;
    }
    const int i = core_->bindingIndex(name);
    if (i < 0) logError(logger_, std::string(call) + ": the engine has no input or output named '" + name + "'");
    return i;
}

int32_t EngineImpl::getBindingIndex(const char* name) const noexcept { return findBinding(name, "getBindingIndex"); }

const char* EngineImpl::getBindingName(int32_t i) const noexcept {
    if (i < 0 || i >= getNbBindings()) {
        logError(logger_, "getBindingName: binding index " + std::to_string(i) + " is out of range");
        return nullptr;
    }
    return core_->bindings()[size_t(i)].name.c_str();
}

bool EngineImpl::bindingIsInput(int32_t i) const noexcept {
    return i >= 0 && i < getNbBindings() && core_->bindings()[size_t(i)].isInput;
}

Dims EngineImpl::getBindingDimensions(int32_t i) const noexcept {
    if (i < 0 || i >= getNbBindings()) {
        logError(logger_, "getBindingDimensions: binding index " + std::to_string(i) + " is out of range");
        return badDims();
    }
    ir::Shape s = declaredShape(i);
    if (core_->plan().implicitBatch && !s.empty()) s.erase(s.begin());
    return toDims(s);
}

DataType EngineImpl::getBindingDataType(int32_t i) const noexcept {
    if (i < 0 || i >= getNbBindings()) return DataType::kFLOAT;
    return DataType(int(core_->plan().graph.values[size_t(core_->bindings()[size_t(i)].value)].dtype));
}

TensorIOMode EngineImpl::getTensorIOMode(const char* name) const noexcept {
    const int i = name ? core_->bindingIndex(name) : -1;
    if (i < 0) return TensorIOMode::kNONE;
    return core_->bindings()[size_t(i)].isInput ? TensorIOMode::kINPUT : TensorIOMode::kOUTPUT;
}

Dims EngineImpl::getTensorShape(const char* name) const noexcept {
    const int i = findBinding(name, "getTensorShape");
    return i < 0 ? badDims() : toDims(declaredShape(i));
}

DataType EngineImpl::getTensorDataType(const char* name) const noexcept {
    const int i = findBinding(name, "getTensorDataType");
    return i < 0 ? DataType::kFLOAT : getBindingDataType(i);
}

// What a context needs for one profile: the largest profile's arena and workspace.
size_t EngineImpl::getDeviceMemorySize() const noexcept {
    size_t bytes = 0;
    for (const auto& c : cores_) bytes = std::max(bytes, size_t(c->plan().memory.arenaBytes) + c->workspaceBytes());
    return bytes;
}

std::unique_ptr<IExecutionContext> EngineImpl::createExecutionContext() noexcept {
    try {
        auto ctx = std::make_unique<ContextImpl>(*this);
        if (!ctx->initStatus().ok()) {
            logError(logger_, "createExecutionContext: " + ctx->initStatus().message());
            return nullptr;
        }
        return ctx;
    } catch (const std::bad_alloc&) {
        logError(logger_, "createExecutionContext: out of memory allocating " + std::to_string(getDeviceMemorySize()) +
                              " bytes of activations");
        return nullptr;
    }
}

std::unique_ptr<IHostMemory> EngineImpl::serialize() const noexcept {
    std::vector<uint8_t> bytes;
    engine::Plans plans;
    for (const auto& c : cores_) plans.push_back(c->plan());
    Status st = engine::writeEngine(plans, bytes);
    if (!st.ok()) {
        logError(logger_, "serialize: " + st.message());
        return nullptr;
    }
    return std::make_unique<HostMemory>(std::move(bytes));
}

namespace {
std::string jsonEscape(const std::string& s) {
    std::string r;
    for (char c : s) {
        if (c == '"' || c == '\\') r += '\\';
        if (static_cast<unsigned char>(c) < 0x20) continue;
        r += c;
    }
    return r;
}
}  // namespace

std::unique_ptr<IHostMemory> EngineImpl::getEngineInformation(bool json) const noexcept {
    const engine::Plan& p = core_->plan();
    const ir::Graph& g = p.graph;
    std::ostringstream os;
    auto tensorText = [&](int v) {
        if (v < 0) return std::string("-");
        const auto& val = g.values[size_t(v)];
        return val.name + ":" + std::string(ir::dtypeName(val.dtype)) + ir::shapeToString(val.shape) +
               (val.isConstant() ? "(const)" : "");
    };
    if (json) {
        os << "{\"producer\":\"" << jsonEscape(p.producer) << "\",\"backend\":\"" << engine::backendName(p.backend)
           << "\",\"device\":\"" << jsonEscape(p.deviceFingerprint) << "\",\"implicit_batch\":"
           << (p.implicitBatch ? "true" : "false") << ",\"max_batch_size\":" << p.maxBatchSize
           << ",\"arena_bytes\":" << p.memory.arenaBytes << ",\"workspace_bytes\":" << p.memory.workspaceBytes
           << ",\"profiles\":[";
        // Per optimization profile: its arena and each input's range (the layers below are profile 0's).
        for (size_t k = 0; k < cores_.size(); ++k) {
            const engine::Plan& pk = cores_[k]->plan();
            os << (k ? "," : "") << "{\"arena_bytes\":" << pk.memory.arenaBytes << ",\"inputs\":[";
            for (size_t i = 0; i < pk.graph.inputs.size(); ++i)
                os << (i ? "," : "") << "{\"name\":\"" << jsonEscape(pk.graph.values[size_t(pk.graph.inputs[i])].name)
                   << "\",\"min\":" << ir::shapeToString(pk.profiles[0].min[i])
                   << ",\"opt\":" << ir::shapeToString(pk.profiles[0].opt[i])
                   << ",\"max\":" << ir::shapeToString(pk.profiles[0].max[i]) << "}";
            os << "]}";
        }
        os << "],\"layers\":[";
        for (size_t i = 0; i < g.nodes.size(); ++i) {
            const auto& n = g.nodes[i];
            os << (i ? "," : "") << "{\"name\":\"" << jsonEscape(n.name) << "\",\"op\":\"" << n.op << "\",\"tactic\":\""
               << n.tactic << "\",\"precision\":\""
               << ir::dtypeName(n.outputs.empty() ? ir::DType::kF32 : g.values[size_t(n.outputs[0])].dtype)
               << "\",\"inputs\":[";
            for (size_t j = 0; j < n.inputs.size(); ++j) os << (j ? "," : "") << "\"" << jsonEscape(tensorText(n.inputs[j])) << "\"";
            os << "],\"outputs\":[";
            for (size_t j = 0; j < n.outputs.size(); ++j)
                os << (j ? "," : "") << "\"" << jsonEscape(tensorText(n.outputs[j])) << "\"";
            os << "]}";
        }
        os << "]}\n";
    } else {
        os << "engine: " << p.producer << ", backend " << engine::backendName(p.backend) << " (" << p.deviceFingerprint
           << ")\n";
        os << (p.implicitBatch ? "implicit batch, max batch " + std::to_string(p.maxBatchSize) : std::string("explicit batch"))
           << "\n";
        os << "memory: arena " << p.memory.arenaBytes << " bytes, workspace " << p.memory.workspaceBytes << " bytes\n";
        for (size_t k = 0; k < cores_.size(); ++k) {
            const engine::Plan& pk = cores_[k]->plan();
            os << "profile " << k << ": arena " << pk.memory.arenaBytes << " bytes";
            for (size_t i = 0; i < pk.graph.inputs.size(); ++i)
                os << ", " << pk.graph.values[size_t(pk.graph.inputs[i])].name << " "
                   << ir::shapeToString(pk.profiles[0].min[i]) << ".." << ir::shapeToString(pk.profiles[0].max[i])
                   << " (opt " << ir::shapeToString(pk.profiles[0].opt[i]) << ")";
            os << "\n";
        }
        os << "layers (" << g.nodes.size() << (cores_.size() > 1 ? ", profile 0" : "") << "):\n";
        for (const auto& n : g.nodes) {
            os << "  " << n.name << "  [" << n.op << ", tactic " << n.tactic << "]\n";
            for (int v : n.inputs) os << "      in  " << tensorText(v) << "\n";
            for (int v : n.outputs) os << "      out " << tensorText(v) << "\n";
        }
    }
    const std::string s = os.str();
    return std::make_unique<HostMemory>(std::vector<uint8_t>(s.begin(), s.end()));
}

}  // namespace kiln::runtime
