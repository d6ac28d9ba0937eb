// The plugin fallback of the ONNX parser: a node whose op has no converter (in any domain)
// runs as the registered plugin of the same name, its attributes passed as plugin fields.
#pragma once
#include "converter.h"
#include "kiln/plugin.h"

namespace kiln::onnx {

//! The creator for `node`: name op_type; version the "plugin_version" attribute, else "1";
//! namespace the "plugin_namespace" attribute, else the node's domain, else "". Null if
//! none is registered.
IPluginCreator* findPluginCreator(const pb::NodeProto& node);

//! A converter that imports the node as that plugin (addPluginV2).
bool importPluginNode(ConverterContext& ctx, const pb::NodeProto& node, std::vector<ITensor*>& inputs,
                      std::vector<ITensor*>& outputs);

}  // namespace kiln::onnx
