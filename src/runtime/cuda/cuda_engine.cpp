#include "cuda_engine.h"

#include <algorithm>
#include <cstring>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/device_memory.h"
#include "backends/cuda/tactic.h"
#include "ir/op_schema.h"

namespace kiln::cuda {

namespace {
// A user's IGpuAllocator behind the backend's DeviceAllocator interface.
class UserAllocator final : public DeviceAllocator {
public:
    explicit UserAllocator(IGpuAllocator* a) : a_(a) {}
    void* allocate(size_t bytes, size_t alignment) noexcept override { return a_->allocate(bytes, alignment, 0); }
    void release(void* p) noexcept override { a_->deallocate(p); }

private:
    IGpuAllocator* a_;
};
}  // namespace

struct EngineStateImpl {
    const engine::Plan* plan = nullptr;
    std::unique_ptr<UserAllocator> allocator;  // declared before the buffers it frees
    std::vector<std::unique_ptr<Kernel>> kernels;
    std::vector<DeviceBuffer> constants;  // indexed like Graph::values; empty for non-constants
    size_t workspace = 0;
};

EngineState::~EngineState() = default;
size_t EngineState::workspaceBytes() const { return impl_->workspace; }

bool deviceAvailable() { return deviceCount() > 0; }
std::string fingerprint() { return deviceFingerprint(); }

// The CUDA backend infers shapes on the host from shapes alone; a layer whose
// output shape needs values computed on the device cannot run there yet.
static Status checkShapesAreStatic(const ir::Graph& g) {
    std::vector<ir::TensorDesc> out;
    for (const auto& n : g.nodes) {
        const Status st = ir::inferNode(n, ir::describeInputs(g, n), out);
        if (!st.ok())
            return Status::Error("layer '" + n.name + "' (" + n.op +
                                 "): its output shape depends on tensor values computed at run time, which the CUDA "
                                 "backend does not support yet (" +
                                 st.message() + ")");
    }
    return Status::Ok();
}

Status EngineState::create(const engine::Plan& plan, IGpuAllocator* allocator,
                           std::shared_ptr<const EngineState>& out) {
    if (!deviceAvailable())
        return Status::Error("no CUDA device is available to run this engine built for the cuda backend");
    KILN_RETURN_IF_ERROR(checkShapesAreStatic(plan.graph));
    auto state = std::shared_ptr<EngineState>(new EngineState());
    state->impl_ = std::make_unique<EngineStateImpl>();
    EngineStateImpl& s = *state->impl_;
    s.plan = &plan;
    if (allocator) s.allocator = std::make_unique<UserAllocator>(allocator);
    DeviceAllocator& alloc = s.allocator ? *s.allocator : defaultDeviceAllocator();
    const ir::Graph& g = plan.graph;
    s.constants.resize(g.values.size());
    std::vector<bool> used(g.values.size(), false);
    for (const auto& n : g.nodes)
        for (int v : n.inputs)
            if (v >= 0) used[size_t(v)] = true;
    for (int v : g.outputs) used[size_t(v)] = true;
    for (size_t v = 0; v < g.values.size(); ++v) {
        const ir::Value& val = g.values[v];
        if (!val.isConstant() || !used[v] || val.data->empty()) continue;
        KILN_RETURN_IF_ERROR(
            DeviceBuffer::allocate(val.data->size(), ("weights '" + val.name + "'").c_str(), s.constants[v], alloc));
        KILN_RETURN_IF_ERROR(copyToDevice(s.constants[v].get(), val.data->data(), val.data->size()));
    }
    for (const auto& n : g.nodes) {
        const Tactic* t = findCudaTactic(n.op, n.tactic);
        if (!t)
            return Status::Error("layer '" + n.name + "' uses tactic '" + n.tactic + "' for " + n.op +
                                 ", which the cuda backend of this kiln build does not have; rebuild the engine");
        const auto in = ir::describeInputs(g, n), outs = ir::describeOutputs(g, n);
        if (!t->supports(n, in, outs))
            return Status::Error("layer '" + n.name + "': CUDA tactic '" + n.tactic +
                                 "' does not support it on this device");
        if (t->workspace) s.workspace = std::max(s.workspace, t->workspace(n, in, outs));
        std::unique_ptr<Kernel> k;
        KILN_RETURN_IF_ERROR(t->create(n, in, outs, k).withContext("layer '" + n.name + "': "));
        s.kernels.push_back(std::move(k));
    }
    out = std::move(state);
    return Status::Ok();
}

// ---------------------------------------------------------------- context

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

