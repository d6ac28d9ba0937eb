// The dynamic path of a CUDA engine's run (host_plan.h): the runtime follows
// the schedule on the host as the CPU executor does (src/runtime/executor.cpp),
// inferring each layer's shapes just before it launches. Host nodes compute
// on the host into pinned memory and copy what device work reads; values
// needed on the host are copied back once computed, and the stream is waited
// for; NonZero/Unique/NMS kernels write into upper-bound buffers and report
// their extent, which is read back the same way. Tensors of data-dependent
// size live in per-context device buffers grown as needed; network outputs of
// such size come from the user's IOutputAllocator.
#include <algorithm>

#include "cuda_state.h"

namespace kiln::cuda {

namespace {
std::string layerName(const ir::Node& n) { return "layer '" + n.name + "' (" + n.op + ")"; }
}  // namespace

size_t ContextStateImpl::bytesOf(int v) const {
    return size_t(std::max<int64_t>(ir::volume(shapes[size_t(v)]), 0)) *
           ir::dtypeSize(plan->graph.values[size_t(v)].dtype);
}

Status ContextStateImpl::copy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
    if (bytes && dst != src) KILN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, stream));
    return Status::Ok();
}

Status ContextStateImpl::syncStream() {
    KILN_CUDA_CHECK(cudaStreamSynchronize(stream));
    // Everything this run queued has run: its pinned buffers may be rewritten.
    std::fill(pendingUpload.begin(), pendingUpload.end(), 0);
    return Status::Ok();
}

Status ContextStateImpl::dynamicBuffer(int v, size_t bytes, void*& out) {
    DeviceBuffer& b = dynamic[size_t(v)];
    if (!b.get() || b.size() < bytes) {
        // Work queued earlier may still use the old buffer.
        KILN_RETURN_IF_ERROR(waitForUploads());
        if (b.get()) KILN_RETURN_IF_ERROR(syncStream());
        const size_t want = std::max({bytes, b.size() * 2, size_t(256)});
        DeviceAllocator& a = allocator ? static_cast<DeviceAllocator&>(*allocator) : defaultDeviceAllocator();
        const std::string what = "tensor '" + plan->graph.values[size_t(v)].name + "' (data-dependent size)";
        KILN_RETURN_IF_ERROR(DeviceBuffer::allocate(want, what.c_str(), b, a));
    }
    out = b.get();
    return Status::Ok();
}

Status ContextStateImpl::growPreserving(DeviceBuffer& buf, size_t bytes, size_t keep) {
    if (buf.get() && buf.size() >= bytes) return Status::Ok();
    KILN_RETURN_IF_ERROR(waitForUploads());
    DeviceAllocator& a = allocator ? static_cast<DeviceAllocator&>(*allocator) : defaultDeviceAllocator();
    DeviceBuffer bigger;
    KILN_RETURN_IF_ERROR(
        DeviceBuffer::allocate(std::max({bytes, buf.size() * 2, size_t(256)}), "a loop's values", bigger, a));
    if (buf.get()) {
        KILN_RETURN_IF_ERROR(copy(bigger.get(), buf.get(), std::min(keep, buf.size()), cudaMemcpyDeviceToDevice));
        KILN_RETURN_IF_ERROR(syncStream());  // the copy, and any reader of the old buffer, are done
    }
    buf = std::move(bigger);
    return Status::Ok();
}

