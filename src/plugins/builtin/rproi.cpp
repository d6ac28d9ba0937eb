// RPROI_TRT: Faster R-CNN's region proposals (py-faster-rcnn's ProposalLayer, test mode)
// followed by ROI max pooling (Caffe's ROIPooling). Inputs: scores [N, 2A, H, W] (the
// background scores of the A anchors, then their foreground scores), deltas [N, 4A, H, W],
// features [N, C, Hf, Wf] and imInfo [N, 3] (image height, width, scale). Anchors are
// py-faster-rcnn's generate_anchors(featureStride, anchorsRatios, anchorsScales) shifted to
// every cell; each proposal is its anchor moved by the deltas (bbox_transform_inv), clipped
// to the image, dropped when narrower or lower than minBoxSize * scale; the best preNmsTop
// (by foreground score, ties: lower index) go through NMS at iouThreshold and the first
// nmsMaxOut are kept. Outputs: rois [N, nmsMaxOut, 4] (x1, y1, x2, y2 in image pixels) and
// their pooled features [N, nmsMaxOut, C, poolingH, poolingW]; rows past the proposals found
// are zero.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>

#include "builtin.h"
#include "nms_common.h"

namespace kiln::builtin {

namespace {

struct RproiParams {
    int32_t poolingH, poolingW, featureStride, preNmsTop, nmsMaxOut;
    float iouThreshold, minBoxSize, spatialScale;
};

// py-faster-rcnn's generate_anchors: the base box [0, 0, stride-1, stride-1] reshaped to each
// ratio (rounded half to even, as numpy does), then scaled; ratio-major.
std::vector<Box> baseAnchors(int32_t stride, const std::vector<float>& ratios, const std::vector<float>& scales) {
    auto whctr = [](const Box& b, double& w, double& h, double& cx, double& cy) {
        w = b.xmax - b.xmin + 1;
        h = b.ymax - b.ymin + 1;
        cx = b.xmin + 0.5 * (w - 1);
        cy = b.ymin + 0.5 * (h - 1);
    };
    auto make = [](double w, double h, double cx, double cy) {
        return Box{cx - 0.5 * (w - 1), cy - 0.5 * (h - 1), cx + 0.5 * (w - 1), cy + 0.5 * (h - 1)};
    };
    const Box base{0, 0, double(stride - 1), double(stride - 1)};
    double w, h, cx, cy;
    whctr(base, w, h, cx, cy);
    std::vector<Box> out;
    for (float r : ratios) {
        const double ws = std::nearbyint(std::sqrt(w * h / r)), hs = std::nearbyint(ws * r);
        const Box rb = make(ws, hs, cx, cy);
        double rw, rh, rcx, rcy;
        whctr(rb, rw, rh, rcx, rcy);
        for (float s : scales) out.push_back(make(rw * s, rh * s, rcx, rcy));
    }
    return out;
}

// Caffe's ROIPoolingLayer for one ROI (computed in float, as Caffe does).
void roiPoolCpu(const float* feat, int64_t channels, int64_t height, int64_t width, const float roi[4],
                const RproiParams& p, float* out) {
    const int64_t startW = std::lround(roi[0] * p.spatialScale), startH = std::lround(roi[1] * p.spatialScale);
    const int64_t endW = std::lround(roi[2] * p.spatialScale), endH = std::lround(roi[3] * p.spatialScale);
    const int64_t roiH = std::max<int64_t>(endH - startH + 1, 1), roiW = std::max<int64_t>(endW - startW + 1, 1);
    const float binH = float(roiH) / float(p.poolingH), binW = float(roiW) / float(p.poolingW);
    for (int64_t c = 0; c < channels; ++c) {
        const float* f = feat + c * height * width;
        for (int64_t ph = 0; ph < p.poolingH; ++ph)
            for (int64_t pw = 0; pw < p.poolingW; ++pw) {
                int64_t hs = int64_t(std::floor(float(ph) * binH)), ws = int64_t(std::floor(float(pw) * binW));
                int64_t he = int64_t(std::ceil(float(ph + 1) * binH)), we = int64_t(std::ceil(float(pw + 1) * binW));
                hs = std::min(std::max(hs + startH, int64_t(0)), height);
                he = std::min(std::max(he + startH, int64_t(0)), height);
                ws = std::min(std::max(ws + startW, int64_t(0)), width);
                we = std::min(std::max(we + startW, int64_t(0)), width);
                float v = he <= hs || we <= ws ? 0.f : -FLT_MAX;
                for (int64_t y = hs; y < he; ++y)
                    for (int64_t x = ws; x < we; ++x) v = std::max(v, f[y * width + x]);
                out[(c * p.poolingH + ph) * p.poolingW + pw] = v;
            }
    }
}

// py_cpu_nms's overlap: pixel extents count both ends, and boxes closer than a pixel overlap.
double pixelIou(const Box& a, const Box& b) {
    const double w = std::max(0.0, std::min(a.xmax, b.xmax) - std::max(a.xmin, b.xmin) + 1);
    const double h = std::max(0.0, std::min(a.ymax, b.ymax) - std::max(a.ymin, b.ymin) + 1);
    const double inter = w * h;
    return inter /
           ((a.xmax - a.xmin + 1) * (a.ymax - a.ymin + 1) + (b.xmax - b.xmin + 1) * (b.ymax - b.ymin + 1) - inter);
}

// One image: scores [2A, H, W], deltas [4A, H, W], info (height, width, scale). Writes
// nmsMaxOut rows and returns how many are proposals.
int32_t proposalsCpu(const RproiParams& p, const std::vector<Box>& anchors, int64_t height, int64_t width,
                     const float* scores, const float* deltas, const float* info, float* rois) {
    const int64_t a = int64_t(anchors.size()), plane = height * width;
    const double imH = info[0], imW = info[1], minSize = double(p.minBoxSize) * info[2];
    std::vector<Box> boxes;
    std::vector<float> score;
    for (int64_t y = 0; y < height; ++y)
        for (int64_t x = 0; x < width; ++x)
            for (int64_t k = 0; k < a; ++k) {
                const double sx = double(x) * p.featureStride, sy = double(y) * p.featureStride;
                const Box& an = anchors[size_t(k)];
                const double w = an.xmax - an.xmin + 1, h = an.ymax - an.ymin + 1;
                const double cx = an.xmin + sx + 0.5 * w, cy = an.ymin + sy + 0.5 * h;
                const float* d = deltas + 4 * k * plane + y * width + x;
                const double pcx = d[0] * w + cx, pcy = d[plane] * h + cy;
                const double pw = std::exp(double(d[2 * plane])) * w, ph = std::exp(double(d[3 * plane])) * h;
                Box b{pcx - 0.5 * pw, pcy - 0.5 * ph, pcx + 0.5 * pw, pcy + 0.5 * ph};
                b.xmin = std::min(std::max(b.xmin, 0.0), imW - 1);
                b.xmax = std::min(std::max(b.xmax, 0.0), imW - 1);
                b.ymin = std::min(std::max(b.ymin, 0.0), imH - 1);
                b.ymax = std::min(std::max(b.ymax, 0.0), imH - 1);
                if (b.xmax - b.xmin + 1 < minSize || b.ymax - b.ymin + 1 < minSize) continue;
                boxes.push_back(b);
                score.push_back(scores[(a + k) * plane + y * width + x]);
            }
    const std::vector<int32_t> kept = nmsOneClass(
        int32_t(boxes.size()), [&](int32_t i) { return double(score[size_t(i)]); },
        [&](int32_t i) { return boxes[size_t(i)]; }, -INFINITY, p.iouThreshold, p.preNmsTop, pixelIou);
    for (int32_t r = 0; r < p.nmsMaxOut; ++r) {
        float* roi = rois + 4 * r;
        if (size_t(r) >= kept.size()) {
            std::fill(roi, roi + 4, 0.f);
            continue;
        }
        const Box& b = boxes[size_t(kept[size_t(r)])];
        roi[0] = float(b.xmin);
        roi[1] = float(b.ymin);
        roi[2] = float(b.xmax);
        roi[3] = float(b.ymax);
    }
    return int32_t(std::min(kept.size(), size_t(p.nmsMaxOut)));
}

class RPROIPlugin : public PluginBase<RPROIPlugin> {
public:
    static constexpr const char* kNAME = "RPROI_TRT";
    static constexpr const char* kVERSION = "1";
    int32_t poolingH = 7, poolingW = 7, featureStride = 16, preNmsTop = 6000, nmsMaxOut = 300;
    int32_t anchorsRatioCount = -1, anchorsScaleCount = -1;  // TensorRT's redundant counts; checked when given
    float iouThreshold = 0.7f, minBoxSize = 16.f, spatialScale = 0.0625f;
    std::vector<float> anchorsRatios = {0.5f, 1.f, 2.f}, anchorsScales = {8.f, 16.f, 32.f};
    static auto fields() {
        using P = RPROIPlugin;
        return std::make_tuple(field("poolingH", &P::poolingH), field("poolingW", &P::poolingW),
                               field("featureStride", &P::featureStride), field("preNmsTop", &P::preNmsTop),
                               field("nmsMaxOut", &P::nmsMaxOut), field("anchorsRatioCount", &P::anchorsRatioCount),
                               field("anchorsScaleCount", &P::anchorsScaleCount),
                               field("iouThreshold", &P::iouThreshold), field("minBoxSize", &P::minBoxSize),
                               field("spatialScale", &P::spatialScale), field("anchorsRatios", &P::anchorsRatios),
                               field("anchorsScales", &P::anchorsScales));
    }
    bool validate(std::string& why) const {
        if (poolingH < 1 || poolingW < 1 || featureStride < 1 || preNmsTop < 1 || nmsMaxOut < 1)
            why = "poolingH, poolingW, featureStride, preNmsTop and nmsMaxOut must be positive";
        else if (anchorsRatios.empty() || anchorsScales.empty())
            why = "needs anchor ratios and scales";
        else if ((anchorsRatioCount >= 0 && size_t(anchorsRatioCount) != anchorsRatios.size()) ||
                 (anchorsScaleCount >= 0 && size_t(anchorsScaleCount) != anchorsScales.size()))
            why = "anchorsRatioCount / anchorsScaleCount disagree with the lists";
        else if (!(iouThreshold >= 0 && iouThreshold <= 1) || !(minBoxSize >= 0) || !(spatialScale > 0))
            why = "needs iouThreshold in [0, 1], minBoxSize >= 0 and spatialScale > 0";
        for (float r : anchorsRatios)
            if (!(r > 0)) why = "anchor ratios must be positive";
        for (float s : anchorsScales)
            if (!(s > 0)) why = "anchor scales must be positive";
        return why.empty();
    }
    int32_t getNbOutputs() const noexcept override { return 2; }

