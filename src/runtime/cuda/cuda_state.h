// The state behind cuda_engine.h (internal to runtime/cuda): what an engine
// prepares once, and what one execution context keeps between runs.
// cuda_engine.cpp holds the static path (shapes inferred on the host, cached
// while the input shapes stay, then launches only, capturable into a CUDA
// graph); cuda_dynamic.cpp and cuda_loop.cpp hold the dynamic path, which
// follows the schedule on the host and waits for the device where a shape or
// a control-flow decision needs values computed there (host_plan.h).
#pragma once
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "backends/cpu/kernel.h"
#include "backends/cuda/cuda_check.h"
#include "backends/cuda/device_memory.h"
#include "backends/cuda/host_plan.h"
#include "backends/cuda/tactic.h"
#include "cuda_engine.h"
#include "ir/control_flow.h"

namespace kiln::cuda {

// A user's IGpuAllocator behind the backend's DeviceAllocator interface.
class UserAllocator final : public DeviceAllocator {
public:
    explicit UserAllocator(IGpuAllocator* a) : a_(a) {}
    void* allocate(size_t bytes, size_t alignment) noexcept override { return a_->allocate(bytes, alignment, 0); }
    void release(void* p) noexcept override { a_->deallocate(p); }

private:
    IGpuAllocator* a_;
};

// Page-locked host memory, so that copies from and to it are truly
// asynchronous (and capturable): grown as needed, never shrunk. The caller
// makes sure no copy still uses it before it grows or dies.
class PinnedBuffer {
public:
    PinnedBuffer() = default;
    ~PinnedBuffer() { reset(); }
    PinnedBuffer(PinnedBuffer&& o) noexcept { *this = std::move(o); }
    PinnedBuffer& operator=(PinnedBuffer&& o) noexcept {
        if (this != &o) {
            reset();
            std::swap(p_, o.p_);
            std::swap(bytes_, o.bytes_);
        }
        return *this;
    }
    PinnedBuffer(const PinnedBuffer&) = delete;
    PinnedBuffer& operator=(const PinnedBuffer&) = delete;

    Status reserve(size_t bytes) {
        if (p_ && bytes <= bytes_) return Status::Ok();
        reset();
        KILN_CUDA_CHECK(cudaHostAlloc(&p_, std::max<size_t>(bytes, 64), cudaHostAllocDefault));
        bytes_ = std::max<size_t>(bytes, 64);
        return Status::Ok();
    }
    void reset() {
        if (p_) cudaFreeHost(p_);
        p_ = nullptr;
        bytes_ = 0;
    }
    void* get() const { return p_; }
    size_t size() const { return bytes_; }

private:
    void* p_ = nullptr;
    size_t bytes_ = 0;
};

struct EngineStateImpl {
    const engine::Plan* plan = nullptr;
    HostPlan host;
    ir::Schedule schedule;
    std::unique_ptr<UserAllocator> allocator;  // declared before the buffers it frees
    // Per node: the CUDA kernel; for a host node, the kernel that copies its
    // outputs to the device; null for control nodes.
    std::vector<std::unique_ptr<Kernel>> kernels;
    std::vector<const Tactic*> tactics;                     // per node: the CUDA tactic (device nodes)
    std::vector<const cpu::Tactic*> hostTactics;            // per node: the CPU reference (host nodes)
    std::vector<std::unique_ptr<cpu::Kernel>> hostKernels;  // per node: host nodes
    // Per node: its workspace is sized at run time (shapes or parameters
    // unknown at build time: dynamic engines only).
    std::vector<char> runtimeWorkspace;
    std::vector<DeviceBuffer> constants;  // indexed like Graph::values; empty for non-constants
    size_t workspace = 0;
    bool hasHostNodes = false;
    bool hasUploads = false;
};

struct ContextStateImpl {
    const engine::Plan* plan = nullptr;
    std::shared_ptr<const EngineState> engine;
    std::unique_ptr<UserAllocator> allocator;  // declared before the buffers it frees
    DeviceBuffer arena, workspace;
    Handles handles;
    cudaStream_t ownStream = nullptr;

    // The last run's shapes and the launch arguments built from them.
    std::vector<ir::Shape> lastInputShapes;
    bool shapesValid = false;
    std::vector<ir::Shape> shapes;                   // per value
    std::vector<void*> ptrs;                         // per value
    std::vector<void*> boundIo;                      // the bindings of the run being enqueued
    std::vector<std::vector<DeviceTensor>> nodeIn;   // per node
    std::vector<std::vector<DeviceTensor>> nodeOut;  // per node

