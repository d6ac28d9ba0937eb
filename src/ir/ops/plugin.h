// The Plugin op: a layer computed by a user or built-in plugin (kiln/plugin.h). The IR
// knows a plugin only by its node attributes (plugin_type, plugin_version,
// plugin_namespace, plugin_data: the serialized bytes, implicit_batch) and through the
// PluginHost below, which src/plugins installs; so shape inference, the builder and the
// backends reach the plugin without depending on the public API.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "../op_schema.h"

namespace kiln::ir {

// One plugin object, as the builder and a backend use it. Not thread-safe: a kernel
// keeps one per concurrent run.
class PluginInstance {
public:
    virtual ~PluginInstance() = default;
    // Output dtypes and shapes from the inputs' (extents -1 where unknown).
    virtual Status inferOutputs(const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) = 0;
    // Whether the plugin runs on `backend` (0: CPU, 1: CUDA) with these types.
    virtual Status supports(int backend, const std::vector<TensorDesc>& in, const std::vector<TensorDesc>& out) = 0;
    // Configures for these (concrete) shapes and initializes, once; later calls with other
    // shapes configure again.
    virtual Status configure(int backend, const std::vector<TensorDesc>& in, const std::vector<TensorDesc>& out) = 0;
    virtual size_t workspaceSize(const std::vector<TensorDesc>& in, const std::vector<TensorDesc>& out) = 0;
    // Runs on buffers of the configured backend (`in[i].data`, `outPtrs[i]`).
    virtual Status enqueue(const std::vector<TensorDesc>& in, const std::vector<TensorDesc>& out,
                           const std::vector<void*>& outPtrs, void* workspace, void* stream) = 0;
    virtual Status clone(std::unique_ptr<PluginInstance>& out) const = 0;
};

class PluginHost {
public:
    virtual ~PluginHost() = default;
    // A new instance of the node's plugin; the error names the plugin (type, version,
    // namespace) when no creator can make it.
    virtual Status instantiate(const Node& node, std::unique_ptr<PluginInstance>& out) = 0;
    // Shape inference through an instance the host keeps per plugin (thread-safe).
    virtual Status infer(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) = 0;
};

void setPluginHost(PluginHost* host);
PluginHost* pluginHost();  // nullptr until src/plugins installs it

// "type" version "v" namespace "ns": how errors name a node's plugin.
std::string describePlugin(const Node& node);

}  // namespace kiln::ir
