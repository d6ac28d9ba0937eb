// CUDA paths of the SSD plugins (builtin_cuda.h): PriorBox_TRT's priors, NMS_TRT
// (DetectionOutput) and BatchedNMS_TRT. The per-element arithmetic is ssd_math.h's and
// box_math.h's, as on the CPU; the NMS steps are nms_device.cuh's. Per image and class
// (a segment): candidates scored (non-candidates at -inf), sorted, greedy NMS; then every
// kept box finds its output row by counting the kept boxes of all classes that come before
// it (descending float score, then lower label, then NMS order: sortDetections's order),
// with one binary search per class, since each class's kept list is in that order already.
#include "builtin_cuda.h"
#include "nms_device.cuh"

namespace kiln::builtin::cuda {

namespace {

// ---- PriorBox_TRT ----

__global__ void priorBoxKernel(PriorBoxShape s, const double* sizes, float* out, int64_t total) {
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x)
        out[e] = priorBoxValue(s, sizes, e);
}

// ---- shared by NMS_TRT and BatchedNMS_TRT ----

struct JaccardIou {
    bool plusOne;
    __device__ double operator()(const Box& a, const Box& b) const { return jaccard(a, b, plusOne); }
};

// How many of a class's kept boxes (float scores non-increasing) come before a box of score
// s of another class: those scoring above s, and (orEqual: the other class has the lower
// label) those scoring s.
__device__ int32_t keptAhead(const double* scores, int32_t n, float s, bool orEqual) {
    int32_t lo = 0, hi = n;
    while (lo < hi) {
        const int32_t mid = (lo + hi) / 2;
        const float f = float(scores[mid]);
        if (orEqual ? f >= s : f > s)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

// One thread per kept slot (image n, class c, NMS rank r): its row among the image's
// detections; rows below keepTopK are written by write(n, row, c, index, score).
template <typename Write>
__global__ void rankKeptKernel(NmsBuffers buf, int64_t batch, int32_t classes, int32_t maxKept, int32_t keepTopK,
                               Write write) {
    const int64_t total = batch * classes * maxKept;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
        const int64_t seg = e / maxKept, n = seg / classes;
        const int32_t c = int32_t(seg % classes), r = int32_t(e % maxKept);
        if (r >= buf.keptCount[seg]) continue;
        const float s = float(buf.keptScore[e]);
        int64_t row = r;
        for (int32_t o = 0; o < classes && row < keepTopK; ++o) {
            if (o == c) continue;
            const int64_t other = n * classes + o;
            row += keptAhead(buf.keptScore + other * maxKept, buf.keptCount[other], s, o < c);
        }
        if (row < keepTopK) write(n, int32_t(row), c, buf.keptIndex[e], s);
    }
}

// One thread per output row (image n, row r): the count of image n (written by row 0) and,
// past it, pad(n, r).
template <typename Pad>
__global__ void padRowsKernel(const int32_t* keptCount, int64_t batch, int32_t classes, int32_t keepTopK,
                              int32_t* count, Pad pad) {
    const int64_t total = batch * keepTopK;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
        const int64_t n = e / keepTopK;
        const int32_t r = int32_t(e % keepTopK);
        int64_t found = 0;
        for (int32_t c = 0; c < classes; ++c) found += keptCount[n * classes + c];
        const int32_t written = int32_t(found < keepTopK ? found : keepTopK);
        if (r == 0) count[n] = written;
        if (r >= written) pad(n, r);
    }
}

// The workspace of one run: candidates (two buffers for the sort) per image and class, and
// greedyNms()'s buffers.
struct NmsLayout {
    Candidate *a, *b;
    NmsBuffers nms;
    int32_t maxCandidates, maxKept;
};
NmsLayout nmsLayout(Carver& c, int64_t segments, int64_t length, int32_t topK, int32_t keepTopK) {
    NmsLayout l;
    l.maxCandidates = int32_t(topK > -1 && topK < length ? topK : length);
    l.maxKept = keepTopK < l.maxCandidates ? keepTopK : l.maxCandidates;
    l.a = c.take<Candidate>(segments * length);
    l.b = c.take<Candidate>(segments * length);
    l.nms.boxes = c.take<Box>(segments * l.maxCandidates);
    l.nms.removed = c.take<uint8_t>(segments * l.maxCandidates);
    l.nms.keptIndex = c.take<int32_t>(segments * l.maxKept);
    l.nms.keptScore = c.take<double>(segments * l.maxKept);
    l.nms.keptCount = c.take<int32_t>(segments);
    return l;
}

// ---- NMS_TRT ----

// boxes[(n * numPriors + i) * locClasses + lc]: prior i's box for location class lc.
__global__ void decodeKernel(DetectionParams p, int64_t batch, int64_t numPriors, const float* loc, int64_t locStride,
                             const float* priors, Box* boxes) {
    const int64_t locClasses = p.shareLocation ? 1 : p.numClasses, total = batch * numPriors * locClasses;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
        const int64_t n = e / (numPriors * locClasses), rem = e % (numPriors * locClasses);
        const int64_t i = rem / locClasses, lc = rem % locClasses;
        boxes[e] = decodeBox(priors + 4 * i, priors + 4 * numPriors + 4 * i,
                             loc + n * locStride + (i * locClasses + lc) * 4, p);
    }
}

