// The CUDA kernel of MishPlugin, built only with the CUDA backend (KILN_SAMPLE_PLUGIN_CUDA).
#include <cuda_runtime.h>

#include "mish_plugin.h"

namespace {
__global__ void mishKernel(const float* x, float* y, int64_t n, float beta) {
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const float bx = beta * x[i];
    const float softplus = fmaxf(bx, 0.f) + log1pf(expf(-fabsf(bx)));  // as on the CPU path
    y[i] = x[i] * tanhf(softplus / beta);
}
}  // namespace

int32_t MishPlugin::enqueueCuda(const kiln::PluginTensorDesc* inputDesc, const kiln::PluginTensorDesc*,
                                const void* const* inputs, void* const* outputs, void*, cudaStream_t stream) noexcept {
    const int64_t n = kiln::volume(inputDesc[0].dims);
    if (n == 0) return 0;
    const int threads = 256;
    mishKernel<<<unsigned((n + threads - 1) / threads), threads, 0, stream>>>(static_cast<const float*>(inputs[0]),
                                                                              static_cast<float*>(outputs[0]), n, beta);
    return cudaGetLastError() == cudaSuccess ? 0 : -1;
}
