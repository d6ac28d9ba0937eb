// Row shuffles through projections, for the attention layout pass: a Shuffle
// that keeps the last axis whole and last only moves rows, so it commutes
// with a FullyConnected over that axis: FC(S(x)) = S'(FC(x)) and
// S(FC(x)) = FC(S'(x)), S' being S with the other row length. torch's
// batch_first MultiheadAttention export (ViT) transposes [B, S, E] to
// [S, B, E] before the in-projection and back after the out-projection: two
// copies per layer, and the residual Add after the second transpose cannot
// join the out-projection's epilogue. Moved to the attention's side of the
// projections, the transposes become part of the views the attention layout
// pass reads and writes in place, and the out-projection writes [B, S, E]
// rows next to its residual. The motion is kept only when the layout pass
// then absorbs every moved Shuffle; otherwise the graph is laid out as it was
// (a moved transpose left as a copy could cost more: in front of the
// in-projection it copies E columns, after it 3·E).
#include <algorithm>

#include "builder/pass.h"
#include "cuda_build.h"
#include "ir/op_schema.h"
#include "ir/ops/data_movement.h"
#include "ir/ops/fully_connected.h"

namespace kiln::builder {

namespace {

// Shuffle n with static shapes that keeps the last axis whole and last.
bool rowShuffle(const ir::Graph& g, int n, ir::movement::ShuffleParams& p) {
    if (n < 0) return false;
    const ir::Node& s = g.nodes[size_t(n)];
    if (s.dead || s.op != "Shuffle" || s.outputs.size() != 1 || s.inputs.empty() || s.inputs[0] < 0) return false;
    if (s.inputs.size() > 1 && s.inputs[1] >= 0 && !g.values[size_t(s.inputs[1])].isConstant()) return false;
    const ir::Shape& xs = g.values[size_t(s.inputs[0])].shape;
    if (xs.empty() || !ir::isStatic(xs)) return false;
    if (!ir::movement::resolveShuffle(s, ir::describeInputs(g, s), p).ok() || !ir::isStatic(p.reshaped)) return false;
    const int64_t r1 = int64_t(p.perm1.size()), r2 = int64_t(p.perm2.size());
    return p.perm1.back() == r1 - 1 && !p.reshaped.empty() && p.reshaped.back() == p.transposed.back() &&
           p.perm2.back() == r2 - 1;
}

// A row-wise FullyConnected: over the last axis alone, no epilogue, no 1x1 dims.
bool rowFc(const ir::Graph& g, int n) {
    if (n < 0) return false;
    const ir::Node& f = g.nodes[size_t(n)];
    if (f.dead || f.op != "FullyConnected" || f.outputs.size() != 1 || ir::fcHasEpilogue(f)) return false;
    const int64_t rank = int64_t(g.values[size_t(f.inputs[0])].shape.size());
    int64_t axis = f.attrs.getInt("axis", 1);
    return rank >= 2 && ir::normalizeAxis(axis, rank) && axis == rank - 1 && f.attrs.getInt("keep_dims_1x1", 1) == 0;
}

// A Shuffle doing p's moves on rows of `last` elements.
ir::Attrs rowAttrs(const ir::movement::ShuffleParams& p, int64_t last) {
    ir::Attrs a;
    ir::Shape reshaped = p.reshaped;
    reshaped.back() = last;
    a.set("perm1", p.perm1);
    a.set("reshape", std::vector<int64_t>(reshaped.begin(), reshaped.end()));
    a.set("perm2", p.perm2);
    return a;
}

// Whether value v reaches a FusedAttention operand through view nodes (readers)
// or comes from a FusedAttention's output through Shuffles (producers).
bool feedsAttention(const ir::Graph& g, const std::vector<std::vector<int>>& consumers, int v, int depth = 0) {
    if (depth > 16) return false;
    for (int c : consumers[size_t(v)]) {
        const ir::Node& n = g.nodes[size_t(c)];
        if (n.op == "FusedAttention") return true;
        if ((n.op == "Shuffle" || n.op == "Gather") && n.inputs[0] == v &&
            feedsAttention(g, consumers, n.outputs[0], depth + 1))
            return true;
    }
    return false;
}

bool fedByAttention(const ir::Graph& g, int v) {
    for (int depth = 0; depth <= 16; ++depth) {
        const int p = g.values[size_t(v)].producer;
        if (p < 0) return false;
        if (g.nodes[size_t(p)].op == "FusedAttention") return true;
        if (g.nodes[size_t(p)].op != "Shuffle") return false;
        v = g.nodes[size_t(p)].inputs[0];
    }
    return false;
}

// Moves row Shuffles across the projections next to attentions; returns the
// names of the Shuffles it made.
std::vector<std::string> moveRowShuffles(ir::Graph& g) {
    std::vector<std::string> made;
    const auto consumers = g.consumers();
    const size_t count = g.nodes.size();
    for (size_t i = 0; i < count; ++i) {
        if (!rowFc(g, int(i))) continue;
        const int x = g.nodes[i].inputs[0], y = g.nodes[i].outputs[0];
        const int64_t K = g.values[size_t(x)].shape.back(), N = g.values[size_t(y)].shape.back();
        ir::movement::ShuffleParams p;
        const int s = g.values[size_t(x)].producer;
        if (rowShuffle(g, s, p) && soleConsumer(g, consumers, x) == int(i) && feedsAttention(g, consumers, y)) {
            // S then FC -> FC then S' (N-element rows), which writes y.
            const std::string name = g.uniqueName(g.nodes[size_t(s)].name + "_after_fc");
            const int rows = g.addValue(g.uniqueName(g.values[size_t(y)].name + "_rows"), g.values[size_t(y)].dtype, {});
            const int t = g.addNode("Shuffle", name, {rows}, 1);
            g.nodes[size_t(t)].attrs = rowAttrs(p, N);
            g.nodes[size_t(t)].outputs = {y};
            ir::Node& f = g.nodes[i];
            f.inputs[0] = g.nodes[size_t(s)].inputs[0];
            f.outputs = {rows};
            f.attrs.set("axis", int64_t(g.values[size_t(f.inputs[0])].shape.size()) - 1);
            g.values[size_t(rows)].producer = int(i);
            g.values[size_t(y)].producer = t;
            g.nodes[size_t(s)].dead = true;
            made.push_back(name);
            continue;
        }
        // FC then a chain of row Shuffles only it feeds -> the chain (K-element rows) then FC.
        if (!fedByAttention(g, x)) continue;
        std::vector<std::pair<int, ir::movement::ShuffleParams>> chain;
        for (int v = y;;) {
            const int c = soleConsumer(g, consumers, v);
            if (!rowShuffle(g, c, p) || g.nodes[size_t(c)].inputs[0] != v) break;
            chain.emplace_back(c, p);
            v = g.nodes[size_t(c)].outputs[0];
        }
        if (chain.empty()) continue;
        int v = x;
        for (const auto& [c, params] : chain) {
            const std::string name = g.uniqueName(g.nodes[size_t(c)].name + "_before_fc");
            const int t = g.addNode("Shuffle", name, {v}, 1);
            g.nodes[size_t(t)].attrs = rowAttrs(params, K);
            v = g.nodes[size_t(t)].outputs[0];
            g.nodes[size_t(c)].dead = true;
            made.push_back(name);
        }
        ir::Node& f = g.nodes[i];
        f.inputs[0] = v;
        f.outputs = {g.nodes[size_t(chain.back().first)].outputs[0]};
        f.attrs.set("axis", int64_t(chain.back().second.perm2.size()) - 1);
        g.values[size_t(f.outputs[0])].producer = int(i);
    }
    if (!made.empty()) g.compact();
    return made;
}

}  // namespace

Status layOutAttentionMovingRows(ir::Graph& g, const std::vector<ir::Shape>& minShapes, const LogFn& log) {
    ir::Graph moved = g;
    const std::vector<std::string> made = moveRowShuffles(moved);
    if (!made.empty() && moved.topoSort().ok() && ir::inferGraph(moved).ok()) {
        KILN_RETURN_IF_ERROR(layOutAttention(moved, minShapes, log));
        bool absorbed = true;
        for (const auto& n : moved.nodes) absorbed = absorbed && std::find(made.begin(), made.end(), n.name) == made.end();
        if (absorbed) {
            g = std::move(moved);
            log(kLogVerbose, "CUDA row shuffle motion: " + std::to_string(made.size()) +
                                 " Shuffle(s) moved across projections into attention views");
            return Status::Ok();
        }
    }
    return layOutAttention(g, minShapes, log);
}

}  // namespace kiln::builder
