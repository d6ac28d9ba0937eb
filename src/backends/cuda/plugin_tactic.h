// The CUDA tactic of the Plugin op: runs the plugin's enqueue() on device buffers and the
// context's stream (src/ir/ops/plugin.h), with the layer workspace the plugin asked for.
#pragma once
#include "tactic.h"

namespace kiln::cuda {

bool pluginSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                    const std::vector<ir::TensorDesc>& out);
size_t pluginWorkspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                       const std::vector<ir::TensorDesc>& out);
Status createPluginKernel(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                          const std::vector<ir::TensorDesc>& out, std::unique_ptr<Kernel>& kernel);

}  // namespace kiln::cuda
