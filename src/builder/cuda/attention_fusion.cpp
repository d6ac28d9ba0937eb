// The CUDA builder's attention fusion: MatMul(Q, K) -> [scale by a constant]
// -> [+ mask] -> Softmax over the keys -> [NaN rows to zeros] -> MatMul(., V),
// how exporters write scaled dot-product attention (Q and K possibly each
// scaled by a constant first), becomes one FusedAttention whose kernel never
// writes the [.., Sq, Sk] scores (for ViT-B/16 at batch 128, 57 MiB per layer
// written and read three times). Runs on 16-bit graphs, after reduced precision,
// where the kernel applies; each intermediate must have no other reader.
#include <cmath>
#include <utility>

#include "backends/cpu/shape_eval.h"
#include "builder/pass.h"
#include "cuda_build.h"
#include "ir/op_schema.h"
#include "ir/ops/data_movement.h"

namespace kiln::builder {

namespace {

// The value of a constant holding one element, or NaN.
double scalarValue(const ir::Value& v) {
    if (!v.isConstant() || !v.data || ir::volume(v.shape) != 1) return NAN;
    return ir::loadAsDouble(v.data->data(), v.dtype, 0);
}

struct Match {
    int out = -1;           // the final MatMul, which becomes the FusedAttention
    std::vector<int> dead;  // the nodes the fused node replaces (all but the last MatMul)
    int mask = -1;
    double scale = 1.0;
    bool nanToZero = false;
};

// Where(IsNaN(P), 0, P) on the softmax output P, as transformers' SDPA export
// writes it (a row with every key masked gets zero weights): the guarded
// value, with the two nodes added to m.dead; -1 where P is not read that way.
int nanGuard(const ir::Graph& g, const std::vector<std::vector<int>>& consumers, int p, Match& m) {
    const auto& readers = consumers[size_t(p)];
    if (readers.size() != 2) return -1;
    for (int k = 0; k < 2; ++k) {
        const ir::Node& isnan = g.nodes[size_t(readers[size_t(k)])];
        const ir::Node& where = g.nodes[size_t(readers[size_t(1 - k)])];
        if (isnan.op != "Unary" || isnan.attrs.getString("op") != "isnan" || isnan.outputs.size() != 1) continue;
        if (where.op != "Select" || where.inputs.size() != 3 || where.outputs.size() != 1 ||
            where.inputs[0] != isnan.outputs[0] || where.inputs[2] != p || where.inputs[1] < 0 ||
            scalarValue(g.values[size_t(where.inputs[1])]) != 0.0 ||
            soleConsumer(g, consumers, isnan.outputs[0]) != readers[size_t(1 - k)] ||
            g.values[size_t(where.outputs[0])].shape != g.values[size_t(p)].shape)
            continue;
        m.dead.push_back(readers[size_t(k)]);
        m.dead.push_back(readers[size_t(1 - k)]);
        m.nanToZero = true;
        return where.outputs[0];
    }
    return -1;
}

// Follows the chain from the MatMul of scores at node i; false where it is not attention.
bool matchChain(const ir::Graph& g, const std::vector<std::vector<int>>& consumers, int i, Match& m) {
    const ir::Node& mm = g.nodes[size_t(i)];
    int cur = mm.outputs[0];
    const size_t rank = g.values[size_t(cur)].shape.size();
    m.dead = {i};
    for (;;) {
        const int c = soleConsumer(g, consumers, cur);
        if (c < 0) return false;
        const ir::Node& n = g.nodes[size_t(c)];
        if (n.op == "ElementWise" && n.inputs.size() == 2 && n.outputs.size() == 1) {
            const std::string op = n.attrs.getString("op");
            const int other = n.inputs[0] == cur ? n.inputs[1] : n.inputs[0];
            if (other < 0 || other == cur) return false;
            const double k = scalarValue(g.values[size_t(other)]);
            if ((op == "prod" || (op == "div" && n.inputs[0] == cur)) && std::isfinite(k) && k != 0 && m.mask < 0) {
                m.scale *= op == "prod" ? k : 1.0 / k;
            } else if (op == "sum" && m.mask < 0 && std::isnan(k)) {
                m.mask = other;
            } else {
                return false;
            }
            if (g.values[size_t(n.outputs[0])].shape != g.values[size_t(cur)].shape)
                return false;  // no broadcast growth
            m.dead.push_back(c);
            cur = n.outputs[0];
            continue;
        }
        if (n.op != "Softmax") return false;
        int64_t axis = n.attrs.getInt("axis", -1);
        if (!ir::normalizeAxis(axis, int64_t(rank)) || axis != int64_t(rank) - 1 || n.attrs.getInt("log", 0) != 0)
            return false;
        m.dead.push_back(c);
        int probs = n.outputs[0];
        if (const int guarded = nanGuard(g, consumers, probs, m); guarded >= 0) probs = guarded;
        const int pv = soleConsumer(g, consumers, probs);
        if (pv < 0) return false;
        const ir::Node& mm2 = g.nodes[size_t(pv)];
        if (mm2.op != "MatMul" || mm2.inputs.size() != 2 || mm2.inputs[0] != probs ||
            mm2.attrs.getInt("transA", 0) != 0 || mm2.attrs.getInt("transB", 0) != 0)
            return false;
        m.out = pv;
        return true;
    }
}

// An operand scaled by a constant just for this product (SDPA exports scale Q
// and K by sqrt(scale) each): the unscaled value, the factor folded into m.
int unscaled(const ir::Graph& g, const std::vector<std::vector<int>>& consumers, int v, Match& m) {
    const int p = g.values[size_t(v)].producer;
    if (p < 0 || soleConsumer(g, consumers, v) < 0) return v;
    const ir::Node& n = g.nodes[size_t(p)];
    if (n.op != "ElementWise" || n.attrs.getString("op") != "prod" || n.inputs.size() != 2) return v;
    for (int k = 0; k < 2; ++k) {
        const int x = n.inputs[size_t(k)], c = n.inputs[size_t(1 - k)];
        const double f = c >= 0 ? scalarValue(g.values[size_t(c)]) : NAN;
        if (x < 0 || !std::isfinite(f) || g.values[size_t(x)].shape != g.values[size_t(v)].shape ||
            g.values[size_t(x)].dtype != g.values[size_t(v)].dtype)
            continue;
        m.scale *= f;
        m.dead.push_back(p);
        return x;
    }
    return v;
}

// Kᵀ made by a transposing Shuffle that only this product reads: that
// Shuffle can make K instead (its last two output axes swapped, at the same
// cost), which the kernel reads row by row with 16-byte copies (trans_k)
// rather than column by column. Returns the Shuffle's node, or -1.
int transposingShuffle(const ir::Graph& g, const std::vector<std::vector<int>>& consumers, int kt) {
    const int p = g.values[size_t(kt)].producer;
    if (p < 0 || soleConsumer(g, consumers, kt) < 0) return -1;
    const ir::Node& n = g.nodes[size_t(p)];
    if (n.op != "Shuffle" || n.outputs.size() != 1) return -1;
    ir::movement::ShuffleParams sp;
    if (!ir::movement::resolveShuffle(n, ir::describeInputs(g, n), sp).ok() || sp.perm2.size() < 2) return -1;
    for (const auto* perm : {&sp.perm1, &sp.perm2})
        for (size_t i = 0; i < perm->size(); ++i)
            if ((*perm)[i] != int64_t(i)) return p;  // already a copy, not a view
    return -1;
}

// The Shuffle of transposingShuffle() made to output K: the last two entries
// of its final permutation swapped (perm1's when it does not reshape, so
// that a plain Transpose of the last two axes becomes an identity, a view).
void makeK(ir::Graph& g, int shuffle) {
    ir::Node& n = g.nodes[size_t(shuffle)];
    ir::movement::ShuffleParams sp;
    (void)ir::movement::resolveShuffle(n, ir::describeInputs(g, n), sp);  // succeeded in transposingShuffle()
    const bool reshapes = (n.inputs.size() > 1 && n.inputs[1] >= 0) || n.attrs.has("reshape");
    bool perm2Identity = true;
    for (size_t i = 0; i < sp.perm2.size(); ++i) perm2Identity = perm2Identity && sp.perm2[i] == int64_t(i);
    const bool first = !reshapes && perm2Identity;
    auto& perm = first ? sp.perm1 : sp.perm2;
    std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
    n.attrs.set(first ? "perm1" : "perm2", perm);
    ir::Shape& shape = g.values[size_t(n.outputs[0])].shape;
    std::swap(shape[shape.size() - 1], shape[shape.size() - 2]);
}

}  // namespace

Status fuseAttention(ir::Graph& g, const LogFn& log) {
    const auto consumers = g.consumers();
    // In a dynamic engine the heads are Reshapes to dims computed at run time,
    // which inference alone leaves without extents (not even the head size):
    // the check below uses shapes with those dims evaluated on the host, at the
    // input shapes the graph holds (the profile's max).
    std::vector<ir::Shape> inputShapes;
    for (int v : g.inputs) inputShapes.push_back(g.values[size_t(v)].shape);
    const std::vector<ir::Shape> shapes = cpu::inferWithHostValues(g, inputShapes);
    int fused = 0;
    std::vector<char> taken(g.nodes.size(), 0);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const ir::Node& mm = g.nodes[i];
        if (mm.dead || taken[i] || mm.op != "MatMul" || mm.inputs.size() != 2 || mm.outputs.size() != 1 ||
            mm.attrs.getInt("transA", 0) != 0)
            continue;
        Match m;
        if (!matchChain(g, consumers, int(i), m)) continue;
        const int q = unscaled(g, consumers, mm.inputs[0], m), k = unscaled(g, consumers, mm.inputs[1], m);
        bool free = true;
        for (int d : m.dead) free = free && !taken[size_t(d)] && !g.nodes[size_t(d)].dead;
        if (!free || taken[size_t(m.out)]) continue;
        ir::Node fusedNode = g.nodes[size_t(m.out)];
        fusedNode.op = "FusedAttention";
        fusedNode.inputs = {q, k, fusedNode.inputs[1]};
        if (m.mask >= 0) fusedNode.inputs.push_back(m.mask);
        const bool transB = mm.attrs.getInt("transB", 0) != 0;
        const int flip = transB ? -1 : transposingShuffle(g, consumers, k);
        fusedNode.attrs = ir::Attrs{};
        fusedNode.attrs.set("trans_k", int64_t(transB || flip >= 0));
        fusedNode.attrs.set("scale", m.scale);
        if (m.nanToZero) fusedNode.attrs.set("nan_to_zero", int64_t(1));
        // Only where the kernel takes it, with the outputs shape inference gives.
        std::vector<ir::TensorDesc> out(1);
        auto in = ir::describeInputs(g, fusedNode);
        for (size_t j = 0; j < in.size(); ++j)
            if (fusedNode.inputs[j] >= 0) in[j].shape = shapes[size_t(fusedNode.inputs[j])];
        if (flip >= 0) std::swap(in[1].shape[in[1].shape.size() - 1], in[1].shape[in[1].shape.size() - 2]);
        if (!ir::inferNode(fusedNode, in, out).ok() || out[0].shape != shapes[size_t(fusedNode.outputs[0])] ||
            out[0].dtype != g.values[size_t(fusedNode.outputs[0])].dtype || !anyCudaTactic(fusedNode, in, out))
            continue;
        if (flip >= 0) makeK(g, flip);
        g.nodes[size_t(m.out)] = std::move(fusedNode);
        for (int d : m.dead) {
            g.nodes[size_t(d)].dead = true;
            taken[size_t(d)] = 1;
        }
        taken[size_t(m.out)] = 1;
        ++fused;
    }
    if (fused) {
        g.compact();
        log(kLogVerbose,
            "CUDA attention fusion: " + std::to_string(fused) + " MatMul/Softmax/MatMul chain(s) made FusedAttention");
    }
    return Status::Ok();
}

}  // namespace kiln::builder
