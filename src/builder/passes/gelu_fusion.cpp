// Recognizes GELU written out with Erf, as PyTorch and TensorFlow export
// nn.GELU / gelu(approximate='none'):
//   y = x · (1 + erf(x / √2)) · 0.5   (Div by √2, or Mul by 1/√2; the 0.5
//   applied last, to x first, or to the (1 + erf) term)
// and replaces the five layers by one Activation gelu_erf, which reads and
// writes the tensor once instead of five times.
#include <cmath>

#include "../pass.h"

namespace kiln::builder {
namespace {

// The value of a one-element floating-point constant, or NaN.
double scalarOf(const ir::Graph& g, int v) {
    if (v < 0) return NAN;
    const ir::Value& c = g.values[size_t(v)];
    if (!c.isConstant() || !ir::dtypeIsFloat(c.dtype) || ir::volume(c.shape) != 1) return NAN;
    return ir::loadAsDouble(c.data->data(), c.dtype, 0);
}

bool near(double a, double b) { return std::fabs(a - b) <= 1e-4 * std::fabs(b); }

bool isEw(const ir::Node& n, const char* op) {
    return !n.dead && n.op == "ElementWise" && n.attrs.getString("op") == op && n.inputs.size() == 2 &&
           n.outputs.size() == 1;
}

// For a binary node with one scalar-constant operand: the other operand, and the constant.
bool splitScalar(const ir::Graph& g, const ir::Node& n, int& other, double& c) {
    for (int k = 0; k < 2; ++k) {
        const double s = scalarOf(g, n.inputs[size_t(k)]);
        if (!std::isnan(s)) {
            other = n.inputs[size_t(1 - k)];
            c = s;
            return true;
        }
    }
    return false;
}

class GeluFusion final : public Pass {
public:
    const char* name() const override { return "gelu-fusion"; }
    Status run(ir::Graph& g, bool& changed) override {
        const auto consumers = g.consumers();
        auto only = [&](int v) { return soleConsumer(g, consumers, v); };
        auto out = [&](int node) { return g.nodes[size_t(node)].outputs[0]; };
        for (size_t ei = 0; ei < g.nodes.size(); ++ei) {
            const ir::Node& erf = g.nodes[ei];
            if (erf.dead || erf.op != "Unary" || erf.attrs.getString("op") != "erf" || erf.inputs.size() != 1) continue;
            // x / √2 or x · (1/√2)
            const int scaled = erf.inputs[0];
            const int si = g.values[size_t(scaled)].producer;
            if (si < 0 || only(scaled) != int(ei)) continue;
            const ir::Node& sn = g.nodes[size_t(si)];
            int x = -1;
            double c = 0;
            if (isEw(sn, "div") && !std::isnan(scalarOf(g, sn.inputs[1]))) {
                x = sn.inputs[0];
                c = scalarOf(g, sn.inputs[1]);
                if (!near(c, std::sqrt(2.0))) continue;
            } else if (isEw(sn, "prod") && splitScalar(g, sn, x, c)) {
                if (!near(c, std::sqrt(0.5))) continue;
            } else {
                continue;
            }
            const ir::Value& xv = g.values[size_t(x)];
            if (!ir::dtypeIsArithmeticFloat(xv.dtype) || xv.isConstant()) continue;
            // 1 + erf(.)
            const int ai = only(out(int(ei)));
            int other = -1;
            if (ai < 0 || !isEw(g.nodes[size_t(ai)], "sum") || !splitScalar(g, g.nodes[size_t(ai)], other, c) ||
                c != 1.0)
                continue;
            // The two products with x and 0.5, in one of three orders.
            const int m1 = only(out(ai));
            if (m1 < 0 || !isEw(g.nodes[size_t(m1)], "prod")) continue;
            const ir::Node& p1 = g.nodes[size_t(m1)];
            const int q = p1.inputs[0] == out(ai) ? p1.inputs[1] : p1.inputs[0];
            std::vector<int> gone = {si, int(ei), ai};
            int last = -1;
            if (q == x) {  // (x · (1 + erf)) · 0.5
                const int m2 = only(out(m1));
                if (m2 < 0 || !isEw(g.nodes[size_t(m2)], "prod") || !splitScalar(g, g.nodes[size_t(m2)], other, c) ||
                    c != 0.5)
                    continue;
                gone.push_back(m1);
                last = m2;
            } else if (!std::isnan(scalarOf(g, q))) {  // x · ((1 + erf) · 0.5)
                if (scalarOf(g, q) != 0.5) continue;
                const int m2 = only(out(m1));
                if (m2 < 0 || !isEw(g.nodes[size_t(m2)], "prod")) continue;
                const ir::Node& p2 = g.nodes[size_t(m2)];
                if ((p2.inputs[0] == out(m1) ? p2.inputs[1] : p2.inputs[0]) != x) continue;
                gone.push_back(m1);
                last = m2;
            } else {  // (x · 0.5) · (1 + erf)
                const int hi = g.values[size_t(q)].producer;
                if (hi < 0 || only(q) != m1 || !isEw(g.nodes[size_t(hi)], "prod") ||
                    !splitScalar(g, g.nodes[size_t(hi)], other, c) || other != x || c != 0.5)
                    continue;
                gone.push_back(hi);
                last = m1;
            }
            // No broadcasting beyond the scalars: every step has x's shape and dtype.
            bool same = true;
            for (int n : gone) same = same && g.values[size_t(out(n))].shape == xv.shape;
            if (!same || g.values[size_t(out(last))].shape != xv.shape || g.values[size_t(out(last))].dtype != xv.dtype)
                continue;
            ir::Node& y = g.nodes[size_t(last)];
            y.op = "Activation";
            y.inputs = {x};
            y.attrs = ir::Attrs{};
            y.attrs.set("type", std::string("gelu_erf"));
            for (int n : gone) g.nodes[size_t(n)].dead = true;
            changed = true;
        }
        if (changed) g.compact();
        return Status::Ok();
    }
};

}  // namespace

std::unique_ptr<Pass> makeGeluFusion() { return std::make_unique<GeluFusion>(); }

}  // namespace kiln::builder
