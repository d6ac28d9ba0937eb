// The CPU kernel of MishPlugin and its registration: loading this library registers the
// creator of "Mish_Sample" (kiln::loadPluginLibrary, `kiln run --plugins`).
#include "mish_plugin.h"

#include <algorithm>
#include <cmath>

int32_t MishPlugin::enqueueCpu(const kiln::PluginTensorDesc* inputDesc, const kiln::PluginTensorDesc*,
                               const void* const* inputs, void* const* outputs, void*) noexcept {
    const auto* x = static_cast<const float*>(inputs[0]);
    auto* y = static_cast<float*>(outputs[0]);
    const int64_t n = kiln::volume(inputDesc[0].dims);
    for (int64_t i = 0; i < n; ++i) {
        const double bx = double(beta) * x[i];
        // softplus without overflow: log(1 + e^t) = max(t, 0) + log1p(e^-|t|)
        const double softplus = std::max(bx, 0.0) + std::log1p(std::exp(-std::fabs(bx)));
        y[i] = float(x[i] * std::tanh(softplus / beta));
    }
    return 0;
}

KILN_REGISTER_PLUGIN(kiln::PluginCreatorFor<MishPlugin>);
