// The device side of non-maximum suppression, shared by NMS_TRT, BatchedNMS_TRT and
// RPROI_TRT: a deterministic segmented sort of scored candidates (nms_sort.cu) and a greedy
// NMS kernel, both with exactly the order of the CPU path (nmsOneClass: descending score,
// lower index first on ties; each candidate kept while its IoU with every kept one is at
// most the threshold).
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "../box_math.h"

namespace kiln::builtin::cuda {

// A candidate box of one segment (an image's class): its score, -inf when it is not a
// candidate (below the threshold, NaN, the background class), and its index in the segment.
struct Candidate {
    double score;
    int32_t index;
    int32_t unused;
};

// The CPU's order: higher score first, then lower index. A strict total order, since no
// score is NaN and indices are unique within a segment; -0 and +0 tie, as on the CPU.
__device__ inline bool before(const Candidate& a, const Candidate& b) {
    return a.score > b.score || (a.score == b.score && a.index < b.index);
}

// Whether a candidate is one (every real candidate scores above -inf; see Candidate).
__device__ inline bool isCandidate(const Candidate& c) { return c.score > -INFINITY; }

// Sorts `segments` runs of `length` candidates each by before(). `a` holds the input; `a`
// and `b` (segments * length each) are the buffers; returns the one holding the result.
// Launches only (on `stream`); nullptr when a launch failed.
Candidate* sortCandidates(Candidate* a, Candidate* b, int64_t segments, int64_t length, cudaStream_t stream);

// Pieces of a plugin's workspace, each aligned to 256 bytes. With a null base it only adds
// up the size, which is how getWorkspaceSize() and enqueue lay out the same pieces.
class Carver {
public:
    explicit Carver(void* base) : base_(static_cast<char*>(base)) {}
    template <typename T>
    T* take(int64_t count) {
        T* p = base_ ? reinterpret_cast<T*>(base_ + used_) : nullptr;
        used_ += (size_t(count > 0 ? count : 0) * sizeof(T) + 255) / 256 * 256;
        return p;
    }
    size_t size() const { return used_; }

private:
    char* base_;
    size_t used_ = 0;
};

constexpr int kThreads = 256;

// Blocks of kThreads for a grid-stride loop over n items.
inline unsigned blocksFor(int64_t n) {
    const int64_t b = (n + kThreads - 1) / kThreads;
    return unsigned(b < 65536 ? (b > 0 ? b : 1) : 65536);
}

// 0 when the launches so far succeeded, else 1.
inline int32_t launched() { return cudaGetLastError() == cudaSuccess ? 0 : 1; }

// Where greedyNms() keeps and writes, per segment s: the candidates' boxes in sorted order
// and their removed flags (maxCandidates each), the kept candidates' indices and scores
// (maxKept each, in NMS order) and their count.
struct NmsBuffers {
    Box* boxes;
    uint8_t* removed;
    int32_t* keptIndex;
    double* keptScore;
    int32_t* keptCount;
};

// One block per segment. The first min(maxCandidates, length) sorted candidates that are
// candidates (a prefix, as non-candidates sort last) are walked in order; each one not
// removed is kept, and removes every later one whose IoU with it, iou(later, kept), exceeds
// `threshold` (the CPU's test, with the same arguments). At most maxKept are kept: later
// kept ones could never be written (each segment's output takes at most maxKept), so
// stopping there changes nothing. boxOf(segment, index) gives a candidate's box.
template <typename BoxOf, typename Iou>
__global__ void greedyNmsKernel(const Candidate* sorted, int64_t length, int32_t maxCandidates, int32_t maxKept,
                                double threshold, BoxOf boxOf, Iou iou, NmsBuffers buf) {
    const int64_t seg = blockIdx.x;
    const Candidate* items = sorted + seg * length;
    Box* boxes = buf.boxes + seg * maxCandidates;
    uint8_t* removed = buf.removed + seg * maxCandidates;
    __shared__ int32_t count, cursor, current, kept;
    if (threadIdx.x == 0) count = 0;
    __syncthreads();
    // The candidates are a prefix: the last one says how many.
    for (int32_t k = threadIdx.x; k < maxCandidates; k += blockDim.x)
        if (isCandidate(items[k]) && (k + 1 == maxCandidates || !isCandidate(items[k + 1]))) count = k + 1;
    __syncthreads();
    const int32_t n = count;
    for (int32_t k = threadIdx.x; k < n; k += blockDim.x) {
        boxes[k] = boxOf(seg, items[k].index);
        removed[k] = 0;
    }
    if (threadIdx.x == 0) {
        cursor = 0;
        kept = 0;
    }
    __syncthreads();
    for (;;) {
        if (threadIdx.x == 0) {
            // The next candidate not removed (the cursor only moves forward: O(n) in all).
            int32_t c = cursor;
            while (c < n && removed[c]) ++c;
            if (c >= n || kept >= maxKept) {
                current = -1;
            } else {
                current = c;
                buf.keptIndex[seg * maxKept + kept] = items[c].index;
                buf.keptScore[seg * maxKept + kept] = items[c].score;
                ++kept;
                cursor = c + 1;
            }
        }
        __syncthreads();
        const int32_t c = current;
        if (c < 0) break;
        const Box keptBox = boxes[c];
        for (int32_t t = c + 1 + int32_t(threadIdx.x); t < n; t += blockDim.x)
            if (!removed[t] && iou(boxes[t], keptBox) > threshold) removed[t] = 1;
        __syncthreads();
    }
    if (threadIdx.x == 0) buf.keptCount[seg] = kept;
}

template <typename BoxOf, typename Iou>
int32_t greedyNms(const Candidate* sorted, int64_t segments, int64_t length, int32_t maxCandidates, int32_t maxKept,
                  double threshold, BoxOf boxOf, Iou iou, const NmsBuffers& buf, cudaStream_t stream) {
    if (segments <= 0) return 0;
    greedyNmsKernel<<<unsigned(segments), kThreads, 0, stream>>>(sorted, length, maxCandidates, maxKept, threshold,
                                                                 boxOf, iou, buf);
    return launched();
}

}  // namespace kiln::builtin::cuda
