#include "engine_core.h"

#include <algorithm>

#include "backends/cpu/shape_eval.h"
#include "ir/op_schema.h"
#include "ir/views.h"
#ifdef KILN_HAVE_CUDA
#include "cuda/cuda_engine.h"
#endif

namespace kiln::runtime {

namespace {

// Output shapes for the given input shapes (-1 where they depend on computed values).
std::vector<ir::Shape> inferOutputShapes(const ir::Graph& g, const std::vector<ir::Shape>& inputs) {
    const std::vector<ir::Shape> shapes = cpu::inferWithHostValues(g, inputs);
    std::vector<ir::Shape> outs;
    for (int v : g.outputs) outs.push_back(shapes[size_t(v)]);
    return outs;
}

// Whether a recorded shape agrees with the one inference gives: the same, or
// known where inference needs a shape tensor's values (the builder evaluated
// them at the max shapes; a run whose tensor outgrows it is refused).
bool agrees(const ir::Shape& inferred, const ir::Shape& recorded) {
    if (inferred.size() != recorded.size()) return false;
    for (size_t d = 0; d < inferred.size(); ++d)
        if (inferred[d] != recorded[d] && !(inferred[d] < 0 && recorded[d] >= 0)) return false;
    return true;
}

// A plan read from a file has passed the format's checks, but its tensor shapes
// and memory plan are taken from the file; the kernels and the arena are sized
// from them. Check they agree with the ops before preparing anything, so that a
// corrupted file (with a forged checksum) cannot make us allocate or write out
// of bounds.
Status checkConsistency(const engine::Plan& plan, const ir::Schedule& sched) {
    const ir::Graph& g = plan.graph;
    const auto& maxShapes = plan.profiles[0].max;
    for (size_t i = 0; i < g.inputs.size(); ++i) {
        const ir::Value& v = g.values[size_t(g.inputs[i])];
        if (v.shape != maxShapes[i])
            return Status::Error("input '" + v.name + "' has shape " + ir::shapeToString(v.shape) +
                                 " but its profile maximum is " + ir::shapeToString(maxShapes[i]));
    }
    std::vector<ir::TensorDesc> out;
    for (const auto& n : g.nodes) {
        if (!ir::inferNode(n, ir::describeInputs(g, n), out).ok()) continue;  // shapes that depend on computed values
        for (size_t i = 0; i < n.outputs.size(); ++i) {
            const ir::Value& val = g.values[size_t(n.outputs[i])];
            if (!agrees(out[i].shape, val.shape) || out[i].dtype != val.dtype)
                return Status::Error("layer '" + n.name + "' output '" + val.name + "' is recorded as " +
                                     std::string(ir::dtypeName(val.dtype)) + ir::shapeToString(val.shape) +
                                     " but the layer computes " + std::string(ir::dtypeName(out[i].dtype)) +
                                     ir::shapeToString(out[i].shape));
        }
    }
    // Every intermediate tensor has an arena slot that holds it; the arena is no
    // larger than all its tensors side by side (what the planner can need at most).
    uint64_t total = 0;
    const auto& offsets = plan.memory.offsets;
    // Lifetimes as the memory planner computes them (src/builder/memory_planner.cpp):
    // positions in the execution order, from the producer to the last reader.
    std::vector<int> lastUse(g.values.size(), -1);
    for (size_t i = 0; i < g.nodes.size(); ++i)
        for (int v : g.nodes[i].inputs)
            if (v >= 0)
                lastUse[size_t(v)] =
                    std::max(lastUse[size_t(v)], sched.loopEnd[i] >= 0 ? sched.loopEnd[i] : sched.position[i]);
    // A reshape that moves no data shares its source's slot (ir/views.h), which
    // then lives until the last reader of either.
    const std::vector<ir::ArenaView> view = ir::arenaViews(g, sched, engine::fixedShapes(plan.profiles));
    for (size_t v = 0; v < view.size(); ++v)
        if (const int src = view[v].source; src >= 0)
            lastUse[size_t(src)] =
                std::max({lastUse[size_t(src)], lastUse[v], sched.position[size_t(g.values[v].producer)]});
    struct Slot {
        int value, first, last;
        uint64_t offset, bytes;
    };
    std::vector<Slot> slots;
    for (const auto& n : g.nodes) {
        for (int v : n.outputs) {
            const ir::Value& val = g.values[size_t(v)];
            if (g.isGraphOutput(v) || val.isConstant()) continue;
            const int64_t off = offsets[size_t(v)];
            if (const ir::ArenaView& w = view[size_t(v)]; w.source >= 0) {
                if (off != offsets[size_t(w.source)] + w.offset)
                    return Status::Error("the memory plan gives tensor '" + val.name +
                                         "', a view that moves no data, a place apart from its source's");
                continue;
            }
            if (!ir::isStatic(val.shape) || sched.inLoop[size_t(val.producer)]) {
                // A data-dependent shape or a loop's value: allocated at run time, never in the arena.
                if (off != -1)
                    return Status::Error("the memory plan gives tensor '" + val.name + "' (" +
                                         ir::shapeToString(val.shape) +
                                         ", data-dependent or inside a loop) an arena slot");
                continue;
            }
            // The planner places every slot at a multiple of 64 bytes; kernels
            // rely on their elements' alignment (a forged odd offset made the
            // CPU MatMul store misaligned floats).
            if (off > 0 && off % 64 != 0)
                return Status::Error("the memory plan puts tensor '" + val.name + "' at offset " + std::to_string(off) +
                                     ", not a multiple of 64 bytes");
            uint64_t bytes = ir::dtypeSize(val.dtype);
            bool ok = off >= 0;
            for (int64_t d : val.shape) ok = ok && d >= 0 && !__builtin_mul_overflow(bytes, uint64_t(d), &bytes);
            bytes = std::max<uint64_t>(bytes, 1);
            ok = ok && !__builtin_add_overflow(bytes, uint64_t(63), &bytes);
            bytes = bytes / 64 * 64;
            ok = ok && uint64_t(off) <= plan.memory.arenaBytes && bytes <= plan.memory.arenaBytes - uint64_t(off) &&
                 !__builtin_add_overflow(total, bytes, &total);
            if (!ok)
                return Status::Error("the memory plan gives tensor '" + val.name + "' " + ir::shapeToString(val.shape) +
                                     " no room in the " + std::to_string(plan.memory.arenaBytes) + "-byte arena");
            const int at = sched.position[size_t(val.producer)];
            slots.push_back({v, at, std::max(at, lastUse[size_t(v)]), uint64_t(off), bytes});
        }
    }
    // Tensors alive at the same time must not share bytes (the planner never
    // places them so): a forged plan could make a kernel read what it is
    // writing, or overwrite a tensor still to be read.
    for (size_t a = 0; a < slots.size(); ++a)
        for (size_t b = a + 1; b < slots.size(); ++b) {
            const Slot &x = slots[a], &y = slots[b];
            if (x.first <= y.last && y.first <= x.last && x.offset < y.offset + y.bytes &&
                y.offset < x.offset + x.bytes)
                return Status::Error("the memory plan places tensors '" + g.values[size_t(x.value)].name + "' and '" +
                                     g.values[size_t(y.value)].name +
                                     "', alive at the same time, in overlapping bytes");
        }
    if (plan.memory.arenaBytes > total)
        return Status::Error("the memory plan's arena (" + std::to_string(plan.memory.arenaBytes) +
                             " bytes) is larger than all its tensors together (" + std::to_string(total) + " bytes)");
    return Status::Ok();
}

}  // namespace

Status EngineCore::create(engine::Plan plan, std::shared_ptr<const EngineCore>& out, IGpuAllocator* allocator,
                          int profileIndex) {
    auto core = std::make_shared<EngineCore>();
    core->plan_ = std::move(plan);
    core->profileIndex_ = profileIndex;
    const ir::Graph& g = core->plan_.graph;
    const bool onCuda = core->plan_.backend == engine::Backend::kCUDA;
#ifdef KILN_HAVE_CUDA
    const bool supported = core->plan_.backend == engine::Backend::kCPU || onCuda;
#else
    const bool supported = core->plan_.backend == engine::Backend::kCPU;
#endif
    if (!supported)
        return Status::Error(std::string("the engine was built for the ") + engine::backendName(core->plan_.backend) +
                             " backend, which this kiln runtime does not provide");
    for (int v : g.inputs) core->bindings_.push_back({g.values[size_t(v)].name, v, true});
    for (int v : g.outputs) core->bindings_.push_back({g.values[size_t(v)].name, v, false});
    if (core->plan_.memory.offsets.size() != g.values.size())
        return Status::Error("the engine's memory plan does not match its graph");
    if (core->plan_.profiles.empty() || core->plan_.profiles[0].max.size() != g.inputs.size())
        return Status::Error("the engine's optimization profile does not match its inputs");
    KILN_RETURN_IF_ERROR(ir::buildSchedule(g, core->schedule_).withContext("the engine is inconsistent: "));
    KILN_RETURN_IF_ERROR(checkConsistency(core->plan_, core->schedule_).withContext("the engine is inconsistent: "));
    size_t workspace = 0;
#ifdef KILN_HAVE_CUDA
    if (onCuda) {
        KILN_RETURN_IF_ERROR(cuda::EngineState::create(core->plan_, allocator, core->cuda_));
        workspace = core->cuda_->workspaceBytes();
    }
#endif
    for (const auto& n : g.nodes) {
        if (onCuda) break;  // the CUDA state holds this engine's kernels
        if (ir::isLoopBoundaryOp(n.op)) {
            if (n.tactic != "control")
                return Status::Error("loop layer '" + n.name + "' has tactic '" + n.tactic + "'; rebuild the engine");
            core->kernels_.push_back(nullptr);  // the executor runs loops itself
            continue;
        }
        const cpu::Tactic* t = cpu::findCpuTactic(n.op, n.tactic);
        if (!t)
            return Status::Error("layer '" + n.name + "' uses tactic '" + n.tactic + "' for " + n.op +
                                 ", which this kiln build does not have; rebuild the engine");
        const std::vector<ir::TensorDesc> in = ir::describeInputs(g, n), outs = ir::describeOutputs(g, n);
        // Kernels index their inputs and outputs as the op's schema allows, so
        // a file's counts must fit it (shape inference may fail for other reasons).
        const ir::OpSchema* schema = ir::findOpSchema(n.op);
        if (!schema || int(in.size()) < schema->minInputs ||
            (schema->maxInputs >= 0 && int(in.size()) > schema->maxInputs) || int(outs.size()) < schema->minOutputs ||
            int(outs.size()) > schema->maxOutputs)
            return Status::Error("layer '" + n.name + "' (" + n.op + ") has " + std::to_string(in.size()) +
                                 " inputs and " + std::to_string(outs.size()) +
                                 " outputs, which the op does not take; rebuild the engine");
        // The builder's own criterion, for a layer it could infer: a file may name
        // a tactic for a layer it cannot run (attributes, dtypes or ranks the
        // kernel does not handle). Supports functions, like the builder, assume
        // a layer whose shapes infer.
        std::vector<ir::TensorDesc> inferred;
        if (ir::inferNode(n, in, inferred).ok() && !t->supports(n, in, outs))
            return Status::Error("layer '" + n.name + "' (" + n.op + ") is not supported by its tactic '" + n.tactic +
                                 "' as the engine records it; rebuild the engine");
        if (t->workspace) workspace = std::max(workspace, t->workspace(n, in, outs));
        std::unique_ptr<cpu::Kernel> k;
        KILN_RETURN_IF_ERROR(t->create(n, in, outs, k).withContext("layer '" + n.name + "': "));
        core->kernels_.push_back(std::move(k));
    }
    // The scratch the kernels need on this machine (the file's figure is only a
    // record: trusting it could under-size the workspace or allocate without bound).
    core->workspaceBytes_ = workspace;
    // An output dimension is dynamic (-1) when it differs across the profile.
    const auto& prof = core->plan_.profiles[0];
    for (int v : g.outputs) core->outputShapes_.push_back(g.values[size_t(v)].shape);
    const auto lo = inferOutputShapes(g, prof.min), mid = inferOutputShapes(g, prof.opt),
               hi = inferOutputShapes(g, prof.max);
    for (size_t o = 0; o < core->outputShapes_.size(); ++o) {
        ir::Shape& s = core->outputShapes_[o];
        for (size_t d = 0; d < s.size(); ++d) {
            const bool same = d < lo[o].size() && d < mid[o].size() && d < hi[o].size() && lo[o][d] == s[d] &&
                              mid[o][d] == s[d] && hi[o][d] == s[d];
            if (!same) s[d] = -1;
        }
    }
    out = std::move(core);
    return Status::Ok();
}

int EngineCore::bindingIndex(const std::string& name) const {
    for (size_t i = 0; i < bindings_.size(); ++i)
        if (bindings_[i].name == name) return int(i);
    return -1;
}

ir::Shape EngineCore::declaredShape(int b) const {
    const auto& bind = bindings_[size_t(b)];
    ir::Shape s = bind.isInput ? plan_.graph.values[size_t(bind.value)].shape : outputShapes_[size_t(b - nbInputs())];
    if (bind.isInput) {
        const auto& p = plan_.profiles[0];
        for (size_t d = 0; d < s.size(); ++d)
            if (p.min[size_t(b)][d] != p.max[size_t(b)][d]) s[d] = -1;
    } else if (plan_.implicitBatch && !s.empty()) {
        s[0] = -1;
    }
    return s;
}

}  // namespace kiln::runtime
