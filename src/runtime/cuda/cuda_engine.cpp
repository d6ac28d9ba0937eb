#include "cuda_engine.h"

#include <algorithm>
#include <cstring>

#include "cuda_state.h"
#include "ir/op_schema.h"

namespace kiln::cuda {

namespace {

// A host node's launch: copies its outputs that device work (or the user)
// reads from the context's pinned memory to their device buffers.
class HostUploadKernel final : public Kernel {
public:
    explicit HostUploadKernel(std::vector<char> upload) : upload_(std::move(upload)) {}
    Status enqueue(LaunchArgs& a) const override {
        for (size_t k = 0; k < a.outputs.size(); ++k) {
            const DeviceTensor& y = a.outputs[k];
            if (upload_[k] && y.data && y.hostData && y.bytes())
                KILN_CUDA_CHECK(cudaMemcpyAsync(y.data, y.hostData, y.bytes(), cudaMemcpyHostToDevice, a.stream));
        }
        return Status::Ok();
    }

private:
    std::vector<char> upload_;  // per output
};

}  // namespace

EngineState::~EngineState() = default;
size_t EngineState::workspaceBytes() const { return impl_->workspace; }
const std::string& EngineState::dynamicReason() const { return impl_->host.dynamicReason; }

bool deviceAvailable() { return deviceCount() > 0; }
std::string fingerprint() { return deviceFingerprint(); }

Status EngineState::create(const engine::Plan& plan, IGpuAllocator* allocator,
                           std::shared_ptr<const EngineState>& out) {
    if (!deviceAvailable())
        return Status::Error("no CUDA device is available to run this engine built for the cuda backend");
    auto state = std::shared_ptr<EngineState>(new EngineState());
    state->impl_ = std::make_unique<EngineStateImpl>();
    EngineStateImpl& s = *state->impl_;
    s.plan = &plan;
    const ir::Graph& g = plan.graph;
    KILN_RETURN_IF_ERROR(planHostWork(g, s.host));
    KILN_RETURN_IF_ERROR(ir::buildSchedule(g, s.schedule));
    if (allocator) s.allocator = std::make_unique<UserAllocator>(allocator);
    DeviceAllocator& alloc = s.allocator ? *s.allocator : defaultDeviceAllocator();
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
    const size_t nn = g.nodes.size();
    s.tactics.assign(nn, nullptr);
    s.hostTactics.assign(nn, nullptr);
    s.hostKernels.resize(nn);
    s.runtimeWorkspace.assign(nn, 0);
    for (size_t ni = 0; ni < nn; ++ni) {
        const ir::Node& n = g.nodes[ni];
        const std::string layer = "layer '" + n.name + "' (" + n.op + ")";
        // What the builder's tactic selection saw: the bound shapes, with the host's values.
        const auto in = s.host.inputs(g, n), outs = s.host.outputs(g, n);
        switch (s.host.kind[ni]) {
            case NodeKind::kControl:
                if (n.tactic != kControlTactic)
                    return Status::Error(layer + " is run by the runtime itself, but the engine records tactic '" +
                                         n.tactic + "'; rebuild the engine");
                s.kernels.push_back(nullptr);
                continue;
            case NodeKind::kHost: {
                if (n.tactic != kHostTactic)
                    return Status::Error(layer +
                                         " computes values needed on the host, but the engine records tactic '" +
                                         n.tactic + "' instead of 'host'; rebuild the engine");
                const cpu::Tactic* t = cpu::findCpuTactic(n.op, "ref");
                if (!t || !t->supports(n, in, outs))
                    return Status::Error(layer + ": the CPU reference kernel does not support it; rebuild the engine");
                std::unique_ptr<cpu::Kernel> k;
                KILN_RETURN_IF_ERROR(t->create(n, in, outs, k).withContext(layer + ": "));
                s.hostTactics[ni] = t;
                s.hostKernels[ni] = std::move(k);
                std::vector<char> up;
                for (int v : n.outputs) up.push_back(s.host.upload[size_t(v)]);
                s.hasHostNodes = true;
                s.hasUploads = s.hasUploads || std::find(up.begin(), up.end(), 1) != up.end();
                s.kernels.push_back(std::make_unique<HostUploadKernel>(std::move(up)));
                continue;
            }
            case NodeKind::kDevice:
                break;
        }
        if (n.tactic == kHostTactic || n.tactic == kControlTactic)
            return Status::Error(layer + " is recorded with tactic '" + n.tactic +
                                 "' but runs on the device; rebuild the engine");
        const Tactic* t = findCudaTactic(n.op, n.tactic);
        if (!t)
            return Status::Error("layer '" + n.name + "' uses tactic '" + n.tactic + "' for " + n.op +
                                 ", which the cuda backend of this kiln build does not have; rebuild the engine");
        if (!t->supports(n, in, outs))
            return Status::Error("layer '" + n.name + "': CUDA tactic '" + n.tactic +
                                 "' does not support it on this device");
        // Shapes or parameters known only during the run: the workspace is sized then.
        const bool known = s.host.bounded(g, n) && !s.host.readsBack(n);
        if (t->workspace && known) s.workspace = std::max(s.workspace, t->workspace(n, in, outs));
        s.runtimeWorkspace[ni] = t->workspace && !known;
        std::unique_ptr<Kernel> k;
        KILN_RETURN_IF_ERROR(t->create(n, s.host.createInputs(g, n), outs, k).withContext("layer '" + n.name + "': "));
        s.tactics[ni] = t;
        s.kernels.push_back(std::move(k));
    }
    out = std::move(state);
    return Status::Ok();
}

// ---------------------------------------------------------------- context

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
    const EngineStateImpl& e = s.eng();
    if (e.hasHostNodes || e.host.dynamic()) {
        s.pinned.resize(g.values.size());
        s.pool = std::make_unique<cpu::ThreadPool>(1);
        KILN_CUDA_CHECK(cudaEventCreateWithFlags(&s.uploadsDone, cudaEventDisableTiming));
    }
    out = std::move(cs);
    return Status::Ok();
}

