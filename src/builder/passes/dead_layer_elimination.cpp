// Removes layers none of whose outputs reach a network output.
#include "../pass.h"

namespace kiln::builder {
namespace {

class DeadLayerElimination final : public Pass {
public:
    const char* name() const override { return "dead-layer-elimination"; }
    Status run(ir::Graph& g, bool& changed) override {
        std::vector<char> live(g.values.size(), 0);
        for (int v : g.outputs) live[size_t(v)] = 1;
        for (int i = int(g.nodes.size()) - 1; i >= 0; --i) {
            ir::Node& n = g.nodes[size_t(i)];
            bool needed = false;
            for (int v : n.outputs) needed |= live[size_t(v)] != 0;
            if (!needed) {
                n.dead = true;
                changed = true;
                continue;
            }
            for (int v : n.inputs)
                if (v >= 0) live[size_t(v)] = 1;
        }
        if (changed) g.compact();
        return Status::Ok();
    }
};

}  // namespace

std::unique_ptr<Pass> makeDeadLayerElimination() { return std::make_unique<DeadLayerElimination>(); }

}  // namespace kiln::builder
