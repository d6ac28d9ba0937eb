// The core library's side of plugins (compiled into kiln): the registry, plugin library
// loading, and the IR's PluginHost, which turns Plugin nodes back into plugin objects
// through the registry. The built-in plugins live in src/plugins/builtin (kiln_plugins).
#pragma once
#include <memory>
#include <string>

#include "ir/graph.h"
#include "kiln/plugin.h"

namespace kiln::plugins {

// Installs the IR's PluginHost (idempotent; getPluginRegistry() does it too).
void installPluginHost();

// The node attributes that identify and carry `plugin`: plugin_type, plugin_version,
// plugin_namespace, plugin_data (its serialized bytes).
Status pluginAttrs(const IPluginV2& plugin, ir::Attrs& attrs);

// Keeps a clone of `plugin` as the source of the plugin for nodes with these attributes,
// so that a plugin added to a network builds and runs in this process even when no
// creator is registered for it (an engine file still needs one where it is loaded).
void rememberPlugin(const ir::Attrs& attrs, const IPluginV2& plugin);

// The registry's logger, for messages that concern no particular call.
void logToRegistry(ILogger::Severity severity, const std::string& msg);

}  // namespace kiln::plugins
