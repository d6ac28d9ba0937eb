#include "engine_core.h"

#include "ir/op_schema.h"

namespace kiln::runtime {

namespace {

// Output shapes for the given input shapes by shape inference alone; false
// when a shape depends on computed values.
bool inferOutputShapes(const ir::Graph& g, const std::vector<ir::Shape>& inputs, std::vector<ir::Shape>& outs) {
    std::vector<ir::Shape> shapes(g.values.size());
    for (size_t v = 0; v < g.values.size(); ++v)
        if (g.values[v].isConstant()) shapes[v] = g.values[v].shape;
    for (size_t i = 0; i < g.inputs.size() && i < inputs.size(); ++i) shapes[size_t(g.inputs[i])] = inputs[i];
    std::vector<ir::TensorDesc> in, out;
    for (const auto& n : g.nodes) {
        in.clear();
        for (int v : n.inputs) {
            if (v < 0) {
                in.push_back({});
                continue;
            }
            const auto& val = g.values[size_t(v)];
            in.push_back({val.dtype, shapes[size_t(v)], val.data ? val.data->data() : nullptr});
        }
        if (!ir::inferNode(n, in, out).ok()) return false;
        for (size_t i = 0; i < n.outputs.size(); ++i) shapes[size_t(n.outputs[i])] = out[i].shape;
    }
    outs.clear();
    for (int v : g.outputs) outs.push_back(shapes[size_t(v)]);
    return true;
}

}  // namespace

Status EngineCore::create(engine::Plan plan, std::shared_ptr<const EngineCore>& out) {
    auto core = std::make_shared<EngineCore>();
    core->plan_ = std::move(plan);
    const ir::Graph& g = core->plan_.graph;
    if (core->plan_.backend != engine::Backend::kCPU)
        return Status::Error(std::string("the engine was built for the ") + engine::backendName(core->plan_.backend) +
                             " backend, which this kiln runtime does not provide");
    for (int v : g.inputs) core->bindings_.push_back({g.values[size_t(v)].name, v, true});
    for (int v : g.outputs) core->bindings_.push_back({g.values[size_t(v)].name, v, false});
    if (core->plan_.memory.offsets.size() != g.values.size())
        return Status::Error("the engine's memory plan does not match its graph");
    if (core->plan_.profiles.empty() || core->plan_.profiles[0].max.size() != g.inputs.size())
        return Status::Error("the engine's optimization profile does not match its inputs");
    for (const auto& n : g.nodes) {
        const cpu::Tactic* t = cpu::findCpuTactic(n.op, n.tactic);
        if (!t)
            return Status::Error("layer '" + n.name + "' uses tactic '" + n.tactic + "' for " + n.op +
                                 ", which this kiln build does not have; rebuild the engine");
        std::vector<ir::TensorDesc> in, outs;
        for (int v : n.inputs) {
            if (v < 0) {
                in.push_back({});
                continue;
            }
            const auto& val = g.values[size_t(v)];
            in.push_back({val.dtype, val.shape, val.data ? val.data->data() : nullptr});
        }
        for (int v : n.outputs) outs.push_back({g.values[size_t(v)].dtype, g.values[size_t(v)].shape, nullptr});
        std::unique_ptr<cpu::Kernel> k;
        KILN_RETURN_IF_ERROR(t->create(n, in, outs, k).withContext("layer '" + n.name + "': "));
        core->kernels_.push_back(std::move(k));
    }
    // An output dimension is dynamic (-1) when it differs across the profile.
    const auto& prof = core->plan_.profiles[0];
    for (int v : g.outputs) core->outputShapes_.push_back(g.values[size_t(v)].shape);
    std::vector<ir::Shape> lo, mid, hi;
    if (inferOutputShapes(g, prof.min, lo) && inferOutputShapes(g, prof.opt, mid) && inferOutputShapes(g, prof.max, hi)) {
        for (size_t o = 0; o < core->outputShapes_.size(); ++o) {
            ir::Shape& s = core->outputShapes_[o];
            for (size_t d = 0; d < s.size(); ++d) {
                const bool same = d < lo[o].size() && d < mid[o].size() && d < hi[o].size() && lo[o][d] == s[d] &&
                                  mid[o][d] == s[d] && hi[o][d] == s[d];
                if (!same) s[d] = -1;
            }
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
