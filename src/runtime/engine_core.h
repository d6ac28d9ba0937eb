// The immutable part of a loaded engine, shared by all its contexts: the
// plan, the prepared kernels and the binding table.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "backends/cpu/kernel.h"
#include "engine/plan.h"
#include "ir/control_flow.h"
#include "kiln/runtime.h"

namespace kiln::cuda {
class EngineState;  // runtime/cuda/cuda_engine.h (CUDA builds only)
}

namespace kiln::runtime {

struct Binding {
    std::string name;
    int value;     // IR value id
    bool isInput;
};

class EngineCore {
public:
    // Prepares kernels for every node; fails if a tactic is unknown here.
    // `allocator`: device memory for a CUDA engine's weights (nullptr: cudaMalloc).
    // `profileIndex`: which optimization profile of the engine the plan is (for messages).
    static Status create(engine::Plan plan, std::shared_ptr<const EngineCore>& out, IGpuAllocator* allocator = nullptr,
                         int profileIndex = 0);
    int profileIndex() const { return profileIndex_; }

    const engine::Plan& plan() const { return plan_; }
    const std::vector<Binding>& bindings() const { return bindings_; }
    int bindingIndex(const std::string& name) const;  // -1 if absent
    // Null for the loop boundary nodes, which the executor runs itself.
    const cpu::Kernel* kernel(size_t node) const { return kernels_[node].get(); }
    // The execution order: top-level nodes, loops and conditionals.
    const ir::Schedule& schedule() const { return schedule_; }
    // Declared shape of a binding (full rank): -1 where the profile lets it vary.
    ir::Shape declaredShape(int binding) const;
    int nbInputs() const { return int(plan_.graph.inputs.size()); }
    // Scratch the prepared kernels need (max over nodes), computed when loading.
    size_t workspaceBytes() const { return workspaceBytes_; }
    // The prepared CUDA kernels and weights of a CUDA engine; null for CPU engines.
    const std::shared_ptr<const cuda::EngineState>& cudaState() const { return cuda_; }

private:
    engine::Plan plan_;
    std::vector<Binding> bindings_;
    std::vector<std::unique_ptr<cpu::Kernel>> kernels_;
    ir::Schedule schedule_;
    // Declared output shapes: the max shape with -1 where the dimension follows
    // the input shapes (found by shape inference at the profile's min/opt/max).
    std::vector<ir::Shape> outputShapes_;
    size_t workspaceBytes_ = 0;
    int profileIndex_ = 0;
    std::shared_ptr<const cuda::EngineState> cuda_;
};

}  // namespace kiln::runtime
