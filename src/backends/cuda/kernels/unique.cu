// Unique on CUDA (ONNX Unique; docs/ops.md): the distinct elements of the
// flattened input, or the distinct slices along an axis, with the index of
// each one's first occurrence, the inverse indices and the counts. Items are
// compared exactly as ir::computeUnique does: as tuples of doubles, NaN last
// and equal to NaN. The outputs of unknown extent come at their upper bound
// (the number of items) and the number of unique items goes to
// LaunchArgs::outputExtent (host_plan.h).
//
// Items (indices) are sorted stably with the item order (CUB merge sort), so
// each group of equal items starts with its first occurrence; group starts
// are flagged and scanned into group numbers. Unsorted output orders the
// groups by first occurrence (a radix sort of the first indices).
#include <algorithm>
#include <climits>
#include <cub/cub.cuh>

#include "data_dependent.cuh"
#include "ir/ops/data_dependent.h"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;

struct Items {
    const void* x;
    ir::DType type;
    int64_t items, inner, width;  // width = outer * inner elements per item

    __device__ double value(int64_t item, int64_t k) const {
        const int64_t o = k / inner, in = k - o * inner;
        return loadDouble(x, type, (o * items + item) * inner + in);
    }
    // Lexicographic, NaN after everything else, NaN equal to NaN.
    __device__ bool operator()(const int64_t& a, const int64_t& b) const {
        for (int64_t k = 0; k < width; ++k) {
            const double u = value(a, k), v = value(b, k);
            const bool un = u != u, vn = v != v;
            if (un != vn) return vn;
            if (!un && u != v) return u < v;
        }
        return false;
    }
};

// The scratch arrays, each of `items` int64, and CUB's temporary storage.
struct Layout {
    enum { kOrder, kHead, kGroup, kFirst, kStart, kCount, kKeys, kKeysOut, kValues, kPerm, kArrays };
    size_t array = 0;  // bytes of one array (256-aligned)
    size_t cubBytes = 0;
    size_t total() const { return array * kArrays + cubBytes; }
};

size_t align256(size_t b) { return (b + 255) / 256 * 256; }

Status layoutFor(int64_t items, const Items& cmp, Layout& l) {
    l.array = align256(size_t(items) * sizeof(int64_t));
    size_t a = 0, b = 0, c = 0;
    KILN_CUDA_CHECK(cub::DeviceMergeSort::StableSortKeys(nullptr, a, static_cast<int64_t*>(nullptr), items, cmp));
    KILN_CUDA_CHECK(cub::DeviceScan::InclusiveSum(nullptr, b, static_cast<const int64_t*>(nullptr),
                                                  static_cast<int64_t*>(nullptr), int(items)));
    KILN_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(
        nullptr, c, static_cast<const int64_t*>(nullptr), static_cast<int64_t*>(nullptr),
        static_cast<const int64_t*>(nullptr), static_cast<int64_t*>(nullptr), int(items), 0, int(sizeof(int64_t) * 8)));
    l.cubBytes = align256(std::max({a, b, c, size_t(1)}));
    return Status::Ok();
}

// The geometry of the items of x (a flattened input, or slices along the axis).
bool geometry(const ir::Node& node, const ir::TensorDesc& x, ir::UniqueParams& p, int64_t& items, int64_t& outer,
              int64_t& inner) {
    if (!ir::isStatic(x.shape) || !ir::resolveUnique(node, x, p).ok()) return false;
    items = ir::volume(x.shape);
    outer = inner = 1;
    if (p.hasAxis) {
        items = x.shape[size_t(p.axis)];
        for (int64_t d = 0; d < p.axis; ++d) outer *= x.shape[size_t(d)];
        for (size_t d = size_t(p.axis) + 1; d < x.shape.size(); ++d) inner *= x.shape[d];
    }
    return true;
}

__global__ void fillIota(int64_t* v, int64_t n) {
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
        v[i] = i;
}

__global__ void flagGroupStarts(Items cmp, const int64_t* order, int64_t* head, int64_t n) {
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
        head[i] = i == 0 || cmp(order[i - 1], order[i]) ? 1 : 0;
}

// Per group g: its first occurrence and where it starts in the sorted order;
// the extent is the number of groups.
__global__ void groupStarts(const int64_t* order, const int64_t* head, const int64_t* group, int64_t* first,
                            int64_t* start, int64_t n, int64_t* extent) {
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        const int64_t g = group[i] - 1;
        if (head[i]) {
            first[g] = order[i];
            start[g] = i;
        }
        if (i == n - 1) *extent = g + 1;
    }
}