Status ContextStateImpl::place(int v, const ir::Shape& s) {
    const ir::Graph& g = plan->graph;
    const ir::Value& val = g.values[size_t(v)];
    const int64_t count = ir::volume(s);
    if (count < 0) return Status::Error("tensor '" + val.name + "' has no concrete shape " + ir::shapeToString(s));
    size_t bytes = 0;  // a saturated count (volume() at int64's limit) must not wrap to a small buffer
    if (__builtin_mul_overflow(size_t(count), ir::dtypeSize(val.dtype), &bytes))
        return Status::Error("tensor '" + val.name + "' of shape " + ir::shapeToString(s) +
                             " overflows the address space");
    const int o = outputOf[size_t(v)];
    const int64_t offset = plan->memory.offsets[size_t(v)];
    if (o >= 0 && allocated[size_t(o)]) {
        void* p = (*alloc)(size_t(o), s, std::max<size_t>(bytes, 1));
        if (!p) return Status::Error("the output allocator gave no memory for output '" + val.name + "'");
        if (reinterpret_cast<uintptr_t>(p) % ir::dtypeSize(val.dtype) != 0)
            return Status::Error("the output allocator's buffer for '" + val.name + "' is misaligned");
        ptrs[size_t(v)] = p;
    } else if (o >= 0 || offset >= 0) {
        // The caller's buffer or the arena slot, sized for the engine's maximum shapes.
        if (count > ir::volume(val.shape))
            return Status::Error("tensor '" + val.name + "' of shape " + ir::shapeToString(s) +
                                 " exceeds the engine's maximum " + ir::shapeToString(val.shape));
        ptrs[size_t(v)] = o >= 0 ? boundIo[g.inputs.size() + size_t(o)] : static_cast<uint8_t*>(arena.get()) + offset;
    } else {
        KILN_RETURN_IF_ERROR(dynamicBuffer(v, bytes, ptrs[size_t(v)]));
    }
    shapes[size_t(v)] = s;
    return Status::Ok();
}

Status ContextStateImpl::readBack(const std::vector<int>& values) {
    const HostPlan& hp = eng().host;
    bool any = false;
    for (int v : values) {
        if (!hp.readback[size_t(v)]) continue;
        const size_t bytes = bytesOf(v);
        KILN_RETURN_IF_ERROR(pinned[size_t(v)].reserve(bytes));
        KILN_RETURN_IF_ERROR(copy(pinned[size_t(v)].get(), ptrs[size_t(v)], bytes, cudaMemcpyDeviceToHost));
        hostPtr[size_t(v)] = pinned[size_t(v)].get();
        any = true;
    }
    if (any) KILN_RETURN_IF_ERROR(syncStream());
    return Status::Ok();
}

