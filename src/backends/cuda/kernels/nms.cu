// NMS on CUDA (ONNX NonMaxSuppression, TensorRT's INMSLayer; docs/ops.md),
// with ir::computeNms's decisions exactly: per batch and class, the boxes
// whose score passes the threshold, by descending score (ties: lower index
// first), the first topk_limit of them considered, each kept while its IoU
// with every kept box is at most the threshold, up to
// max_output_boxes_per_class. Boxes, IoUs and scores are computed in double
// without contractions, as on the CPU. The selected [count, 3] triples come
// at their upper bound; the count goes to LaunchArgs::outputExtent (and to
// output 1 when present).
//
// Scores are sorted per (batch, class) segment with CUB's stable segmented
// sort; one block per segment then walks its candidates in order (a kept box
// is checked against the kept ones in parallel); a scan of the per-segment
// counts places the triples.
#include <math_constants.h>

#include <algorithm>
#include <climits>
#include <cub/cub.cuh>

#include "data_dependent.cuh"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;

struct Scalar {  // an optional scalar input, read on the device
    const void* p = nullptr;
    ir::DType type = ir::DType::kF32;
    __device__ double get(double absent) const { return p ? loadDouble(p, type, 0) : absent; }
};

struct NmsArgs {
    const void* boxes;
    ir::DType boxType;
    const void* scores;
    ir::DType scoreType;
    Scalar maxPerClass, iou, scoreThreshold;
    int64_t batches, classes, n, topk;
    bool center;
};

struct Box {
    double y0, x0, y1, x1;
};

__device__ Box boxAt(const NmsArgs& a, int64_t b, int64_t i) {
    double v[4];
    for (int k = 0; k < 4; ++k) v[k] = loadDouble(a.boxes, a.boxType, (b * a.n + i) * 4 + k);
    if (a.center) {  // [x_center, y_center, width, height]
        const double hh = v[3] / 2, hw = v[2] / 2;
        return {__dsub_rn(v[1], hh), __dsub_rn(v[0], hw), __dadd_rn(v[1], hh), __dadd_rn(v[0], hw)};
    }
    return {fmin(v[0], v[2]), fmin(v[1], v[3]), fmax(v[0], v[2]), fmax(v[1], v[3])};
}

// ir's iou(), operation by operation (no fused multiply-adds).
__device__ double iou(const Box& a, const Box& b) {
    const double ih = fmax(0.0, __dsub_rn(fmin(a.y1, b.y1), fmax(a.y0, b.y0)));
    const double iw = fmax(0.0, __dsub_rn(fmin(a.x1, b.x1), fmax(a.x0, b.x0)));
    const double inter = __dmul_rn(ih, iw);
    const double areaA = __dmul_rn(__dsub_rn(a.y1, a.y0), __dsub_rn(a.x1, a.x0));
    const double areaB = __dmul_rn(__dsub_rn(b.y1, b.y0), __dsub_rn(b.x1, b.x0));
    const double uni = __dsub_rn(__dadd_rn(areaA, areaB), inter);
    return uni > 0 ? __ddiv_rn(inter, uni) : 0.0;
}

// Sort keys (scores; -inf for boxes under the threshold, which are skipped),
// box indices, validity, and the segment offsets.
__global__ void prepareCandidates(NmsArgs a, double* keys, int* values, uint8_t* valid, int* offsets) {
    const int64_t segments = a.batches * a.classes, total = segments * a.n;
    const bool hasThreshold = a.scoreThreshold.p != nullptr;
    const double threshold = a.scoreThreshold.get(0.0);
    for (int64_t f = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; f < total; f += int64_t(gridDim.x) * blockDim.x) {
        const double s = loadDouble(a.scores, a.scoreType, f);
        const bool ok = !hasThreshold || s > threshold;
        // -0 and +0 are one score (the CPU compares them equal).
        keys[f] = ok ? (s == 0.0 ? 0.0 : s) : -CUDART_INF;
        values[f] = int(f % a.n);
        valid[f] = ok;
    }
    for (int64_t s = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; s <= segments;
         s += int64_t(gridDim.x) * blockDim.x)
        offsets[s] = int(s * a.n);
}

