// The CUDA paths of the built-in plugins (built with the CUDA backend only: KILN_PLUGINS_CUDA).
// Each launcher takes device pointers and the caller's stream, launches its kernel and
// returns 0, or 1 when the launch failed. The plugins call them from enqueueCuda with the
// same parameters as their CPU kernels, and compute the same values (the same formulas in
// the same precision: tests/plugins/cuda_plugins_test.cpp compares them).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "kiln/types.h"

namespace kiln::builtin::cuda {

int32_t leakyRelu(const float* x, float* y, int64_t n, float slope, cudaStream_t stream);
int32_t clip(const float* x, float* y, int64_t n, float lo, float hi, cudaStream_t stream);

// Normalize_TRT on [batch, channels, spatial]; `weights` in device memory (1 or `channels`).
int32_t normalize(const float* x, float* y, int64_t batch, int64_t channels, int64_t spatial, const float* weights,
                  bool acrossSpatial, bool channelShared, float eps, cudaStream_t stream);

// Reorg_TRT on an input [batch, c, h, w] with stride s (darknet's indexing, reorg.cpp).
int32_t reorg(const float* x, float* y, int64_t batch, int64_t c, int64_t h, int64_t w, int64_t s, cudaStream_t stream);

// Region_TRT (region.cpp): logistic x, y and objectness, softmax over the classes.
int32_t region(const float* x, float* y, int64_t batch, int64_t num, int64_t coords, int64_t classes, int64_t spatial,
               cudaStream_t stream);

// Copies `bytes` of device data to `dst` on the stream (an operation CUDA graphs capture).
int32_t copyDeviceToDevice(void* dst, const void* src, size_t bytes, cudaStream_t stream);

// A device copy of `bytes` of host data, freed with its last owner (the copies of one
// plugin share it). Synchronous; nullptr, with `why`, when it fails.
std::shared_ptr<const void> upload(const void* host, size_t bytes, std::string& why);

}  // namespace kiln::builtin::cuda
