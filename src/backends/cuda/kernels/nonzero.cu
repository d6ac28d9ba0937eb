// NonZero on CUDA: the coordinates of the non-zero elements (docs/ops.md),
// int64 [rank, count] in row-major order, a scalar counting as a one-element
// vector; an element is non-zero exactly when ir::loadAsDouble(x) != 0 (NaN
// included, -0 not). The output comes at its upper bound [rank, numel] and
// the kernel writes the count to LaunchArgs::outputExtent (host_plan.h): the
// input is cut into at most kChunks contiguous chunks; each chunk's non-zeros
// are counted, the counts scanned into offsets (and the total), then each
// chunk writes its coordinates in order at its offset.
#include "data_dependent.cuh"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;

constexpr int kChunks = 1024;  // one block each; the scan below is one block of this size
constexpr int kThreads = 256;

struct Coords {
    int rank;
    int64_t dims[kMaxDims];
};

__global__ void countChunks(const void* x, ir::DType t, int64_t n, int64_t chunk, int64_t* counts) {
    __shared__ int64_t scratch[33];
    const int64_t begin = int64_t(blockIdx.x) * chunk;
    const int64_t end = begin + chunk < n ? begin + chunk : n;
    int64_t c = 0;
    for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) c += loadDouble(x, t, i) != 0.0;
    int64_t total = 0;
    blockExclusiveSum(c, scratch, total);
    if (threadIdx.x == 0) counts[blockIdx.x] = total;
}

// counts -> exclusive offsets; the total is the extent. One block of kChunks threads.
__global__ void scanChunks(int64_t* counts, int chunks, int64_t* extent) {
    __shared__ int64_t scratch[33];
    const int64_t c = int(threadIdx.x) < chunks ? counts[threadIdx.x] : 0;
    int64_t total = 0;
    const int64_t off = blockExclusiveSum(c, scratch, total);
    if (int(threadIdx.x) < chunks) counts[threadIdx.x] = off;
    if (threadIdx.x == 0) *extent = total;
}

__global__ void writeCoords(const void* x, ir::DType t, int64_t n, int64_t chunk, const int64_t* offsets,
                            const int64_t* extent, Coords c, int64_t* y) {
    __shared__ int64_t scratch[33];
    const int64_t count = *extent;
    const int64_t begin = int64_t(blockIdx.x) * chunk;
    const int64_t end = begin + chunk < n ? begin + chunk : n;
    int64_t base = offsets[blockIdx.x];
    // Tiles of blockDim elements in order; the loop bounds are uniform over the block.
    for (int64_t tile = begin; tile < end; tile += blockDim.x) {
        const int64_t i = tile + threadIdx.x;
        const int64_t hit = i < end && loadDouble(x, t, i) != 0.0 ? 1 : 0;
        int64_t total = 0;
        const int64_t pos = base + blockExclusiveSum(hit, scratch, total);
        if (hit) {
            int64_t r = i;
            for (int d = c.rank - 1; d >= 0; --d) {
                y[int64_t(d) * count + pos] = r % c.dims[d];
                r /= c.dims[d];
            }
        }
        base += total;
    }
}

}  // namespace

bool nonzeroSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in.size() == 1 && out.size() == 1 && out[0].dtype == ir::DType::kI64 && loadsAsDouble(in[0].dtype) &&
           in[0].shape.size() <= size_t(kMaxDims);
}

size_t nonzeroWorkspace(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) {
    return kChunks * sizeof(int64_t);
}

Status nonzero(LaunchArgs& a) {
    const DeviceTensor& X = a.inputs[0];
    const DeviceTensor& Y = a.outputs[0];
    if (!a.outputExtent) return Status::Error("NonZero: the count of non-zeros has nowhere to go (no extent buffer)");
    const ir::Shape shape = X.shape.empty() ? ir::Shape{1} : X.shape;
    const int64_t n = X.numel(), rank = int64_t(shape.size());
    if (rank > kMaxDims) return Status::Error("NonZero: rank over 8");
    if (n < 0 || Y.numel() < rank * n)
        return Status::Error("NonZero: output " + ir::shapeToString(Y.shape) + " cannot hold the coordinates of " +
                             std::to_string(n) + " elements");
    if (n == 0) {
        KILN_CUDA_CHECK(cudaMemsetAsync(a.outputExtent, 0, sizeof(int64_t), a.stream));
        return Status::Ok();
    }
    if (a.workspaceBytes < kChunks * sizeof(int64_t)) return Status::Error("NonZero: workspace too small");
    const int64_t blocks = std::min<int64_t>(kChunks, (n + kThreads - 1) / kThreads);
    const int64_t chunk = (n + blocks - 1) / blocks;
    Coords c{};
    c.rank = int(rank);
    for (int64_t d = 0; d < rank; ++d) c.dims[d] = shape[size_t(d)];
    auto* counts = static_cast<int64_t*>(a.workspace);
    countChunks<<<unsigned(blocks), kThreads, 0, a.stream>>>(X.data, X.dtype, n, chunk, counts);
    KILN_CUDA_CHECK_LAUNCH();
    scanChunks<<<1, kChunks, 0, a.stream>>>(counts, int(blocks), a.outputExtent);
    KILN_CUDA_CHECK_LAUNCH();
    writeCoords<<<unsigned(blocks), kThreads, 0, a.stream>>>(X.data, X.dtype, n, chunk, counts, a.outputExtent, c,
                                                             Y.as<int64_t>());
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

}  // namespace kiln::cuda::kernels
