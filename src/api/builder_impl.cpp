// IBuilder, IBuilderConfig and IOptimizationProfile: collect the settings,
// lower the network (output types) and call the builder.
#include <array>
#include <map>
#include <set>

#include "builder/build.h"
#include "builder/pass.h"
#include "builder/timing_cache.h"
#include "engine/format.h"
#include "kiln/builder.h"
#include "network_impl.h"
#include "runtime/runtime_objects.h"

namespace kiln {

size_t dataTypeSize(DataType t) noexcept { return api::validDataType(t) ? ir::dtypeSize(api::toIR(t)) : 0; }
const char* dataTypeName(DataType t) noexcept {
    return api::validDataType(t) ? ir::dtypeName(api::toIR(t)).data() : "invalid";
}
int32_t getKilnVersion() noexcept { return KILN_VERSION_MAJOR * 10000 + KILN_VERSION_MINOR * 100 + KILN_VERSION_PATCH; }

namespace api {
namespace {

class OptimizationProfileImpl final : public IOptimizationProfile {
public:
    explicit OptimizationProfileImpl(ILogger* log) : log_(log) {}
    bool setDimensions(const char* name, OptProfileSelector sel, const Dims& dims) noexcept override {
        if (!name || !dimsValid(dims)) {
            logError(log_, "IOptimizationProfile::setDimensions: null name or invalid dimensions");
            return false;
        }
        for (int i = 0; i < dims.nbDims; ++i) {
            if (dims.d[i] < 0) {
                logError(log_, std::string("IOptimizationProfile::setDimensions: '") + name + "' dimension " +
                                   std::to_string(i) + " is negative");
                return false;
            }
        }
        shapes_[name][int(sel)] = toShape(dims);
        return true;
    }
    Dims getDimensions(const char* name, OptProfileSelector sel) const noexcept override {
        auto it = name ? shapes_.find(name) : shapes_.end();
        if (it == shapes_.end()) return invalidDims();
        return toDims(it->second[int(sel)]);
    }
    bool isValid() const noexcept override {
        for (const auto& [name, s] : shapes_) {
            if (s[0].size() != s[1].size() || s[1].size() != s[2].size()) return false;
            for (size_t d = 0; d < s[0].size(); ++d)
                if (s[0][d] > s[1][d] || s[1][d] > s[2][d]) return false;
        }
        return !shapes_.empty();
    }
    const std::map<std::string, std::array<ir::Shape, 3>>& shapes() const { return shapes_; }

private:
    ILogger* log_;
    std::map<std::string, std::array<ir::Shape, 3>> shapes_;
};

class TimingCacheImpl final : public ITimingCache {
public:
    explicit TimingCacheImpl(ILogger* log) : log_(log) {}
    std::unique_ptr<IHostMemory> serialize() const noexcept override {
        try {
            const std::string s = data.serialize();
            return std::make_unique<runtime::HostMemory>(std::vector<uint8_t>(s.begin(), s.end()));
        } catch (const std::exception& e) {
            logError(log_, std::string("ITimingCache::serialize: ") + e.what());
            return nullptr;
        }
    }
    bool combine(const ITimingCache& input, bool ignoreMismatch) noexcept override {
        const auto& other = static_cast<const TimingCacheImpl&>(input).data;
        if (!ignoreMismatch && data.size() > 0) {
            const auto mine = data.devices();
            for (const auto& d : other.devices()) {
                if (!mine.count(d)) {
                    logError(log_, "ITimingCache::combine: the other cache holds timings of device '" + d +
                                       "', which this cache has none of (pass ignoreMismatch = true to add them)");
                    return false;
                }
            }
        }
        try {
            data.combine(other);
        } catch (const std::exception& e) {
            logError(log_, std::string("ITimingCache::combine: ") + e.what());
            return false;
        }
        return true;
    }
    bool reset() noexcept override {
        data.reset();
        return true;
    }