// One block per (batch, class): the greedy selection over the sorted candidates.
__global__ void selectBoxes(NmsArgs a, const int* order, const uint8_t* valid, int* keep, int64_t* counts) {
    const int64_t seg = blockIdx.x, b = seg / a.classes;
    const int64_t maxKeep = int64_t(a.maxPerClass.get(0.0));
    const double threshold = a.iou.get(0.0);
    int64_t kept = 0, considered = 0;
    if (maxKeep > 0) {
        for (int64_t p = 0; p < a.n; ++p) {
            const int i = order[seg * a.n + p];
            if (!valid[seg * a.n + i]) continue;
            if (a.topk > 0 && ++considered > a.topk) break;
            if (kept >= maxKeep) break;
            const Box box = boxAt(a, b, i);
            bool suppressed = false;
            for (int64_t j = threadIdx.x; j < kept && !suppressed; j += blockDim.x)
                suppressed = iou(box, boxAt(a, b, keep[seg * a.n + j])) > threshold;
            if (__syncthreads_or(suppressed)) continue;
            if (threadIdx.x == 0) keep[seg * a.n + kept] = i;
            ++kept;
            __syncthreads();  // the new kept box is visible to every thread
        }
    }
    if (threadIdx.x == 0) counts[seg] = kept;
}

// counts -> exclusive offsets (one block, in chunks of its size); the total is
// the extent, and output 1 when present.
__global__ void scanCounts(int64_t* counts, int64_t segments, int64_t* extent, int32_t* countOut) {
    __shared__ int64_t scratch[33];
    int64_t carry = 0;
    for (int64_t base = 0; base < segments; base += blockDim.x) {
        const int64_t s = base + threadIdx.x;
        const int64_t c = s < segments ? counts[s] : 0;
        int64_t total = 0;
        const int64_t off = blockExclusiveSum(c, scratch, total);
        if (s < segments) counts[s] = carry + off;
        carry += total;
    }
    if (threadIdx.x == 0) {
        *extent = carry;
        if (countOut) *countOut = int32_t(carry);
    }
}

template <class I>
__global__ void writeTriples(NmsArgs a, const int* keep, const int64_t* offsets, const int64_t* extent, I* y) {
    const int64_t segments = a.batches * a.classes, total = segments * a.n, count = *extent;
    for (int64_t f = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; f < total; f += int64_t(gridDim.x) * blockDim.x) {
        const int64_t seg = f / a.n, j = f % a.n;
        const int64_t end = seg + 1 < segments ? offsets[seg + 1] : count;
        const int64_t row = offsets[seg] + j;
        if (row >= end) continue;
        y[row * 3 + 0] = I(seg / a.classes);
        y[row * 3 + 1] = I(seg % a.classes);
        y[row * 3 + 2] = I(keep[f]);
    }
}

bool boxType(ir::DType t) {
    return t == ir::DType::kF32 || t == ir::DType::kF16 || t == ir::DType::kBF16 || t == ir::DType::kF64;
}

size_t align256(size_t b) { return (b + 255) / 256 * 256; }

// Workspace: keys and sorted keys (double), indices and sorted indices (int),
// validity, kept indices (int), segment offsets (int), counts (int64), CUB's storage.
struct Layout {
    size_t keys = 0, keysOut = 0, values = 0, order = 0, valid = 0, keep = 0, offsets = 0, counts = 0, cub = 0,
           total = 0;
};

