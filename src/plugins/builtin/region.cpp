// Region_TRT: YOLOv2's region layer (darknet, softmax without a tree). The input [N,
// num * (coords + 1 + classes), H, W] holds, per anchor, coords box channels, the
// objectness and the class scores. The output has the same layout: the logistic function
// of box channels 0 and 1 (x, y) and of the objectness, the other box channels as they
// are, and the softmax over the classes at each position.
#include <algorithm>
#include <cmath>
#include <string>

#include "builtin.h"
#ifdef KILN_PLUGINS_CUDA
#include "cuda/builtin_cuda.h"
#endif

namespace kiln::builtin {

namespace {

struct RegionParams {
    int64_t batch, num, coords, classes, spatial;
};

void regionCpu(const float* x, float* y, const RegionParams& p) {
    const int64_t per = p.coords + 1 + p.classes;
    auto logistic = [](float v) { return float(1.0 / (1.0 + std::exp(-double(v)))); };
    for (int64_t b = 0; b < p.batch; ++b)
        for (int64_t a = 0; a < p.num; ++a) {
            const int64_t base = (b * p.num + a) * per * p.spatial;
            const float* xa = x + base;
            float* ya = y + base;
            for (int64_t c = 0; c < p.coords + 1; ++c)
                for (int64_t i = 0; i < p.spatial; ++i) {
                    const float v = xa[c * p.spatial + i];
                    ya[c * p.spatial + i] = (c < 2 || c == p.coords) ? logistic(v) : v;
                }
            const float* xc = xa + (p.coords + 1) * p.spatial;
            float* yc = ya + (p.coords + 1) * p.spatial;
            for (int64_t i = 0; i < p.spatial; ++i) {
                float largest = -INFINITY;
                for (int64_t k = 0; k < p.classes; ++k) largest = std::max(largest, xc[k * p.spatial + i]);
                double sum = 0;
                for (int64_t k = 0; k < p.classes; ++k) sum += std::exp(double(xc[k * p.spatial + i]) - largest);
                for (int64_t k = 0; k < p.classes; ++k)
                    yc[k * p.spatial + i] = float(std::exp(double(xc[k * p.spatial + i]) - largest) / sum);
            }
        }
}

class RegionPlugin : public PluginBase<RegionPlugin> {
public:
    static constexpr const char* kNAME = "Region_TRT";
    static constexpr const char* kVERSION = "1";
    int32_t num = 5, coords = 4, classes = 20;
    static auto fields() {
        return std::make_tuple(field("num", &RegionPlugin::num), field("coords", &RegionPlugin::coords),
                               field("classes", &RegionPlugin::classes));
    }
    bool validate(std::string& why) const {
        if (num < 1 || coords < 2 || classes < 1) why = "needs num >= 1, coords >= 2 and classes >= 1";
        return why.empty();
    }

    ExtentDims outputDims(int32_t, const ExtentDims* in, int32_t nbInputs) const {
        const int64_t channels = int64_t(num) * (coords + 1 + classes);
        if (nbInputs != 1 || in[0].nbDims != 4 || (in[0].d[1].known() && in[0].d[1].value() != channels)) {
            reportError("takes one input [N, " + std::to_string(channels) + ", H, W] (num * (coords + 1 + classes))");
            return ExtentDims::rejected();
        }
        return in[0];
    }

    int32_t enqueueCpu(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                       void* const* outputs, void*) noexcept {
        const RegionParams p{in[0].dims.d[0], num, coords, classes, in[0].dims.d[2] * in[0].dims.d[3]};
        regionCpu(static_cast<const float*>(inputs[0]), static_cast<float*>(outputs[0]), p);
        return 0;
    }
#ifdef KILN_PLUGINS_CUDA
    int32_t enqueueCuda(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                        void* const* outputs, void*, cudaStream_t stream) noexcept {
        return cuda::region(static_cast<const float*>(inputs[0]), static_cast<float*>(outputs[0]), in[0].dims.d[0], num,
                            coords, classes, in[0].dims.d[2] * in[0].dims.d[3], stream);
    }
#endif
};

}  // namespace

std::unique_ptr<IPluginCreator> makeRegionCreator() { return std::make_unique<PluginCreatorFor<RegionPlugin>>(); }

}  // namespace kiln::builtin