// Counts per group; the sort keys that put the groups in order of first
// occurrence (groups past the extent last).
__global__ void groupCounts(const int64_t* first, const int64_t* start, int64_t* count, int64_t* keys, int64_t* values,
                            int64_t n, const int64_t* extent) {
    const int64_t u = *extent;
    for (int64_t g = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; g < n; g += int64_t(gridDim.x) * blockDim.x) {
        if (g < u) count[g] = (g + 1 < u ? start[g + 1] : n) - start[g];
        keys[g] = g < u ? first[g] : LLONG_MAX;
        values[g] = g;
    }
}

// rank[g] = output position of group g (unsorted: the inverse of perm).
__global__ void groupRanks(const int64_t* perm, int64_t* rank, int64_t n, const int64_t* extent) {
    const int64_t u = *extent;
    for (int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; k < u && k < n;
         k += int64_t(gridDim.x) * blockDim.x)
        rank[perm[k]] = k;
}

struct OutIndices {
    int64_t *first, *inverse, *count;  // optional outputs (nullptr: absent)
};

// The index outputs: per output position k, and the inverse per item.
__global__ void writeIndices(const int64_t* order, const int64_t* group, const int64_t* first, const int64_t* count,
                             const int64_t* perm, const int64_t* rank, bool sorted, int64_t n, const int64_t* extent,
                             OutIndices o) {
    const int64_t u = *extent;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        if (i < u) {
            const int64_t g = sorted ? i : perm[i];
            if (o.first) o.first[i] = first[g];
            if (o.count) o.count[i] = count[g];
        }
        if (o.inverse) {
            const int64_t g = group[i] - 1;  // i is a position in the sorted order
            o.inverse[order[i]] = sorted ? g : rank[g];
        }
    }
}

// y[o][k][e] = x[o][first of the k-th output group][e], over the upper bound [outer, n, inner].
template <class W>
__global__ void writeItems(const W* x, W* y, const int64_t* first, const int64_t* perm, bool sorted, int64_t outer,
                           int64_t n, int64_t inner, const int64_t* extent) {
    const int64_t u = *extent, total = outer * u * inner;
    for (int64_t f = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; f < total; f += int64_t(gridDim.x) * blockDim.x) {
        const int64_t e = f % inner, r = f / inner, k = r % u, o = r / u;
        const int64_t item = first[sorted ? k : perm[k]];
        y[f] = x[(o * n + item) * inner + e];
    }
}

template <class W>
Status launchItems(const void* x, void* y, const int64_t* first, const int64_t* perm, bool sorted, int64_t outer,
                   int64_t n, int64_t inner, const int64_t* extent, cudaStream_t s) {
    writeItems<W><<<gridFor(outer * n * inner), kBlock, 0, s>>>(static_cast<const W*>(x), static_cast<W*>(y), first,
                                                                perm, sorted, outer, n, inner, extent);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

}  // namespace

bool uniqueSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                    const std::vector<ir::TensorDesc>& out) {
    if (in.size() != 1 || out.empty() || out.size() > 4 || out[0].dtype != in[0].dtype || !loadsAsDouble(in[0].dtype))
        return false;
    for (size_t i = 1; i < out.size(); ++i)
        if (out[i].dtype != ir::DType::kI64) return false;
    ir::UniqueParams p;
    if (!ir::resolveUnique(node, in[0], p).ok()) return false;
    // CUB's scans and radix sorts count items in int.
    const int64_t items = p.hasAxis ? in[0].shape[size_t(p.axis)] : ir::volume(in[0].shape);
    return items <= int64_t(INT_MAX);
}

size_t uniqueWorkspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                       const std::vector<ir::TensorDesc>&) {
    ir::UniqueParams p;
    int64_t items = 0, outer = 1, inner = 1;
    if (in.empty() || !geometry(node, in[0], p, items, outer, inner) || items > int64_t(INT_MAX)) return 0;
    Layout l;
    const Items cmp{nullptr, in[0].dtype, items, inner, outer * inner};
    if (!layoutFor(items, cmp, l).ok()) return 0;
    return l.total();
}

