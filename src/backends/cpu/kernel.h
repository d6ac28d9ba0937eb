// The CPU backend's kernel interface. A tactic is one way to run an op;
// the builder times the tactics that support a node and records the winner.
#pragma once
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "../../ir/op_schema.h"
#include "thread_pool.h"

namespace kiln::cpu {

// A tensor in host memory with its concrete run-time shape.
struct HostTensor {
    void* data = nullptr;  // nullptr for an omitted optional input
    ir::DType dtype = ir::DType::kF32;
    ir::Shape shape;

    int64_t numel() const { return ir::volume(shape); }
    size_t bytes() const { return size_t(numel()) * ir::dtypeSize(dtype); }
    template <typename T>
    T* as() const { return static_cast<T*>(data); }
};

// Everything a kernel call sees. Output shapes and buffers are set by the
// caller (from shape inference) before the call.
struct KernelArgs {
    const ir::Node& node;
    const std::vector<HostTensor>& inputs;
    std::vector<HostTensor>& outputs;
    ThreadPool& pool;
    void* workspace = nullptr;
    size_t workspaceBytes = 0;
};

// A prepared kernel: may hold packed weights. run() is const and must be safe
// to call from several threads at once (one engine, many contexts).
class Kernel {
public:
    virtual ~Kernel() = default;
    virtual Status run(KernelArgs& args) const = 0;
};

using SupportsFn = bool (*)(const ir::Node&, const std::vector<ir::TensorDesc>& in,
                            const std::vector<ir::TensorDesc>& out);
using WorkspaceFn = size_t (*)(const ir::Node&, const std::vector<ir::TensorDesc>& in,
                               const std::vector<ir::TensorDesc>& out);
using CreateFn = Status (*)(const ir::Node&, const std::vector<ir::TensorDesc>& in,
                            const std::vector<ir::TensorDesc>& out, std::unique_ptr<Kernel>& kernel);

struct Tactic {
    std::string_view name;  // "ref", "onednn", ...: stored in engines, keep stable
    std::string_view op;
    SupportsFn supports;
    WorkspaceFn workspace;  // may be nullptr: no workspace
    CreateFn create;
};

// The one explicit table of CPU tactics (registry.cpp).
const std::vector<Tactic>& cpuTactics();
const Tactic* findCpuTactic(std::string_view op, std::string_view name);

// A reference kernel: plain code, the ground truth for every other tactic.
using RefFn = Status (*)(KernelArgs& args);

// Wraps a reference function as a Kernel.
std::unique_ptr<Kernel> makeRefKernel(RefFn fn);

}  // namespace kiln::cpu
