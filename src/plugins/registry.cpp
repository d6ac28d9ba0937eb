// The process-wide plugin registry (getPluginRegistry). It never dies, so creators that
// deregister while the process exits (PluginRegistrar's destructor) find it alive.
#include <atomic>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "plugin_host.h"

namespace kiln {

namespace {

std::string str(const char* s) { return s ? s : ""; }

class PluginRegistryImpl final : public IPluginRegistry {
public:
    bool registerCreator(IPluginCreator& creator, const char* pluginNamespace) noexcept override {
        try {
            const std::string name = str(creator.getPluginName()), version = str(creator.getPluginVersion()),
                              ns = str(pluginNamespace);
            std::lock_guard<std::mutex> lock(m_);
            if (name.empty()) {
                plugins::logToRegistry(ILogger::Severity::kERROR, "registerCreator: the creator has no plugin name");
                return false;
            }
            for (const Entry& e : entries_) {
                if (e.name == name && e.version == version && e.ns == ns) {
                    plugins::logToRegistry(ILogger::Severity::kWARNING, "registerCreator: plugin '" + name +
                                                                            "' version '" + version + "' namespace '" +
                                                                            ns + "' is registered already");
                    return false;
                }
            }
            creator.setPluginNamespace(ns.c_str());
            entries_.push_back({name, version, ns, &creator});
            list_.push_back(&creator);
            return true;
        } catch (...) {
            return false;
        }
    }

    bool deregisterCreator(const IPluginCreator& creator) noexcept override {
        std::lock_guard<std::mutex> lock(m_);
        for (size_t i = 0; i < entries_.size(); ++i) {
            if (entries_[i].creator == &creator) {
                entries_.erase(entries_.begin() + std::ptrdiff_t(i));
                list_.erase(list_.begin() + std::ptrdiff_t(i));
                return true;
            }
        }
        return false;
    }

    IPluginCreator* const* getPluginCreatorList(int32_t* numCreators) const noexcept override {
        std::lock_guard<std::mutex> lock(m_);
        if (numCreators) *numCreators = int32_t(list_.size());
        return list_.data();
    }

    IPluginCreator* getPluginCreator(const char* name, const char* version, const char* ns) noexcept override {
        if (!name || !version) return nullptr;
        const char* space = ns ? ns : "";
        std::lock_guard<std::mutex> lock(m_);
        for (const Entry& e : entries_)
            if (e.name == name && e.version == version && e.ns == space) return e.creator;
        return nullptr;
    }

    void setLogger(ILogger* logger) noexcept override { logger_.store(logger); }
    ILogger* getLogger() const noexcept override { return logger_.load(); }

private:
    struct Entry {
        std::string name, version, ns;
        IPluginCreator* creator;
    };
    mutable std::mutex m_;
    std::vector<Entry> entries_;
    std::vector<IPluginCreator*> list_;  // parallel to entries_
    std::atomic<ILogger*> logger_{nullptr};
};

}  // namespace

IPluginRegistry* getPluginRegistry() noexcept {
    static PluginRegistryImpl* registry = [] {
        plugins::installPluginHost();
        return new PluginRegistryImpl();  // never deleted: see the top of the file
    }();
    return registry;
}

namespace plugins {

void logToRegistry(ILogger::Severity severity, const std::string& msg) {
    if (ILogger* l = getPluginRegistry()->getLogger()) l->log(severity, msg.c_str());
}

}  // namespace plugins

}  // namespace kiln