Status ContextStateImpl::runDynamic(const std::vector<void*>& io, const std::vector<ir::Shape>& inputShapes,
                                    cudaStream_t s, const std::vector<bool>& allocatedOutputs,
                                    const OutputAllocFn& allocFn) {
    const ir::Graph& g = plan->graph;
    const EngineStateImpl& e = eng();
    const size_t nv = g.values.size(), nIn = g.inputs.size();
    stream = s;
    alloc = &allocFn;
    allocated.assign(g.outputs.size(), false);
    for (size_t o = 0; o < g.outputs.size() && allocFn; ++o)
        allocated[o] = o < allocatedOutputs.size() && allocatedOutputs[o];
    for (size_t o = 0; o < g.outputs.size(); ++o) {
        const ir::Value& val = g.values[size_t(g.outputs[o])];
        if (!ir::isStatic(val.shape) && !allocated[o])
            return Status::Error("output '" + val.name + "' has a data-dependent shape " +
                                 ir::shapeToString(val.shape) + ": give it an IOutputAllocator (setOutputAllocator)");
    }
    const auto& prof = plan->profiles[0];
    for (size_t i = 0; i < nIn; ++i) {
        const ir::Shape& sh = inputShapes[i];
        const std::string& name = g.values[size_t(g.inputs[i])].name;
        if (sh.size() != prof.max[i].size())
            return Status::Error("input '" + name + "' has rank " + std::to_string(sh.size()) +
                                 ", the engine expects " + std::to_string(prof.max[i].size()));
        for (size_t d = 0; d < sh.size(); ++d)
            if (sh[d] < prof.min[i][d] || sh[d] > prof.max[i][d])
                return Status::Error("input '" + name + "' shape " + ir::shapeToString(sh) + " is outside the profile");
    }
    shapes.assign(nv, {});
    ptrs.assign(nv, nullptr);
    hostPtr.assign(nv, nullptr);
    outputOf.assign(nv, -1);
    dynamic.resize(nv);
    records.resize(nv);
    pinned.resize(nv);
    pendingUpload.assign(nv, 0);
    boundIo = io;
    shapesValid = false;  // the static path's cache does not describe this run
    timed.clear();
    auto* base = static_cast<uint8_t*>(arena.get());
    for (size_t v = 0; v < nv; ++v) {
        const ir::Value& val = g.values[v];
        if (val.isConstant()) {
            shapes[v] = val.shape;
            ptrs[v] = e.constants[v].get();
            hostPtr[v] = val.data->data();
        } else if (plan->memory.offsets[v] >= 0) {
            ptrs[v] = base + plan->memory.offsets[v];
        }
    }
    std::vector<int> inputsBack;
    for (size_t i = 0; i < nIn; ++i) {
        const int v = g.inputs[i];
        shapes[size_t(v)] = inputShapes[i];
        ptrs[size_t(v)] = io[i];
        inputsBack.push_back(v);
    }
    for (size_t o = 0; o < g.outputs.size(); ++o) {
        const int v = g.outputs[o];
        outputOf[size_t(v)] = int(o);
        if (g.values[size_t(v)].producer >= 0 && !allocated[o]) ptrs[size_t(v)] = io[nIn + o];
    }
    // Network inputs whose values a shape or a decision needs.
    KILN_RETURN_IF_ERROR(readBack(inputsBack));
    KILN_RETURN_IF_ERROR(runItems(e.schedule.items));
    // Outputs that no layer produces (an input or a constant marked as output).
    for (size_t o = 0; o < g.outputs.size(); ++o) {
        const int v = g.outputs[o];
        if (g.values[size_t(v)].producer >= 0) continue;
        const size_t bytes = bytesOf(v);
        void* dst = io[nIn + o];
        if (allocated[o]) {
            dst = allocFn(o, shapes[size_t(v)], std::max<size_t>(bytes, 1));
            if (!dst)
                return Status::Error("the output allocator gave no memory for output '" + g.values[size_t(v)].name +
                                     "'");
        }
        KILN_RETURN_IF_ERROR(copy(dst, ptrs[size_t(v)], bytes, cudaMemcpyDeviceToDevice));
    }
    outputShapes.clear();
    for (int v : g.outputs) outputShapes.push_back(shapes[size_t(v)]);
    profiled = profiling;
    // The next run rewrites pinned memory and grows buffers only after this one.
    KILN_CUDA_CHECK(cudaEventRecord(uploadsDone, stream));
    uploadsPending = true;
    return Status::Ok();
}

Status ContextStateImpl::runItems(const std::vector<ir::ScheduleItem>& items) {
    for (const ir::ScheduleItem& item : items) KILN_RETURN_IF_ERROR(runItem(item));
    return Status::Ok();
}

Status ContextStateImpl::runItem(const ir::ScheduleItem& item) {
    switch (item.kind) {
        case ir::ScheduleItem::Kind::kNode:
            return runNode(item.node);
        case ir::ScheduleItem::Kind::kLoop:
            return runLoop(item);
        case ir::ScheduleItem::Kind::kIf: {
            // Only the branch the condition picks runs; the condition is on the host.
            const void* c = hostPtr[size_t(item.condition)];
            if (!c)
                return Status::Error("the condition '" + plan->graph.values[size_t(item.condition)].name +
                                     "' of conditional " + std::to_string(item.id) + " is not on the host");
            return runItems(*static_cast<const uint8_t*>(c) ? item.body : item.other);
        }
    }
    return Status::Ok();
}

// The conditional's boundary when it is not computed on the host: device copies.
Status ContextStateImpl::runControlNode(int ni) {
    const ir::Graph& g = plan->graph;
    const ir::Node& n = g.nodes[size_t(ni)];
    int from = n.inputs[0];
    if (n.op == "IfOutput") {
        const void* c = hostPtr[size_t(n.inputs[0])];
        if (!c) return Status::Error(layerName(n) + ": its condition is not on the host");
        from = n.inputs[*static_cast<const uint8_t*>(c) ? 1 : 2];
    } else if (n.op != "IfCondition" && n.op != "IfInput") {
        return Status::Error(layerName(n) + " runs outside its loop");
    }
    const int to = n.outputs[0];
    KILN_RETURN_IF_ERROR(place(to, shapes[size_t(from)]).withContext(layerName(n) + ": "));
    KILN_RETURN_IF_ERROR(copy(ptrs[size_t(to)], ptrs[size_t(from)], bytesOf(to), cudaMemcpyDeviceToDevice));
    return readBack(n.outputs);
}

