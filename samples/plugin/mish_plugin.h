// The sample's custom layer, Mish with a sharpness parameter:
//   y = x * tanh(softplus(beta * x) / beta)
// PluginBase supplies everything else a plugin needs (identity, fields, serialization,
// clone, shapes: the output has the input's shape and float32 type).
#pragma once
#include <kiln/kiln.h>

#include <string>

class MishPlugin : public kiln::PluginBase<MishPlugin> {
public:
    static constexpr const char* kNAME = "Mish_Sample";
    static constexpr const char* kVERSION = "1";

    float beta = 1.f;  // the one parameter: a plugin field, serialized into engines
    static auto fields() { return std::make_tuple(kiln::field("beta", &MishPlugin::beta)); }
    bool validate(std::string& why) const {
        if (!(beta > 0)) why = "beta must be positive";
        return why.empty();
    }

    // The CPU path (mish_plugin.cpp): host pointers, finished on return.
    int32_t enqueueCpu(const kiln::PluginTensorDesc* inputDesc, const kiln::PluginTensorDesc* outputDesc,
                       const void* const* inputs, void* const* outputs, void* workspace) noexcept;
#ifdef KILN_SAMPLE_PLUGIN_CUDA
    // A CUDA path is one more member, defined in a .cu file: the same math as a kernel
    // launched on `stream`. PluginBase then reports the plugin as runnable on CUDA too.
    int32_t enqueueCuda(const kiln::PluginTensorDesc* inputDesc, const kiln::PluginTensorDesc* outputDesc,
                        const void* const* inputs, void* const* outputs, void* workspace, cudaStream_t stream) noexcept;
#endif
};
