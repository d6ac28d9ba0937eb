// ROIAlign_TRT: ONNX RoiAlign (opset 16; TensorRT's ROIAlign plugin). Inputs X [N, C, H,
// W], rois [R, 4] (x1, y1, x2, y2 in input coordinates before spatialScale) and
// batch_indices [R] (int32 or int64). Output [R, C, outputHeight, outputWidth]: each bin
// samples samplingRatio^2 points (0: ceil(roi extent / output extent) per axis) by
// bilinear interpolation; avg mode (1) averages them, max mode (0) takes the largest
// weighted corner term, as ONNX's reference does. coordinateTransformationMode 1
// (half_pixel) shifts by -0.5; 0 (output_half_pixel) does not and widens ROIs to >= 1.
#include <algorithm>
#include <cmath>
#include <string>

#include "builtin.h"
#include "rcnn_math.h"
#ifdef KILN_PLUGINS_CUDA
#include "cuda/builtin_cuda.h"
#endif

namespace kiln::builtin {

namespace {

void roiAlignOne(const float* x, int64_t channels, int64_t height, int64_t width, const float roi[4],
                 const RoiAlignParams& p, float* out) {
    if (height <= 0 || width <= 0) {  // an empty map: nothing to sample
        std::fill(out, out + channels * p.outH * p.outW, 0.f);
        return;
    }
    const RoiAlignGeometry g = roiAlignGeometry(roi, p);
    // The samples of every bin once, then every channel.
    const int64_t perBin = g.gh * g.gw;
    std::vector<RoiAlignSample> samples;
    for (int64_t ph = 0; ph < p.outH; ++ph)
        for (int64_t pw = 0; pw < p.outW; ++pw)
            for (int64_t iy = 0; iy < g.gh; ++iy)
                for (int64_t ix = 0; ix < g.gw; ++ix)
                    samples.push_back(roiAlignSample(g, height, width, ph, pw, iy, ix));
    for (int64_t c = 0; c < channels; ++c) {
        const float* xc = x + c * height * width;
        for (int64_t b = 0; b < p.outH * p.outW; ++b)
            out[c * p.outH * p.outW + b] =
                roiAlignBin(xc, g, p.avg, [&](int64_t k) { return samples[size_t(b * perBin + k)]; });
    }
}

class ROIAlignPlugin : public PluginBase<ROIAlignPlugin> {
public:
    static constexpr const char* kNAME = "ROIAlign_TRT";
    static constexpr const char* kVERSION = "1";
    int32_t coordinateTransformationMode = 1, mode = 1, outputHeight = 1, outputWidth = 1, samplingRatio = 0;
    float spatialScale = 1.f;
    static auto fields() {
        using P = ROIAlignPlugin;
        return std::make_tuple(field("coordinateTransformationMode", &P::coordinateTransformationMode),
                               field("mode", &P::mode), field("outputHeight", &P::outputHeight),
                               field("outputWidth", &P::outputWidth), field("samplingRatio", &P::samplingRatio),
                               field("spatialScale", &P::spatialScale));
    }
    bool validate(std::string& why) const {
        if (coordinateTransformationMode < 0 || coordinateTransformationMode > 1)
            why = "coordinateTransformationMode must be 0 or 1";
        else if (mode < 0 || mode > 1)
            why = "mode must be 0 (max) or 1 (avg)";
        else if (outputHeight < 1 || outputWidth < 1 || samplingRatio < 0)
            why = "needs positive output sizes and samplingRatio >= 0";
        else if (!(spatialScale > 0))
            why = "spatialScale must be positive";
        return why.empty();
    }
    bool supportsFormatCombination(int32_t pos, const PluginTensorDesc* io, int32_t, int32_t) noexcept override {
        if (io[pos].format != TensorFormat::kLINEAR) return false;
        if (pos == 2) return io[pos].type == DataType::kINT32 || io[pos].type == DataType::kINT64;
        return io[pos].type == DataType::kFLOAT;
    }
    DataType getOutputDataType(int32_t, const DataType*, int32_t) const noexcept override { return DataType::kFLOAT; }

    ExtentDims outputDims(int32_t, const ExtentDims* in, int32_t nbInputs) const {
        auto clash = [](Extent x, Extent y) { return x.known() && y.known() && !(x == y); };
        if (nbInputs != 3 || in[0].nbDims != 4 || in[1].nbDims != 2 || in[2].nbDims != 1 || clash(in[1].d[1], 4) ||
            clash(in[1].d[0], in[2].d[0])) {
            reportError("takes X [N, C, H, W], rois [R, 4] and batch_indices [R]");
            return ExtentDims::rejected();
        }
        return {in[1].d[0], in[0].d[1], outputHeight, outputWidth};
    }

    RoiAlignParams params() const {
        return {coordinateTransformationMode == 1, mode == 1, outputHeight, outputWidth, samplingRatio, spatialScale};
    }

    int32_t enqueueCpu(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                       void* const* outputs, void*) noexcept {
        try {
            const RoiAlignParams p = params();
            const Dims& xd = in[0].dims;
            const int64_t rois = in[1].dims.d[0], item = volumeFrom(xd, 1);
            for (int64_t r = 0; r < rois; ++r) {
                const int64_t b = in[2].type == DataType::kINT64 ? static_cast<const int64_t*>(inputs[2])[r]
                                                                 : static_cast<const int32_t*>(inputs[2])[r];
                if (b < 0 || b >= xd.d[0])
                    return reportError("batch index " + std::to_string(b) + " of ROI " + std::to_string(r) +
                                       " is outside [0, " + std::to_string(xd.d[0]) + ")"),
                           1;
                roiAlignOne(static_cast<const float*>(inputs[0]) + b * item, xd.d[1], xd.d[2], xd.d[3],
                            static_cast<const float*>(inputs[1]) + 4 * r, p,
                            static_cast<float*>(outputs[0]) + r * xd.d[1] * outputHeight * outputWidth);
            }
            return 0;
        } catch (...) {
            return reportError("out of memory"), 1;
        }
    }
#ifdef KILN_PLUGINS_CUDA
    // One thread per output value. The device cannot report a batch index outside the batch
    // as the CPU does: that ROI's output is zeros.
    int32_t enqueueCuda(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                        void* const* outputs, void*, cudaStream_t stream) noexcept {
        const Dims& xd = in[0].dims;
        return cuda::roiAlign(params(), static_cast<const float*>(inputs[0]), xd.d[0], xd.d[1], xd.d[2], xd.d[3],
                              static_cast<const float*>(inputs[1]), inputs[2], in[2].type == DataType::kINT64,
                              in[1].dims.d[0], static_cast<float*>(outputs[0]), stream);
    }
#endif
};

}  // namespace

std::unique_ptr<IPluginCreator> makeROIAlignCreator() { return std::make_unique<PluginCreatorFor<ROIAlignPlugin>>(); }

}  // namespace kiln::builtin
