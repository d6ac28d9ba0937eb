// NMS_TRT: SSD's DetectionOutput (Caffe SSD fork) with TensorRT's static output. Inputs
// (in inputOrder): loc [N, numPriors * numLocClasses * 4, ...], conf [N, numPriors *
// numClasses, ...] and priors [1, 2, numPriors * 4] (PriorBox's output, boxes then
// variances). Per image: boxes are decoded from the priors (codeType 1 CORNER, 2
// CENTER_SIZE, 3 CORNER_SIZE, 4 TF_CENTER: loc as (y, x, h, w)); per class but the
// background, boxes scoring above confidenceThreshold go through NMS (topK candidates,
// nmsThreshold); the kept ones are ordered by descending score (ties: lower label, then
// NMS order) and the first keepTopK written. Outputs: detections [N, 1, keepTopK, 7] rows
// (image, label, score, xmin, ymin, xmax, ymax), rows past the count (image, -1, 0, 0, 0,
// 0, 0); keepCount [N, 1, 1, 1] int32.
#include <cmath>
#include <string>

#include "builtin.h"
#include "nms_common.h"
#include "ssd_math.h"
#ifdef KILN_PLUGINS_CUDA
#include "cuda/builtin_cuda.h"
#endif

namespace kiln::builtin {

namespace {

// loc/conf: one image; priors: boxes then variances. Writes keepTopK rows and the count.
void detectionOutputCpu(const DetectionParams& p, int32_t numPriors, int32_t image, const float* loc, const float* conf,
                        const float* priors, float* rows, int32_t* keepCount) {
    const int32_t locClasses = p.shareLocation ? 1 : p.numClasses;
    std::vector<Box> boxes(size_t(numPriors) * size_t(locClasses));
    for (int32_t i = 0; i < numPriors; ++i)
        for (int32_t c = 0; c < locClasses; ++c)
            boxes[size_t(i) * size_t(locClasses) + size_t(c)] = decodeBox(
                priors + 4 * i, priors + 4 * int64_t(numPriors) + 4 * i, loc + (int64_t(i) * locClasses + c) * 4, p);
    auto score = [&](int32_t i, int32_t c) {
        return detectionScore(conf[int64_t(i) * p.numClasses + c], p.confSigmoid);
    };
    std::vector<Detection> kept;
    for (int32_t c = 0; c < p.numClasses; ++c) {
        if (c == p.backgroundLabelId) continue;
        const int32_t lc = p.shareLocation ? 0 : c;
        const std::vector<int32_t> k = nmsOneClass(
            numPriors, [&](int32_t i) { return score(i, c); },
            [&](int32_t i) { return boxes[size_t(i) * size_t(locClasses) + size_t(lc)]; }, p.confidenceThreshold,
            p.nmsThreshold, p.topK, [&](const Box& a, const Box& b) { return jaccard(a, b, !p.isNormalized); });
        for (size_t r = 0; r < k.size(); ++r) kept.push_back({float(score(k[r], c)), c, k[r], int32_t(r)});
    }
    sortDetections(kept);
    const int32_t n = std::min(int32_t(kept.size()), p.keepTopK);
    for (int32_t r = 0; r < p.keepTopK; ++r) {
        float* row = rows + int64_t(r) * 7;
        if (r >= n) {
            const float pad[7] = {float(image), -1, 0, 0, 0, 0, 0};
            std::copy(pad, pad + 7, row);
            continue;
        }
        const Detection& d = kept[size_t(r)];
        const Box& b = boxes[size_t(d.box) * size_t(locClasses) + size_t(p.shareLocation ? 0 : d.label)];
        const float out[7] = {float(image),  float(d.label), d.score,      float(b.xmin),
                              float(b.ymin), float(b.xmax),  float(b.ymax)};
        std::copy(out, out + 7, row);
    }
    *keepCount = n;
}

class DetectionOutputPlugin : public PluginBase<DetectionOutputPlugin> {
public:
    static constexpr const char* kNAME = "NMS_TRT";
    static constexpr const char* kVERSION = "1";
    bool shareLocation = true, varianceEncodedInTarget = false, confSigmoid = false, isNormalized = true;
    int32_t backgroundLabelId = 0, numClasses = 0, topK = -1, keepTopK = 0, codeType = kCENTER_SIZE;
    float confidenceThreshold = 0.f, nmsThreshold = 0.45f;
    std::vector<int32_t> inputOrder = {0, 1, 2};
    static auto fields() {
        using P = DetectionOutputPlugin;
        return std::make_tuple(
            field("shareLocation", &P::shareLocation), field("varianceEncodedInTarget", &P::varianceEncodedInTarget),
            field("backgroundLabelId", &P::backgroundLabelId), field("numClasses", &P::numClasses),
            field("topK", &P::topK), field("keepTopK", &P::keepTopK),
            field("confidenceThreshold", &P::confidenceThreshold), field("nmsThreshold", &P::nmsThreshold),
            field("inputOrder", &P::inputOrder), field("confSigmoid", &P::confSigmoid),
            field("isNormalized", &P::isNormalized), field("codeType", &P::codeType));
    }
    bool validate(std::string& why) const {
        if (numClasses <= 0)
            why = "numClasses must be positive";
        else if (keepTopK <= 0)
            why = "keepTopK must be positive (it sizes the output)";
        else if (topK < -1 || topK == 0)
            why = "topK must be positive or -1 (all)";
        else if (codeType < kCORNER || codeType > kTF_CENTER)
            why = "codeType must be 1 to 4";
        else if (!(nmsThreshold >= 0 && nmsThreshold <= 1))
            why = "nmsThreshold must lie in [0, 1]";
        else if (backgroundLabelId < -1 || backgroundLabelId >= numClasses)
            why = "backgroundLabelId is out of range";
        else if (inputOrder.size() != 3 || std::min({inputOrder[0], inputOrder[1], inputOrder[2]}) != 0 ||
                 inputOrder[0] + inputOrder[1] + inputOrder[2] != 3 || inputOrder[0] == inputOrder[1])
            why = "inputOrder must be a permutation of 0, 1, 2";
        return why.empty();
    }
    int32_t getNbOutputs() const noexcept override { return 2; }
    DataType getOutputDataType(int32_t index, const DataType*, int32_t) const noexcept override {
        return index == 1 ? DataType::kINT32 : DataType::kFLOAT;
    }
    bool supportsFormatCombination(int32_t pos, const PluginTensorDesc* io, int32_t nbInputs,
                                   int32_t) noexcept override {
        return io[pos].format == TensorFormat::kLINEAR &&
               io[pos].type == (pos == nbInputs + 1 ? DataType::kINT32 : DataType::kFLOAT);
    }

