// Removes Identity layers and casts to the type a tensor already has.
#include "../pass.h"

namespace kiln::builder {
namespace {

bool isNoOp(const ir::Graph& g, const ir::Node& n) {
    if (n.op == "Identity") return true;
    if (n.op == "Cast") return g.values[size_t(n.inputs[0])].dtype == g.values[size_t(n.outputs[0])].dtype;
    return false;
}

class IdentityRemoval final : public Pass {
public:
    const char* name() const override { return "identity-removal"; }
    Status run(ir::Graph& g, bool& changed) override {
        for (auto& n : g.nodes) {
            if (n.dead || n.inputs.empty() || n.inputs[0] < 0 || !isNoOp(g, n)) continue;
            const int in = n.inputs[0], out = n.outputs[0];
            const bool outIsOutput = g.isGraphOutput(out);
            if (!outIsOutput) {
                g.replaceAllUses(out, in);
                n.dead = true;
                changed = true;
                continue;
            }
            // The output name must survive: let the input's producer write the
            // output value directly, when the input is an ordinary intermediate.
            const int p = g.values[size_t(in)].producer;
            if (p < 0 || g.isGraphOutput(in)) continue;
            for (int& v : g.nodes[size_t(p)].outputs)
                if (v == in) v = out;
            g.values[size_t(out)].producer = p;
            for (auto& m : g.nodes)
                for (int& v : m.inputs)
                    if (v == in) v = out;
            n.dead = true;
            changed = true;
        }
        if (changed) {
            g.compact();
            KILN_RETURN_IF_ERROR(g.topoSort());
        }
        return Status::Ok();
    }
};

}  // namespace

std::unique_ptr<Pass> makeIdentityRemoval() { return std::make_unique<IdentityRemoval>(); }

}  // namespace kiln::builder