    builder::TimingCacheData data;

private:
    ILogger* log_;
};

class BuilderConfigImpl final : public IBuilderConfig {
public:
    explicit BuilderConfigImpl(ILogger* log) : log_(log) {}
    void setFlags(BuilderFlags f) noexcept override { flags_ = f; }
    BuilderFlags getFlags() const noexcept override { return flags_; }
    void setFlag(BuilderFlag f) noexcept override { flags_ |= 1u << int(f); }
    void clearFlag(BuilderFlag f) noexcept override { flags_ &= ~(1u << int(f)); }
    bool getFlag(BuilderFlag f) const noexcept override { return (flags_ >> int(f)) & 1u; }
    void setMemoryPoolLimit(MemoryPoolType, size_t bytes) noexcept override { workspace_ = bytes; }
    size_t getMemoryPoolLimit(MemoryPoolType) const noexcept override { return workspace_; }
    void setMaxWorkspaceSize(size_t bytes) noexcept override { workspace_ = bytes; }
    size_t getMaxWorkspaceSize() const noexcept override { return workspace_; }
    int32_t addOptimizationProfile(const IOptimizationProfile* p) noexcept override {
        if (!p || !p->isValid()) {
            logError(log_,
                     "IBuilderConfig::addOptimizationProfile: the profile is null or invalid (min <= opt <= max "
                     "must hold for every input)");
            return -1;
        }
        profiles_.push_back(static_cast<const OptimizationProfileImpl*>(p));
        return int32_t(profiles_.size()) - 1;
    }
    int32_t getNbOptimizationProfiles() const noexcept override { return int32_t(profiles_.size()); }
    void setBackend(BackendKind b) noexcept override { backend_ = b; }
    BackendKind getBackend() const noexcept override { return backend_; }
    void setPassEnabled(const char* name, bool enabled) noexcept override {
        if (!name) return;
        if (enabled)
            disabled_.erase(name);
        else
            disabled_.insert(name);
    }
    bool getPassEnabled(const char* name) const noexcept override { return name && !disabled_.count(name); }
    void setBuilderOptimizationLevel(int32_t l) noexcept override { level_ = l; }
    int32_t getBuilderOptimizationLevel() const noexcept override { return level_; }
    void setAvgTimingIterations(int32_t n) noexcept override { iterations_ = n; }
    int32_t getAvgTimingIterations() const noexcept override { return iterations_; }
    std::unique_ptr<ITimingCache> createTimingCache(const void* blob, size_t size) const noexcept override {
        try {
            auto cache = std::make_unique<TimingCacheImpl>(log_);
            const Status st = builder::TimingCacheData::deserialize(blob, size, cache->data);
            if (!st.ok()) {
                logError(log_, "IBuilderConfig::createTimingCache: " + st.message());
                return nullptr;
            }
            return cache;
        } catch (const std::exception& e) {
            logError(log_, std::string("IBuilderConfig::createTimingCache: ") + e.what());
            return nullptr;
        }
    }
    bool setTimingCache(const ITimingCache& cache, bool ignoreMismatch) noexcept override {
        // The builds write their new timings into the cache (as TensorRT's do).
        timingCache_ = const_cast<TimingCacheImpl*>(static_cast<const TimingCacheImpl*>(&cache));
        ignoreMismatch_ = ignoreMismatch;
        return true;
    }
    const ITimingCache* getTimingCache() const noexcept override { return timingCache_; }
    builder::TimingCacheData* timingCacheData() const { return timingCache_ ? &timingCache_->data : nullptr; }
    bool timingCacheIgnoreMismatch() const { return ignoreMismatch_; }

    const std::vector<const OptimizationProfileImpl*>& profiles() const { return profiles_; }
    const std::set<std::string>& disabledPasses() const { return disabled_; }

private:
    ILogger* log_;
    BuilderFlags flags_ = 0;
    size_t workspace_ = size_t(1) << 30;
    std::vector<const OptimizationProfileImpl*> profiles_;
    BackendKind backend_ = BackendKind::kCPU;
    std::set<std::string> disabled_;  // every pass is on until disabled
    int32_t level_ = 3;
    int32_t iterations_ = 4;
    TimingCacheImpl* timingCache_ = nullptr;
    bool ignoreMismatch_ = false;
};

// Inserts a Cast after every layer output whose type the user set.
void applyOutputTypes(const NetworkImpl& net, ir::Graph& g) {
    for (const auto& layer : net.layers()) {
        if (layer->nodeIndex() < 0) continue;
        for (size_t i = 0; i < layer->outputTypes.size(); ++i) {
            const int want = layer->outputTypes[i];
            const int v = g.nodes[size_t(layer->nodeIndex())].outputs[i];
            if (want < 0 || int(g.values[size_t(v)].dtype) == want) continue;
            // The cast takes over the tensor (and its name); the layer writes a new one.
            const std::string name = g.values[size_t(v)].name;
            const int raw =
                g.addValue(g.uniqueName(name + "_precast"), g.values[size_t(v)].dtype, g.values[size_t(v)].shape);
            g.nodes[size_t(layer->nodeIndex())].outputs[i] = raw;
            g.values[size_t(raw)].producer = layer->nodeIndex();
            const int c = g.addNode("Cast", g.uniqueName(name + "_cast"), {raw}, 0);
            g.nodes[size_t(c)].outputs = {v};
            g.nodes[size_t(c)].attrs.set("to", int64_t(want));
            g.values[size_t(v)].producer = c;
        }
    }
}

class BuilderImpl final : public IBuilder {
public:
    explicit BuilderImpl(ILogger& log) : log_(&log), classic_(&log) {}

