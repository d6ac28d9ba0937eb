// The Plugin op (docs/ops.md): shape inference asks the plugin through the PluginHost.
#include "plugin.h"

#include <atomic>

#include "op_families.h"

namespace kiln::ir {

namespace {

std::atomic<PluginHost*> gHost{nullptr};

Status inferPlugin(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    for (const char* key : {"plugin_type", "plugin_version", "plugin_data"})
        if (!node.attrs.has(key)) return Status::Error(std::string("the plugin node has no '") + key + "' attribute");
    PluginHost* host = gHost.load();
    if (!host) return Status::Error("plugin " + describePlugin(node) + ": plugin support is not initialized");
    return host->infer(node, in, out);
}

}  // namespace

void setPluginHost(PluginHost* host) { gHost.store(host); }
PluginHost* pluginHost() { return gHost.load(); }

std::string describePlugin(const Node& node) {
    return "'" + node.attrs.getString("plugin_type") + "' version '" + node.attrs.getString("plugin_version") +
           "' namespace '" + node.attrs.getString("plugin_namespace") + "'";
}

void registerPluginOp(std::vector<OpSchema>& t) { t.push_back({"Plugin", 0, -1, 1, 1024, &inferPlugin}); }

}  // namespace kiln::ir
