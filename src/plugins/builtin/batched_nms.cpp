// BatchedNMS_TRT: per-class NMS with a static output size (TensorRT's batched NMS).
// Inputs: boxes [N, numBoxes, q, 4] (x1, y1, x2, y2; q = 1 with shareLocation, else
// numClasses) and scores [N, numBoxes, numClasses]. Per image and class but the
// background: boxes scoring above scoreThreshold, best first (ties: lower index), at most
// topK, kept while their IoU with each kept box is at most iouThreshold; then all kept
// boxes by descending score (ties: lower class, then NMS order), the first keepTopK.
// Outputs: num_detections [N, 1] int32, nmsed_boxes [N, keepTopK, 4] (clamped to [0, 1]
// with clipBoxes), nmsed_scores [N, keepTopK], nmsed_classes [N, keepTopK] (float); rows
// past the count hold boxes 0, score 0, class -1. IoU counts pixel extents inclusively
// (+1) for boxes that are not normalized when caffeSemantics is set.
#include <algorithm>
#include <string>

#include "builtin.h"
#include "nms_common.h"
#include "ssd_math.h"
#ifdef KILN_PLUGINS_CUDA
#include "cuda/builtin_cuda.h"
#endif

namespace kiln::builtin {

namespace {

void batchedNmsCpu(const BatchedNmsParams& p, int32_t numBoxes, const float* boxes, const float* scores, int32_t* count,
                   float* outBoxes, float* outScores, float* outClasses) {
    const int32_t q = p.shareLocation ? 1 : p.numClasses;
    auto boxAt = [&](int32_t i, int32_t c) {
        const float* b = boxes + (int64_t(i) * q + (p.shareLocation ? 0 : c)) * 4;
        return Box{b[0], b[1], b[2], b[3]};
    };
    std::vector<Detection> kept;
    for (int32_t c = 0; c < p.numClasses; ++c) {
        if (c == p.backgroundLabelId) continue;
        const std::vector<int32_t> k = nmsOneClass(
            numBoxes, [&](int32_t i) { return double(scores[int64_t(i) * p.numClasses + c]); },
            [&](int32_t i) { return boxAt(i, c); }, p.scoreThreshold, p.iouThreshold, p.topK,
            [&](const Box& a, const Box& b) { return jaccard(a, b, p.plusOne); });
        for (size_t r = 0; r < k.size(); ++r)
            kept.push_back({scores[int64_t(k[r]) * p.numClasses + c], c, k[r], int32_t(r)});
    }
    sortDetections(kept);
    const int32_t n = std::min(int32_t(kept.size()), p.keepTopK);
    *count = n;
    for (int32_t r = 0; r < p.keepTopK; ++r) {
        float* b = outBoxes + int64_t(r) * 4;
        if (r >= n) {
            std::fill(b, b + 4, 0.f);
            outScores[r] = 0;
            outClasses[r] = -1;
            continue;
        }
        const Detection& d = kept[size_t(r)];
        const Box box = boxAt(d.box, d.label);
        const double v[4] = {box.xmin, box.ymin, box.xmax, box.ymax};
        for (int k = 0; k < 4; ++k) b[k] = float(p.clipBoxes ? std::min(std::max(v[k], 0.0), 1.0) : v[k]);
        outScores[r] = d.score;
        outClasses[r] = float(d.label);
    }
}

class BatchedNMSPlugin : public PluginBase<BatchedNMSPlugin> {
public:
    static constexpr const char* kNAME = "BatchedNMS_TRT";
    static constexpr const char* kVERSION = "1";
    bool shareLocation = true, isNormalized = true, clipBoxes = true, caffeSemantics = true;
    int32_t backgroundLabelId = -1, numClasses = 0, topK = -1, keepTopK = 0, scoreBits = 16;
    float scoreThreshold = 0.f, iouThreshold = 0.5f;
    static auto fields() {
        using P = BatchedNMSPlugin;
        return std::make_tuple(field("shareLocation", &P::shareLocation),
                               field("backgroundLabelId", &P::backgroundLabelId), field("numClasses", &P::numClasses),
                               field("topK", &P::topK), field("keepTopK", &P::keepTopK),
                               field("scoreThreshold", &P::scoreThreshold), field("iouThreshold", &P::iouThreshold),
                               field("isNormalized", &P::isNormalized), field("clipBoxes", &P::clipBoxes),
                               field("scoreBits", &P::scoreBits), field("caffeSemantics", &P::caffeSemantics));
    }
    bool validate(std::string& why) const {
        if (numClasses <= 0)
            why = "numClasses must be positive";
        else if (keepTopK <= 0)
            why = "keepTopK must be positive (it sizes the outputs)";
        else if (topK < -1 || topK == 0)
            why = "topK must be positive or -1 (all)";
        else if (!(iouThreshold >= 0 && iouThreshold <= 1))
            why = "iouThreshold must lie in [0, 1]";
        else if (backgroundLabelId < -1 || backgroundLabelId >= numClasses)
            why = "backgroundLabelId is out of range";
        return why.empty();
    }
    int32_t getNbOutputs() const noexcept override { return 4; }
    DataType getOutputDataType(int32_t index, const DataType*, int32_t) const noexcept override {
        return index == 0 ? DataType::kINT32 : DataType::kFLOAT;
    }
    bool supportsFormatCombination(int32_t pos, const PluginTensorDesc* io, int32_t nbInputs,
                                   int32_t) noexcept override {
        return io[pos].format == TensorFormat::kLINEAR &&
               io[pos].type == (pos == nbInputs ? DataType::kINT32 : DataType::kFLOAT);
    }

