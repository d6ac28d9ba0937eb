// initBuiltinPlugins: one creator of each built-in plugin per namespace, registered once.
#include <map>
#include <mutex>
#include <string>

#include "builtin.h"

namespace kiln {

bool initBuiltinPlugins(ILogger* logger, const char* libNamespace) noexcept {
    try {
        static std::mutex m;
        // Creators must outlive their registration: they live as long as the process.
        static auto* created = new std::map<std::string, std::vector<std::unique_ptr<IPluginCreator>>>();
        std::lock_guard<std::mutex> lock(m);
        IPluginRegistry* registry = getPluginRegistry();
        if (logger && !registry->getLogger()) registry->setLogger(logger);
        const std::string ns = libNamespace ? libNamespace : "";
        if (created->count(ns)) return true;
        std::vector<std::unique_ptr<IPluginCreator>> creators;
        creators.push_back(builtin::makeRPROICreator());
        creators.push_back(builtin::makeNormalizeCreator());
        creators.push_back(builtin::makePriorBoxCreator());
        creators.push_back(builtin::makeGridAnchorCreator());
        creators.push_back(builtin::makeDetectionOutputCreator());
        creators.push_back(builtin::makeLReLUCreator());
        creators.push_back(builtin::makeReorgCreator());
        creators.push_back(builtin::makeRegionCreator());
        creators.push_back(builtin::makeClipCreator());
        creators.push_back(builtin::makeROIAlignCreator());
        creators.push_back(builtin::makeBatchedNMSCreator());
        bool ok = true;
        for (auto& c : creators) {
            if (registry->registerCreator(*c, ns.c_str())) continue;
            ok = false;
            if (logger) {
                const std::string msg = std::string("initBuiltinPlugins: could not register ") + c->getPluginName() +
                                        " in namespace '" + ns + "' (a creator of that name is registered already)";
                logger->log(ILogger::Severity::kERROR, msg.c_str());
            }
        }
        (*created)[ns] = std::move(creators);
        return ok;
    } catch (...) {
        return false;
    }
}

}  // namespace kiln
