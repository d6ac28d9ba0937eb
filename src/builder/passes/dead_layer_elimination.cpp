// Removes layers none of whose outputs reach a network output.
#include <set>

#include "../pass.h"
#include "ir/control_flow.h"

namespace kiln::builder {
namespace {

class DeadLayerElimination final : public Pass {
public:
    const char* name() const override { return "dead-layer-elimination"; }
    Status run(ir::Graph& g, bool& changed) override {
        std::vector<char> live(g.values.size(), 0), needed(g.nodes.size(), 0);
        std::set<int64_t> liveLoops;
        for (int v : g.outputs) live[size_t(v)] = 1;
        // One backward sweep suffices without loops; a recurrence reads its next
        // value from later in the order, and a loop needs all its boundary
        // nodes (trip limits have no outputs), so repeat until nothing changes.
        for (bool grew = true; grew;) {
            grew = false;
            for (int i = int(g.nodes.size()) - 1; i >= 0; --i) {
                const ir::Node& n = g.nodes[size_t(i)];
                if (needed[size_t(i)]) continue;
                bool need = ir::isLoopBoundaryOp(n.op) && liveLoops.count(n.attrs.getInt("loop"));
                for (int v : n.outputs) need = need || live[size_t(v)] != 0;
                if (!need) continue;
                needed[size_t(i)] = 1;
                grew = true;
                if (ir::isLoopBoundaryOp(n.op)) liveLoops.insert(n.attrs.getInt("loop"));
                for (int v : n.inputs)
                    if (v >= 0) live[size_t(v)] = 1;
            }
        }
        for (size_t i = 0; i < g.nodes.size(); ++i) {
            if (needed[i]) continue;
            g.nodes[i].dead = true;
            changed = true;
        }
        if (changed) g.compact();
        return Status::Ok();
    }
};

}  // namespace

std::unique_ptr<Pass> makeDeadLayerElimination() { return std::make_unique<DeadLayerElimination>(); }

}  // namespace kiln::builder