    ExtentDims outputDims(int32_t index, const ExtentDims* in, int32_t nbInputs) const {
        if (nbInputs != 2 || in[0].nbDims != 4 || in[1].nbDims != 3) {
            reportError("takes boxes [N, numBoxes, q, 4] and scores [N, numBoxes, numClasses]");
            return ExtentDims::rejected();
        }
        const ExtentDims &b = in[0], &s = in[1];
        const int64_t q = shareLocation ? 1 : numClasses;
        auto clash = [](Extent x, Extent y) { return x.known() && y.known() && !(x == y); };
        if (clash(b.d[0], s.d[0]) || clash(b.d[1], s.d[1]) || clash(b.d[2], q) || clash(b.d[3], 4) ||
            clash(s.d[2], numClasses)) {
            reportError("boxes must be [N, numBoxes, " + std::to_string(q) + ", 4] and scores [N, numBoxes, " +
                        std::to_string(numClasses) + "]");
            return ExtentDims::rejected();
        }
        switch (index) {
            case 0:
                return {b.d[0], 1};
            case 1:
                return {b.d[0], keepTopK, 4};
            default:
                return {b.d[0], keepTopK};
        }
    }

    BatchedNmsParams params() const {
        return {shareLocation,     clipBoxes,      !isNormalized && caffeSemantics,
                backgroundLabelId, numClasses,     topK,
                keepTopK,          scoreThreshold, iouThreshold};
    }

    int32_t enqueueCpu(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                       void* const* outputs, void*) noexcept {
        try {
            const BatchedNmsParams p = params();
            const int64_t batch = in[0].dims.d[0], numBoxes = in[0].dims.d[1];
            const int64_t boxVol = volumeFrom(in[0].dims, 1), scoreVol = volumeFrom(in[1].dims, 1);
            for (int64_t n = 0; n < batch; ++n)
                batchedNmsCpu(p, int32_t(numBoxes), static_cast<const float*>(inputs[0]) + n * boxVol,
                              static_cast<const float*>(inputs[1]) + n * scoreVol,
                              static_cast<int32_t*>(outputs[0]) + n, static_cast<float*>(outputs[1]) + n * keepTopK * 4,
                              static_cast<float*>(outputs[2]) + n * keepTopK,
                              static_cast<float*>(outputs[3]) + n * keepTopK);
            return 0;
        } catch (...) {
            return reportError("out of memory"), 1;
        }
    }
#ifdef KILN_PLUGINS_CUDA
    // The same steps on the device (cuda/ssd_cuda.cu), in a workspace sized for the largest
    // shapes; no host work besides the launches.
    size_t getWorkspaceSize(const PluginTensorDesc* in, int32_t nbInputs, const PluginTensorDesc*,
                            int32_t) const noexcept override {
        if (backend() != BackendKind::kCUDA || nbInputs != 2) return 0;
        return cuda::batchedNmsWorkspace(params(), in[0].dims.d[0], in[0].dims.d[1]);
    }
    int32_t enqueueCuda(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                        void* const* outputs, void* workspace, cudaStream_t stream) noexcept {
        return cuda::batchedNms(params(), in[0].dims.d[0], in[0].dims.d[1], static_cast<const float*>(inputs[0]),
                                static_cast<const float*>(inputs[1]), static_cast<int32_t*>(outputs[0]),
                                static_cast<float*>(outputs[1]), static_cast<float*>(outputs[2]),
                                static_cast<float*>(outputs[3]), workspace, stream);
    }
#endif
};

}  // namespace

std::unique_ptr<IPluginCreator> makeBatchedNMSCreator() {
    return std::make_unique<PluginCreatorFor<BatchedNMSPlugin>>();
}

}  // namespace kiln::builtin