__global__ void detectionCandidatesKernel(DetectionParams p, int64_t batch, int64_t numPriors, const float* conf,
                                          int64_t confStride, Candidate* out) {
    const int64_t total = batch * p.numClasses * numPriors;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
        const int64_t seg = e / numPriors, i = e % numPriors, n = seg / p.numClasses;
        const int32_t c = int32_t(seg % p.numClasses);
        const double s = detectionScore(conf[n * confStride + i * p.numClasses + c], p.confSigmoid);
        const bool candidate = c != p.backgroundLabelId && s > double(p.confidenceThreshold);
        out[e] = Candidate{candidate ? s : -INFINITY, int32_t(i), 0};
    }
}

struct DecodedBoxOf {
    const Box* boxes;
    int64_t numPriors;
    int32_t classes;
    bool shareLocation;
    __device__ Box operator()(int64_t seg, int32_t i) const {
        const int64_t n = seg / classes, c = seg % classes, locClasses = shareLocation ? 1 : classes;
        return boxes[(n * numPriors + i) * locClasses + (shareLocation ? 0 : c)];
    }
};

struct DetectionRow {
    DecodedBoxOf boxOf;
    float* rows;
    int32_t keepTopK;
    __device__ void operator()(int64_t n, int32_t row, int32_t c, int32_t i, float score) const {
        const Box b = boxOf(n * boxOf.classes + c, i);
        float* o = rows + (n * keepTopK + row) * 7;
        o[0] = float(n);
        o[1] = float(c);
        o[2] = score;
        o[3] = float(b.xmin);
        o[4] = float(b.ymin);
        o[5] = float(b.xmax);
        o[6] = float(b.ymax);
    }
};

struct DetectionPad {
    float* rows;
    int32_t keepTopK;
    __device__ void operator()(int64_t n, int32_t row) const {
        float* o = rows + (n * keepTopK + row) * 7;
        o[0] = float(n);
        o[1] = -1;
        for (int k = 2; k < 7; ++k) o[k] = 0;
    }
};

struct DetectionLayout {
    Box* boxes;
    NmsLayout nms;
};
DetectionLayout detectionLayout(Carver& c, const DetectionParams& p, int64_t batch, int64_t numPriors) {
    DetectionLayout l;
    l.boxes = c.take<Box>(batch * numPriors * (p.shareLocation ? 1 : p.numClasses));
    l.nms = nmsLayout(c, batch * p.numClasses, numPriors, p.topK, p.keepTopK);
    return l;
}

// ---- BatchedNMS_TRT ----

__global__ void batchedCandidatesKernel(BatchedNmsParams p, int64_t batch, int64_t numBoxes, const float* scores,
                                        Candidate* out) {
    const int64_t total = batch * p.numClasses * numBoxes;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
        const int64_t seg = e / numBoxes, i = e % numBoxes, n = seg / p.numClasses;
        const int32_t c = int32_t(seg % p.numClasses);
        const double s = scores[(n * numBoxes + i) * p.numClasses + c];
        const bool candidate = c != p.backgroundLabelId && s > double(p.scoreThreshold);
        out[e] = Candidate{candidate ? s : -INFINITY, int32_t(i), 0};
    }
}

// Box i of image n for class c, from the input [N, numBoxes, q, 4].
struct InputBoxOf {
    const float* boxes;
    int64_t numBoxes;
    int32_t classes;
    bool shareLocation;
    __device__ Box operator()(int64_t seg, int32_t i) const {
        const int64_t n = seg / classes, c = seg % classes, q = shareLocation ? 1 : classes;
        const float* b = boxes + ((n * numBoxes + i) * q + (shareLocation ? 0 : c)) * 4;
        return Box{b[0], b[1], b[2], b[3]};
    }
};

struct BatchedRow {
    InputBoxOf boxOf;
    float *boxes, *scores, *classes;
    int32_t keepTopK;
    bool clip;
    __device__ void operator()(int64_t n, int32_t row, int32_t c, int32_t i, float score) const {
        const Box b = boxOf(n * boxOf.classes + c, i);
        const double v[4] = {b.xmin, b.ymin, b.xmax, b.ymax};
        const int64_t at = n * keepTopK + row;
        for (int k = 0; k < 4; ++k) boxes[at * 4 + k] = float(clip ? hdMin(hdMax(v[k], 0.0), 1.0) : v[k]);
        scores[at] = score;
        classes[at] = float(c);
    }
};

struct BatchedPad {
    float *boxes, *scores, *classes;
    int32_t keepTopK;
    __device__ void operator()(int64_t n, int32_t row) const {
        const int64_t at = n * keepTopK + row;
        for (int k = 0; k < 4; ++k) boxes[at * 4 + k] = 0;
        scores[at] = 0;
        classes[at] = -1;
    }
};

}  // namespace

