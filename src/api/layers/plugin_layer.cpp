// IPluginV2Layer and INetworkDefinition::addPluginV2 (IR op Plugin; src/ir/ops/plugin.h).
// The layer keeps the network's clone of the plugin; its serialized bytes go into the node
// whenever shapes are inferred, so changes made through getPlugin() reach the engine.
#include "../network_impl.h"
#include "kiln/plugin.h"
#include "plugins/plugin_host.h"

namespace kiln::api {

namespace {

class PluginV2Layer final : public LayerBase<IPluginV2Layer> {
public:
    PluginV2Layer(NetworkImpl& net, int node, int nbInputs, std::unique_ptr<IPluginV2> plugin)
        : LayerBase(net, LayerType::kPLUGIN_V2, node, nbInputs), plugin_(std::move(plugin)) {}

    IPluginV2& getPlugin() noexcept override {
        touch();  // the caller may change it
        return *plugin_;
    }

    Status finalize() override {
        ir::Attrs& attrs = node().attrs;
        const std::string before = attrs.getString("plugin_data");
        KILN_RETURN_IF_ERROR(plugins::pluginAttrs(*plugin_, attrs));
        if (attrs.getString("plugin_data") != before) plugins::rememberPlugin(attrs, *plugin_);
        return Status::Ok();
    }

private:
    std::unique_ptr<IPluginV2> plugin_;
};

}  // namespace

IPluginV2Layer* NetworkImpl::addPluginV2(ITensor* const* inputs, int32_t nbInputs, IPluginV2& plugin) noexcept {
    try {
        if (nbInputs < 0 || (nbInputs > 0 && !inputs)) {
            logError(logger_,
                     "INetworkDefinition::addPluginV2: invalid input list (" + std::to_string(nbInputs) + " inputs)");
            return nullptr;
        }
        std::vector<int> ins;
        for (int32_t i = 0; i < nbInputs; ++i) {
            if (!checkInput(inputs[i], "addPluginV2", i)) return nullptr;
            ins.push_back(valueOf(*inputs[i]));
        }
        (void)getPluginRegistry();  // plugin support starts with the registry
        ir::Attrs attrs;
        Status st = plugins::pluginAttrs(plugin, attrs);
        const int32_t nbOutputs = plugin.getNbOutputs();
        if (st.ok() && (nbOutputs < 1 || nbOutputs > 1024))
            st = Status::Error("plugin '" + attrs.getString("plugin_type") + "' has " + std::to_string(nbOutputs) +
                               " outputs (1 to 1024 allowed)");
        std::unique_ptr<IPluginV2> copy(st.ok() ? plugin.clone() : nullptr);
        if (st.ok() && !copy) st = Status::Error("plugin '" + attrs.getString("plugin_type") + "': clone() failed");
        if (!st.ok()) {
            logError(logger_, "INetworkDefinition::addPluginV2: " + st.message());
            return nullptr;
        }
        attrs.set("implicit_batch", int64_t(implicitBatch_ ? 1 : 0));
        plugins::rememberPlugin(attrs, *copy);
        const int n = newNode("Plugin", "PluginV2", std::move(ins), nbOutputs);
        graph_.nodes[size_t(n)].attrs = std::move(attrs);
        return adopt(std::make_unique<PluginV2Layer>(*this, n, nbInputs, std::move(copy)));
    } catch (...) {
        logError(logger_, "INetworkDefinition::addPluginV2: out of memory");
        return nullptr;
    }
}

}  // namespace kiln::api
