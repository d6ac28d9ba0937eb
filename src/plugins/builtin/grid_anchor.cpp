// GridAnchor_TRT: the anchors of TensorFlow's object-detection SSD (ssd_anchor_generator
// with reduce_boxes_in_lowest_layer, interpolated scale 1.0 and a base anchor of 1).
// Layer i of numLayers has scale s_i = minSize + (maxSize - minSize) * i / (numLayers - 1)
// (s_numLayers = 1); layer 0 has boxes (scale 0.1, ratio 1), (s_0, 2), (s_0, 0.5); the
// others one box per aspect ratio at s_i plus one of ratio 1 at sqrt(s_i * s_{i+1}).
// A box of scale s and ratio r is s*sqrt(r) wide and s/sqrt(r) tall, centred on each cell
// ((x + 0.5) / F, (y + 0.5) / F) of the F x F grid. Output i: [1, 2, F * F * boxes * 4],
// boxes (xmin, ymin, xmax, ymax) cell by cell (row-major), then the variances. Inputs, if
// any, are ignored.
#include <cmath>
#include <string>

#include "builtin.h"
#ifdef KILN_PLUGINS_CUDA
#include "cuda/builtin_cuda.h"
#endif

namespace kiln::builtin {

namespace {

struct AnchorLayer {
    int64_t grid;                         // F
    std::vector<double> widths, heights;  // per box of a cell
};

void gridAnchorCpu(const AnchorLayer& l, const float variance[4], float* out) {
    const int64_t count = l.grid * l.grid * int64_t(l.widths.size()) * 4;
    float* box = out;
    for (int64_t y = 0; y < l.grid; ++y) {
        for (int64_t x = 0; x < l.grid; ++x) {
            const double cy = (double(y) + 0.5) / double(l.grid), cx = (double(x) + 0.5) / double(l.grid);
            for (size_t b = 0; b < l.widths.size(); ++b) {
                *box++ = float(cx - l.widths[b] / 2);
                *box++ = float(cy - l.heights[b] / 2);
                *box++ = float(cx + l.widths[b] / 2);
                *box++ = float(cy + l.heights[b] / 2);
            }
        }
    }
    for (int64_t i = 0; i < count; ++i) out[count + i] = variance[i % 4];
}

class GridAnchorPlugin : public PluginBase<GridAnchorPlugin> {
public:
    static constexpr const char* kNAME = "GridAnchor_TRT";
    static constexpr const char* kVERSION = "1";
    float minSize = 0.2f, maxSize = 0.95f;
    std::vector<float> aspectRatios = {1.f, 2.f, 0.5f, 3.f, 1.f / 3.f};
    std::vector<int32_t> featureMapShapes;
    std::vector<float> variance = {0.1f, 0.1f, 0.2f, 0.2f};
    int32_t numLayers = 0;
    static auto fields() {
        using P = GridAnchorPlugin;
        return std::make_tuple(field("minSize", &P::minSize), field("maxSize", &P::maxSize),
                               field("aspectRatios", &P::aspectRatios), field("featureMapShapes", &P::featureMapShapes),
                               field("variance", &P::variance), field("numLayers", &P::numLayers));
    }
    bool validate(std::string& why) const {
        if (numLayers < 2 || numLayers > 64)
            why = "numLayers must be 2 to 64";
        else if (featureMapShapes.size() != size_t(numLayers))
            why = "needs one featureMapShapes value per layer";
        else if (!(minSize > 0) || !(maxSize >= minSize) || !(maxSize <= 1))
            why = "needs 0 < minSize <= maxSize <= 1";
        else if (variance.size() != 4)
            why = "needs 4 variance values";
        for (int32_t f : featureMapShapes)
            if (f <= 0) why = "feature map shapes must be positive";
        for (float ar : aspectRatios)
            if (!(ar > 0)) why = "aspect ratios must be positive";
        return why.empty();
    }
    int32_t getNbOutputs() const noexcept override { return numLayers; }

