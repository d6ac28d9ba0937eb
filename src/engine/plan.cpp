#include "plan.h"

#include <string>

#include "format.h"

namespace kiln::engine {

const char* backendName(Backend b) {
    switch (b) {
        case Backend::kCPU: return "cpu";
        case Backend::kCUDA: return "cuda";
    }
    return "unknown";
}

namespace {

Status checkShape(const ir::Shape& s, const std::string& what) {
    if (s.size() > size_t(ir::kMaxRank))
        return Status::Error(what + " has rank " + std::to_string(s.size()) + " (at most " +
                             std::to_string(ir::kMaxRank) + ")");
    for (int64_t d : s)
        if (d < -1) return Status::Error(what + " has dimension " + std::to_string(d) + " (must be >= -1)");
    return Status::Ok();
}

// dtype size x volume, refusing unknown dims and overflow (hostile shapes).
Status constantBytes(const ir::Value& v, uint64_t& bytes) {
    uint64_t n = ir::dtypeSize(v.dtype);
    for (int64_t d : v.shape) {
        if (d < 0) return Status::Error("constant '" + v.name + "' has an unknown dimension");
        if (__builtin_mul_overflow(n, uint64_t(d), &n))
            return Status::Error("constant '" + v.name + "' is too large");
    }
    bytes = n;
    return Status::Ok();
}

Status checkValues(const ir::Graph& g) {
    for (const auto& v : g.values) {
        const std::string what = "tensor '" + v.name + "'";
        if (!ir::dtypeValid(int(v.dtype)))
            return Status::Error(what + " has invalid dtype " + std::to_string(int(v.dtype)));
        KILN_RETURN_IF_ERROR(checkShape(v.shape, what));
        if (!v.isConstant()) continue;
        uint64_t bytes = 0;
        KILN_RETURN_IF_ERROR(constantBytes(v, bytes));
        if (bytes != v.data->size())
            return Status::Error("constant '" + v.name + "' holds " + std::to_string(v.data->size()) +
                                 " bytes but its dtype and shape " + ir::shapeToString(v.shape) + " need " +
                                 std::to_string(bytes));
    }
    return Status::Ok();
}

// Graph::validate tolerates ids below -1 in node inputs; the runtime does not.
Status checkNodes(const ir::Graph& g) {
    const int nv = int(g.values.size());
    for (const auto& n : g.nodes) {
        for (int v : n.inputs)
            if (v < -1 || v >= nv) return Status::Error("node '" + n.name + "' has an input id out of range");
        for (int v : n.outputs)
            if (v < 0 || v >= nv) return Status::Error("node '" + n.name + "' has an output id out of range");
        if (n.precision != -1 && !ir::dtypeValid(n.precision))
            return Status::Error("node '" + n.name + "' has invalid precision " + std::to_string(n.precision));
    }
    return g.validate();
}

Status checkProfiles(const Plan& plan) {
    const size_t numInputs = plan.graph.inputs.size();
    if (plan.profiles.size() != 1)
        return Status::Error("a compiled plan must hold exactly one optimization profile, not " +
                             std::to_string(plan.profiles.size()));
    for (size_t p = 0; p < plan.profiles.size(); ++p) {
        const Profile& prof = plan.profiles[p];
        const std::string what = "profile " + std::to_string(p);
        if (prof.min.size() != numInputs || prof.opt.size() != numInputs || prof.max.size() != numInputs)
            return Status::Error(what + " does not have one shape per network input");
        for (size_t i = 0; i < numInputs; ++i) {
            const std::string in = what + " input " + std::to_string(i);
            KILN_RETURN_IF_ERROR(checkShape(prof.min[i], in + " min"));
            KILN_RETURN_IF_ERROR(checkShape(prof.opt[i], in + " opt"));
            KILN_RETURN_IF_ERROR(checkShape(prof.max[i], in + " max"));
            if (prof.min[i].size() != prof.opt[i].size() || prof.opt[i].size() != prof.max[i].size())
                return Status::Error(in + " has min/opt/max of different ranks");
            for (size_t d = 0; d < prof.min[i].size(); ++d) {
                const int64_t lo = prof.min[i][d], mid = prof.opt[i][d], hi = prof.max[i][d];
                if (lo >= 0 && mid >= 0 && hi >= 0 && !(lo <= mid && mid <= hi))
                    return Status::Error(in + " does not satisfy min <= opt <= max");
                // enqueue(batchSize) runs the opt shape with only the batch
                // replaced, and callers size buffers from the binding's dims:
                // a range on another dimension (which the builder never makes)
                // would have the kernels read past the caller's buffers.
                if (plan.implicitBatch && d > 0 && (lo != hi || mid != hi))
                    return Status::Error(in + " varies in dimension " + std::to_string(d) +
                                         ", which an implicit-batch engine fixes");
            }
        }
    }
    return Status::Ok();
}

Status checkMemory(const Plan& plan) {
    const MemoryPlan& m = plan.memory;
    if (m.offsets.size() != plan.graph.values.size())
        return Status::Error("the memory plan has " + std::to_string(m.offsets.size()) + " offsets for " +
                             std::to_string(plan.graph.values.size()) + " tensors");
    for (size_t i = 0; i < m.offsets.size(); ++i) {
        const int64_t o = m.offsets[i];
        if (o < -1 || (o >= 0 && uint64_t(o) > m.arenaBytes))
            return Status::Error("the memory plan puts tensor '" + plan.graph.values[i].name + "' at offset " +
                                 std::to_string(o) + ", outside the " + std::to_string(m.arenaBytes) +
                                 "-byte arena");
    }
    return Status::Ok();
}

// I/O tensor names, dtypes and ranks; the bindings of an engine come from its first plan.
Status checkSameIO(const Plan& a, const Plan& b, const std::string& what) {
    const ir::Graph &ga = a.graph, &gb = b.graph;
    if (ga.inputs.size() != gb.inputs.size() || ga.outputs.size() != gb.outputs.size())
        return Status::Error(what + " has a different number of inputs or outputs than profile 0");
    auto same = [&](int va, int vb) {
        const ir::Value &x = ga.values[size_t(va)], &y = gb.values[size_t(vb)];
        return x.name == y.name && x.dtype == y.dtype && x.shape.size() == y.shape.size();
    };
    for (size_t i = 0; i < ga.inputs.size(); ++i)
        if (!same(ga.inputs[i], gb.inputs[i]))
            return Status::Error(what + " input " + std::to_string(i) + " differs from profile 0's (name, type or rank)");
    for (size_t i = 0; i < ga.outputs.size(); ++i)
        if (!same(ga.outputs[i], gb.outputs[i]))
            return Status::Error(what + " output " + std::to_string(i) +
                                 " differs from profile 0's (name, type or rank)");
    return Status::Ok();
}

}  // namespace

Status validatePlans(const Plans& plans) {
    if (plans.empty()) return Status::Error("the engine has no optimization profile");
    for (size_t k = 0; k < plans.size(); ++k) {
        const std::string what = "profile " + std::to_string(k);
        KILN_RETURN_IF_ERROR(validatePlan(plans[k]).withContext(plans.size() > 1 ? what + ": " : ""));
        if (k == 0) continue;
        const Plan &a = plans[0], &b = plans[k];
        if (a.backend != b.backend || a.producer != b.producer || a.deviceFingerprint != b.deviceFingerprint ||
            a.buildInfo != b.buildInfo || a.implicitBatch != b.implicitBatch || a.maxBatchSize != b.maxBatchSize)
            return Status::Error(what + " was built with other settings than profile 0");
        KILN_RETURN_IF_ERROR(checkSameIO(a, b, what));
    }
    return Status::Ok();
}

Status validatePlan(const Plan& plan) {
    if (plan.backend != Backend::kCPU && plan.backend != Backend::kCUDA)
        return Status::Error("unknown backend " + std::to_string(uint32_t(plan.backend)));
    if (plan.maxBatchSize < 1)
        return Status::Error("maxBatchSize is " + std::to_string(plan.maxBatchSize) + " (must be >= 1)");
    KILN_RETURN_IF_ERROR(checkValues(plan.graph));
    KILN_RETURN_IF_ERROR(checkNodes(plan.graph));
    KILN_RETURN_IF_ERROR(checkProfiles(plan));
    return checkMemory(plan);
}

}  // namespace kiln::engine
