// Normalize_TRT: SSD's L2 normalization (Caffe SSD fork's Normalize layer). For an input
// [N, C, spatial...]: across_spatial divides each item by sqrt(sum of its squares + eps);
// otherwise each position by sqrt(sum over channels of squares + eps). Then it scales by
// one weight (channel_shared) or one per channel.
#include <cmath>
#include <string>

#include "builtin.h"
#ifdef KILN_PLUGINS_CUDA
#include "cuda/builtin_cuda.h"
#endif

namespace kiln::builtin {

namespace {

struct NormalizeShape {
    int64_t batch, channels, spatial;
};

void normalizeCpu(const float* x, float* y, const NormalizeShape& s, const float* weights, bool acrossSpatial,
                  bool channelShared, float eps) {
    const int64_t item = s.channels * s.spatial;
    for (int64_t n = 0; n < s.batch; ++n) {
        const float* xi = x + n * item;
        float* yi = y + n * item;
        if (acrossSpatial) {
            double sum = 0;
            for (int64_t i = 0; i < item; ++i) sum += double(xi[i]) * xi[i];
            const double inv = 1.0 / std::sqrt(sum + eps);
            for (int64_t c = 0; c < s.channels; ++c) {
                const double w = weights[channelShared ? 0 : c];
                for (int64_t p = 0; p < s.spatial; ++p) yi[c * s.spatial + p] = float(xi[c * s.spatial + p] * inv * w);
            }
        } else {
            for (int64_t p = 0; p < s.spatial; ++p) {
                double sum = 0;
                for (int64_t c = 0; c < s.channels; ++c) sum += double(xi[c * s.spatial + p]) * xi[c * s.spatial + p];
                const double inv = 1.0 / std::sqrt(sum + eps);
                for (int64_t c = 0; c < s.channels; ++c)
                    yi[c * s.spatial + p] = float(xi[c * s.spatial + p] * inv * weights[channelShared ? 0 : c]);
            }
        }
    }
}

class NormalizePlugin : public PluginBase<NormalizePlugin> {
public:
    static constexpr const char* kNAME = "Normalize_TRT";
    static constexpr const char* kVERSION = "1";
    std::vector<float> weights;
    bool acrossSpatial = false;
    bool channelShared = false;
    float eps = 1e-10f;
    int32_t nbWeights = -1;  // TensorRT's redundant count; checked when given
    static auto fields() {
        return std::make_tuple(field("weights", &NormalizePlugin::weights),
                               field("acrossSpatial", &NormalizePlugin::acrossSpatial),
                               field("channelShared", &NormalizePlugin::channelShared),
                               field("eps", &NormalizePlugin::eps), field("nbWeights", &NormalizePlugin::nbWeights));
    }
    bool validate(std::string& why) const {
        if (nbWeights >= 0 && size_t(nbWeights) != weights.size())
            why = "nbWeights is " + std::to_string(nbWeights) + " but " + std::to_string(weights.size()) +
                  " weights are given";
        else if (weights.empty())
            why = "needs weights";
        else if (channelShared && weights.size() != 1)
            why = "channelShared needs exactly 1 weight";
        else if (!(eps >= 0))
            why = "eps must be >= 0";
        return why.empty();
    }

    ExtentDims outputDims(int32_t, const ExtentDims* in, int32_t nbInputs) const {
        if (nbInputs != 1 || in[0].nbDims < 2) {
            reportError("takes one input [N, C, ...]");
            return ExtentDims::rejected();
        }
        if (!channelShared && in[0].d[1].known() && in[0].d[1].value() != int64_t(weights.size())) {
            reportError("has " + std::to_string(weights.size()) + " weights for " + std::to_string(in[0].d[1].value()) +
                        " channels");
            return ExtentDims::rejected();
        }
        return in[0];
    }

    int32_t enqueueCpu(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                       void* const* outputs, void*) noexcept {
        const NormalizeShape s{in[0].dims.d[0], in[0].dims.d[1], volumeFrom(in[0].dims, 2)};
        normalizeCpu(static_cast<const float*>(inputs[0]), static_cast<float*>(outputs[0]), s, weights.data(),
                     acrossSpatial, channelShared, eps);
        return 0;
    }
#ifdef KILN_PLUGINS_CUDA
    // The weights go to the device when the plugin is configured for CUDA (at engine
    // creation, not during a run); the plugin's copies share them.
    void configurePlugin(const DynamicPluginTensorDesc*, int32_t, const DynamicPluginTensorDesc*,
                         int32_t) noexcept override {
        if (backend() != BackendKind::kCUDA || deviceWeights_) return;
        try {
            std::string why;
            deviceWeights_ = cuda::upload(weights.data(), weights.size() * sizeof(float), why);
            if (!deviceWeights_) reportError("weights: " + why);
        } catch (...) {
            reportError("out of memory");
        }
    }
    int32_t enqueueCuda(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                        void* const* outputs, void*, cudaStream_t stream) noexcept {
        if (!deviceWeights_) return 1;  // configurePlugin() said why
        return cuda::normalize(static_cast<const float*>(inputs[0]), static_cast<float*>(outputs[0]), in[0].dims.d[0],
                               in[0].dims.d[1], volumeFrom(in[0].dims, 2),
                               static_cast<const float*>(deviceWeights_.get()), acrossSpatial, channelShared, eps,
                               stream);
    }

private:
    std::shared_ptr<const void> deviceWeights_;
#endif
};

}  // namespace

std::unique_ptr<IPluginCreator> makeNormalizeCreator() { return std::make_unique<PluginCreatorFor<NormalizePlugin>>(); }

}  // namespace kiln::builtin
