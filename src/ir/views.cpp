#include "views.h"

#include "op_schema.h"
#include "ops/data_movement.h"

namespace kiln::ir {
namespace {

// An intermediate with an arena slot: made by a layer outside any loop, static.
bool inArena(const Graph& g, const Schedule& sched, int v) {
    const Value& val = g.values[size_t(v)];
    return !val.isConstant() && val.producer >= 0 && !sched.inLoop[size_t(val.producer)] && !g.isGraphOutput(v) &&
           isStatic(val.shape);
}

}  // namespace

int64_t gatherSliceOffset(const Node& n, const std::vector<TensorDesc>& in) {
    if (n.op != "Gather" || in.size() != 2 || n.attrs.getString("mode", "default") != "default") return -1;
    const TensorDesc &x = in[0], &idx = in[1];
    if (x.shape.empty() || !isStatic(x.shape) || x.shape[0] <= 0 || !idx.data || volume(idx.shape) != 1) return -1;
    int64_t axis = n.attrs.getInt("axis", 0);
    if (!normalizeAxis(axis, int64_t(x.shape.size())) || axis != 0) return -1;
    std::vector<int64_t> i;
    if (!movement::readIntTensor(idx, 1, i).ok() || i.size() != 1) return -1;
    if (i[0] < 0) i[0] += x.shape[0];
    if (i[0] < 0 || i[0] >= x.shape[0]) return -1;
    return i[0] * (volume(x.shape) / x.shape[0]) * int64_t(dtypeSize(x.dtype));
}

std::vector<ArenaView> arenaViews(const Graph& g, const Schedule& sched, bool fixedShapes) {
    std::vector<ArenaView> direct(g.values.size());
    for (const Node& n : g.nodes) {
        if (n.dead || n.inputs.empty() || n.inputs[0] < 0 || n.outputs.size() != 1) continue;
        if (n.op != "Shuffle" && !(fixedShapes && n.op == "Gather")) continue;
        const int x = n.inputs[0], y = n.outputs[0];
        if (!inArena(g, sched, x) || !inArena(g, sched, y)) continue;
        const Value &xv = g.values[size_t(x)], &yv = g.values[size_t(y)];
        if (xv.dtype != yv.dtype) continue;
        if (n.op == "Gather") {
            const int64_t off = gatherSliceOffset(n, describeInputs(g, n));
            if (off < 0 || off % 64 != 0 || volume(yv.shape) != volume(xv.shape) / xv.shape[0]) continue;
            direct[size_t(y)] = {x, off};
            continue;
        }
        if (volume(xv.shape) != volume(yv.shape)) continue;
        movement::ShuffleParams p;
        if (!movement::resolveShuffle(n, describeInputs(g, n), p).ok() || !movement::isIdentityPerm(p.perm1) ||
            !movement::isIdentityPerm(p.perm2))
            continue;
        direct[size_t(y)] = {x, 0};
    }
    // Chains (a Reshape of a Squeeze) share the slot of their first value, at the summed offsets.
    std::vector<ArenaView> root(direct.size());
    for (size_t v = 0; v < direct.size(); ++v) {
        ArenaView r = direct[v];
        for (size_t hops = 0; r.source >= 0 && direct[size_t(r.source)].source >= 0 && hops < direct.size(); ++hops)
            r = {direct[size_t(r.source)].source, r.offset + direct[size_t(r.source)].offset};
        root[v] = r;
    }
    return root;
}

}  // namespace kiln::ir