    // Per-layer profiling: an event before the first node and after each node.
    bool profiling = false, profiled = false;
    std::vector<cudaEvent_t> events;

    ~ContextStateImpl() {
        for (cudaEvent_t e : events) cudaEventDestroy(e);
        if (graphExec) cudaGraphExecDestroy(graphExec);
        if (ownStream) cudaStreamDestroy(ownStream);
        Handles::destroy(handles);
    }

    Status inferShapes(const std::vector<ir::Shape>& inputShapes);
    Status bind(const std::vector<void*>& io);
    Status launchAll(cudaStream_t stream);
    Status runGraph(const std::vector<void*>& io, const std::vector<ir::Shape>& inputShapes, cudaStream_t stream);
};

ContextState::~ContextState() = default;

Status ContextState::create(const engine::Plan& plan, std::shared_ptr<const EngineState> engine,
                            IGpuAllocator* userAlloc, std::unique_ptr<ContextState>& out) {
    auto cs = std::unique_ptr<ContextState>(new ContextState());
    cs->impl_ = std::make_unique<ContextStateImpl>();
    ContextStateImpl& s = *cs->impl_;
    s.plan = &plan;
    s.engine = std::move(engine);
    if (userAlloc) s.allocator = std::make_unique<UserAllocator>(userAlloc);
    DeviceAllocator& a = s.allocator ? *s.allocator : defaultDeviceAllocator();
    KILN_RETURN_IF_ERROR(DeviceBuffer::allocate(size_t(plan.memory.arenaBytes), "the activation arena", s.arena, a));
    KILN_RETURN_IF_ERROR(DeviceBuffer::allocate(s.engine->workspaceBytes(), "the layer workspace", s.workspace, a));
    KILN_RETURN_IF_ERROR(Handles::create(s.handles));
    const ir::Graph& g = plan.graph;
    s.nodeIn.resize(g.nodes.size());
    s.nodeOut.resize(g.nodes.size());
    out = std::move(cs);
    return Status::Ok();
}

void ContextState::setGraphCapture(bool on) {
    impl_->graphMode = on;
    if (!on && impl_->graphExec) {
        cudaGraphExecDestroy(impl_->graphExec);
        impl_->graphExec = nullptr;
    }
}
bool ContextState::graphCapture() const { return impl_->graphMode; }

Status ContextStateImpl::inferShapes(const std::vector<ir::Shape>& inputShapes) {
    if (shapesValid && inputShapes == lastInputShapes) return Status::Ok();
    shapesValid = false;
    const ir::Graph& g = plan->graph;
    const auto& prof = plan->profiles[0];
    shapes.assign(g.values.size(), {});
    for (size_t v = 0; v < g.values.size(); ++v)
        if (g.values[v].isConstant()) shapes[v] = g.values[v].shape;
    for (size_t i = 0; i < g.inputs.size(); ++i) {
        const ir::Shape& s = inputShapes[i];
        const std::string& name = g.values[size_t(g.inputs[i])].name;
        if (s.size() != prof.max[i].size())
            return Status::Error("input '" + name + "' has rank " + std::to_string(s.size()) + ", the engine expects " +
                                 std::to_string(prof.max[i].size()));
        for (size_t d = 0; d < s.size(); ++d)
            if (s[d] < prof.min[i][d] || s[d] > prof.max[i][d])
                return Status::Error("input '" + name + "' shape " + ir::shapeToString(s) + " is outside the profile");
        shapes[size_t(g.inputs[i])] = s;
    }
    std::vector<ir::TensorDesc> in, out;
    for (size_t ni = 0; ni < g.nodes.size(); ++ni) {
        const ir::Node& n = g.nodes[ni];
        in.clear();
        for (int v : n.inputs) {
            if (v < 0) {
                in.push_back({});
                continue;
            }
            const ir::Value& val = g.values[size_t(v)];
            in.push_back({val.dtype, shapes[size_t(v)], val.isConstant() ? val.data->data() : nullptr});
        }
        KILN_RETURN_IF_ERROR(ir::inferNode(n, in, out));
        auto& di = nodeIn[ni];
        di.assign(n.inputs.size(), {});
        for (size_t k = 0; k < n.inputs.size(); ++k) {
            const int v = n.inputs[k];
            if (v < 0) continue;
            di[k].dtype = g.values[size_t(v)].dtype;
            di[k].shape = shapes[size_t(v)];
            di[k].hostData = g.values[size_t(v)].isConstant() ? g.values[size_t(v)].data->data() : nullptr;
        }
        auto& dout = nodeOut[ni];
        dout.assign(n.outputs.size(), {});
        for (size_t k = 0; k < n.outputs.size(); ++k) {
            const int v = n.outputs[k];
            const ir::Value& val = g.values[size_t(v)];
            if (ir::volume(out[k].shape) > ir::volume(val.shape) || ir::volume(out[k].shape) < 0)
                return Status::Error("layer '" + n.name + "': output shape " + ir::shapeToString(out[k].shape) +
                                     " exceeds the engine's maximum " + ir::shapeToString(val.shape));
            shapes[size_t(v)] = out[k].shape;
            dout[k].dtype = out[k].dtype;
            dout[k].shape = out[k].shape;
        }
    }
    lastInputShapes = inputShapes;
    shapesValid = true;
    return Status::Ok();
}

