#include "control_flow.h"

#include <algorithm>
#include <functional>
#include <map>
#include <numeric>

namespace kiln::ir {

bool isLoopBoundaryOp(std::string_view op) {
    return op == "LoopRecurrence" || op == "LoopIterator" || op == "LoopTripLimit" || op == "LoopOutput";
}

bool isIfBoundaryOp(std::string_view op) { return op == "IfCondition" || op == "IfInput" || op == "IfOutput"; }

bool hasControlFlow(const Graph& g) {
    for (const auto& n : g.nodes)
        if (isLoopBoundaryOp(n.op) || isIfBoundaryOp(n.op)) return true;
    return false;
}

bool isBackEdge(const Node& n, size_t input) { return input == 1 && n.op == "LoopRecurrence"; }

namespace {

// One loop or conditional: its boundary nodes and, per region (a loop's body,
// or a conditional's two branches), which nodes belong to it.
struct Unit {
    bool loop = true;
    int64_t id = 0;
    std::vector<int> boundary;
    std::vector<std::vector<char>> member;  // [region][node]

    bool contains(int node) const {
        for (const auto& m : member)
            if (m[size_t(node)]) return true;
        return false;
    }
    bool owns(int node) const {  // boundary or member
        return contains(node) || std::find(boundary.begin(), boundary.end(), node) != boundary.end();
    }
    std::string what() const { return (loop ? "loop " : "conditional ") + std::to_string(id); }
};

struct Analysis {
    const Graph& g;
    std::vector<std::vector<int>> consumers;  // value -> nodes reading it (back edges included)
    std::vector<Unit> units;

    explicit Analysis(const Graph& graph) : g(graph), consumers(graph.values.size()) {
        for (int i = 0; i < int(g.nodes.size()); ++i)
            for (int v : g.nodes[size_t(i)].inputs)
                if (v >= 0) consumers[size_t(v)].push_back(i);
    }

    int producer(int v) const { return v < 0 ? -1 : g.values[size_t(v)].producer; }

    Status findUnits() {
        std::map<std::pair<bool, int64_t>, size_t> index;
        for (int i = 0; i < int(g.nodes.size()); ++i) {
            const Node& n = g.nodes[size_t(i)];
            const bool loop = isLoopBoundaryOp(n.op);
            if (!loop && !isIfBoundaryOp(n.op)) continue;
            const char* key = loop ? "loop" : "cond";
            if (!n.attrs.has(key))
                return Status::Error("layer '" + n.name + "' (" + n.op + ") has no '" + key + "' id");
            const auto k = std::make_pair(loop, n.attrs.getInt(key));
            auto it = index.find(k);
            if (it == index.end()) {
                it = index.emplace(k, units.size()).first;
                Unit u;
                u.loop = loop;
                u.id = k.second;
                u.member.assign(loop ? 1 : 2, std::vector<char>(g.nodes.size(), 0));
                units.push_back(std::move(u));
            }
            units[it->second].boundary.push_back(i);
        }
        for (Unit& u : units) KILN_RETURN_IF_ERROR(u.loop ? loopBody(u) : branches(u));
        return Status::Ok();
    }

    bool isBoundaryOf(const Unit& u, int node) const {
        return std::find(u.boundary.begin(), u.boundary.end(), node) != u.boundary.end();
    }

    // Everything that depends on the loop's recurrences and iterators, up to its boundary.
    Status loopBody(Unit& u) {
        std::vector<int> stack;
        for (int b : u.boundary) {
            const std::string& op = g.nodes[size_t(b)].op;
            if (op == "LoopRecurrence" || op == "LoopIterator") stack.push_back(b);
        }
        if (stack.empty()) return Status::Error(u.what() + " has no recurrence or iterator");
        auto& body = u.member[0];
        while (!stack.empty()) {
            const int n = stack.back();
            stack.pop_back();
            for (int v : g.nodes[size_t(n)].outputs)
                for (int c : consumers[size_t(v)]) {
                    if (isBoundaryOf(u, c) || body[size_t(c)]) continue;
                    body[size_t(c)] = 1;
                    stack.push_back(c);
                }
        }
        return Status::Ok();
    }

