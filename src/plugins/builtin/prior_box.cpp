// PriorBox_TRT: SSD's prior (default) boxes, as the Caffe SSD fork's PriorBox layer makes
// them. Inputs: the feature map [N, C, H, W] and, unless imgH/imgW are given, the image
// [N, C, imgH, imgW]. Output [1, 2, H * W * numPriors * 4]: channel 0 holds the boxes
// (xmin, ymin, xmax, ymax) normalized by the image size, position by position (row-major)
// and prior by prior; channel 1 the variances of each coordinate.
#include <algorithm>
#include <cmath>
#include <string>

#include "builtin.h"
#ifdef KILN_PLUGINS_CUDA
#include "cuda/builtin_cuda.h"
#endif

namespace kiln::builtin {

namespace {

struct PriorBoxGeometry {
    int64_t layerH, layerW;
    double imgH, imgW, stepH, stepW, offset;
    std::vector<float> minSizes, maxSizes, aspectRatios;  // aspectRatios: 1 first, flipped ones added
    std::vector<float> variance;                          // 1 or 4 values
    bool clip;
};

int64_t priorsPerCell(const PriorBoxGeometry& g) {
    return int64_t(g.aspectRatios.size() * g.minSizes.size() + g.maxSizes.size());
}

void priorBoxCpu(const PriorBoxGeometry& g, float* out) {
    const int64_t count = g.layerH * g.layerW * priorsPerCell(g) * 4;
    float* box = out;
    for (int64_t h = 0; h < g.layerH; ++h) {
        for (int64_t w = 0; w < g.layerW; ++w) {
            const double cx = (double(w) + g.offset) * g.stepW, cy = (double(h) + g.offset) * g.stepH;
            auto put = [&](double bw, double bh) {
                *box++ = float((cx - bw / 2) / g.imgW);
                *box++ = float((cy - bh / 2) / g.imgH);
                *box++ = float((cx + bw / 2) / g.imgW);
                *box++ = float((cy + bh / 2) / g.imgH);
            };
            for (size_t s = 0; s < g.minSizes.size(); ++s) {
                const double minSize = g.minSizes[s];
                put(minSize, minSize);
                if (!g.maxSizes.empty()) {
                    const double side = std::sqrt(minSize * g.maxSizes[s]);
                    put(side, side);
                }
                for (float ar : g.aspectRatios) {
                    if (std::fabs(ar - 1.f) < 1e-6f) continue;
                    put(minSize * std::sqrt(double(ar)), minSize / std::sqrt(double(ar)));
                }
            }
        }
    }
    if (g.clip)
        for (int64_t i = 0; i < count; ++i) out[i] = std::min(std::max(out[i], 0.f), 1.f);
    for (int64_t i = 0; i < count; ++i)
        out[count + i] = g.variance.size() == 1 ? g.variance[0] : g.variance[size_t(i % 4)];
}

class PriorBoxPlugin : public PluginBase<PriorBoxPlugin> {
public:
    static constexpr const char* kNAME = "PriorBox_TRT";
    static constexpr const char* kVERSION = "1";
    std::vector<float> minSize, maxSize, aspectRatios;
    bool flip = true, clip = false;
    std::vector<float> variance = {0.1f};
    int32_t imgH = 0, imgW = 0;      // 0: from input 1
    float stepH = 0.f, stepW = 0.f;  // 0: image size / feature map size
    float offset = 0.5f;
    static auto fields() {
        using P = PriorBoxPlugin;
        return std::make_tuple(
            field("minSize", &P::minSize), field("maxSize", &P::maxSize), field("aspectRatios", &P::aspectRatios),
            field("flip", &P::flip), field("clip", &P::clip), field("variance", &P::variance), field("imgH", &P::imgH),
            field("imgW", &P::imgW), field("stepH", &P::stepH), field("stepW", &P::stepW), field("offset", &P::offset));
    }
    bool validate(std::string& why) const {
        if (minSize.empty()) why = "needs at least one minSize";
        for (float m : minSize)
            if (!(m > 0)) why = "minSize must be positive";
        if (!maxSize.empty() && maxSize.size() != minSize.size()) why = "needs as many maxSize as minSize values";
        for (size_t i = 0; i < maxSize.size() && i < minSize.size(); ++i)
            if (!(maxSize[i] > minSize[i])) why = "maxSize must exceed minSize";
        for (float ar : aspectRatios)
            if (!(ar > 0)) why = "aspect ratios must be positive";
        if (variance.size() != 1 && variance.size() != 4) why = "needs 1 or 4 variance values";
        for (float v : variance)
            if (!(v > 0)) why = "variances must be positive";
        if (imgH < 0 || imgW < 0 || !(stepH >= 0) || !(stepW >= 0)) why = "image size and steps must be >= 0";
        return why.empty();
    }

    // Caffe's list: 1, then each ratio not seen yet, with its reciprocal when flipping.
    std::vector<float> expandedRatios() const {
        std::vector<float> r = {1.f};
        for (float ar : aspectRatios) {
            bool seen = false;
            for (float e : r) seen = seen || std::fabs(ar - e) < 1e-6f;
            if (seen) continue;
            r.push_back(ar);
            if (flip) r.push_back(1.f / ar);
        }
        return r;
    }

