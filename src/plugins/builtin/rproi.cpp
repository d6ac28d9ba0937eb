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
#include "rcnn_math.h"
#ifdef KILN_PLUGINS_CUDA
#include "cuda/builtin_cuda.h"
#endif

namespace kiln::builtin {

namespace {

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

// Caffe's ROIPoolingLayer for one ROI.
void roiPoolCpu(const float* feat, int64_t channels, int64_t height, int64_t width, const float roi[4],
                const RproiParams& p, float* out) {
    for (int64_t c = 0; c < channels; ++c)
        for (int64_t ph = 0; ph < p.poolingH; ++ph)
            for (int64_t pw = 0; pw < p.poolingW; ++pw)
                out[(c * p.poolingH + ph) * p.poolingW + pw] =
                    roiPoolMax(feat + c * height * width, width, roiPoolWindow(roi, p, height, width, ph, pw));
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
                const float* d = deltas + 4 * k * plane + y * width + x;
                const Box b = rpnProposal(anchors[size_t(k)], x, y, p.featureStride, d[0], d[plane], d[2 * plane],
                                          d[3 * plane], imH, imW);
                if (!rpnLargeEnough(b, minSize)) continue;
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

    RproiParams params() const {
        return {poolingH, poolingW, featureStride, preNmsTop, nmsMaxOut, iouThreshold, minBoxSize, spatialScale};
    }

    int32_t enqueueCpu(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                       void* const* outputs, void*) noexcept {
        try {
            const RproiParams p = params();
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
#ifdef KILN_PLUGINS_CUDA
    // The same steps on the device (cuda/rcnn_cuda.cu), in a workspace sized for the largest
    // shapes. The base anchors depend on the fields only: computed and uploaded once, when
    // the plugin is first configured for CUDA (when the engine is built or loaded), and
    // shared by the plugin's copies.
    void configurePlugin(const DynamicPluginTensorDesc*, int32_t, const DynamicPluginTensorDesc*,
                         int32_t) noexcept override {
        if (backend() != BackendKind::kCUDA || deviceAnchors_) return;
        try {
            const std::vector<Box> anchors = baseAnchors(featureStride, anchorsRatios, anchorsScales);
            std::string why;
            deviceAnchors_ = cuda::upload(anchors.data(), anchors.size() * sizeof(Box), why);
            if (!deviceAnchors_) reportError("anchors: " + why);
            numAnchors_ = int64_t(anchors.size());
        } catch (...) {
            deviceAnchors_.reset();
            reportError("out of memory");
        }
    }
    size_t getWorkspaceSize(const PluginTensorDesc* in, int32_t nbInputs, const PluginTensorDesc*,
                            int32_t) const noexcept override {
        if (backend() != BackendKind::kCUDA || nbInputs != 4) return 0;
        const int64_t anchors = int64_t(anchorsRatios.size() * anchorsScales.size());
        return cuda::rproiWorkspace(params(), in[0].dims.d[0], anchors, in[0].dims.d[2], in[0].dims.d[3]);
    }
    int32_t enqueueCuda(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                        void* const* outputs, void* workspace, cudaStream_t stream) noexcept {
        if (!deviceAnchors_) return 1;  // configurePlugin() said why
        const Dims &sd = in[0].dims, &fd = in[2].dims;
        return cuda::rproi(params(), sd.d[0], static_cast<const Box*>(deviceAnchors_.get()), numAnchors_, sd.d[2],
                           sd.d[3], static_cast<const float*>(inputs[0]), static_cast<const float*>(inputs[1]),
                           static_cast<const float*>(inputs[2]), fd.d[1], fd.d[2], fd.d[3],
                           static_cast<const float*>(inputs[3]), static_cast<float*>(outputs[0]),
                           static_cast<float*>(outputs[1]), workspace, stream);
    }

private:
    std::shared_ptr<const void> deviceAnchors_;  // baseAnchors() on the device, shared by the plugin's copies
    int64_t numAnchors_ = 0;
#endif
};

}  // namespace

std::unique_ptr<IPluginCreator> makeRPROICreator() { return std::make_unique<PluginCreatorFor<RPROIPlugin>>(); }

}  // namespace kiln::builtin