    AnchorLayer layer(int32_t i) const {
        auto scale = [&](int32_t k) {
            return k >= numLayers ? 1.0 : double(minSize) + double(maxSize - minSize) * k / (numLayers - 1);
        };
        AnchorLayer l{featureMapShapes[size_t(i)], {}, {}};
        auto add = [&](double s, double r) {
            l.widths.push_back(s * std::sqrt(r));
            l.heights.push_back(s / std::sqrt(r));
        };
        if (i == 0) {
            add(0.1, 1.0);
            add(scale(0), 2.0);
            add(scale(0), 0.5);
        } else {
            for (float r : aspectRatios) add(scale(i), r);
            add(std::sqrt(scale(i) * scale(i + 1)), 1.0);
        }
        return l;
    }

    // Inputs are read for their shapes only: any type will do.
    DataType getOutputDataType(int32_t, const DataType*, int32_t) const noexcept override { return DataType::kFLOAT; }
    bool supportsFormatCombination(int32_t pos, const PluginTensorDesc* io, int32_t nbInputs,
                                   int32_t) noexcept override {
        return io[pos].format == TensorFormat::kLINEAR && (pos < nbInputs || io[pos].type == DataType::kFLOAT);
    }
    ExtentDims outputDims(int32_t index, const ExtentDims*, int32_t) const {
        const AnchorLayer l = layer(index);
        return {1, 2, l.grid * l.grid * int64_t(l.widths.size()) * 4};
    }

    int32_t enqueueCpu(const PluginTensorDesc*, const PluginTensorDesc*, const void* const*, void* const* outputs,
                       void*) noexcept {
        try {
            for (int32_t i = 0; i < numLayers; ++i)
                gridAnchorCpu(layer(i), variance.data(), static_cast<float*>(outputs[i]));
            return 0;
        } catch (...) {
            return reportError("out of memory"), 1;
        }
    }
#ifdef KILN_PLUGINS_CUDA
    // The anchors depend only on the fields: computed on the host once, when the plugin is
    // first configured for CUDA, and copied to the outputs on each run.
    void configurePlugin(const DynamicPluginTensorDesc*, int32_t, const DynamicPluginTensorDesc*,
                         int32_t) noexcept override {
        if (backend() != BackendKind::kCUDA || deviceAnchors_) return;
        try {
            std::vector<float> host;
            layerOffsets_.clear();
            for (int32_t i = 0; i < numLayers; ++i) {
                const AnchorLayer l = layer(i);
                layerOffsets_.push_back(host.size());
                host.resize(host.size() + size_t(l.grid * l.grid * int64_t(l.widths.size()) * 4 * 2));
                gridAnchorCpu(l, variance.data(), host.data() + layerOffsets_.back());
            }
            layerOffsets_.push_back(host.size());
            std::string why;
            deviceAnchors_ = cuda::upload(host.data(), host.size() * sizeof(float), why);
            if (!deviceAnchors_) reportError("anchors: " + why);
        } catch (...) {
            deviceAnchors_.reset();
            reportError("out of memory");
        }
    }
    int32_t enqueueCuda(const PluginTensorDesc*, const PluginTensorDesc*, const void* const*, void* const* outputs,
                        void*, cudaStream_t stream) noexcept {
        if (!deviceAnchors_) return 1;  // configurePlugin() said why
        const auto* base = static_cast<const float*>(deviceAnchors_.get());
        for (int32_t i = 0; i < numLayers; ++i) {
            const size_t first = layerOffsets_[size_t(i)], count = layerOffsets_[size_t(i) + 1] - first;
            if (cuda::copyDeviceToDevice(outputs[i], base + first, count * sizeof(float), stream) != 0) return 1;
        }
        return 0;
    }

private:
    std::shared_ptr<const void> deviceAnchors_;  // shared by the plugin's copies
    std::vector<size_t> layerOffsets_;           // of each layer's anchors in deviceAnchors_, then the end
#endif
};

}  // namespace

std::unique_ptr<IPluginCreator> makeGridAnchorCreator() {
    return std::make_unique<PluginCreatorFor<GridAnchorPlugin>>();
}

}  // namespace kiln::builtin
