// The CUDA side of a loaded engine (kiln::cuda::EngineState, shared by all
// contexts: prepared kernels and weights uploaded once) and of one execution
// context (kiln::cuda::ContextState: the device arena from the memory plan,
// library handles, host-side shape inference per run, asynchronous launches on
// the caller's stream, optional CUDA graph capture and replay). This header
// needs no CUDA headers.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/plan.h"
#include "kiln/runtime.h"

namespace kiln::cuda {

class DeviceAllocator;
struct EngineStateImpl;
struct ContextStateImpl;

// Returns the device buffer (at least `bytes` bytes) for network output
// `output` once its shape for the run is known; nullptr fails the run (the
// user's IOutputAllocator behind it).
using OutputAllocFn = std::function<void*(size_t output, const ir::Shape& shape, size_t bytes)>;

class EngineState {
public:
    ~EngineState();
    // Checks the device, decides which work runs on the host (host_plan.h)
    // and checks the plan's record of it, creates every node's kernel with its
    // recorded tactic and uploads the constants.
    // `allocator` (nullptr: cudaMalloc) holds the weights; it must outlive the engine.
    static Status create(const engine::Plan& plan, IGpuAllocator* allocator, std::shared_ptr<const EngineState>& out);
    size_t workspaceBytes() const;
    // Why an enqueue of this engine waits for the device or follows the
    // schedule on the host (empty: it only launches work, and a CUDA graph can
    // capture it).
    const std::string& dynamicReason() const;
    const EngineStateImpl& impl() const { return *impl_; }

private:
    std::unique_ptr<EngineStateImpl> impl_;
};

class ContextState {
public:
    ~ContextState();
    // Allocates the arena and workspace through `alloc` (nullptr: cudaMalloc).
    static Status create(const engine::Plan& plan, std::shared_ptr<const EngineState> engine, IGpuAllocator* alloc,
                         std::unique_ptr<ContextState>& out);
    // Enqueues one inference on `stream`. io[i] is the device buffer of
    // binding i, inputShapes[i] the shape of input i; outputs with
    // `allocated[o]` set take their buffer from `alloc` instead (outputs of
    // data-dependent shape must). Never waits for the device unless the
    // engine is dynamic (dynamicReason()).
    Status enqueue(const std::vector<void*>& io, const std::vector<ir::Shape>& inputShapes, cudaStream_t stream,
                   cudaEvent_t* inputConsumed, const std::vector<bool>& allocated = {},
                   const OutputAllocFn& alloc = {});
    // enqueue() on the context's own stream, then waits for it.
    Status execute(const std::vector<void*>& io, const std::vector<ir::Shape>& inputShapes,
                   const std::vector<bool>& allocated = {}, const OutputAllocFn& alloc = {});
    // Shape of network output o in the last successful run.
    const ir::Shape& lastOutputShape(size_t o) const;
    // Graph capture is refused (false) for dynamic engines.
    bool setGraphCapture(bool on);
    bool graphCapture() const;
    // Per-layer timing: while on, runs record an event after each layer (and
    // never replay a graph). layerTimes() waits for the last profiled run and
    // gives each layer's milliseconds, in node order (dynamic engines: the
    // device time of what the layer queued, summed over loop iterations, -1
    // for layers that did not run).
    void setProfiling(bool on);
    Status layerTimes(std::vector<float>& ms);

private:
    std::unique_ptr<ContextStateImpl> impl_;
};

// True when a CUDA device can be used.
bool deviceAvailable();
// "NVIDIA H200 sm_90" (for the engine header).
std::string fingerprint();

}  // namespace kiln::cuda