Status ContextStateImpl::runNode(int ni) {
    if (!profiling) return runNodeWork(ni);
    // The device time of what the node queues (a host node: its copy).
    const size_t k = timed.size();
    while (events.size() < 2 * (k + 1)) {
        cudaEvent_t ev = nullptr;
        KILN_CUDA_CHECK(cudaEventCreate(&ev));
        events.push_back(ev);
    }
    KILN_CUDA_CHECK(cudaEventRecord(events[2 * k], stream));
    KILN_RETURN_IF_ERROR(runNodeWork(ni));
    KILN_CUDA_CHECK(cudaEventRecord(events[2 * k + 1], stream));
    timed.push_back(ni);
    return Status::Ok();
}

Status ContextStateImpl::dynamicLayerTimes(std::vector<float>& ms) {
    // Summed over a loop's iterations; -1 for layers that did not run.
    ms.assign(plan->graph.nodes.size(), -1.0f);
    if (timed.empty()) return Status::Ok();
    KILN_CUDA_CHECK(cudaEventSynchronize(events[2 * timed.size() - 1]));
    for (size_t k = 0; k < timed.size(); ++k) {
        float t = 0;
        KILN_CUDA_CHECK(cudaEventElapsedTime(&t, events[2 * k], events[2 * k + 1]));
        float& m = ms[size_t(timed[k])];
        m = m < 0 ? t : m + t;
    }
    return Status::Ok();
}