int32_t priorBox(const PriorBoxShape& s, const double* sizes, float* out, cudaStream_t stream) {
    const int64_t total = s.layerH * s.layerW * s.priorsPerCell * 8;
    if (total <= 0) return 0;
    priorBoxKernel<<<blocksFor(total), kThreads, 0, stream>>>(s, sizes, out, total);
    return launched();
}

size_t detectionOutputWorkspace(const DetectionParams& p, int64_t batch, int64_t numPriors) {
    Carver c(nullptr);
    detectionLayout(c, p, batch, numPriors);
    return c.size();
}

int32_t detectionOutput(const DetectionParams& p, int64_t batch, int64_t numPriors, const float* loc, int64_t locStride,
                        const float* conf, int64_t confStride, const float* priors, float* rows, int32_t* keepCount,
                        void* workspace, cudaStream_t stream) {
    if (batch <= 0) return 0;
    Carver carver(workspace);
    const DetectionLayout l = detectionLayout(carver, p, batch, numPriors);
    const int64_t segments = batch * p.numClasses;
    const DecodedBoxOf boxOf{l.boxes, numPriors, p.numClasses, p.shareLocation};
    if (numPriors > 0) {
        const int64_t boxes = batch * numPriors * (p.shareLocation ? 1 : p.numClasses);
        decodeKernel<<<blocksFor(boxes), kThreads, 0, stream>>>(p, batch, numPriors, loc, locStride, priors, l.boxes);
        detectionCandidatesKernel<<<blocksFor(segments * numPriors), kThreads, 0, stream>>>(p, batch, numPriors, conf,
                                                                                            confStride, l.nms.a);
        if (launched() != 0) return 1;
    }
    const Candidate* sorted = sortCandidates(l.nms.a, l.nms.b, segments, numPriors, stream);
    if (!sorted) return 1;
    if (greedyNms(sorted, segments, numPriors, l.nms.maxCandidates, l.nms.maxKept, double(p.nmsThreshold), boxOf,
                  JaccardIou{!p.isNormalized}, l.nms.nms, stream) != 0)
        return 1;
    if (l.nms.maxKept > 0)
        rankKeptKernel<<<blocksFor(segments * l.nms.maxKept), kThreads, 0, stream>>>(
            l.nms.nms, batch, p.numClasses, l.nms.maxKept, p.keepTopK, DetectionRow{boxOf, rows, p.keepTopK});
    padRowsKernel<<<blocksFor(batch * p.keepTopK), kThreads, 0, stream>>>(
        l.nms.nms.keptCount, batch, p.numClasses, p.keepTopK, keepCount, DetectionPad{rows, p.keepTopK});
    return launched();
}

size_t batchedNmsWorkspace(const BatchedNmsParams& p, int64_t batch, int64_t numBoxes) {
    Carver c(nullptr);
    nmsLayout(c, batch * p.numClasses, numBoxes, p.topK, p.keepTopK);
    return c.size();
}

int32_t batchedNms(const BatchedNmsParams& p, int64_t batch, int64_t numBoxes, const float* boxes, const float* scores,
                   int32_t* count, float* outBoxes, float* outScores, float* outClasses, void* workspace,
                   cudaStream_t stream) {
    if (batch <= 0) return 0;
    Carver carver(workspace);
    const int64_t segments = batch * p.numClasses;
    const NmsLayout l = nmsLayout(carver, segments, numBoxes, p.topK, p.keepTopK);
    const InputBoxOf boxOf{boxes, numBoxes, p.numClasses, p.shareLocation};
    if (numBoxes > 0) {
        batchedCandidatesKernel<<<blocksFor(segments * numBoxes), kThreads, 0, stream>>>(p, batch, numBoxes, scores,
                                                                                         l.a);
        if (launched() != 0) return 1;
    }
    const Candidate* sorted = sortCandidates(l.a, l.b, segments, numBoxes, stream);
    if (!sorted) return 1;
    if (greedyNms(sorted, segments, numBoxes, l.maxCandidates, l.maxKept, double(p.iouThreshold), boxOf,
                  JaccardIou{p.plusOne}, l.nms, stream) != 0)
        return 1;
    if (l.maxKept > 0)
        rankKeptKernel<<<blocksFor(segments * l.maxKept), kThreads, 0, stream>>>(
            l.nms, batch, p.numClasses, l.maxKept, p.keepTopK,
            BatchedRow{boxOf, outBoxes, outScores, outClasses, p.keepTopK, p.clipBoxes});
    padRowsKernel<<<blocksFor(batch * p.keepTopK), kThreads, 0, stream>>>(
        l.nms.keptCount, batch, p.numClasses, p.keepTopK, count,
        BatchedPad{outBoxes, outScores, outClasses, p.keepTopK});
    return launched();
}

}  // namespace kiln::builtin::cuda