    ExtentDims outputDims(int32_t index, const ExtentDims* in, int32_t nbInputs) const {
        const int64_t a = int64_t(anchorsRatios.size() * anchorsScales.size());
        auto clash = [](Extent x, Extent y) { return x.known() && y.known() && !(x == y); };
        if (nbInputs != 4 || in[0].nbDims != 4 || in[1].nbDims != 4 || in[2].nbDims != 4 || in[3].nbDims != 2 ||
            clash(in[0].d[1], 2 * a) || clash(in[1].d[1], 4 * a) || clash(in[3].d[1], 3) ||
            clash(in[0].d[2], in[1].d[2]) || clash(in[0].d[3], in[1].d[3])) {
            reportError("takes scores [N, " + std::to_string(2 * a) + ", H, W], deltas [N, " + std::to_string(4 * a) +
                        ", H, W], features [N, C, Hf, Wf] and imInfo [N, 3]");
            return ExtentDims::rejected();
        }
        for (int i = 1; i < 4; ++i)
            if (clash(in[0].d[0], in[i].d[0])) {
                reportError("inputs have different batch sizes");
                return ExtentDims::rejected();
            }
        if (index == 0) return {in[0].d[0], nmsMaxOut, 4};
        return {in[0].d[0], nmsMaxOut, in[2].d[1], poolingH, poolingW};
    }