Status unique(LaunchArgs& a) {
    const DeviceTensor& X = a.inputs[0];
    if (!a.outputExtent) return Status::Error("Unique: the count of unique items has nowhere to go (no extent buffer)");
    ir::UniqueParams p;
    int64_t n = 0, outer = 1, inner = 1;
    if (!geometry(a.node, {X.dtype, X.shape, nullptr}, p, n, outer, inner))
        return Status::Error("Unique: bad input shape " + ir::shapeToString(X.shape));
    if (n > int64_t(INT_MAX)) return Status::Error("Unique: more than 2^31 items");
    // The outputs at their upper bounds: n unique items.
    ir::Shape yBound = {n};
    if (p.hasAxis) {
        yBound = X.shape;
        yBound[size_t(p.axis)] = n;
    }
    if (a.outputs[0].numel() < ir::volume(yBound)) return Status::Error("Unique: output 0 is too small");
    for (size_t i = 1; i < a.outputs.size(); ++i)
        if (a.outputs[i].numel() < n) return Status::Error("Unique: output " + std::to_string(i) + " is too small");
    if (n == 0) {
        KILN_CUDA_CHECK(cudaMemsetAsync(a.outputExtent, 0, sizeof(int64_t), a.stream));
        return Status::Ok();
    }
    const Items cmp{X.data, X.dtype, n, inner, outer * inner};
    Layout l;
    KILN_RETURN_IF_ERROR(layoutFor(n, cmp, l));
    if (a.workspaceBytes < l.total()) return Status::Error("Unique: workspace too small");
    auto* ws = static_cast<uint8_t*>(a.workspace);
    auto arr = [&](int k) { return reinterpret_cast<int64_t*>(ws + size_t(k) * l.array); };
    void* cubTemp = ws + size_t(Layout::kArrays) * l.array;
    int64_t *order = arr(Layout::kOrder), *head = arr(Layout::kHead), *group = arr(Layout::kGroup);
    int64_t *first = arr(Layout::kFirst), *start = arr(Layout::kStart), *count = arr(Layout::kCount);
    int64_t *keys = arr(Layout::kKeys), *keysOut = arr(Layout::kKeysOut), *values = arr(Layout::kValues);
    int64_t* perm = arr(Layout::kPerm);
    int64_t* rank = keys;  // free once the keys are sorted
    const unsigned grid = gridFor(n);
    fillIota<<<grid, kBlock, 0, a.stream>>>(order, n);
    KILN_CUDA_CHECK_LAUNCH();
    size_t bytes = l.cubBytes;
    KILN_CUDA_CHECK(cub::DeviceMergeSort::StableSortKeys(cubTemp, bytes, order, n, cmp, a.stream));
    flagGroupStarts<<<grid, kBlock, 0, a.stream>>>(cmp, order, head, n);
    KILN_CUDA_CHECK_LAUNCH();
    bytes = l.cubBytes;
    KILN_CUDA_CHECK(
        cub::DeviceScan::InclusiveSum(cubTemp, bytes, static_cast<const int64_t*>(head), group, int(n), a.stream));
    groupStarts<<<grid, kBlock, 0, a.stream>>>(order, head, group, first, start, n, a.outputExtent);
    KILN_CUDA_CHECK_LAUNCH();
    groupCounts<<<grid, kBlock, 0, a.stream>>>(first, start, count, keys, values, n, a.outputExtent);
    KILN_CUDA_CHECK_LAUNCH();
    if (!p.sorted) {
        // Groups in order of first occurrence: sort (first, group) pairs.
        bytes = l.cubBytes;
        KILN_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(cubTemp, bytes, static_cast<const int64_t*>(keys), keysOut,
                                                        static_cast<const int64_t*>(values), perm, int(n), 0,
                                                        int(sizeof(int64_t) * 8), a.stream));
        groupRanks<<<grid, kBlock, 0, a.stream>>>(perm, rank, n, a.outputExtent);
        KILN_CUDA_CHECK_LAUNCH();
    }
    OutIndices o{};
    if (a.outputs.size() > 1) o.first = a.outputs[1].as<int64_t>();
    if (a.outputs.size() > 2) o.inverse = a.outputs[2].as<int64_t>();
    if (a.outputs.size() > 3) o.count = a.outputs[3].as<int64_t>();
    writeIndices<<<grid, kBlock, 0, a.stream>>>(order, group, first, count, perm, rank, p.sorted, n, a.outputExtent, o);
    KILN_CUDA_CHECK_LAUNCH();
    if (outer * inner == 0) return Status::Ok();
    const void* xd = X.data;
    void* yd = a.outputs[0].data;
    switch (ir::dtypeSize(X.dtype)) {
        case 1:
            return launchItems<uint8_t>(xd, yd, first, perm, p.sorted, outer, n, inner, a.outputExtent, a.stream);
        case 2:
            return launchItems<uint16_t>(xd, yd, first, perm, p.sorted, outer, n, inner, a.outputExtent, a.stream);
        case 4:
            return launchItems<uint32_t>(xd, yd, first, perm, p.sorted, outer, n, inner, a.outputExtent, a.stream);
        case 8:
            return launchItems<uint64_t>(xd, yd, first, perm, p.sorted, outer, n, inner, a.outputExtent, a.stream);
        default:
            return Status::Error("Unique: unsupported element size");
    }
}

}  // namespace kiln::cuda::kernels
