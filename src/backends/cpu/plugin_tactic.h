// The CPU tactic of the Plugin op: runs the plugin's enqueue() on host buffers with a
// null stream (src/ir/ops/plugin.h).
#pragma once
#include "kernel.h"

namespace kiln::cpu {

bool pluginSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                    const std::vector<ir::TensorDesc>& out);
size_t pluginWorkspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                       const std::vector<ir::TensorDesc>& out);
Status createPluginKernel(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                          const std::vector<ir::TensorDesc>& out, std::unique_ptr<Kernel>& kernel);

}  // namespace kiln::cpu