Status layoutFor(int64_t segments, int64_t n, Layout& l) {
    const int64_t m = segments * n;
    size_t at = 0;
    auto take = [&](size_t& field, size_t bytes) {
        field = at;
        at += align256(std::max<size_t>(bytes, 1));
    };
    take(l.keys, size_t(m) * sizeof(double));
    take(l.keysOut, size_t(m) * sizeof(double));
    take(l.values, size_t(m) * sizeof(int));
    take(l.order, size_t(m) * sizeof(int));
    take(l.valid, size_t(m));
    take(l.keep, size_t(m) * sizeof(int));
    take(l.offsets, size_t(segments + 1) * sizeof(int));
    take(l.counts, size_t(segments) * sizeof(int64_t));
    size_t cubBytes = 0;
    KILN_CUDA_CHECK(cub::DeviceSegmentedSort::StableSortPairsDescending(
        nullptr, cubBytes, static_cast<const double*>(nullptr), static_cast<double*>(nullptr),
        static_cast<const int*>(nullptr), static_cast<int*>(nullptr), int(m), int(segments),
        static_cast<const int*>(nullptr), static_cast<const int*>(nullptr)));
    take(l.cub, cubBytes);
    l.total = at;
    return Status::Ok();
}

bool dims(const std::vector<ir::TensorDesc>& in, int64_t& batches, int64_t& classes, int64_t& n) {
    if (in.size() < 2 || in[0].shape.size() != 3 || in[1].shape.size() != 3 || !ir::isStatic(in[1].shape)) return false;
    batches = in[1].shape[0];
    classes = in[1].shape[1];
    n = in[1].shape[2];
    return true;
}

}  // namespace

bool nmsSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    if (in.size() < 2 || out.empty() || out.size() > 2 || !boxType(in[0].dtype) || !boxType(in[1].dtype)) return false;
    if (out[0].dtype != ir::DType::kI64 && out[0].dtype != ir::DType::kI32) return false;
    if (out.size() > 1 && out[1].dtype != ir::DType::kI32) return false;
    for (size_t i = 2; i < in.size(); ++i)
        if (ir::hasInput(node, in, i) && !loadsAsDouble(in[i].dtype)) return false;
    if (in[0].shape.size() != 3 || in[1].shape.size() != 3) return false;
    // CUB's segmented sort counts items in int.
    const int64_t m = ir::volume(in[1].shape);
    return m < 0 || m <= int64_t(INT_MAX) / 2;
}

size_t nmsWorkspace(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&) {
    int64_t batches, classes, n;
    if (!dims(in, batches, classes, n) || batches * classes * n > int64_t(INT_MAX) / 2) return 0;
    Layout l;
    if (!layoutFor(batches * classes, n, l).ok()) return 0;
    return l.total;
}

