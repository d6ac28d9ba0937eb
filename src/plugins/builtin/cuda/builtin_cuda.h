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

#include "../rcnn_math.h"
#include "../ssd_math.h"
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

// PriorBox_TRT (ssd_cuda.cu): the priors of shape `s` (priorBoxValue()), with the prior sizes
// in device memory.
int32_t priorBox(const PriorBoxShape& s, const double* sizes, float* out, cudaStream_t stream);

// NMS_TRT (ssd_cuda.cu), detectionOutputCpu's steps for `batch` images: loc and conf of
// image n at n * locStride and n * confStride, the priors shared. Workspace:
// detectionOutputWorkspace() bytes.
size_t detectionOutputWorkspace(const DetectionParams& p, int64_t batch, int64_t numPriors);
int32_t detectionOutput(const DetectionParams& p, int64_t batch, int64_t numPriors, const float* loc, int64_t locStride,
                        const float* conf, int64_t confStride, const float* priors, float* rows, int32_t* keepCount,
                        void* workspace, cudaStream_t stream);

// BatchedNMS_TRT (ssd_cuda.cu), batchedNmsCpu's steps on boxes [batch, numBoxes, q, 4] and
// scores [batch, numBoxes, numClasses]. Workspace: batchedNmsWorkspace() bytes.
size_t batchedNmsWorkspace(const BatchedNmsParams& p, int64_t batch, int64_t numBoxes);
int32_t batchedNms(const BatchedNmsParams& p, int64_t batch, int64_t numBoxes, const float* boxes, const float* scores,
                   int32_t* count, float* outBoxes, float* outScores, float* outClasses, void* workspace,
                   cudaStream_t stream);

// RPROI_TRT (rcnn_cuda.cu), proposalsCpu's and roiPoolCpu's steps on scores [batch, 2A, H, W],
// deltas [batch, 4A, H, W], features [batch, channels, featH, featW] and imInfo [batch, 3],
// with the A base anchors in device memory. Workspace: rproiWorkspace() bytes.
size_t rproiWorkspace(const RproiParams& p, int64_t batch, int64_t numAnchors, int64_t height, int64_t width);
int32_t rproi(const RproiParams& p, int64_t batch, const Box* anchors, int64_t numAnchors, int64_t height,
              int64_t width, const float* scores, const float* deltas, const float* features, int64_t channels,
              int64_t featH, int64_t featW, const float* imInfo, float* rois, float* pooled, void* workspace,
              cudaStream_t stream);

// ROIAlign_TRT (rcnn_cuda.cu) on x [batch, channels, height, width], rois [numRois, 4] and
// batch indices (int64 when `indices64`, else int32). An ROI whose batch index is outside
// [0, batch) gives zeros (the CPU path reports it as an error).
int32_t roiAlign(const RoiAlignParams& p, const float* x, int64_t batch, int64_t channels, int64_t height,
                 int64_t width, const float* rois, const void* batchIndices, bool indices64, int64_t numRois,
                 float* out, cudaStream_t stream);

// Copies `bytes` of device data to `dst` on the stream (an operation CUDA graphs capture).
int32_t copyDeviceToDevice(void* dst, const void* src, size_t bytes, cudaStream_t stream);

// A device copy of `bytes` of host data, freed with its last owner (the copies of one
// plugin share it). Synchronous; nullptr, with `why`, when it fails.
std::shared_ptr<const void> upload(const void* host, size_t bytes, std::string& why);

}  // namespace kiln::builtin::cuda