    std::unique_ptr<INetworkDefinition> createNetwork() noexcept override {
        return std::make_unique<NetworkImpl>(log_, true);
    }
    std::unique_ptr<INetworkDefinition> createNetworkV2(NetworkDefinitionCreationFlags flags) noexcept override {
        if (flags & ~3u) logWarning(log_, "createNetworkV2: unknown creation flags ignored");
        return std::make_unique<NetworkImpl>(log_, false);
    }
    std::unique_ptr<IBuilderConfig> createBuilderConfig() noexcept override {
        return std::make_unique<BuilderConfigImpl>(log_);
    }
    IOptimizationProfile* createOptimizationProfile() noexcept override {
        profiles_.push_back(std::make_unique<OptimizationProfileImpl>(log_));
        return profiles_.back().get();
    }
    void setMaxBatchSize(int32_t b) noexcept override { maxBatch_ = b; }
    int32_t getMaxBatchSize() const noexcept override { return maxBatch_; }
    void setMaxWorkspaceSize(size_t bytes) noexcept override { classic_.setMaxWorkspaceSize(bytes); }
    size_t getMaxWorkspaceSize() const noexcept override { return classic_.getMaxWorkspaceSize(); }
    void setFp16Mode(bool m) noexcept override { flag(BuilderFlag::kFP16, m); }
    bool getFp16Mode() const noexcept override { return classic_.getFlag(BuilderFlag::kFP16); }
    void setInt8Mode(bool m) noexcept override { flag(BuilderFlag::kINT8, m); }
    bool getInt8Mode() const noexcept override { return classic_.getFlag(BuilderFlag::kINT8); }
    void setStrictTypeConstraints(bool m) noexcept override { flag(BuilderFlag::kSTRICT_TYPES, m); }
    bool getStrictTypeConstraints() const noexcept override { return classic_.getFlag(BuilderFlag::kSTRICT_TYPES); }
    void setRefittable(bool m) noexcept override { flag(BuilderFlag::kREFIT, m); }
    bool getRefittable() const noexcept override { return classic_.getFlag(BuilderFlag::kREFIT); }
    bool platformHasFastFp16() const noexcept override { return false; }  // the CPU backend computes in float32
    bool platformHasFastInt8() const noexcept override { return false; }

    std::unique_ptr<ICudaEngine> buildCudaEngine(INetworkDefinition& network) noexcept override {
        return buildEngineWithConfig(network, classic_);
    }
    std::unique_ptr<ICudaEngine> buildEngineWithConfig(INetworkDefinition& network,
                                                       IBuilderConfig& config) noexcept override {
        engine::Plans plans;
        if (!buildPlans(network, config, plans)) return nullptr;
        return runtime::EngineImpl::fromPlans(std::move(plans), log_, allocator_);
    }
    std::unique_ptr<IHostMemory> buildSerializedNetwork(INetworkDefinition& network,
                                                        IBuilderConfig& config) noexcept override {
        engine::Plans plans;
        if (!buildPlans(network, config, plans)) return nullptr;
        std::vector<uint8_t> bytes;
        Status st = engine::writeEngine(plans, bytes);
        if (!st.ok()) {
            logError(log_, "buildSerializedNetwork: " + st.message());
            return nullptr;
        }
        return std::make_unique<runtime::HostMemory>(std::move(bytes));
    }
    bool isNetworkSupported(const INetworkDefinition& network, const IBuilderConfig& config) const noexcept override {
        engine::Plans plans;
        // buildPlans only fills the network's shape cache (inferShapes()), as any build does.
        return const_cast<BuilderImpl*>(this)->buildPlans(const_cast<INetworkDefinition&>(network),
                                                          const_cast<IBuilderConfig&>(config), plans, true);
    }
    ILogger* getLogger() const noexcept override { return log_; }
    void setGpuAllocator(IGpuAllocator* allocator) noexcept override { allocator_ = allocator; }

private:
    void flag(BuilderFlag f, bool on) {
        if (on)
            classic_.setFlag(f);
        else
            classic_.clearFlag(f);
    }