bool ContextState::setGraphCapture(bool on) {
    // A dynamic engine waits for the device or picks work on the host during
    // the run: it cannot be captured once and replayed.
    if (on && impl_->eng().host.dynamic()) return false;
    impl_->graphMode = on;
    if (!on && impl_->graphExec) {
        cudaGraphExecDestroy(impl_->graphExec);
        impl_->graphExec = nullptr;
    }
    return true;
}
bool ContextState::graphCapture() const { return impl_->graphMode; }

const ir::Shape& ContextState::lastOutputShape(size_t o) const {
    const ContextStateImpl& s = *impl_;
    if (s.eng().host.dynamic()) return s.outputShapes[o];
    return s.shapes[size_t(s.plan->graph.outputs[o])];
}

Status ContextStateImpl::waitForUploads() {
    if (uploadsPending) {
        KILN_CUDA_CHECK(cudaEventSynchronize(uploadsDone));
        uploadsPending = false;
    }
    return Status::Ok();
}

Status ContextStateImpl::runHostNode(int ni, const std::vector<ir::TensorDesc>& outs) {
    const ir::Graph& g = plan->graph;
    const EngineStateImpl& e = eng();
    const ir::Node& n = g.nodes[size_t(ni)];
    std::vector<ir::TensorDesc> in;
    std::vector<cpu::HostTensor> hin, hout;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
        const int v = n.inputs[k];
        if (v < 0) {
            in.push_back({});
            hin.push_back({});
            continue;
        }
        const ir::DType t = g.values[size_t(v)].dtype;
        const void* data = hostPtr[size_t(v)];
        if (!data && !(n.op == "Shape" && k == 0))
            return Status::Error("the values of input '" + g.values[size_t(v)].name + "' are not on the host");
        in.push_back({t, shapes[size_t(v)], data});
        hin.push_back({const_cast<void*>(data), t, shapes[size_t(v)]});
    }
    // The previous run's copies to the device may still read these pinned
    // buffers; this run's too (loops). Only uploaded outputs are read that way:
    // kernels read the others' host copies when they launch, so a run whose
    // host layers upload nothing never waits for the one before it.
    bool uploads = false;
    for (int v : n.outputs) uploads = uploads || e.host.upload[size_t(v)];
    if (uploads) KILN_RETURN_IF_ERROR(waitForUploads());
    for (size_t k = 0; k < n.outputs.size(); ++k) {
        const int v = n.outputs[k];
        if (size_t(v) < pendingUpload.size() && pendingUpload[size_t(v)]) KILN_RETURN_IF_ERROR(syncStream());
        const int64_t count = ir::volume(outs[k].shape);
        if (count < 0) return Status::Error("output shape " + ir::shapeToString(outs[k].shape) + " is not known");
        KILN_RETURN_IF_ERROR(pinned[size_t(v)].reserve(size_t(count) * ir::dtypeSize(outs[k].dtype)));
        hout.push_back({pinned[size_t(v)].get(), outs[k].dtype, outs[k].shape});
    }
    const cpu::Tactic* t = e.hostTactics[size_t(ni)];
    const size_t ws = t->workspace ? t->workspace(n, in, outs) : 0;
    if (hostScratch.size() < ws) hostScratch.resize(ws);
    cpu::KernelArgs args{n, hin, hout, *pool, hostScratch.data(), hostScratch.size()};
    KILN_RETURN_IF_ERROR(e.hostKernels[size_t(ni)]->run(args));
    for (size_t k = 0; k < n.outputs.size(); ++k) {
        hostPtr[size_t(n.outputs[k])] = pinned[size_t(n.outputs[k])].get();
        shapes[size_t(n.outputs[k])] = outs[k].shape;
    }
    return Status::Ok();
}

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
    // Values on the host: the constants, and the host nodes' outputs below.
    hostPtr.assign(g.values.size(), nullptr);
    for (size_t v = 0; v < g.values.size(); ++v)
        if (g.values[v].isConstant()) hostPtr[v] = g.values[v].data->data();
    const EngineStateImpl& e = eng();
    std::vector<ir::TensorDesc> in, out;
    for (size_t ni = 0; ni < g.nodes.size(); ++ni) {
        const ir::Node& n = g.nodes[ni];
        in.clear();
        for (int v : n.inputs) {
            if (v < 0) {
                in.push_back({});
                continue;
            }
            in.push_back({g.values[size_t(v)].dtype, shapes[size_t(v)], hostPtr[size_t(v)]});
        }
        KILN_RETURN_IF_ERROR(ir::inferNode(n, in, out));
        auto& di = nodeIn[ni];
        di.assign(n.inputs.size(), {});
        for (size_t k = 0; k < n.inputs.size(); ++k) {
            const int v = n.inputs[k];
            if (v < 0) continue;
            di[k].dtype = g.values[size_t(v)].dtype;
            di[k].shape = shapes[size_t(v)];
            di[k].hostData = hostPtr[size_t(v)];
        }
        auto& dout = nodeOut[ni];
        dout.assign(n.outputs.size(), {});
        for (size_t k = 0; k < n.outputs.size(); ++k) {
            const int v = n.outputs[k];
            const ir::Value& val = g.values[size_t(v)];
            // A value whose maximum the builder could not bound (a Reshape to a
            // shape computed from the input's) has no arena slot: bind() sizes it.
            if (ir::volume(out[k].shape) < 0 ||
                (ir::isStatic(val.shape) && ir::volume(out[k].shape) > ir::volume(val.shape)))
                return Status::Error("layer '" + n.name + "': output shape " + ir::shapeToString(out[k].shape) +
                                     " exceeds the engine's maximum " + ir::shapeToString(val.shape));
            shapes[size_t(v)] = out[k].shape;
            dout[k].dtype = out[k].dtype;
            dout[k].shape = out[k].shape;
        }
        if (e.host.kind[ni] == NodeKind::kHost) {
            // Shape tensors: computed here, copied to the device by the node's launch.
            KILN_RETURN_IF_ERROR(runHostNode(int(ni), out).withContext("layer '" + n.name + "' (" + n.op + "): "));
            for (size_t k = 0; k < n.outputs.size(); ++k) dout[k].hostData = hostPtr[size_t(n.outputs[k])];
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
    // Intermediates without an arena slot (no bounded maximum shape): a buffer
    // of this context, sized for the current shapes (before any capture).
    dynamic.resize(g.values.size());
    for (size_t v = 0; v < g.values.size(); ++v) {
        if (ptrs[v] || g.values[v].producer < 0 || g.isGraphOutput(int(v))) continue;
        const int64_t count = ir::volume(shapes[v]);
        if (count < 0) return Status::Error("tensor '" + g.values[v].name + "' has no concrete shape");
        KILN_RETURN_IF_ERROR(dynamicBuffer(int(v), size_t(count) * ir::dtypeSize(g.values[v].dtype), ptrs[v]));
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
                             cudaStream_t stream, cudaEvent_t* inputConsumed, const std::vector<bool>& allocated,
                             const OutputAllocFn& alloc) {
    ContextStateImpl& s = *impl_;
    const EngineStateImpl& e = s.eng();
    if (e.host.dynamic()) {
        KILN_RETURN_IF_ERROR(s.runDynamic(io, inputShapes, stream, allocated, alloc));
    } else {
        s.stream = stream;  // a buffer bind() grows waits for the work queued on it
        // Outputs with an allocator: their shapes are known before any launch here.
        const std::vector<void*>* bindings = &io;
        std::vector<void*> withAllocated;
        if (alloc && std::find(allocated.begin(), allocated.end(), true) != allocated.end()) {
            const ir::Graph& g = s.plan->graph;
            KILN_RETURN_IF_ERROR(s.inferShapes(inputShapes));
            withAllocated = io;
            for (size_t o = 0; o < g.outputs.size() && o < allocated.size(); ++o) {
                if (!allocated[o]) continue;
                const int v = g.outputs[o];
                const ir::Shape& shape = s.shapes[size_t(v)];
                const size_t bytes = size_t(ir::volume(shape)) * ir::dtypeSize(g.values[size_t(v)].dtype);
                void* p = alloc(o, shape, std::max<size_t>(bytes, 1));
                if (!p)
                    return Status::Error("the output allocator gave no memory for output '" + g.values[size_t(v)].name +
                                         "'");
                withAllocated[g.inputs.size() + o] = p;
            }
            bindings = &withAllocated;
        }
        // The legacy default stream cannot be captured: run plainly there. A
        // profiled run times each layer, so it does not replay a graph either.
        if (s.graphMode && stream != nullptr && !s.profiling) {
            KILN_RETURN_IF_ERROR(s.runGraph(*bindings, inputShapes, stream));
        } else {
            KILN_RETURN_IF_ERROR(s.inferShapes(inputShapes));
            KILN_RETURN_IF_ERROR(s.bind(*bindings));
            KILN_RETURN_IF_ERROR(s.launchAll(stream));
        }
        // Host nodes' values are copied from pinned memory: it is rewritten (on
        // the next change of shapes) only once these copies are done.
        if (e.hasUploads) {
            KILN_CUDA_CHECK(cudaEventRecord(s.uploadsDone, stream));
            s.uploadsPending = true;
        }
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
    if (s.eng().host.dynamic()) return s.dynamicLayerTimes(ms);
    ms.assign(n, 0.0f);
    if (n == 0) return Status::Ok();
    KILN_CUDA_CHECK(cudaEventSynchronize(s.events[n]));
    for (size_t i = 0; i < n; ++i) KILN_CUDA_CHECK(cudaEventElapsedTime(&ms[i], s.events[i], s.events[i + 1]));
    return Status::Ok();
}

Status ContextState::execute(const std::vector<void*>& io, const std::vector<ir::Shape>& inputShapes,
                             const std::vector<bool>& allocated, const OutputAllocFn& alloc) {
    ContextStateImpl& s = *impl_;
    if (!s.ownStream) KILN_CUDA_CHECK(cudaStreamCreateWithFlags(&s.ownStream, cudaStreamNonBlocking));
    KILN_RETURN_IF_ERROR(enqueue(io, inputShapes, s.ownStream, nullptr, allocated, alloc));
    KILN_CUDA_CHECK(cudaStreamSynchronize(s.ownStream));
    return Status::Ok();
}

}  // namespace kiln::cuda
