#include "views.h"

#include "op_schema.h"
#include "ops/data_movement.h"

namespace kiln::ir {
namespace {

bool isIdentity(const std::vector<int64_t>& perm) {
    for (size_t i = 0; i < perm.size(); ++i)
        if (perm[i] != int64_t(i)) return false;
    return true;
}

// An intermediate with an arena slot: made by a layer outside any loop, static.
bool inArena(const Graph& g, const Schedule& sched, int v) {
    const Value& val = g.values[size_t(v)];
    return !val.isConstant() && val.producer >= 0 && !sched.inLoop[size_t(val.producer)] && !g.isGraphOutput(v) &&
           isStatic(val.shape);
}

}  // namespace

std::vector<int> arenaViews(const Graph& g, const Schedule& sched) {
    std::vector<int> source(g.values.size(), -1);
    for (const Node& n : g.nodes) {
        if (n.dead || n.op != "Shuffle" || n.inputs.empty() || n.inputs[0] < 0 || n.outputs.size() != 1) continue;
        const int x = n.inputs[0], y = n.outputs[0];
        if (!inArena(g, sched, x) || !inArena(g, sched, y)) continue;
        const Value &xv = g.values[size_t(x)], &yv = g.values[size_t(y)];
        if (xv.dtype != yv.dtype || volume(xv.shape) != volume(yv.shape)) continue;
        movement::ShuffleParams p;
        if (!movement::resolveShuffle(n, describeInputs(g, n), p).ok() || !isIdentity(p.perm1) || !isIdentity(p.perm2))
            continue;
        source[size_t(y)] = x;
    }
    // Chains (a Reshape of a Squeeze) share the slot of their first value.
    std::vector<int> root(source.size(), -1);
    for (size_t v = 0; v < source.size(); ++v) {
        int r = source[v];
        for (size_t hops = 0; r >= 0 && source[size_t(r)] >= 0 && hops < source.size(); ++hops) r = source[size_t(r)];
        root[v] = r;
    }
    return root;
}

}  // namespace kiln::ir
