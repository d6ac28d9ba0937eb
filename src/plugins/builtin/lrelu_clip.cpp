// LReLU_TRT (leaky ReLU) and Clip_TRT: elementwise, float32, any shape.
#include <algorithm>

#include "builtin.h"
#ifdef KILN_PLUGINS_CUDA
#include "cuda/builtin_cuda.h"
#endif

namespace kiln::builtin {

namespace {

// y = x >= 0 ? x : slope * x
void leakyReluCpu(const float* x, float* y, int64_t n, float slope) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] >= 0.f ? x[i] : slope * x[i];
}

// y = min(max(x, lo), hi); NaN stays NaN
void clipCpu(const float* x, float* y, int64_t n, float lo, float hi) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] != x[i] ? x[i] : std::min(std::max(x[i], lo), hi);
}

// Elementwise plugins take exactly one input.
template <typename P>
ExtentDims oneInput(const P& p, const ExtentDims* in, int32_t nbInputs) {
    if (nbInputs == 1) return in[0];
    p.reportError("takes 1 input, got " + std::to_string(nbInputs));
    return ExtentDims::rejected();
}

class LReLUPlugin : public PluginBase<LReLUPlugin> {
public:
    static constexpr const char* kNAME = "LReLU_TRT";
    static constexpr const char* kVERSION = "1";
    float negSlope = 0.f;
    static auto fields() { return std::make_tuple(field("negSlope", &LReLUPlugin::negSlope)); }
    ExtentDims outputDims(int32_t, const ExtentDims* in, int32_t nbInputs) const {
        return oneInput(*this, in, nbInputs);
    }

    int32_t enqueueCpu(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                       void* const* outputs, void*) noexcept {
        leakyReluCpu(static_cast<const float*>(inputs[0]), static_cast<float*>(outputs[0]), volume(in[0].dims),
                     negSlope);
        return 0;
    }
#ifdef KILN_PLUGINS_CUDA
    int32_t enqueueCuda(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                        void* const* outputs, void*, cudaStream_t stream) noexcept {
        return cuda::leakyRelu(static_cast<const float*>(inputs[0]), static_cast<float*>(outputs[0]),
                               volume(in[0].dims), negSlope, stream);
    }
#endif
};

class ClipPlugin : public PluginBase<ClipPlugin> {
public:
    static constexpr const char* kNAME = "Clip_TRT";
    static constexpr const char* kVERSION = "1";
    float clipMin = 0.f, clipMax = 0.f;
    static auto fields() {
        return std::make_tuple(field("clipMin", &ClipPlugin::clipMin), field("clipMax", &ClipPlugin::clipMax));
    }
    ExtentDims outputDims(int32_t, const ExtentDims* in, int32_t nbInputs) const {
        return oneInput(*this, in, nbInputs);
    }
    bool validate(std::string& why) const {
        if (!(clipMin <= clipMax))
            why = "clipMin " + std::to_string(clipMin) + " exceeds clipMax " + std::to_string(clipMax);
        return why.empty();
    }

    int32_t enqueueCpu(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                       void* const* outputs, void*) noexcept {
        clipCpu(static_cast<const float*>(inputs[0]), static_cast<float*>(outputs[0]), volume(in[0].dims), clipMin,
                clipMax);
        return 0;
    }
#ifdef KILN_PLUGINS_CUDA
    int32_t enqueueCuda(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                        void* const* outputs, void*, cudaStream_t stream) noexcept {
        return cuda::clip(static_cast<const float*>(inputs[0]), static_cast<float*>(outputs[0]), volume(in[0].dims),
                          clipMin, clipMax, stream);
    }
#endif
};

}  // namespace

std::unique_ptr<IPluginCreator> makeLReLUCreator() { return std::make_unique<PluginCreatorFor<LReLUPlugin>>(); }
std::unique_ptr<IPluginCreator> makeClipCreator() { return std::make_unique<PluginCreatorFor<ClipPlugin>>(); }

}  // namespace kiln::builtin
