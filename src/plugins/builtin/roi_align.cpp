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

namespace kiln::builtin {

namespace {

struct RoiAlignParams {
    bool halfPixel, avg;
    int64_t outH, outW, samplingRatio;
    float spatialScale;
};

void roiAlignOne(const float* x, int64_t channels, int64_t height, int64_t width, const float roi[4],
                 const RoiAlignParams& p, float* out) {
    const double off = p.halfPixel ? 0.5 : 0.0;
    const double x0 = roi[0] * double(p.spatialScale) - off, y0 = roi[1] * double(p.spatialScale) - off;
    double rw = roi[2] * double(p.spatialScale) - off - x0, rh = roi[3] * double(p.spatialScale) - off - y0;
    if (!p.halfPixel) {
        rw = std::max(rw, 1.0);
        rh = std::max(rh, 1.0);
    }
    const double binH = rh / double(p.outH), binW = rw / double(p.outW);
    const int64_t gh = p.samplingRatio > 0 ? p.samplingRatio : int64_t(std::ceil(rh / double(p.outH)));
    const int64_t gw = p.samplingRatio > 0 ? p.samplingRatio : int64_t(std::ceil(rw / double(p.outW)));
    const double count = double(std::max<int64_t>(gh * gw, 1));
    struct Sample {
        int64_t pos[4];
        double w[4];
    };
    std::vector<Sample> samples;
    for (int64_t ph = 0; ph < p.outH; ++ph)
        for (int64_t pw = 0; pw < p.outW; ++pw)
            for (int64_t iy = 0; iy < gh; ++iy)
                for (int64_t ix = 0; ix < gw; ++ix) {
                    double y = y0 + double(ph) * binH + (double(iy) + 0.5) * binH / double(gh);
                    double xx = x0 + double(pw) * binW + (double(ix) + 0.5) * binW / double(gw);
                    Sample s{{0, 0, 0, 0}, {0, 0, 0, 0}};
                    if (!(y < -1.0 || y > double(height) || xx < -1.0 || xx > double(width))) {
                        y = std::max(y, 0.0);
                        xx = std::max(xx, 0.0);
                        int64_t yl = int64_t(y), xl = int64_t(xx), yh, xh;
                        if (yl >= height - 1)
                            y = double(yh = yl = height - 1);
                        else
                            yh = yl + 1;
                        if (xl >= width - 1)
                            xx = double(xh = xl = width - 1);
                        else
                            xh = xl + 1;
                        const double ly = y - double(yl), lx = xx - double(xl), hy = 1 - ly, hx = 1 - lx;
                        s = {{yl * width + xl, yl * width + xh, yh * width + xl, yh * width + xh},
                             {hy * hx, hy * lx, ly * hx, ly * lx}};
                    }
                    samples.push_back(s);
                }
    const int64_t perBin = gh * gw;
    for (int64_t c = 0; c < channels; ++c) {
        const float* xc = x + c * height * width;
        for (int64_t b = 0; b < p.outH * p.outW; ++b) {
            double v = 0;
            for (int64_t k = 0; k < perBin; ++k) {
                const Sample& s = samples[size_t(b * perBin + k)];
                if (p.avg) {
                    for (int q = 0; q < 4; ++q) v += s.w[q] * xc[s.pos[q]];
                } else {
                    for (int q = 0; q < 4; ++q) {
                        const double t = s.w[q] * xc[s.pos[q]];
                        v = (k == 0 && q == 0) ? t : std::max(v, t);
                    }
                }
            }
            out[c * p.outH * p.outW + b] = float(p.avg ? v / count : v);
        }
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

    int32_t enqueueCpu(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                       void* const* outputs, void*) noexcept {
        try {
            const RoiAlignParams p{
                coordinateTransformationMode == 1, mode == 1, outputHeight, outputWidth, samplingRatio, spatialScale};
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
};

}  // namespace

std::unique_ptr<IPluginCreator> makeROIAlignCreator() { return std::make_unique<PluginCreatorFor<ROIAlignPlugin>>(); }

}  // namespace kiln::builtin