Status ContextStateImpl::runNodeWork(int ni) {
    const ir::Graph& g = plan->graph;
    const EngineStateImpl& e = eng();
    const ir::Node& n = g.nodes[size_t(ni)];
    const NodeKind kind = e.host.kind[size_t(ni)];
    if (kind == NodeKind::kControl) return runControlNode(ni);
    std::vector<ir::TensorDesc> in, out;
    for (int v : n.inputs) {
        if (v < 0) {
            in.push_back({});
            continue;
        }
        in.push_back({g.values[size_t(v)].dtype, shapes[size_t(v)], hostPtr[size_t(v)]});
    }
    KILN_RETURN_IF_ERROR(ir::inferNode(n, in, out));
    if (kind == NodeKind::kHost) {
        KILN_RETURN_IF_ERROR(runHostNode(ni, out).withContext(layerName(n) + ": "));
        for (int v : n.outputs) {
            if (!e.host.upload[size_t(v)]) continue;
            KILN_RETURN_IF_ERROR(place(v, shapes[size_t(v)]).withContext(layerName(n) + ": "));
            KILN_RETURN_IF_ERROR(copy(ptrs[size_t(v)], hostPtr[size_t(v)], bytesOf(v), cudaMemcpyHostToDevice));
            pendingUpload[size_t(v)] = 1;
        }
        return Status::Ok();
    }
    // A data-dependent extent: the outputs get upper-bound buffers, the kernel the extent.
    const bool counted = e.host.counted[size_t(ni)];
    const int64_t bound = counted ? extentBound(n, in) : -1;
    if (counted && bound < 0)
        return Status::Error(layerName(n) + ": no upper bound for its output size at input shapes " +
                             ir::shapeToString(in[0].shape));
    std::vector<ir::Shape> unknown(n.outputs.size());  // inferred shapes with -1 (counted outputs only)
    for (size_t k = 0; k < n.outputs.size(); ++k) {
        const int v = n.outputs[k];
        if (ir::isStatic(out[k].shape)) {
            KILN_RETURN_IF_ERROR(place(v, out[k].shape).withContext(layerName(n) + ": "));
            continue;
        }
        if (!counted)
            return Status::Error(layerName(n) + ": its output shape " + ir::shapeToString(out[k].shape) +
                                 " depends on tensor values that are not on the host");
        unknown[k] = out[k].shape;
        for (auto& d : out[k].shape)
            if (d < 0) d = bound;
        KILN_RETURN_IF_ERROR(
            dynamicBuffer(v, size_t(ir::volume(out[k].shape)) * ir::dtypeSize(out[k].dtype), ptrs[size_t(v)]));
        shapes[size_t(v)] = out[k].shape;
    }
    din.assign(n.inputs.size(), {});
    for (size_t k = 0; k < n.inputs.size(); ++k) {
        const int v = n.inputs[k];
        if (v >= 0) din[k] = {ptrs[size_t(v)], in[k].dtype, in[k].shape, hostPtr[size_t(v)]};
    }
    dout.assign(n.outputs.size(), {});
    for (size_t k = 0; k < n.outputs.size(); ++k)
        dout[k] = {ptrs[size_t(n.outputs[k])], out[k].dtype, out[k].shape, nullptr};
    const Tactic* t = e.tactics[size_t(ni)];
    if (e.runtimeWorkspace[size_t(ni)] || !e.host.bounded(g, n) || e.host.readsBack(n)) {
        // Shapes or parameters the build could not see: the tactic must hold for them.
        if (!t->supports(n, in, out))
            return Status::Error(layerName(n) + ": CUDA tactic '" + n.tactic +
                                 "' does not support its shapes in this run (input " + ir::shapeToString(in[0].shape) +
                                 ")");
        const size_t need = t->workspace ? t->workspace(n, in, out) : 0;
        if (need > workspace.size()) {
            KILN_RETURN_IF_ERROR(waitForUploads());
            KILN_RETURN_IF_ERROR(syncStream());
            DeviceAllocator& a = allocator ? static_cast<DeviceAllocator&>(*allocator) : defaultDeviceAllocator();
            KILN_RETURN_IF_ERROR(DeviceBuffer::allocate(need, "the layer workspace", workspace, a));
        }
    }
    LaunchArgs args{n, din, dout, stream, workspace.get(), workspace.size(), handles};
    if (counted) {
        if (!extentDevice.get()) {
            DeviceAllocator& a = allocator ? static_cast<DeviceAllocator&>(*allocator) : defaultDeviceAllocator();
            KILN_RETURN_IF_ERROR(DeviceBuffer::allocate(sizeof(int64_t), "a data-dependent extent", extentDevice, a));
        }
        KILN_RETURN_IF_ERROR(extentHost.reserve(sizeof(int64_t)));
        args.outputExtent = static_cast<int64_t*>(extentDevice.get());
    }
    KILN_RETURN_IF_ERROR(e.kernels[size_t(ni)]->enqueue(args).withContext(layerName(n) + ": "));
    if (counted) {
        KILN_RETURN_IF_ERROR(copy(extentHost.get(), extentDevice.get(), sizeof(int64_t), cudaMemcpyDeviceToHost));
        KILN_RETURN_IF_ERROR(syncStream());
        const int64_t extent = *static_cast<const int64_t*>(extentHost.get());
        if (extent < 0 || extent > bound)
            return Status::Error(layerName(n) + ": the kernel reported " + std::to_string(extent) +
                                 " elements, outside [0, " + std::to_string(bound) + "]");
        for (size_t k = 0; k < n.outputs.size(); ++k) {
            if (ir::isStatic(unknown[k])) continue;  // a static output, placed before the launch
            const int v = n.outputs[k];
            ir::Shape actual = unknown[k];
            for (auto& d : actual)
                if (d < 0) d = extent;
            void* staged = ptrs[size_t(v)];
            if (outputOf[size_t(v)] < 0 && plan->memory.offsets[size_t(v)] < 0) {
                shapes[size_t(v)] = actual;  // its dynamic buffer is its place
                continue;
            }
            KILN_RETURN_IF_ERROR(place(v, actual).withContext(layerName(n) + ": "));
            KILN_RETURN_IF_ERROR(copy(ptrs[size_t(v)], staged, bytesOf(v), cudaMemcpyDeviceToDevice));
        }
    }
    return readBack(n.outputs);
}

}  // namespace kiln::cuda
