// Reorg_TRT: darknet's reorg layer as YOLOv2 runs it (reorg_cpu with forward = 0). An
// input [N, C, H, W] gives [N, C * s * s, H / s, W / s], but the values are darknet's: for
// input element (k, j, i), with c2 = k % (C / s^2) and offset = k / (C / s^2), output
// element number i + W * (j + H * k) (counted in the [C, H, W] layout) is the input element
// number (i * s + offset % s) + W * s * ((j * s + offset / s) + H * s * c2), i.e. the input
// read as if it were [C / s^2, H * s, W * s]. Needs C divisible by s^2 and H, W by s.
#include <string>

#include "builtin.h"
#ifdef KILN_PLUGINS_CUDA
#include "cuda/builtin_cuda.h"
#endif

namespace kiln::builtin {

namespace {

void reorgCpu(const float* x, float* y, int64_t batch, int64_t c, int64_t h, int64_t w, int64_t s) {
    const int64_t outC = c / (s * s);
    for (int64_t b = 0; b < batch; ++b)
        for (int64_t k = 0; k < c; ++k)
            for (int64_t j = 0; j < h; ++j)
                for (int64_t i = 0; i < w; ++i) {
                    const int64_t c2 = k % outC, offset = k / outC;
                    const int64_t w2 = i * s + offset % s, h2 = j * s + offset / s;
                    y[i + w * (j + h * (k + c * b))] = x[w2 + w * s * (h2 + h * s * (c2 + outC * b))];
                }
}

class ReorgPlugin : public PluginBase<ReorgPlugin> {
public:
    static constexpr const char* kNAME = "Reorg_TRT";
    static constexpr const char* kVERSION = "1";
    int32_t stride = 2;
    static auto fields() { return std::make_tuple(field("stride", &ReorgPlugin::stride)); }
    bool validate(std::string& why) const {
        if (stride < 1) why = "stride must be positive";
        return why.empty();
    }

    ExtentDims outputDims(int32_t, const ExtentDims* in, int32_t nbInputs) const {
        if (nbInputs != 1 || in[0].nbDims != 4) {
            reportError("takes one input [N, C, H, W]");
            return ExtentDims::rejected();
        }
        const ExtentDims& x = in[0];
        const int64_t s = stride;
        if ((x.d[1].known() && x.d[1].value() % (s * s) != 0) || (x.d[2].known() && x.d[2].value() % s != 0) ||
            (x.d[3].known() && x.d[3].value() % s != 0)) {
            reportError("needs channels divisible by " + std::to_string(s * s) + " and height and width by " +
                        std::to_string(s));
            return ExtentDims::rejected();
        }
        return {x.d[0], x.d[1] * (s * s), x.d[2] / s, x.d[3] / s};
    }

    int32_t enqueueCpu(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                       void* const* outputs, void*) noexcept {
        const Dims& d = in[0].dims;
        reorgCpu(static_cast<const float*>(inputs[0]), static_cast<float*>(outputs[0]), d.d[0], d.d[1], d.d[2], d.d[3],
                 stride);
        return 0;
    }
#ifdef KILN_PLUGINS_CUDA
    int32_t enqueueCuda(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                        void* const* outputs, void*, cudaStream_t stream) noexcept {
        const Dims& d = in[0].dims;
        return cuda::reorg(static_cast<const float*>(inputs[0]), static_cast<float*>(outputs[0]), d.d[0], d.d[1],
                           d.d[2], d.d[3], stride, stream);
    }
#endif
};

}  // namespace

std::unique_ptr<IPluginCreator> makeReorgCreator() { return std::make_unique<PluginCreatorFor<ReorgPlugin>>(); }

}  // namespace kiln::builtin
