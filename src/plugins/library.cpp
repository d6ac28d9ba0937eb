// loadPluginLibrary: dlopen a library whose static initializers register its creators.
#include <dlfcn.h>

#include <string>

#include "plugin_host.h"

namespace kiln {

bool loadPluginLibrary(const char* path, ILogger* logger) noexcept {
    try {
        IPluginRegistry* registry = getPluginRegistry();
        ILogger* log = logger ? logger : registry->getLogger();
        auto report = [&](ILogger::Severity s, const std::string& m) {
            if (log) log->log(s, m.c_str());
        };
        if (!path || !*path) {
            report(ILogger::Severity::kERROR, "loadPluginLibrary: no path given");
            return false;
        }
        int32_t before = 0, after = 0;
        registry->getPluginCreatorList(&before);
        // RTLD_NODELETE: creators stay registered for the life of the process.
        void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
        if (!handle) {
            const char* why = dlerror();
            report(ILogger::Severity::kERROR,
                   std::string("loadPluginLibrary: cannot load '") + path + "': " + (why ? why : "unknown error"));
            return false;
        }
        registry->getPluginCreatorList(&after);
        report(ILogger::Severity::kINFO, std::string("loaded plugin library '") + path + "' (" +
                                             std::to_string(after - before) + " plugin creators registered)");
        return true;
    } catch (...) {
        return false;
    }
}

}  // namespace kiln