    // Inputs are read for their shapes only: any type will do.
    DataType getOutputDataType(int32_t, const DataType*, int32_t) const noexcept override { return DataType::kFLOAT; }
    bool supportsFormatCombination(int32_t pos, const PluginTensorDesc* io, int32_t nbInputs,
                                   int32_t) noexcept override {
        return io[pos].format == TensorFormat::kLINEAR && (pos < nbInputs || io[pos].type == DataType::kFLOAT);
    }
    ExtentDims outputDims(int32_t, const ExtentDims* in, int32_t nbInputs) const {
        const bool needImage = imgH == 0 || imgW == 0;
        if (nbInputs < (needImage ? 2 : 1) || nbInputs > 2 || in[0].nbDims != 4 ||
            (nbInputs == 2 && in[1].nbDims != 4)) {
            reportError(needImage ? "takes the feature map and the image, both [N, C, H, W]"
                                  : "takes the feature map [N, C, H, W] (and optionally the image)");
            return ExtentDims::rejected();
        }
        const int64_t per = int64_t(expandedRatios().size() * minSize.size() + maxSize.size());
        return {1, 2, in[0].d[2] * in[0].d[3] * per * 4};
    }

    // The boxes of a feature map dims[0] (and image dims[1], if there is one).
    PriorBoxGeometry geometry(const Dims* dims, int32_t nbInputs) const {
        PriorBoxGeometry g;
        g.layerH = dims[0].d[2];
        g.layerW = dims[0].d[3];
        g.imgH = imgH > 0 || nbInputs < 2 ? imgH : double(dims[1].d[2]);
        g.imgW = imgW > 0 || nbInputs < 2 ? imgW : double(dims[1].d[3]);
        g.stepH = stepH > 0 ? stepH : g.imgH / double(g.layerH);
        g.stepW = stepW > 0 ? stepW : g.imgW / double(g.layerW);
        g.offset = offset;
        g.minSizes = minSize;
        g.maxSizes = maxSize;
        g.aspectRatios = expandedRatios();
        g.variance = variance;
        g.clip = clip;
        return g;
    }

    int32_t enqueueCpu(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const*, void* const* outputs,
                       void*) noexcept {
        try {
            const Dims dims[2] = {in[0].dims, imgH > 0 && imgW > 0 ? Dims{} : in[1].dims};
            priorBoxCpu(geometry(dims, imgH > 0 && imgW > 0 ? 1 : 2), static_cast<float*>(outputs[0]));
            return 0;
        } catch (...) {
            return reportError("out of memory"), 1;
        }
    }
#ifdef KILN_PLUGINS_CUDA
    // The priors depend only on the fields and the input shapes: computed on the host when
    // the plugin is configured for CUDA (at engine creation, or when the shapes change),
    // kept on the device, and copied to the output on each run.
    void configurePlugin(const DynamicPluginTensorDesc* in, int32_t nbInputs, const DynamicPluginTensorDesc*,
                         int32_t) noexcept override {
        if (backend() != BackendKind::kCUDA || nbInputs < 1) return;
        try {
            const bool needImage = imgH == 0 || imgW == 0;
            if (needImage && nbInputs < 2) return;  // outputDims() rejected these inputs already
            const Dims dims[2] = {in[0].desc.dims, needImage ? in[1].desc.dims : Dims{}};
            const std::vector<int64_t> key = {dims[0].d[2], dims[0].d[3], needImage ? dims[1].d[2] : 0,
                                              needImage ? dims[1].d[3] : 0};
            if (devicePriors_ && key == priorsKey_) return;
            const PriorBoxGeometry g = geometry(dims, needImage ? 2 : 1);
            std::vector<float> host(size_t(g.layerH * g.layerW * priorsPerCell(g) * 4 * 2));
            priorBoxCpu(g, host.data());
            std::string why;
            devicePriors_ = cuda::upload(host.data(), host.size() * sizeof(float), why);
            if (!devicePriors_) reportError("priors: " + why);
            priorsKey_ = key;
            priorsBytes_ = host.size() * sizeof(float);
        } catch (...) {
            devicePriors_.reset();
            reportError("out of memory");
        }
    }
    int32_t enqueueCuda(const PluginTensorDesc*, const PluginTensorDesc* out, const void* const*, void* const* outputs,
                        void*, cudaStream_t stream) noexcept {
        if (!devicePriors_) return 1;  // configurePlugin() said why
        if (size_t(volume(out[0].dims)) * sizeof(float) != priorsBytes_)
            return reportError("the output shape changed without configurePlugin()"), 1;
        return cuda::copyDeviceToDevice(outputs[0], devicePriors_.get(), priorsBytes_, stream);
    }

private:
    std::shared_ptr<const void> devicePriors_;  // shared by the plugin's copies
    std::vector<int64_t> priorsKey_;
    size_t priorsBytes_ = 0;
#endif
};

}  // namespace

std::unique_ptr<IPluginCreator> makePriorBoxCreator() { return std::make_unique<PluginCreatorFor<PriorBoxPlugin>>(); }

}  // namespace kiln::builtin
