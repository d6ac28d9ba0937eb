// CUDA kernels of the built-in plugins (builtin_cuda.h). One thread per output element
// or per independent row; the floating-point steps are those of the CPU kernels, in the
// same types, so both backends give the same values.
#include <cuda_runtime.h>

#include "builtin_cuda.h"

namespace kiln::builtin::cuda {

namespace {

constexpr int kThreads = 256;

unsigned blocksFor(int64_t n) { return unsigned((n + kThreads - 1) / kThreads); }

int32_t launched() { return cudaGetLastError() == cudaSuccess ? 0 : 1; }

__global__ void leakyReluKernel(const float* x, float* y, int64_t n, float slope) {
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) y[i] = x[i] >= 0.f ? x[i] : slope * x[i];
}

__global__ void clipKernel(const float* x, float* y, int64_t n, float lo, float hi) {
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) y[i] = x[i] != x[i] ? x[i] : fminf(fmaxf(x[i], lo), hi);
}

// One block per item: the sum of squares of the whole item (double, as on the CPU).
__global__ void normalizeAcrossKernel(const float* x, float* y, int64_t channels, int64_t spatial, const float* weights,
                                      bool channelShared, float eps) {
    __shared__ double partial[kThreads];
    const int64_t item = channels * spatial;
    const float* xi = x + int64_t(blockIdx.x) * item;
    float* yi = y + int64_t(blockIdx.x) * item;
    double sum = 0;
    for (int64_t i = threadIdx.x; i < item; i += blockDim.x) sum += double(xi[i]) * xi[i];
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
        if (int(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
        __syncthreads();
    }
    const double inv = 1.0 / sqrt(partial[0] + double(eps));
    for (int64_t i = threadIdx.x; i < item; i += blockDim.x) {
        const double w = weights[channelShared ? 0 : i / spatial];
        yi[i] = float(xi[i] * inv * w);
    }
}

// One thread per (item, position): the sum over the channels.
__global__ void normalizePositionKernel(const float* x, float* y, int64_t batch, int64_t channels, int64_t spatial,
                                        const float* weights, bool channelShared, float eps) {
    const int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= batch * spatial) return;
    const int64_t n = t / spatial, p = t % spatial;
    const float* xi = x + n * channels * spatial + p;
    float* yi = y + n * channels * spatial + p;
    double sum = 0;
    for (int64_t c = 0; c < channels; ++c) sum += double(xi[c * spatial]) * xi[c * spatial];
    const double inv = 1.0 / sqrt(sum + double(eps));
    for (int64_t c = 0; c < channels; ++c)
        yi[c * spatial] = float(xi[c * spatial] * inv * weights[channelShared ? 0 : c]);
}

__global__ void reorgKernel(const float* x, float* y, int64_t total, int64_t c, int64_t h, int64_t w, int64_t s) {
    const int64_t o = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (o >= total) return;
    const int64_t i = o % w, j = (o / w) % h, k = (o / (w * h)) % c, b = o / (w * h * c);
    const int64_t outC = c / (s * s);
    const int64_t c2 = k % outC, offset = k / outC;
    const int64_t w2 = i * s + offset % s, h2 = j * s + offset / s;
    y[o] = x[w2 + w * s * (h2 + h * s * (c2 + outC * b))];
}

// One thread per (item, anchor, position).
__global__ void regionKernel(const float* x, float* y, int64_t batch, int64_t num, int64_t coords, int64_t classes,
                             int64_t spatial) {
    const int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= batch * num * spatial) return;
    const int64_t i = t % spatial, anchor = t / spatial;  // anchor counts (item, anchor) pairs
    const int64_t base = anchor * (coords + 1 + classes) * spatial + i;
    const float* xa = x + base;
    float* ya = y + base;
    for (int64_t c = 0; c < coords + 1; ++c) {
        const float v = xa[c * spatial];
        ya[c * spatial] = (c < 2 || c == coords) ? float(1.0 / (1.0 + exp(-double(v)))) : v;
    }
    const float* xc = xa + (coords + 1) * spatial;
    float* yc = ya + (coords + 1) * spatial;
    float largest = -INFINITY;
    for (int64_t k = 0; k < classes; ++k) largest = fmaxf(largest, xc[k * spatial]);
    double sum = 0;
    for (int64_t k = 0; k < classes; ++k) sum += exp(double(xc[k * spatial]) - largest);
    for (int64_t k = 0; k < classes; ++k) yc[k * spatial] = float(exp(double(xc[k * spatial]) - largest) / sum);
}

}  // namespace

int32_t leakyRelu(const float* x, float* y, int64_t n, float slope, cudaStream_t stream) {
    if (n <= 0) return 0;
    leakyReluKernel<<<blocksFor(n), kThreads, 0, stream>>>(x, y, n, slope);
    return launched();
}

int32_t clip(const float* x, float* y, int64_t n, float lo, float hi, cudaStream_t stream) {
    if (n <= 0) return 0;
    clipKernel<<<blocksFor(n), kThreads, 0, stream>>>(x, y, n, lo, hi);
    return launched();
}

int32_t normalize(const float* x, float* y, int64_t batch, int64_t channels, int64_t spatial, const float* weights,
                  bool acrossSpatial, bool channelShared, float eps, cudaStream_t stream) {
    if (batch <= 0 || channels <= 0 || spatial <= 0) return 0;
    if (acrossSpatial)
        normalizeAcrossKernel<<<unsigned(batch), kThreads, 0, stream>>>(x, y, channels, spatial, weights, channelShared,
                                                                        eps);
    else
        normalizePositionKernel<<<blocksFor(batch * spatial), kThreads, 0, stream>>>(x, y, batch, channels, spatial,
                                                                                     weights, channelShared, eps);
    return launched();
}

int32_t reorg(const float* x, float* y, int64_t batch, int64_t c, int64_t h, int64_t w, int64_t s,
              cudaStream_t stream) {
    const int64_t total = batch * c * h * w;
    if (total <= 0) return 0;
    reorgKernel<<<blocksFor(total), kThreads, 0, stream>>>(x, y, total, c, h, w, s);
    return launched();
}

int32_t region(const float* x, float* y, int64_t batch, int64_t num, int64_t coords, int64_t classes, int64_t spatial,
               cudaStream_t stream) {
    const int64_t rows = batch * num * spatial;
    if (rows <= 0) return 0;
    regionKernel<<<blocksFor(rows), kThreads, 0, stream>>>(x, y, batch, num, coords, classes, spatial);
    return launched();
}

int32_t copyDeviceToDevice(void* dst, const void* src, size_t bytes, cudaStream_t stream) {
    if (bytes == 0) return 0;
    return cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream) == cudaSuccess ? 0 : 1;
}

std::shared_ptr<const void> upload(const void* host, size_t bytes, std::string& why) {
    void* d = nullptr;
    cudaError_t e = cudaMalloc(&d, bytes ? bytes : 1);
    if (e == cudaSuccess && bytes) e = cudaMemcpy(d, host, bytes, cudaMemcpyHostToDevice);
    if (e != cudaSuccess) {
        if (d) cudaFree(d);
        why = std::string("cannot copy ") + std::to_string(bytes) + " bytes to the device: " + cudaGetErrorString(e);
        return nullptr;
    }
    return std::shared_ptr<const void>(d, [](const void* p) { cudaFree(const_cast<void*>(p)); });
}

}  // namespace kiln::builtin::cuda
