// CUDA paths of the R-CNN plugins (builtin_cuda.h): RPROI_TRT (proposals, sort, NMS, ROI max
// pooling) and ROIAlign_TRT. The per-element arithmetic is rcnn_math.h's, as on the CPU; the
// NMS steps are nms_device.cuh's, one segment per image.
#include "builtin_cuda.h"
#include "nms_device.cuh"

namespace kiln::builtin::cuda {

namespace {

// ---- RPROI_TRT ----

struct RproiLayout {
    Box* proposals;
    Candidate *a, *b;
    NmsBuffers nms;
    int32_t maxCandidates, maxKept;
};
RproiLayout rproiLayout(Carver& c, const RproiParams& p, int64_t batch, int64_t length) {
    RproiLayout l;
    l.maxCandidates = int32_t(p.preNmsTop < length ? p.preNmsTop : length);
    l.maxKept = p.nmsMaxOut < l.maxCandidates ? p.nmsMaxOut : l.maxCandidates;
    l.proposals = c.take<Box>(batch * length);
    l.a = c.take<Candidate>(batch * length);
    l.b = c.take<Candidate>(batch * length);
    l.nms.boxes = c.take<Box>(batch * l.maxCandidates);
    l.nms.removed = c.take<uint8_t>(batch * l.maxCandidates);
    l.nms.keptIndex = c.take<int32_t>(batch * l.maxKept);
    l.nms.keptScore = c.take<double>(batch * l.maxKept);
    l.nms.keptCount = c.take<int32_t>(batch);
    return l;
}

// Proposal j of image n, j = (y * width + x) * A + k as the CPU walks them (so that ties in
// score keep the CPU's order): its box, and its foreground score as a candidate unless the
// box is too small (or the score NaN or -inf, which the CPU's threshold of -inf drops).
__global__ void proposalsKernel(RproiParams p, int64_t batch, const Box* anchors, int64_t numAnchors, int64_t height,
                                int64_t width, const float* scores, const float* deltas, const float* imInfo,
                                Box* proposals, Candidate* out) {
    const int64_t plane = height * width, length = plane * numAnchors, total = batch * length;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
        const int64_t n = e / length, j = e % length;
        const int64_t k = j % numAnchors, x = (j / numAnchors) % width, y = j / (numAnchors * width);
        const float* info = imInfo + 3 * n;
        const double imH = info[0], imW = info[1], minSize = double(p.minBoxSize) * info[2];
        const float* d = deltas + n * 4 * length + 4 * k * plane + y * width + x;
        const Box b =
            rpnProposal(anchors[k], x, y, p.featureStride, d[0], d[plane], d[2 * plane], d[3 * plane], imH, imW);
        const double s = scores[n * 2 * length + (numAnchors + k) * plane + y * width + x];
        proposals[e] = b;
        out[e] = Candidate{rpnLargeEnough(b, minSize) && s > -INFINITY ? s : -INFINITY, int32_t(j), 0};
    }
}

struct ProposalOf {
    const Box* proposals;
    int64_t length;
    __device__ Box operator()(int64_t n, int32_t j) const { return proposals[n * length + j]; }
};

struct PixelIou {
    __device__ double operator()(const Box& a, const Box& b) const { return pixelIou(a, b); }
};

// rois [batch, nmsMaxOut, 4]: the kept proposals in NMS order, then zeros.
__global__ void roisKernel(NmsBuffers buf, int32_t maxKept, ProposalOf proposalOf, int64_t batch, int32_t nmsMaxOut,
                           float* rois) {
    const int64_t total = batch * nmsMaxOut;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
        const int64_t n = e / nmsMaxOut;
        const int32_t r = int32_t(e % nmsMaxOut);
        float* roi = rois + 4 * e;
        if (r >= buf.keptCount[n]) {
            for (int q = 0; q < 4; ++q) roi[q] = 0.f;
            continue;
        }
        const Box b = proposalOf(n, buf.keptIndex[n * maxKept + r]);
        roi[0] = float(b.xmin);
        roi[1] = float(b.ymin);
        roi[2] = float(b.xmax);
        roi[3] = float(b.ymax);
    }
}

