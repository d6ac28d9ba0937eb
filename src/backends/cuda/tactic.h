// The CUDA backend's tactic interface, mirroring backends/cpu/kernel.h: a
// tactic says whether it supports a node (on its build-time shapes and
// dtypes), how much device workspace it needs, and creates a prepared Kernel
// whose enqueue() only launches work on the caller's stream (no host
// synchronization, no allocation: safe inside CUDA graph capture).
#pragma once
#include <cuda_runtime.h>

#include <memory>
#include <string_view>
#include <vector>

#include "ir/op_schema.h"

struct cudnnContext;
struct cublasLtContext;

namespace kiln::cuda {

// A tensor in device memory with its concrete run-time shape.
struct DeviceTensor {
    void* data = nullptr;  // nullptr for an omitted optional input
    ir::DType dtype = ir::DType::kF32;
    ir::Shape shape;
    // The values on the host: build-time constants, and values the runtime
    // computed on the host or read back from the device (backends/cuda/host_plan.h).
    const void* hostData = nullptr;

    int64_t numel() const { return ir::volume(shape); }
    size_t bytes() const { return size_t(numel()) * ir::dtypeSize(dtype); }
    template <typename T>
    T* as() const {
        return static_cast<T*>(data);
    }
};

// The IR's view of run-time tensors (for its parameter resolution): their
// shapes, with the host copies of their values where the host has them.
inline std::vector<ir::TensorDesc> hostDescs(const std::vector<DeviceTensor>& ts) {
    std::vector<ir::TensorDesc> d;
    d.reserve(ts.size());
    for (const auto& t : ts) d.push_back({t.dtype, t.shape, t.hostData});
    return d;
}

// Library handles of one execution context (each context runs on its own
// streams, and cuDNN/cuBLASLt handles must not be shared across threads).
struct Handles {
    cudnnContext* cudnn = nullptr;
    cublasLtContext* cublasLt = nullptr;
    int smCount = 0;
    int computeCapability = 0;  // 90 for sm_90

    static Status create(Handles& h);
    static void destroy(Handles& h);
};

// The handles the builder uses for support and workspace queries (created on
// first use for the current device).
Status buildHandles(Handles*& h);

// Everything a kernel launch sees. Output shapes and buffers are set by the
// caller (from host-side shape inference) before the call.
struct LaunchArgs {
    const ir::Node& node;
    const std::vector<DeviceTensor>& inputs;
    std::vector<DeviceTensor>& outputs;
    cudaStream_t stream;
    void* workspace = nullptr;
    size_t workspaceBytes = 0;
    const Handles& handles;
    // Ops whose output extent depends on the input values (NonZero, Unique,
    // NMS; host_plan.h): device memory for one int64 where the kernel writes
    // the actual extent, which replaces every -1 of the node's inferred output
    // shapes. Those outputs come at their upper-bound shapes and are written
    // contiguously for the actual ones (the runtime reads the extent back).
    int64_t* outputExtent = nullptr;
};

// A prepared kernel: may hold packed weights in device memory. enqueue() is
// const and safe to call from several threads (one engine, many contexts).
class Kernel {
public:
    virtual ~Kernel() = default;
    virtual Status enqueue(LaunchArgs& args) const = 0;
};

// Tactic functions see the build-time descriptors; constants carry their host data.
using SupportsFn = bool (*)(const ir::Node&, const std::vector<ir::TensorDesc>& in,
                            const std::vector<ir::TensorDesc>& out);
using WorkspaceFn = size_t (*)(const ir::Node&, const std::vector<ir::TensorDesc>& in,
                               const std::vector<ir::TensorDesc>& out);
using CreateFn = Status (*)(const ir::Node&, const std::vector<ir::TensorDesc>& in,
                            const std::vector<ir::TensorDesc>& out, std::unique_ptr<Kernel>& kernel);

struct Tactic {
    std::string_view name;  // stored in engines: keep stable
    std::string_view op;
    SupportsFn supports;
    WorkspaceFn workspace;  // may be nullptr: no workspace
    CreateFn create;
};

// The one explicit table of CUDA tactics (registry.cpp).
const std::vector<Tactic>& cudaTactics();
const Tactic* findCudaTactic(std::string_view op, std::string_view name);

// A kernel that is one launch function (the project's own kernels).
using LaunchFn = Status (*)(LaunchArgs& args);
std::unique_ptr<Kernel> makeFunctionKernel(LaunchFn fn);

}  // namespace kiln::cuda