Status nms(LaunchArgs& a) {
    if (!a.outputExtent) return Status::Error("NMS: the count of boxes has nowhere to go (no extent buffer)");
    const std::vector<ir::TensorDesc> in = hostDescs(a.inputs);
    int64_t batches, classes, n;
    if (!dims(in, batches, classes, n) || a.inputs[0].shape[0] != batches || a.inputs[0].shape[1] != n ||
        a.inputs[0].shape[2] != 4)
        return Status::Error("NMS: boxes " + ir::shapeToString(a.inputs[0].shape) + " and scores " +
                             ir::shapeToString(a.inputs[1].shape) + " do not agree");
    const int64_t segments = batches * classes, m = segments * n;
    if (m > int64_t(INT_MAX) / 2) return Status::Error("NMS: too many boxes");
    // Parameters known on the host are checked as the CPU checks them.
    if (ir::hasInput(a.node, in, 3) && in[3].data) {
        const double iou = ir::loadAsDouble(in[3].data, in[3].dtype, 0);
        if (iou < 0 || iou > 1)
            return Status::Error("NMS: iou_threshold " + std::to_string(iou) + " is outside [0, 1]");
    }
    DeviceTensor& Y = a.outputs[0];
    int32_t* countOut = a.outputs.size() > 1 ? a.outputs[1].as<int32_t>() : nullptr;
    if (m == 0) {
        KILN_CUDA_CHECK(cudaMemsetAsync(a.outputExtent, 0, sizeof(int64_t), a.stream));
        if (countOut) KILN_CUDA_CHECK(cudaMemsetAsync(countOut, 0, sizeof(int32_t), a.stream));
        return Status::Ok();
    }
    // The triples' buffer holds the most that can be selected (every candidate, or fewer).
    int64_t per = n;
    const int64_t topk = a.node.attrs.getInt("topk_limit", 0);
    if (topk > 0) per = std::min(per, topk);
    if (ir::hasInput(a.node, in, 2) && in[2].data)
        per = std::min(per, std::max<int64_t>(int64_t(ir::loadAsDouble(in[2].data, in[2].dtype, 0)), 0));
    if (!ir::hasInput(a.node, in, 2)) per = 0;
    if (Y.numel() < segments * per * 3)
        return Status::Error("NMS: output " + ir::shapeToString(Y.shape) + " is too small");
    Layout l;
    KILN_RETURN_IF_ERROR(layoutFor(segments, n, l));
    if (a.workspaceBytes < l.total) return Status::Error("NMS: workspace too small");
    auto* ws = static_cast<uint8_t*>(a.workspace);
    NmsArgs na{};
    na.boxes = a.inputs[0].data;
    na.boxType = a.inputs[0].dtype;
    na.scores = a.inputs[1].data;
    na.scoreType = a.inputs[1].dtype;
    if (ir::hasInput(a.node, in, 2)) na.maxPerClass = {a.inputs[2].data, a.inputs[2].dtype};
    if (ir::hasInput(a.node, in, 3)) na.iou = {a.inputs[3].data, a.inputs[3].dtype};
    if (ir::hasInput(a.node, in, 4)) na.scoreThreshold = {a.inputs[4].data, a.inputs[4].dtype};
    na.batches = batches;
    na.classes = classes;
    na.n = n;
    na.topk = topk;
    na.center = a.node.attrs.getInt("center_point_box", 0) != 0;
    auto* keys = reinterpret_cast<double*>(ws + l.keys);
    auto* keysOut = reinterpret_cast<double*>(ws + l.keysOut);
    auto* values = reinterpret_cast<int*>(ws + l.values);
    auto* order = reinterpret_cast<int*>(ws + l.order);
    auto* valid = ws + l.valid;
    auto* keep = reinterpret_cast<int*>(ws + l.keep);
    auto* offsets = reinterpret_cast<int*>(ws + l.offsets);
    auto* counts = reinterpret_cast<int64_t*>(ws + l.counts);
    prepareCandidates<<<gridFor(std::max(m, segments + 1)), kBlock, 0, a.stream>>>(na, keys, values, valid, offsets);
    KILN_CUDA_CHECK_LAUNCH();
    size_t cubBytes = a.workspaceBytes - l.cub;
    KILN_CUDA_CHECK(cub::DeviceSegmentedSort::StableSortPairsDescending(
        ws + l.cub, cubBytes, static_cast<const double*>(keys), keysOut, static_cast<const int*>(values), order, int(m),
        int(segments), static_cast<const int*>(offsets), static_cast<const int*>(offsets) + 1, a.stream));
    if (segments > int64_t(INT_MAX)) return Status::Error("NMS: too many classes");
    selectBoxes<<<unsigned(segments), kBlock, 0, a.stream>>>(na, order, valid, keep, counts);
    KILN_CUDA_CHECK_LAUNCH();
    scanCounts<<<1, 1024, 0, a.stream>>>(counts, segments, a.outputExtent, countOut);
    KILN_CUDA_CHECK_LAUNCH();
    if (Y.dtype == ir::DType::kI64)
        writeTriples<int64_t><<<gridFor(m), kBlock, 0, a.stream>>>(na, keep, counts, a.outputExtent, Y.as<int64_t>());
    else
        writeTriples<int32_t><<<gridFor(m), kBlock, 0, a.stream>>>(na, keep, counts, a.outputExtent, Y.as<int32_t>());
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

}  // namespace kiln::cuda::kernels
