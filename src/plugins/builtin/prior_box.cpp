// PriorBox_TRT: SSD's prior (default) boxes, as the Caffe SSD fork's PriorBox layer makes
// them. Inputs: the feature map [N, C, H, W] and, unless imgH/imgW are given, the image
// [N, C, imgH, imgW]. Output [1, 2, H * W * numPriors * 4]: channel 0 holds the boxes
// (xmin, ymin, xmax, ymax) normalized by the image size, position by position (row-major)
// and prior by prior; channel 1 the variances of each coordinate.
#include <algorithm>
#include <cmath>
#include <string>

#include "builtin.h"
#include "ssd_math.h"
#ifdef KILN_PLUGINS_CUDA
#include "cuda/builtin_cuda.h"
#endif

namespace kiln::builtin {

namespace {

// Each prior's (width, height) in pixels, in the order of a cell's priors: per min size, the
// square, the square of side sqrt(min * max) when there are max sizes, then one box per
// aspect ratio other than 1 (`ratios` is the expanded list).
std::vector<double> priorSizes(const std::vector<float>& minSizes, const std::vector<float>& maxSizes,
                               const std::vector<float>& ratios) {
    std::vector<double> sizes;
    for (size_t s = 0; s < minSizes.size(); ++s) {
        const double minSize = minSizes[s];
        sizes.insert(sizes.end(), {minSize, minSize});
        if (!maxSizes.empty()) {
            const double side = std::sqrt(minSize * maxSizes[s]);
            sizes.insert(sizes.end(), {side, side});
        }
        // ratios[0] is the 1 of the square: Caffe skips the ratios within 1e-6 of 1, and the
        // expanded list has no other (counting by position keeps the sizes and the output
        // shape, priorsPerCell(), in step even for a flipped ratio that lands near 1).
        for (size_t r = 1; r < ratios.size(); ++r) {
            const float ar = ratios[r];
            sizes.insert(sizes.end(), {minSize * std::sqrt(double(ar)), minSize / std::sqrt(double(ar))});
        }
    }
    return sizes;
}

void priorBoxCpu(const PriorBoxShape& s, const double* sizes, float* out) {
    const int64_t total = s.layerH * s.layerW * s.priorsPerCell * 4 * 2;
    for (int64_t e = 0; e < total; ++e) out[e] = priorBoxValue(s, sizes, e);
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

    int64_t priorsPerCell() const { return int64_t(expandedRatios().size() * minSize.size() + maxSize.size()); }

    // What the priors of feature map `feature` (and image `image`, when the image size is not
    // given) depend on besides the prior sizes. `perCell`: priorsPerCell().
    PriorBoxShape shapeFor(const Dims& feature, const Dims* image, int64_t perCell) const noexcept {
        PriorBoxShape s{};
        s.layerH = feature.d[2];
        s.layerW = feature.d[3];
        s.priorsPerCell = perCell;
        s.imgH = imgH > 0 || !image ? imgH : double(image->d[2]);
        s.imgW = imgW > 0 || !image ? imgW : double(image->d[3]);
        s.stepH = stepH > 0 ? stepH : s.imgH / double(s.layerH);
        s.stepW = stepW > 0 ? stepW : s.imgW / double(s.layerW);
        s.offset = offset;
        s.clip = clip;
        s.nbVariance = int32_t(variance.size());
        for (size_t i = 0; i < variance.size() && i < 4; ++i) s.variance[i] = variance[i];
        return s;
    }
    bool imageGiven() const { return imgH > 0 && imgW > 0; }

    int32_t enqueueCpu(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const*, void* const* outputs,
                       void*) noexcept {
        try {
            const std::vector<double> sizes = priorSizes(minSize, maxSize, expandedRatios());
            const PriorBoxShape s = shapeFor(in[0].dims, imageGiven() ? nullptr : &in[1].dims, priorsPerCell());
            priorBoxCpu(s, sizes.data(), static_cast<float*>(outputs[0]));
            return 0;
        } catch (...) {
            return reportError("out of memory"), 1;
        }
    }
#ifdef KILN_PLUGINS_CUDA
    // The priors are computed on the device by a kernel on each run, from the run's shapes,
    // so that a new shape needs no host work and no copy (a run may be a CUDA graph capture).
    // The per-prior sizes depend on the fields only: computed and uploaded once, when the
    // plugin is first configured for CUDA (when the engine is built or loaded), and shared
    // by the plugin's copies.
    void configurePlugin(const DynamicPluginTensorDesc*, int32_t, const DynamicPluginTensorDesc*,
                         int32_t) noexcept override {
        if (backend() != BackendKind::kCUDA || deviceSizes_) return;
        try {
            const std::vector<double> sizes = priorSizes(minSize, maxSize, expandedRatios());
            perCell_ = priorsPerCell();
            std::string why;
            deviceSizes_ = cuda::upload(sizes.data(), sizes.size() * sizeof(double), why);
            if (!deviceSizes_) reportError("prior sizes: " + why);
        } catch (...) {
            deviceSizes_.reset();
            reportError("out of memory");
        }
    }
    int32_t enqueueCuda(const PluginTensorDesc* in, const PluginTensorDesc* out, const void* const*,
                        void* const* outputs, void*, cudaStream_t stream) noexcept {
        if (!deviceSizes_) return 1;  // configurePlugin() said why
        const PriorBoxShape s = shapeFor(in[0].dims, imageGiven() ? nullptr : &in[1].dims, perCell_);
        if (volume(out[0].dims) != s.layerH * s.layerW * s.priorsPerCell * 8)
            return reportError("the output does not hold the priors of the input shape"), 1;
        return cuda::priorBox(s, static_cast<const double*>(deviceSizes_.get()), static_cast<float*>(outputs[0]),
                              stream);
    }

private:
    std::shared_ptr<const void> deviceSizes_;  // priorSizes() on the device, shared by the plugin's copies
    int64_t perCell_ = 0;
#endif
};

}  // namespace

std::unique_ptr<IPluginCreator> makePriorBoxCreator() { return std::make_unique<PluginCreatorFor<PriorBoxPlugin>>(); }

}  // namespace kiln::builtin
