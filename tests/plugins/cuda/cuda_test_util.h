// Helpers of the plugins' CUDA tests: the device check, random data, a plugin run on the
// CUDA backend, and the comparisons of CUDA outputs with the CPU path's.
#pragma once
#include <cstdint>
#include <vector>

#include "../plugin_test_util.h"

namespace plugintest {

// Whether a CUDA device is present.
bool haveDevice();

std::vector<float> randomFloats(size_t n, uint32_t seed, float lo = -4.f, float hi = 4.f);

// runPlugin() (plugin_test_util.h) for the CUDA backend: device buffers, enqueueV3 on a
// stream of the test's own.
RunResult runPluginCuda(kiln::IPluginV2& plugin, const std::vector<Tensor>& inputs);

// One engine whose inputs range over [minDims, maxDims] (one optimization profile), run on
// the CUDA backend once per entry of `runs` (each a full set of inputs of shapes in that
// range), with CUDA graph capture when `graph`: every run after the first changes the
// shapes, so each captures again.
std::vector<RunResult> runPluginCudaShapes(kiln::IPluginV2& plugin, const std::vector<std::vector<Tensor>>& runs,
                                           const std::vector<std::vector<int64_t>>& minDims,
                                           const std::vector<std::vector<int64_t>>& maxDims, bool graph);

// The same dims, types and bits in every output (float NaNs of any payload match each
// other); the first differences are reported by output and position.
void expectIdentical(const RunResult& cpu, const RunResult& gpu);

// The plugin on both backends; every output within atol + rtol * |cpu| of the CPU's.
void expectBackendsAgree(kiln::IPluginV2& plugin, const std::vector<Tensor>& inputs, double atol = 1e-6,
                         double rtol = 1e-6);

// The plugin on both backends, bit for bit (expectIdentical).
void expectBackendsIdentical(kiln::IPluginV2& plugin, const std::vector<Tensor>& inputs);

}  // namespace plugintest
