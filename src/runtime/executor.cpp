#include "executor.h"

#include <chrono>
#include <cstring>

#include "backends/cpu/shape_eval.h"
#include "ir/op_schema.h"

namespace kiln::runtime {

Executor::Executor(std::shared_ptr<const EngineCore> core, int threads)
    : Executor(std::move(core), std::make_shared<cpu::ThreadPool>(threads)) {}

Executor::Executor(std::shared_ptr<const EngineCore> core, std::shared_ptr<cpu::ThreadPool> pool)
    : core_(std::move(core)), pool_(std::move(pool)) {
    // 64 bytes of slack keep every arena offset 64-byte aligned below.
    // CUDA engines keep their activations on the device (runtime/cuda).
    if (core_->plan().backend != engine::Backend::kCPU) return;
    arena_.resize(size_t(core_->plan().memory.arenaBytes) + 64);
    workspace_.resize(core_->workspaceBytes() + 64);
}

Status Executor::checkInputShape(int i, const ir::Shape& s) const {
    const auto& p = core_->plan().profiles[0];
    const auto& name = core_->bindings()[size_t(i)].name;
    const auto& mn = p.min[size_t(i)];
    const auto& mx = p.max[size_t(i)];
    if (s.size() != mx.size())
        return Status::Error("input '" + name + "' has rank " + std::to_string(s.size()) + ", the engine expects " +
                             std::to_string(mx.size()));
    for (size_t d = 0; d < s.size(); ++d) {
        if (s[d] < mn[d] || s[d] > mx[d])
            return Status::Error("input '" + name + "' shape " + ir::shapeToString(s) +
                                 " is outside optimization profile " + std::to_string(core_->profileIndex()) +
                                 " (min " + ir::shapeToString(mn) + ", max " + ir::shapeToString(mx) + "): dimension " +
                                 std::to_string(d) + " must lie in [" + std::to_string(mn[d]) + ", " +
                                 std::to_string(mx[d]) + "]");
    }
    return Status::Ok();
}

namespace {
uint8_t* aligned(std::vector<uint8_t>& buf) {
    auto p = reinterpret_cast<uintptr_t>(buf.data());
    return buf.data() + ((64 - p % 64) % 64);
}
}  // namespace

Status Executor::run(const std::vector<void*>& io, const std::vector<ir::Shape>& inputShapes,
                     const std::vector<bool>& allocated, const OutputAllocFn& alloc) {
    const engine::Plan& plan = core_->plan();
    const ir::Graph& g = plan.graph;
    const int nIn = core_->nbInputs();
    allocated_.assign(g.outputs.size(), false);
    for (size_t o = 0; o < g.outputs.size() && alloc; ++o) allocated_[o] = o < allocated.size() && allocated[o];
    alloc_ = &alloc;
    for (size_t o = 0; o < g.outputs.size(); ++o) {
        const ir::Value& val = g.values[size_t(g.outputs[o])];
        if (!ir::isStatic(val.shape) && !allocated_[o])
            return Status::Error("output '" + val.name + "' has a data-dependent shape " +
                                 ir::shapeToString(val.shape) + ": give it an IOutputAllocator (setOutputAllocator)");
    }
    shapes_.assign(g.values.size(), {});
    ptrs_.assign(g.values.size(), nullptr);
    if (profiling_) layerMs_.assign(g.nodes.size(), -1.0f);
    dynamic_.resize(g.values.size());
    uint8_t* arena = aligned(arena_);
    for (size_t v = 0; v < g.values.size(); ++v) {
        const ir::Value& val = g.values[v];
        if (val.isConstant()) {
            shapes_[v] = val.shape;
            ptrs_[v] = const_cast<uint8_t*>(val.data->data());
        } else if (plan.memory.offsets[v] >= 0) {
            ptrs_[v] = arena + plan.memory.offsets[v];
        }
    }
    for (int i = 0; i < nIn; ++i) {
        KILN_RETURN_IF_ERROR(checkInputShape(i, inputShapes[size_t(i)]));
        const int v = g.inputs[size_t(i)];
        shapes_[size_t(v)] = inputShapes[size_t(i)];
        ptrs_[size_t(v)] = io[size_t(i)];
    }
    outputOf_.assign(g.values.size(), -1);
    for (size_t o = 0; o < g.outputs.size(); ++o) {
        const int v = g.outputs[o];
        outputOf_[size_t(v)] = int(o);
        if (g.values[size_t(v)].producer >= 0 && !allocated_[o]) ptrs_[size_t(v)] = io[size_t(nIn) + o];
    }
    workspacePtr_ = aligned(workspace_);
    KILN_RETURN_IF_ERROR(runItems(core_->schedule().items));
    // Outputs that no layer produces (an input or a constant marked as output).
    for (size_t o = 0; o < g.outputs.size(); ++o) {
        const int v = g.outputs[o];
        if (g.values[size_t(v)].producer >= 0) continue;
        const size_t bytes = size_t(ir::volume(shapes_[size_t(v)])) * ir::dtypeSize(g.values[size_t(v)].dtype);
        const void* src = ptrs_[size_t(v)];
        void* dst = io[size_t(nIn) + o];
        if (allocated_[o]) {
            KILN_RETURN_IF_ERROR(place(v, shapes_[size_t(v)], g.values[size_t(v)].dtype));
            dst = ptrs_[size_t(v)];
        }
        if (dst != src && bytes) std::memmove(dst, src, bytes);  // an empty tensor may have no buffer
    }
    outputShapes_.clear();
    for (int v : g.outputs) outputShapes_.push_back(shapes_[size_t(v)]);
    return Status::Ok();
}

Status Executor::runItems(const std::vector<ir::ScheduleItem>& items) {
    for (const ir::ScheduleItem& item : items) KILN_RETURN_IF_ERROR(runItem(item));
    return Status::Ok();
}

Status Executor::runItem(const ir::ScheduleItem& item) {
    switch (item.kind) {
        case ir::ScheduleItem::Kind::kNode:
            return runNode(item.node);
        case ir::ScheduleItem::Kind::kLoop:
            return runLoop(item);
        case ir::ScheduleItem::Kind::kIf: {
            // Only the branch the condition picks runs.
            const auto* c = static_cast<const uint8_t*>(ptrs_[size_t(item.condition)]);
            return runItems(*c ? item.body : item.other);
        }
    }
    return Status::Ok();
}

void* Executor::dynamicBuffer(int v, size_t bytes) {
    std::vector<uint8_t>& buf = dynamic_[size_t(v)];
    if (buf.size() < bytes + 64) buf.resize(bytes + 64);
    return aligned(buf);
}

Status Executor::place(int v, const ir::Shape& s, ir::DType t) {
    const ir::Graph& g = core_->plan().graph;
    const ir::Value& val = g.values[size_t(v)];
    const int64_t count = ir::volume(s);
    if (count < 0) return Status::Error("tensor '" + val.name + "' has no concrete shape " + ir::shapeToString(s));
    size_t bytes = 0;  // a saturated count (volume() at int64's limit) must not wrap to a small buffer
    if (__builtin_mul_overflow(size_t(count), ir::dtypeSize(t), &bytes))
        return Status::Error("tensor '" + val.name + "' of shape " + ir::shapeToString(s) +
                             " overflows the address space");
    const int o = outputOf_[size_t(v)];
    if (o >= 0 && allocated_[size_t(o)]) {
        void* p = (*alloc_)(size_t(o), s, std::max<size_t>(bytes, 1));
        if (!p) return Status::Error("the output allocator gave no memory for output '" + val.name + "'");
        // Kernels need element alignment (64 bytes is what the allocator is asked for).
        if (reinterpret_cast<uintptr_t>(p) % ir::dtypeSize(t) != 0)
            return Status::Error("the output allocator's buffer for '" + val.name + "' is misaligned");
        ptrs_[size_t(v)] = p;
    } else if (o < 0 && core_->plan().memory.offsets[size_t(v)] < 0) {
        ptrs_[size_t(v)] = dynamicBuffer(v, bytes);  // data-dependent size, or a loop's value
    } else if (count > ir::volume(val.shape)) {
        // The arena slot (or the caller's buffer) was sized for the engine's maximum shapes.
        return Status::Error("tensor '" + val.name + "' of shape " + ir::shapeToString(s) +
                             " exceeds the engine's maximum " + ir::shapeToString(val.shape));
    }
    shapes_[size_t(v)] = s;
    return Status::Ok();
}

Status Executor::runNode(int ni) {
    const ir::Graph& g = core_->plan().graph;
    const ir::Node& n = g.nodes[size_t(ni)];
    const cpu::Kernel* kernel = core_->kernel(size_t(ni));
    if (!kernel) return Status::Error("layer '" + n.name + "' (" + n.op + ") runs outside its loop");
    std::vector<ir::TensorDesc> in, out;
    std::vector<cpu::HostTensor> hin, hout;
    for (int v : n.inputs) {
        if (v < 0) {
            in.push_back({});
            hin.push_back({});
            continue;
        }
        const ir::DType t = g.values[size_t(v)].dtype;
        in.push_back({t, shapes_[size_t(v)], ptrs_[size_t(v)]});
        hin.push_back({ptrs_[size_t(v)], t, shapes_[size_t(v)]});
    }
    KILN_RETURN_IF_ERROR(ir::inferNode(n, in, out));
    for (size_t i = 0; i < n.outputs.size(); ++i) {
        const int v = n.outputs[i];
        KILN_RETURN_IF_ERROR(place(v, out[i].shape, out[i].dtype).withContext("layer '" + n.name + "': "));
        hout.push_back({ptrs_[size_t(v)], out[i].dtype, out[i].shape});
    }
    cpu::KernelArgs args{n, hin, hout, *pool_, workspacePtr_, core_->workspaceBytes()};
    if (!profiling_) return kernel->run(args).withContext("layer '" + n.name + "' (" + n.op + "): ");
    const auto t0 = std::chrono::steady_clock::now();
    const Status st = kernel->run(args);
    const float ms = std::chrono::duration<float, std::milli>(std::chrono::steady_clock::now() - t0).count();
    float& slot = layerMs_[size_t(ni)];
    slot = slot < 0 ? ms : slot + ms;  // loop bodies run once per iteration
    return st.withContext("layer '" + n.name + "' (" + n.op + "): ");
}

Status Executor::inferOutputShapes(const std::vector<ir::Shape>& inputShapes, std::vector<ir::Shape>& outputShapes) {
    const ir::Graph& g = core_->plan().graph;
    for (size_t i = 0; i < g.inputs.size(); ++i) KILN_RETURN_IF_ERROR(checkInputShape(int(i), inputShapes[i]));
    const std::vector<ir::Shape> shapes = cpu::inferWithHostValues(g, inputShapes);
    outputShapes.clear();
    for (int v : g.outputs) {
        // Extents the build found data-dependent stay unknown whatever this pass
        // inferred (a loop's state, say, inferred here from its initial value).
        ir::Shape s = shapes[size_t(v)];
        const ir::Shape& built = g.values[size_t(v)].shape;
        for (size_t d = 0; d < s.size() && d < built.size(); ++d)
            if (built[d] < 0) s[d] = -1;
        outputShapes.push_back(std::move(s));
    }
    return Status::Ok();
}

}  // namespace kiln::runtime
