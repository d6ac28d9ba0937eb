// Runs an engine on the CPU for one context: walks the nodes in order,
// infers the concrete shapes of this run and calls each node's kernel with
// buffers in the context's arena or the caller's memory.
#pragma once
#include <memory>
#include <vector>

#include "engine_core.h"

namespace kiln::runtime {

class Executor {
public:
    explicit Executor(std::shared_ptr<const EngineCore> core, int threads = 0);

    // `io[i]` is the caller's buffer for binding i; `inputShapes[i]` the full
    // shape of input i for this run.
    Status run(const std::vector<void*>& io, const std::vector<ir::Shape>& inputShapes);
    // Output shapes of the last successful run (or shape inference alone).
    Status inferOutputShapes(const std::vector<ir::Shape>& inputShapes, std::vector<ir::Shape>& outputShapes);
    Status checkInputShape(int input, const ir::Shape& s) const;

private:
    std::shared_ptr<const EngineCore> core_;
    cpu::ThreadPool pool_;
    std::vector<uint8_t> arena_;
    std::vector<uint8_t> workspace_;
    std::vector<ir::Shape> shapes_;  // concrete shape per value for the current run
    std::vector<void*> ptrs_;        // buffer per value for the current run
};

}  // namespace kiln::runtime