// pooled [batch, nmsMaxOut, channels, poolingH, poolingW] from the rois just written, one
// thread per output value.
__global__ void roiPoolKernel(RproiParams p, const int32_t* keptCount, const float* rois, int64_t batch,
                              const float* features, int64_t channels, int64_t featH, int64_t featW, float* pooled) {
    const int64_t total = batch * p.nmsMaxOut * channels * p.poolingH * p.poolingW;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
        const int64_t pw = e % p.poolingW, ph = (e / p.poolingW) % p.poolingH;
        const int64_t c = (e / (int64_t(p.poolingW) * p.poolingH)) % channels;
        const int64_t roiAt = e / (int64_t(p.poolingW) * p.poolingH * channels);  // n * nmsMaxOut + k
        const int64_t n = roiAt / p.nmsMaxOut, k = roiAt % p.nmsMaxOut;
        if (k >= keptCount[n]) {
            pooled[e] = 0.f;
            continue;
        }
        const float* roi = rois + 4 * roiAt;
        const float* f = features + (n * channels + c) * featH * featW;
        pooled[e] = roiPoolMax(f, featW, roiPoolWindow(roi, p, featH, featW, ph, pw));
    }
}

// ---- ROIAlign_TRT ----

__global__ void roiAlignKernel(RoiAlignParams p, const float* x, int64_t batch, int64_t channels, int64_t height,
                               int64_t width, const float* rois, const void* batchIndices, bool indices64,
                               int64_t numRois, float* out) {
    const int64_t total = numRois * channels * p.outH * p.outW;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
        const int64_t pw = e % p.outW, ph = (e / p.outW) % p.outH, c = (e / (p.outW * p.outH)) % channels;
        const int64_t r = e / (p.outW * p.outH * channels);
        const int64_t b =
            indices64 ? static_cast<const int64_t*>(batchIndices)[r] : static_cast<const int32_t*>(batchIndices)[r];
        if (b < 0 || b >= batch || height <= 0 || width <= 0) {  // nothing valid to read
            out[e] = 0.f;
            continue;
        }
        const RoiAlignGeometry g = roiAlignGeometry(rois + 4 * r, p);
        const float* xc = x + (b * channels + c) * height * width;
        out[e] = roiAlignBin(xc, g, p.avg,
                             [&](int64_t k) { return roiAlignSample(g, height, width, ph, pw, k / g.gw, k % g.gw); });
    }
}

}  // namespace

size_t rproiWorkspace(const RproiParams& p, int64_t batch, int64_t numAnchors, int64_t height, int64_t width) {
    Carver c(nullptr);
    rproiLayout(c, p, batch, height * width * numAnchors);
    return c.size();
}

int32_t rproi(const RproiParams& p, int64_t batch, const Box* anchors, int64_t numAnchors, int64_t height,
              int64_t width, const float* scores, const float* deltas, const float* features, int64_t channels,
              int64_t featH, int64_t featW, const float* imInfo, float* rois, float* pooled, void* workspace,
              cudaStream_t stream) {
    if (batch <= 0) return 0;
    const int64_t length = height * width * numAnchors;
    Carver carver(workspace);
    const RproiLayout l = rproiLayout(carver, p, batch, length);
    if (length > 0) {
        proposalsKernel<<<blocksFor(batch * length), kThreads, 0, stream>>>(
            p, batch, anchors, numAnchors, height, width, scores, deltas, imInfo, l.proposals, l.a);
        if (launched() != 0) return 1;
    }
    const Candidate* sorted = sortCandidates(l.a, l.b, batch, length, stream);
    if (!sorted) return 1;
    const ProposalOf proposalOf{l.proposals, length};
    if (greedyNms(sorted, batch, length, l.maxCandidates, l.maxKept, double(p.iouThreshold), proposalOf, PixelIou{},
                  l.nms, stream) != 0)
        return 1;
    roisKernel<<<blocksFor(batch * p.nmsMaxOut), kThreads, 0, stream>>>(l.nms, l.maxKept, proposalOf, batch,
                                                                        p.nmsMaxOut, rois);
    const int64_t pooledCount = batch * p.nmsMaxOut * channels * p.poolingH * p.poolingW;
    if (pooledCount > 0)
        roiPoolKernel<<<blocksFor(pooledCount), kThreads, 0, stream>>>(p, l.nms.keptCount, rois, batch, features,
                                                                       channels, featH, featW, pooled);
    return launched();
}

int32_t roiAlign(const RoiAlignParams& p, const float* x, int64_t batch, int64_t channels, int64_t height,
                 int64_t width, const float* rois, const void* batchIndices, bool indices64, int64_t numRois,
                 float* out, cudaStream_t stream) {
    const int64_t total = numRois * channels * p.outH * p.outW;
    if (total <= 0) return 0;
    roiAlignKernel<<<blocksFor(total), kThreads, 0, stream>>>(p, x, batch, channels, height, width, rois, batchIndices,
                                                              indices64, numRois, out);
    return launched();
}

}  // namespace kiln::builtin::cuda