    // What each IfOutput's true (false) input depends on, back to the
    // conditional's own boundary, constants and network inputs.
    Status branches(Unit& u) {
        for (int k = 0; k < 2; ++k) {
            std::vector<int> stack;
            for (int b : u.boundary) {
                const Node& n = g.nodes[size_t(b)];
                if (n.op != "IfOutput") continue;
                if (n.inputs.size() != 3) return Status::Error("IfOutput '" + n.name + "' needs 3 inputs");
                stack.push_back(n.inputs[size_t(k) + 1]);
            }
            auto& m = u.member[size_t(k)];
            while (!stack.empty()) {
                const int p = producer(stack.back());
                stack.pop_back();
                if (p < 0 || m[size_t(p)] || isBoundaryOf(u, p)) continue;
                m[size_t(p)] = 1;
                const Node& n = g.nodes[size_t(p)];
                for (size_t i = 0; i < n.inputs.size(); ++i)
                    if (!isBackEdge(n, i)) stack.push_back(n.inputs[i]);
            }
        }
        return Status::Ok();
    }

    // A unit with a boundary node inside a region of another lies wholly inside it.
    Status closeNesting() {
        for (bool changed = true; changed;) {
            changed = false;
            for (size_t a = 0; a < units.size(); ++a)
                for (size_t b = 0; b < units.size(); ++b) {
                    if (a == b) continue;
                    for (auto& region : units[b].member) {
                        bool inside = false;
                        for (int n : units[a].boundary) inside = inside || region[size_t(n)];
                        if (!inside) continue;
                        for (int n = 0; n < int(g.nodes.size()); ++n)
                            if (units[a].owns(n) && !region[size_t(n)]) {
                                region[size_t(n)] = 1;
                                changed = true;
                            }
                    }
                }
        }
        for (size_t a = 0; a < units.size(); ++a)
            for (size_t b = a + 1; b < units.size(); ++b)
                if (nested(a, b) && nested(b, a))
                    return Status::Error(units[a].what() + " and " + units[b].what() + " contain each other");
        return Status::Ok();
    }

    // Is unit a inside (a region of) unit b?
    bool nested(size_t a, size_t b) const {
        for (int n : units[a].boundary)
            if (units[b].contains(n)) return true;
        return false;
    }

    Status validate() const {
        for (const Unit& u : units) {
            for (int n = 0; n < int(g.nodes.size()); ++n) {
                if (!u.loop && u.member[0][size_t(n)] && u.member[1][size_t(n)])
                    return Status::Error("layer '" + g.nodes[size_t(n)].name + "' is used by both branches of " +
                                         u.what() + "; compute it before the conditional");
                for (size_t r = 0; r < u.member.size(); ++r) {
                    if (!u.member[r][size_t(n)]) continue;
                    KILN_RETURN_IF_ERROR(checkEscape(u, r, n));
                }
            }
            KILN_RETURN_IF_ERROR(u.loop ? checkLoopBoundary(u) : checkIfBoundary(u));
        }
        // A node in two regions must be in nested ones.
        for (int n = 0; n < int(g.nodes.size()); ++n) {
            std::vector<size_t> in;
            for (size_t i = 0; i < units.size(); ++i)
                if (units[i].contains(n)) in.push_back(i);
            for (size_t a = 0; a < in.size(); ++a)
                for (size_t b = a + 1; b < in.size(); ++b)
                    if (!nested(in[a], in[b]) && !nested(in[b], in[a]))
                        return Status::Error("layer '" + g.nodes[size_t(n)].name + "' belongs to both " +
                                             units[in[a]].what() + " and " + units[in[b]].what());
        }
        return Status::Ok();
    }

    // Values made in region r of u are read only inside it, or by u's exits.
    Status checkEscape(const Unit& u, size_t r, int n) const {
        for (int v : g.nodes[size_t(n)].outputs) {
            if (g.isGraphOutput(v))
                return Status::Error("tensor '" + g.values[size_t(v)].name + "' is computed inside " + u.what() +
                                     " and marked as a network output; take it out through the " +
                                     (u.loop ? "loop's outputs" : "conditional's outputs"));
            for (int c : consumers[size_t(v)]) {
                if (u.member[r][size_t(c)]) continue;
                const Node& cn = g.nodes[size_t(c)];
                if (isBoundaryOf(u, c) && (u.loop || (cn.op == "IfOutput" && cn.inputs[r + 1] == v))) continue;
                return Status::Error("tensor '" + g.values[size_t(v)].name + "' is computed inside " + u.what() +
                                     " but layer '" + cn.name + "' outside it reads it");
            }
        }
        return Status::Ok();
    }

