// The built-in plugins of kiln_plugins (TensorRT's libnvinfer_plugin set). Each plugin
// is a PluginBase class (kiln/plugin_base.h) whose enqueueCpu calls a plain CPU kernel
// on raw pointers with a parameter struct (the *Cpu functions in each file); a CUDA
// build adds enqueueCuda beside it, calling a kernel with the same parameters, and
// supportsBackend() follows.
#pragma once
#include <memory>
#include <vector>

#include "kiln/plugin_base.h"

namespace kiln::builtin {

// One creator of each built-in plugin, for initBuiltinPlugins().
std::unique_ptr<IPluginCreator> makeLReLUCreator();
std::unique_ptr<IPluginCreator> makeClipCreator();
std::unique_ptr<IPluginCreator> makeNormalizeCreator();
std::unique_ptr<IPluginCreator> makePriorBoxCreator();
std::unique_ptr<IPluginCreator> makeGridAnchorCreator();
std::unique_ptr<IPluginCreator> makeDetectionOutputCreator();  // NMS_TRT
std::unique_ptr<IPluginCreator> makeBatchedNMSCreator();
std::unique_ptr<IPluginCreator> makeReorgCreator();
std::unique_ptr<IPluginCreator> makeRegionCreator();
std::unique_ptr<IPluginCreator> makeRPROICreator();
std::unique_ptr<IPluginCreator> makeROIAlignCreator();

// Extents of `d` from axis `from` on, multiplied.
inline int64_t volumeFrom(const Dims& d, int32_t from) {
    int64_t n = 1;
    for (int32_t i = from; i < d.nbDims; ++i) n *= d.d[i];
    return n;
}

}  // namespace kiln::builtin