    int32_t enqueueCpu(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                       void* const* outputs, void*) noexcept {
        try {
            const RproiParams p{poolingH,  poolingW,     featureStride, preNmsTop,
                                nmsMaxOut, iouThreshold, minBoxSize,    spatialScale};
            const std::vector<Box> anchors = baseAnchors(featureStride, anchorsRatios, anchorsScales);
            const Dims &sd = in[0].dims, &fd = in[2].dims;
            const int64_t channels = fd.d[1], pooled = channels * poolingH * poolingW;
            auto* rois = static_cast<float*>(outputs[0]);
            auto* pool = static_cast<float*>(outputs[1]);
            for (int64_t n = 0; n < sd.d[0]; ++n) {
                float* r = rois + n * nmsMaxOut * 4;
                const int32_t found = proposalsCpu(p, anchors, sd.d[2], sd.d[3],
                                                   static_cast<const float*>(inputs[0]) + n * volumeFrom(sd, 1),
                                                   static_cast<const float*>(inputs[1]) + n * volumeFrom(in[1].dims, 1),
                                                   static_cast<const float*>(inputs[3]) + n * 3, r);
                const float* feat = static_cast<const float*>(inputs[2]) + n * volumeFrom(fd, 1);
                for (int64_t k = 0; k < nmsMaxOut; ++k) {
                    float* o = pool + (n * nmsMaxOut + k) * pooled;
                    const float* roi = r + 4 * k;
                    if (k >= found)
                        std::fill(o, o + pooled, 0.f);
                    else
                        roiPoolCpu(feat, channels, fd.d[2], fd.d[3], roi, p, o);
                }
            }
            return 0;
        } catch (...) {
            return reportError("out of memory"), 1;
        }
    }
};

}  // namespace

std::unique_ptr<IPluginCreator> makeRPROICreator() { return std::make_unique<PluginCreatorFor<RPROIPlugin>>(); }

}  // namespace kiln::builtin