Status ContextStateImpl::bind(const std::vector<void*>& io) {
    const ir::Graph& g = plan->graph;
    const auto& consts = engine->impl().constants;
    boundIo = io;
    ptrs.assign(g.values.size(), nullptr);
    auto* base = static_cast<uint8_t*>(arena.get());
    for (size_t v = 0; v < g.values.size(); ++v) {
        if (consts[v].get())
            ptrs[v] = consts[v].get();
        else if (plan->memory.offsets[v] >= 0)
            ptrs[v] = base + plan->memory.offsets[v];
    }
    const size_t nIn = g.inputs.size();
    for (size_t i = 0; i < nIn; ++i) ptrs[size_t(g.inputs[i])] = io[i];
    for (size_t o = 0; o < g.outputs.size(); ++o) {
        const int v = g.outputs[o];
        if (g.values[size_t(v)].producer >= 0) ptrs[size_t(v)] = io[nIn + o];
    }
    for (size_t ni = 0; ni < g.nodes.size(); ++ni) {
        const ir::Node& n = g.nodes[ni];
        for (size_t k = 0; k < n.inputs.size(); ++k)
            if (n.inputs[k] >= 0) nodeIn[ni][k].data = ptrs[size_t(n.inputs[k])];
        for (size_t k = 0; k < n.outputs.size(); ++k) nodeOut[ni][k].data = ptrs[size_t(n.outputs[k])];
    }
    return Status::Ok();
}

Status ContextStateImpl::launchAll(cudaStream_t stream) {
    const ir::Graph& g = plan->graph;
    const auto& kernels = engine->impl().kernels;
    if (profiling) {
        while (events.size() < g.nodes.size() + 1) {
            cudaEvent_t e = nullptr;
            KILN_CUDA_CHECK(cudaEventCreate(&e));
            events.push_back(e);
        }
        KILN_CUDA_CHECK(cudaEventRecord(events[0], stream));
    }
    for (size_t ni = 0; ni < g.nodes.size(); ++ni) {
        const ir::Node& n = g.nodes[ni];
        LaunchArgs args{n, nodeIn[ni], nodeOut[ni], stream, workspace.get(), workspace.size(), handles};
        KILN_RETURN_IF_ERROR(kernels[ni]->enqueue(args).withContext("layer '" + n.name + "' (" + n.op + "): "));
        if (profiling) KILN_CUDA_CHECK(cudaEventRecord(events[ni + 1], stream));
    }
    profiled = profiling;
    // Outputs that no layer produces (an input or a constant marked as output).
    const size_t nIn = g.inputs.size();
    for (size_t o = 0; o < g.outputs.size(); ++o) {
        const int v = g.outputs[o];
        if (g.values[size_t(v)].producer >= 0) continue;
        const size_t bytes =
            size_t(std::max<int64_t>(ir::volume(shapes[size_t(v)]), 0)) * ir::dtypeSize(g.values[size_t(v)].dtype);
        void* dst = boundIo[nIn + o];
        if (bytes && dst != ptrs[size_t(v)])
            KILN_CUDA_CHECK(cudaMemcpyAsync(dst, ptrs[size_t(v)], bytes, cudaMemcpyDeviceToDevice, stream));
    }
    return Status::Ok();
}