    Status checkLoopBoundary(const Unit& u) const {
        for (int b : u.boundary) {
            const Node& n = g.nodes[size_t(b)];
            auto inBody = [&](size_t i) {
                return i < n.inputs.size() && n.inputs[i] >= 0 && producer(n.inputs[i]) >= 0 &&
                       u.member[0][size_t(producer(n.inputs[i]))];
            };
            const bool whileLimit = n.op == "LoopTripLimit" && n.attrs.getString("kind", "count") == "while";
            if ((n.op == "LoopRecurrence" || n.op == "LoopIterator" || (n.op == "LoopTripLimit" && !whileLimit)) &&
                inBody(0))
                return Status::Error("layer '" + n.name + "' (" + n.op + ") of " + u.what() +
                                     " takes a value computed inside the loop; it must come from outside");
            if (n.op == "LoopRecurrence" && (n.inputs.size() < 2 || n.inputs[1] < 0))
                return Status::Error("recurrence '" + n.name + "' of " + u.what() +
                                     " has no next value (setInput(1, ...))");
            if (n.op == "LoopRecurrence" || n.op == "LoopIterator")
                for (int v : n.outputs)
                    if (g.isGraphOutput(v))
                        return Status::Error("tensor '" + g.values[size_t(v)].name + "' of " + u.what() +
                                             " is marked as a network output; use a loop output");
        }
        return Status::Ok();
    }

    Status checkIfBoundary(const Unit& u) const {
        int cond = -2;
        for (int b : u.boundary) {
            const Node& n = g.nodes[size_t(b)];
            if (n.op != "IfOutput") continue;
            if (cond != -2 && n.inputs[0] != cond)
                return Status::Error("the outputs of " + u.what() + " read different conditions");
            cond = n.inputs[0];
        }
        if (cond == -2) return Status::Error(u.what() + " has no outputs");
        return Status::Ok();
    }
};

class ScheduleBuilder {
public:
    explicit ScheduleBuilder(const Analysis& a) : a_(a) {}

    Status build(const std::vector<int>& nodes, std::vector<ScheduleItem>& items) {
        const Graph& g = a_.g;
        std::vector<char> inSet(g.nodes.size(), 0);
        for (int n : nodes) inSet[size_t(n)] = 1;
        // Top-level units of this set: wholly inside it, not inside another such unit.
        std::vector<size_t> candidates, top;
        for (size_t u = 0; u < a_.units.size(); ++u) {
            bool all = true;
            for (int n = 0; n < int(g.nodes.size()) && all; ++n)
                if (a_.units[u].owns(n)) all = inSet[size_t(n)] != 0;
            if (all) candidates.push_back(u);
        }
        for (size_t u : candidates) {
            bool inner = false;
            for (size_t v : candidates) inner = inner || (v != u && a_.nested(u, v));
            if (!inner) top.push_back(u);
        }
        // Elements: a unit's scheduled nodes, or a single node.
        std::vector<int> elementOf(g.nodes.size(), -1);
        std::vector<std::vector<int>> elements;
        std::vector<int> unitOf;  // element -> unit index or -1
        for (size_t u : top) {
            std::vector<int> el;
            for (int n : nodes)
                if (a_.units[u].loop ? a_.units[u].owns(n) : a_.units[u].contains(n)) el.push_back(n);
            if (el.empty()) continue;  // branches with no layers (they pass values through)
            for (int n : el) elementOf[size_t(n)] = int(elements.size());
            elements.push_back(el);
            unitOf.push_back(int(u));
        }
        for (int n : nodes) {
            if (elementOf[size_t(n)] >= 0) continue;
            elementOf[size_t(n)] = int(elements.size());
            elements.push_back({n});
            unitOf.push_back(-1);
        }
        // Dependencies between elements (back edges excluded; a conditional
        // also waits for its condition).
        const size_t ne = elements.size();
        std::vector<std::vector<int>> succ(ne);
        std::vector<int> indeg(ne, 0);
        auto edge = [&](int fromNode, int toElement) {
            if (fromNode < 0 || !inSet[size_t(fromNode)]) return;
            const int fe = elementOf[size_t(fromNode)];
            if (fe == toElement) return;
            succ[size_t(fe)].push_back(toElement);
            ++indeg[size_t(toElement)];
        };
        for (size_t e = 0; e < ne; ++e) {
            for (int n : elements[e]) {
                const Node& node = g.nodes[size_t(n)];
                for (size_t i = 0; i < node.inputs.size(); ++i)
                    if (!isBackEdge(node, i)) edge(a_.producer(node.inputs[i]), int(e));
            }
            if (unitOf[e] >= 0 && !a_.units[size_t(unitOf[e])].loop)
                edge(a_.producer(conditionOf(size_t(unitOf[e]))), int(e));
        }
        // Elements ordered by their smallest node index (stable Kahn).
        std::vector<int> rank(ne);
        std::iota(rank.begin(), rank.end(), 0);
        std::sort(rank.begin(), rank.end(),
                  [&](int x, int y) { return elements[size_t(x)][0] < elements[size_t(y)][0]; });
        std::vector<int> pos(ne);
        for (size_t i = 0; i < ne; ++i) pos[size_t(rank[i])] = int(i);
        std::vector<std::vector<int>> succRanked(ne);
        std::vector<int> indegRanked(ne);
        for (size_t e = 0; e < ne; ++e) {
            indegRanked[size_t(pos[e])] = indeg[e];
            for (int s : succ[e]) succRanked[size_t(pos[e])].push_back(pos[size_t(s)]);
        }
        const std::vector<int> order = stableTopologicalOrder(succRanked, indegRanked);
        if (order.size() != ne) return Status::Error("the loops and conditionals form a cycle");
        for (int r : order) {
            const size_t e = size_t(rank[size_t(r)]);
            ScheduleItem item;
            if (unitOf[e] < 0) {
                item.node = elements[e][0];
            } else {
                KILN_RETURN_IF_ERROR(unitItem(size_t(unitOf[e]), elements[e], item));
            }
            items.push_back(std::move(item));
        }
        return Status::Ok();
    }

private:
    int conditionOf(size_t u) const {
        for (int b : a_.units[u].boundary)
            if (a_.g.nodes[size_t(b)].op == "IfOutput") return a_.g.nodes[size_t(b)].inputs[0];
        return -1;
    }