    bool buildPlans(INetworkDefinition& network, IBuilderConfig& config, engine::Plans& plans,
                    bool supportOnly = false) {
        auto& net = static_cast<NetworkImpl&>(network);
        auto& cfg = static_cast<BuilderConfigImpl&>(config);
        Status st = net.inferShapes();
        if (!st.ok()) {
            logError(log_, "build failed: " + st.message());
            return false;
        }
        builder::BuildOptions opt;
        opt.backend = engine::Backend(int(cfg.getBackend()));
        opt.implicitBatch = net.hasImplicitBatchDimension();
        opt.maxBatchSize = maxBatch_;
        opt.fp16 = cfg.getFlag(BuilderFlag::kFP16);
        opt.bf16 = cfg.getFlag(BuilderFlag::kBF16);
        opt.int8 = cfg.getFlag(BuilderFlag::kINT8);
        opt.fp8 = cfg.getFlag(BuilderFlag::kFP8);
        opt.tf32 = cfg.getFlag(BuilderFlag::kTF32);
        opt.obeyPrecision =
            cfg.getFlag(BuilderFlag::kOBEY_PRECISION_CONSTRAINTS) || cfg.getFlag(BuilderFlag::kSTRICT_TYPES);
        opt.refit = cfg.getFlag(BuilderFlag::kREFIT);
        opt.workspaceLimit = cfg.getMaxWorkspaceSize();
        opt.optimizationLevel = cfg.getBuilderOptimizationLevel();
        opt.timingIterations = cfg.getAvgTimingIterations();
        opt.disabledPasses = cfg.disabledPasses();
        opt.supportOnly = supportOnly;
        if (!cfg.getFlag(BuilderFlag::kDISABLE_TIMING_CACHE) && !supportOnly) {
            opt.timingCache = cfg.timingCacheData();
            opt.timingCacheIgnoreMismatch = cfg.timingCacheIgnoreMismatch();
        }
        for (auto [on, what] : {std::pair{opt.fp16, "FP16"}, {opt.bf16, "BF16"}, {opt.int8, "INT8"}, {opt.fp8, "FP8"}})
            if (on && opt.backend == engine::Backend::kCPU)
                logWarning(log_, std::string(what) +
                                     " was allowed, but the CPU backend computes every layer in "
                                     "float32; the engine keeps float32 precision");
#ifndef KILN_HAVE_CUDA
        if (opt.backend != engine::Backend::kCPU) {
            logError(log_, "build failed: the CUDA backend is not available in this kiln build");
            return false;
        }
#endif
        ir::Graph g = net.graph();
        for (size_t k = 0; k < cfg.profiles().size(); ++k) {
            const auto& shapes = cfg.profiles()[k]->shapes();
            for (const auto& [name, ranges] : shapes) {
                bool isInput = false;
                for (int v : g.inputs) isInput = isInput || g.values[size_t(v)].name == name;
                if (!isInput) {
                    logError(log_, "build failed: optimization profile " + std::to_string(k) + " gives shapes for '" +
                                       name + "', which is not a network input");
                    return false;
                }
            }
            engine::Profile p;
            for (int v : g.inputs) {
                auto it = shapes.find(g.values[size_t(v)].name);
                if (it == shapes.end()) {
                    p.min.push_back({});
                    p.opt.push_back({});
                    p.max.push_back({});
                    continue;
                }
                p.min.push_back(it->second[0]);
                p.opt.push_back(it->second[1]);
                p.max.push_back(it->second[2]);
            }
            opt.profiles.push_back(p);
        }
        applyOutputTypes(net, g);
        auto log = [this](int sev, const std::string& m) { logMessage(log_, ILogger::Severity(sev), m); };
        try {
            st = builder::buildPlans(g, opt, log, plans);
        } catch (const std::bad_alloc&) {
            st = Status::Error("out of memory");
        } catch (const std::length_error&) {  // a buffer asked for more than the address space
            st = Status::Error("out of memory: a buffer larger than the address space was asked for");
        }
        if (!st.ok()) logError(log_, "build failed: " + st.message());
        return st.ok();
    }

    ILogger* log_;
    BuilderConfigImpl classic_;
    int32_t maxBatch_ = 1;
    std::vector<std::unique_ptr<OptimizationProfileImpl>> profiles_;
    IGpuAllocator* allocator_ = nullptr;
};

}  // namespace
}  // namespace api

const char* getBuilderPassName(int32_t index) noexcept {
    static const std::vector<std::string> names = builder::allPassNames();
    return index >= 0 && index < int32_t(names.size()) ? names[size_t(index)].c_str() : nullptr;
}

std::unique_ptr<IBuilder> createInferBuilder(ILogger& logger) noexcept {
    return std::make_unique<api::BuilderImpl>(logger);
}

}  // namespace kiln