    ExtentDims outputDims(int32_t index, const ExtentDims* in, int32_t nbInputs) const {
        if (nbInputs != 3) {
            reportError("takes 3 inputs (loc, conf, priors)");
            return ExtentDims::rejected();
        }
        const ExtentDims &loc = in[inputOrder[0]], &conf = in[inputOrder[1]], &pri = in[inputOrder[2]];
        if (loc.nbDims < 2 || conf.nbDims < 2 || pri.nbDims < 2) {
            reportError("needs loc, conf and priors of rank 2 or more");
            return ExtentDims::rejected();
        }
        const int64_t priorVol = perItem(pri), locVol = perItem(loc), confVol = perItem(conf);
        if (priorVol >= 0 && locVol >= 0 && confVol >= 0) {
            const int64_t numPriors = priorVol / 8, locClasses = shareLocation ? 1 : numClasses;
            if (priorVol % 8 != 0 || locVol != numPriors * locClasses * 4 || confVol != numPriors * numClasses) {
                reportError("priors hold " + std::to_string(priorVol) + " values per item, loc " +
                            std::to_string(locVol) + " and conf " + std::to_string(confVol) +
                            ", which do not fit 8 per prior, 4 per prior and location class, 1 per prior and class");
                return ExtentDims::rejected();
            }
        }
        if (loc.d[0].known() && conf.d[0].known() && !(loc.d[0] == conf.d[0])) {
            reportError("loc and conf have different batch sizes");
            return ExtentDims::rejected();
        }
        if (index == 0) return {loc.d[0], 1, keepTopK, 7};
        return {loc.d[0], 1, 1, 1};
    }

    DetectionParams params() const {
        return {shareLocation,
                varianceEncodedInTarget,
                confSigmoid,
                isNormalized,
                backgroundLabelId,
                numClasses,
                topK,
                keepTopK,
                codeType,
                confidenceThreshold,
                nmsThreshold};
    }

    int32_t enqueueCpu(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                       void* const* outputs, void*) noexcept {
        try {
            const PluginTensorDesc &locD = in[inputOrder[0]], &confD = in[inputOrder[1]], &priD = in[inputOrder[2]];
            const auto* loc = static_cast<const float*>(inputs[inputOrder[0]]);
            const auto* conf = static_cast<const float*>(inputs[inputOrder[1]]);
            const auto* pri = static_cast<const float*>(inputs[inputOrder[2]]);
            const DetectionParams p = params();
            const int32_t numPriors = int32_t(volumeFrom(priD.dims, 1) / 8);
            const int64_t locVol = volumeFrom(locD.dims, 1), confVol = volumeFrom(confD.dims, 1);
            for (int64_t n = 0; n < locD.dims.d[0]; ++n)
                detectionOutputCpu(p, numPriors, int32_t(n), loc + n * locVol, conf + n * confVol, pri,
                                   static_cast<float*>(outputs[0]) + n * keepTopK * 7,
                                   static_cast<int32_t*>(outputs[1]) + n);
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
        if (backend() != BackendKind::kCUDA || nbInputs != 3) return 0;
        return cuda::detectionOutputWorkspace(params(), in[inputOrder[0]].dims.d[0],
                                              volumeFrom(in[inputOrder[2]].dims, 1) / 8);
    }
    int32_t enqueueCuda(const PluginTensorDesc* in, const PluginTensorDesc*, const void* const* inputs,
                        void* const* outputs, void* workspace, cudaStream_t stream) noexcept {
        const PluginTensorDesc &locD = in[inputOrder[0]], &confD = in[inputOrder[1]], &priD = in[inputOrder[2]];
        return cuda::detectionOutput(params(), locD.dims.d[0], volumeFrom(priD.dims, 1) / 8,
                                     static_cast<const float*>(inputs[inputOrder[0]]), volumeFrom(locD.dims, 1),
                                     static_cast<const float*>(inputs[inputOrder[1]]), volumeFrom(confD.dims, 1),
                                     static_cast<const float*>(inputs[inputOrder[2]]), static_cast<float*>(outputs[0]),
                                     static_cast<int32_t*>(outputs[1]), workspace, stream);
    }
#endif

private:
    static int64_t perItem(const ExtentDims& d) {
        int64_t v = 1;
        for (int32_t i = 1; i < d.nbDims; ++i) {
            if (!d.d[i].known()) return -1;
            v *= d.d[i].value();
        }
        return v;
    }
};

}  // namespace

std::unique_ptr<IPluginCreator> makeDetectionOutputCreator() {
    return std::make_unique<PluginCreatorFor<DetectionOutputPlugin>>();
}

}  // namespace kiln::builtin