    Status unitItem(size_t u, const std::vector<int>& nodes, ScheduleItem& item) {
        const Unit& unit = a_.units[u];
        item.id = unit.id;
        if (unit.loop) {
            item.kind = ScheduleItem::Kind::kLoop;
            std::vector<int> body;
            for (int n : nodes) {
                if (a_.g.nodes[size_t(n)].op == "LoopOutput" && a_.isBoundaryOf(unit, n))
                    item.loopOutputs.push_back(n);
                else
                    body.push_back(n);
            }
            return build(body, item.body);
        }
        item.kind = ScheduleItem::Kind::kIf;
        item.condition = conditionOf(u);
        std::vector<int> branch[2];
        for (int n : nodes) branch[unit.member[0][size_t(n)] ? 0 : 1].push_back(n);
        KILN_RETURN_IF_ERROR(build(branch[0], item.body));
        return build(branch[1], item.other);
    }

    const Analysis& a_;
};

void flatten(const std::vector<ScheduleItem>& items, Schedule& s, bool insideLoop) {
    for (const ScheduleItem& it : items) {
        if (it.kind == ScheduleItem::Kind::kNode) {
            s.order.push_back(it.node);
            s.inLoop[size_t(it.node)] = insideLoop;
            continue;
        }
        const size_t start = s.order.size();
        const bool loop = it.kind == ScheduleItem::Kind::kLoop;
        flatten(it.body, s, insideLoop || loop);
        flatten(it.other, s, insideLoop);
        for (int n : it.loopOutputs) {
            s.order.push_back(n);
            s.inLoop[size_t(n)] = 1;
        }
        if (loop && !insideLoop)  // the outermost loop bounds the lifetimes inside it
            for (size_t p = start; p < s.order.size(); ++p) s.loopEnd[size_t(s.order[p])] = int(s.order.size()) - 1;
    }
}

}  // namespace

Status buildSchedule(const Graph& g, Schedule& out) {
    out = {};
    Analysis a(g);
    KILN_RETURN_IF_ERROR(a.findUnits());
    KILN_RETURN_IF_ERROR(a.closeNesting());
    KILN_RETURN_IF_ERROR(a.validate());
    std::vector<int> all(g.nodes.size());
    std::iota(all.begin(), all.end(), 0);
    ScheduleBuilder b(a);
    KILN_RETURN_IF_ERROR(b.build(all, out.items));
    out.loopEnd.assign(g.nodes.size(), -1);
    out.inLoop.assign(g.nodes.size(), 0);
    flatten(out.items, out, false);
    out.position.assign(g.nodes.size(), -1);
    for (size_t p = 0; p < out.order.size(); ++p) out.position[size_t(out.order[p])] = int(p);
    return Status::Ok();
}

}  // namespace kiln::ir
