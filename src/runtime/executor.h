// Runs an engine on the CPU for one context: walks the nodes in order,
// infers the concrete shapes of this run and calls each node's kernel with
// buffers in the context's arena or the caller's memory.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "engine_core.h"

namespace kiln::runtime {

// Returns the buffer (at least `bytes` bytes, 64-byte aligned) for network
// output `output` once its shape for this run is known; nullptr fails the run.
using OutputAllocFn = std::function<void*(size_t output, const ir::Shape& shape, size_t bytes)>;

class Executor {
public:
    explicit Executor(std::shared_ptr<const EngineCore> core, int threads = 0);
    // Runs its kernels on `pool` (shared by the executors of one context's profiles).
    Executor(std::shared_ptr<const EngineCore> core, std::shared_ptr<cpu::ThreadPool> pool);

    // `io[i]` is the caller's buffer for binding i; `inputShapes[i]` the full
    // shape of input i for this run. Outputs with `allocated[o]` set get their
    // buffer from `alloc` instead of `io`; an output whose shape depends on
    // computed values (data-dependent) must be one of them.
    Status run(const std::vector<void*>& io, const std::vector<ir::Shape>& inputShapes,
               const std::vector<bool>& allocated = {}, const OutputAllocFn& alloc = {});
    // Shape of network output o in the last successful run.
    const ir::Shape& lastOutputShape(size_t o) const { return outputShapes_[o]; }
    // Output shapes of the last successful run (or shape inference alone).
    Status inferOutputShapes(const std::vector<ir::Shape>& inputShapes, std::vector<ir::Shape>& outputShapes);
    Status checkInputShape(int input, const ir::Shape& s) const;
    // Per-layer timing (IProfiler): when on, each run records every node's wall
    // time (summed over loop iterations; -1 for nodes that did not run).
    void setProfiling(bool on) { profiling_ = on; }
    const std::vector<float>& layerTimes() const { return layerMs_; }

private:
    // One run walks the engine's schedule (executor.cpp); loops run in executor_loop.cpp.
    Status runItems(const std::vector<ir::ScheduleItem>& items);
    Status runItem(const ir::ScheduleItem& item);
    Status runNode(int node);
    Status runLoop(const ir::ScheduleItem& loop);
    // The buffer of value v of shape s, for a value outside the arena (data-dependent
    // size, a loop's value, or an allocated network output).
    Status place(int v, const ir::Shape& s, ir::DType t);
    void* dynamicBuffer(int v, size_t bytes);

    std::shared_ptr<const EngineCore> core_;
    std::shared_ptr<cpu::ThreadPool> pool_;
    std::vector<uint8_t> arena_;
    std::vector<uint8_t> workspace_;
    std::vector<ir::Shape> shapes_;  // concrete shape per value for the current run
    std::vector<void*> ptrs_;        // buffer per value for the current run
    // Tensors of data-dependent size: a buffer per value, grown as needed.
    std::vector<std::vector<uint8_t>> dynamic_;
    std::vector<ir::Shape> outputShapes_;
    // Per run: which network output each value is (-1: none), and which outputs
    // take their buffer from the allocator.
    std::vector<int> outputOf_;
    std::vector<bool> allocated_;
    const OutputAllocFn* alloc_ = nullptr;
    uint8_t* workspacePtr_ = nullptr;
    bool profiling_ = false;
    std::vector<float> layerMs_;
};

}  // namespace kiln::runtime