Status ContextStateImpl::runGraph(const std::vector<void*>& io, const std::vector<ir::Shape>& inputShapes,
                                  cudaStream_t stream) {
    if (graphExec && io == graphIo && inputShapes == graphShapes) {
        KILN_CUDA_CHECK(cudaGraphLaunch(graphExec, stream));
        return Status::Ok();
    }
    KILN_RETURN_IF_ERROR(inferShapes(inputShapes));
    KILN_RETURN_IF_ERROR(bind(io));
    // Thread-local mode: other threads' CUDA calls (other contexts) are not
    // affected by this capture.
    KILN_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
    const Status launched = launchAll(stream);
    cudaGraph_t graph = nullptr;
    const cudaError_t ended = cudaStreamEndCapture(stream, &graph);
    if (!launched.ok()) {
        if (graph) cudaGraphDestroy(graph);
        return launched;
    }
    if (ended != cudaSuccess) return cudaError(ended, "cudaStreamEndCapture");
    // A graph of the same topology (new addresses or shapes) updates the
    // executable in place, which is much cheaper than instantiating again.
    bool updated = false;
    if (graphExec) {
        cudaGraphExecUpdateResultInfo info{};
        updated = cudaGraphExecUpdate(graphExec, graph, &info) == cudaSuccess;
        if (!updated) {
            (void)cudaGetLastError();
            cudaGraphExecDestroy(graphExec);
            graphExec = nullptr;
        }
    }
    if (!updated) {
        const cudaError_t e = cudaGraphInstantiate(&graphExec, graph, 0);
        if (e != cudaSuccess) {
            cudaGraphDestroy(graph);
            graphExec = nullptr;
            return cudaError(e, "cudaGraphInstantiate");
        }
    }
    cudaGraphDestroy(graph);
    graphIo = io;
    graphShapes = inputShapes;
    KILN_CUDA_CHECK(cudaGraphLaunch(graphExec, stream));
    return Status::Ok();
}

Status ContextState::enqueue(const std::vector<void*>& io, const std::vector<ir::Shape>& inputShapes,
                             cudaStream_t stream, cudaEvent_t* inputConsumed) {
    ContextStateImpl& s = *impl_;
    // The legacy default stream cannot be captured: run plainly there. A
    // profiled run times each layer, so it does not replay a graph either.
    if (s.graphMode && stream != nullptr && !s.profiling) {
        KILN_RETURN_IF_ERROR(s.runGraph(io, inputShapes, stream));
    } else {
        KILN_RETURN_IF_ERROR(s.inferShapes(inputShapes));
        KILN_RETURN_IF_ERROR(s.bind(io));
        KILN_RETURN_IF_ERROR(s.launchAll(stream));
    }
    // The inputs may be overwritten once everything enqueued so far has run.
    if (inputConsumed && *inputConsumed) KILN_CUDA_CHECK(cudaEventRecord(*inputConsumed, stream));
    return Status::Ok();
}

void ContextState::setProfiling(bool on) {
    impl_->profiling = on;
    impl_->profiled = false;
}

Status ContextState::layerTimes(std::vector<float>& ms) {
    ContextStateImpl& s = *impl_;
    if (!s.profiled) return Status::Error("no profiled run to report");
    s.profiled = false;
    const size_t n = s.plan->graph.nodes.size();
    ms.assign(n, 0.0f);
    if (n == 0) return Status::Ok();
    KILN_CUDA_CHECK(cudaEventSynchronize(s.events[n]));
    for (size_t i = 0; i < n; ++i) KILN_CUDA_CHECK(cudaEventElapsedTime(&ms[i], s.events[i], s.events[i + 1]));
    return Status::Ok();
}

Status ContextState::execute(const std::vector<void*>& io, const std::vector<ir::Shape>& inputShapes) {
    ContextStateImpl& s = *impl_;
    if (!s.ownStream) KILN_CUDA_CHECK(cudaStreamCreateWithFlags(&s.ownStream, cudaStreamNonBlocking));
    KILN_RETURN_IF_ERROR(enqueue(io, inputShapes, s.ownStream, nullptr));
    KILN_CUDA_CHECK(cudaStreamSynchronize(s.ownStream));
    return Status::Ok();
}

}  // namespace kiln::cuda