    // CUDA graph replay.
    bool graphMode = false;
    cudaGraphExec_t graphExec = nullptr;
    std::vector<void*> graphIo;
    std::vector<ir::Shape> graphShapes;

    // Per-layer profiling: an event before the first node and after each node
    // (the dynamic path: a pair per node run, `timed` saying which node).
    bool profiling = false, profiled = false;
    std::vector<cudaEvent_t> events;
    std::vector<int> timed;

    // ---- host values (host nodes, read-back values), both paths
    std::vector<const void*> hostPtr;  // per value: its values on the host in this run (nullptr: not there)
    std::vector<PinnedBuffer> pinned;  // per value: host nodes' outputs, read-back copies
    std::vector<uint8_t> hostScratch;  // the CPU kernels' workspace
    std::unique_ptr<cpu::ThreadPool> pool;
    // Copies from pinned memory to the device may still be queued: pinned
    // buffers are rewritten only once `uploadsDone` (recorded after them) has passed.
    cudaEvent_t uploadsDone = nullptr;
    bool uploadsPending = false;

    // ---- the dynamic path (cuda_dynamic.cpp)
    cudaStream_t stream = nullptr;      // of the run in progress
    std::vector<DeviceBuffer> dynamic;  // per value: values outside the arena, grown as needed
    std::vector<DeviceBuffer> records;  // per value: a loop output's recorded iterations
    std::vector<char> pendingUpload;    // per value: copied from pinned memory since the last wait
    DeviceBuffer extentDevice;          // the data-dependent extent a kernel writes
    PinnedBuffer extentHost;
    std::vector<int> outputOf;    // per value: network output index, -1 if none
    std::vector<bool> allocated;  // per output: the user's IOutputAllocator gives its buffer
    const OutputAllocFn* alloc = nullptr;
    std::vector<ir::Shape> outputShapes;  // of the last run
    std::vector<DeviceTensor> din, dout;  // launch arguments of the node being run

    ~ContextStateImpl() {
        for (cudaEvent_t e : events) cudaEventDestroy(e);
        if (graphExec) cudaGraphExecDestroy(graphExec);
        if (uploadsDone) cudaEventDestroy(uploadsDone);
        if (ownStream) cudaStreamDestroy(ownStream);
        Handles::destroy(handles);
    }

    const EngineStateImpl& eng() const { return engine->impl(); }

    // Static path (cuda_engine.cpp).
    Status inferShapes(const std::vector<ir::Shape>& inputShapes);
    Status bind(const std::vector<void*>& io);
    Status launchAll(cudaStream_t stream);
    Status runGraph(const std::vector<void*>& io, const std::vector<ir::Shape>& inputShapes, cudaStream_t stream);

    // Both paths: a host node on the host, its outputs in pinned memory.
    Status runHostNode(int node, const std::vector<ir::TensorDesc>& outs);
    Status waitForUploads();

    // Dynamic path (cuda_dynamic.cpp, cuda_loop.cpp).
    Status runDynamic(const std::vector<void*>& io, const std::vector<ir::Shape>& inputShapes, cudaStream_t s,
                      const std::vector<bool>& allocatedOutputs, const OutputAllocFn& allocFn);
    Status runItems(const std::vector<ir::ScheduleItem>& items);
    Status runItem(const ir::ScheduleItem& item);
    Status runNode(int node);  // timed when profiling
    Status runNodeWork(int node);
    Status runControlNode(int node);
    Status dynamicLayerTimes(std::vector<float>& ms);
    Status runLoop(const ir::ScheduleItem& loop);
    // Gives value v (shape s) its device buffer: the caller's, the output
    // allocator's, its arena slot, or a dynamic buffer.
    Status place(int v, const ir::Shape& s);
    Status dynamicBuffer(int v, size_t bytes, void*& out);
    Status growPreserving(DeviceBuffer& buf, size_t bytes, size_t keep);
    // Copies the node's outputs that are needed on the host there (one wait).
    Status readBack(const std::vector<int>& values);
    Status syncStream();
    Status copy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
    size_t bytesOf(int v) const;
};

}  // namespace kiln::cuda
