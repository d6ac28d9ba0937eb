#include "engine_core.h"

namespace kiln::runtime {

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
    ir::Shape s = plan_.graph.values[size_t(bind.value)].shape;
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
