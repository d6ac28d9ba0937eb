// The CUDA builder's attention fusion: MatMul(Q, K) -> [scale by a constant]
// -> [+ mask] -> Softmax over the keys -> MatMul(., V), how exporters write
// scaled dot-product attention (Q and K possibly each scaled by a constant
// first), becomes one FusedAttention whose kernel never
// writes the [.., Sq, Sk] scores (for ViT-B/16 at batch 128, 57 MiB per layer
// written and read three times). Runs on 16-bit graphs, after reduced precision,
// where the kernel applies; each intermediate must have no other reader.
#include <cmath>

#include "builder/pass.h"
#include "cuda_build.h"
#include "ir/op_schema.h"

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
};

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
        const int pv = soleConsumer(g, consumers, n.outputs[0]);
        if (pv < 0) return false;
        const ir::Node& mm2 = g.nodes[size_t(pv)];
        if (mm2.op != "MatMul" || mm2.inputs.size() != 2 || mm2.inputs[0] != n.outputs[0] ||
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

}  // namespace

Status fuseAttention(ir::Graph& g, const LogFn& log) {
    const auto consumers = g.consumers();
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
        fusedNode.attrs = ir::Attrs{};
        fusedNode.attrs.set("trans_k", mm.attrs.getInt("transB", 0));
        fusedNode.attrs.set("scale", m.scale);
        // Only where the kernel takes it, with the outputs shape inference gives.
        std::vector<ir::TensorDesc> out(1);
        const auto in = ir::describeInputs(g, fusedNode);
        if (!ir::inferNode(fusedNode, in, out).ok() || out[0].shape != g.values[size_t(fusedNode.outputs[0])].shape ||
            out[0].dtype != g.values[size_t(fusedNode.outputs[0])].dtype || !anyCudaTactic(fusedNode, in, out))
            continue;
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
