#include "graph.h"

#include "control_flow.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace kiln::ir {

int Graph::addValue(std::string name, DType dtype, Shape shape) {
    Value v;
    v.name = std::move(name);
    v.dtype = dtype;
    v.shape = std::move(shape);
    values.push_back(std::move(v));
    return int(values.size()) - 1;
}

int Graph::addConstant(std::string name, DType dtype, Shape shape, ConstData data) {
    const int id = addValue(std::move(name), dtype, std::move(shape));
    values[id].data = std::move(data);
    return id;
}

int Graph::addNode(std::string op, std::string name, std::vector<int> ins, int numOutputs,
                   std::vector<std::string> outputNames) {
    Node n;
    n.op = std::move(op);
    n.name = std::move(name);
    n.inputs = std::move(ins);
    const int idx = int(nodes.size());
    for (int i = 0; i < numOutputs; ++i) {
        std::string vn = i < int(outputNames.size()) ? outputNames[i]
                                                     : n.name + "_out" + std::to_string(i);
        const int v = addValue(std::move(vn), DType::kF32, {});
        values[v].producer = idx;
        n.outputs.push_back(v);
    }
    nodes.push_back(std::move(n));
    return idx;
}

std::vector<std::vector<int>> Graph::consumers() const {
    std::vector<std::vector<int>> c(values.size());
    for (int i = 0; i < int(nodes.size()); ++i) {
        if (nodes[i].dead) continue;
        for (int v : nodes[i].inputs)
            if (v >= 0 && (c[v].empty() || c[v].back() != i)) c[v].push_back(i);
    }
    return c;
}

bool Graph::isGraphOutput(int v) const {
    return std::find(outputs.begin(), outputs.end(), v) != outputs.end();
}

void Graph::replaceAllUses(int from, int to) {
    for (auto& n : nodes)
        for (int& v : n.inputs)
            if (v == from) v = to;
    for (int& v : outputs)
        if (v == from) v = to;
}

Status Graph::topoSort() {
    const int n = int(nodes.size());
    std::vector<int> producer(values.size(), -1);
    for (int i = 0; i < n; ++i)
        for (int v : nodes[i].outputs) producer[v] = i;
    std::vector<int> indeg(n, 0);
    std::vector<std::vector<int>> succ(n);
    for (int i = 0; i < n; ++i) {
        for (size_t k = 0; k < nodes[i].inputs.size(); ++k) {
            const int v = nodes[i].inputs[k];
            if (v < 0 || isBackEdge(nodes[i], k)) continue;  // a recurrence's next value comes later
            const int p = producer[v];
            if (p >= 0) {
                succ[p].push_back(i);
                ++indeg[i];
            } else if (!values[v].isConstant() &&
                       std::find(inputs.begin(), inputs.end(), v) == inputs.end()) {
                return Status::Error("node '" + nodes[i].name + "' (" + nodes[i].op + ") reads tensor '" +
                                     values[v].name + "', which no layer produces and is not an input");
            }
        }
    }
    const std::vector<int> order = stableTopologicalOrder(succ, indeg);
    if (int(order.size()) != n) {
        for (int i = 0; i < n; ++i)
            if (indeg[i] > 0)
                return Status::Error("the network has a cycle through layer '" + nodes[i].name + "'");
    }
    std::vector<Node> sorted;
    sorted.reserve(n);
    for (int i : order) sorted.push_back(std::move(nodes[i]));
    nodes = std::move(sorted);
    for (auto& v : values) v.producer = -1;
    for (int i = 0; i < n; ++i)
        for (int v : nodes[i].outputs) values[v].producer = i;
    return Status::Ok();
}

void Graph::compact() {
    std::vector<Node> live;
    for (auto& n : nodes)
        if (!n.dead) live.push_back(std::move(n));
    nodes = std::move(live);
    std::vector<char> used(values.size(), 0);
    for (int v : inputs) used[v] = 1;
    for (int v : outputs) used[v] = 1;
    for (auto& n : nodes) {
        for (int v : n.inputs)
            if (v >= 0) used[v] = 1;
        for (int v : n.outputs) used[v] = 1;
    }
    std::vector<int> remap(values.size(), -1);
    std::vector<Value> kept;
    for (size_t i = 0; i < values.size(); ++i) {
        if (!used[i]) continue;
        remap[i] = int(kept.size());
        kept.push_back(std::move(values[i]));
    }
    values = std::move(kept);
    auto fix = [&](std::vector<int>& ids) {
        for (int& v : ids)
            if (v >= 0) v = remap[v];
    };
    fix(inputs);
    fix(outputs);
    for (auto& n : nodes) {
        fix(n.inputs);
        fix(n.outputs);
    }
    for (auto& v : values) v.producer = -1;
    for (int i = 0; i < int(nodes.size()); ++i)
        for (int v : nodes[i].outputs) values[v].producer = i;
}

Status Graph::validate() const {
    const int nv = int(values.size());
    std::vector<char> defined(nv, 0);
    for (int v : inputs) {
        if (v < 0 || v >= nv) return Status::Error("graph input id out of range");
        defined[v] = 1;
    }
    for (int i = 0; i < nv; ++i)
        if (values[i].isConstant()) defined[i] = 1;
    for (const auto& n : nodes) {
        for (size_t k = 0; k < n.inputs.size(); ++k) {
            const int v = n.inputs[k];
            if (v >= nv) return Status::Error("node '" + n.name + "' has an input id out of range");
            if (v >= 0 && !defined[v] && !isBackEdge(n, k))
                return Status::Error("node '" + n.name + "' (" + n.op + ") reads tensor '" + values[v].name +
                                     "' before it is produced");
        }
        for (int v : n.outputs) {
            if (v < 0 || v >= nv) return Status::Error("node '" + n.name + "' has an output id out of range");
            if (defined[v]) return Status::Error("tensor '" + values[v].name + "' is produced twice");
            defined[v] = 1;
        }
    }
    for (int v : outputs) {
        if (v < 0 || v >= nv) return Status::Error("graph output id out of range");
        if (!defined[v]) return Status::Error("output tensor '" + values[v].name + "' is never produced");
    }
    return Status::Ok();
}

int Graph::findValue(const std::string& name) const {
    for (int i = 0; i < int(values.size()); ++i)
        if (values[i].name == name) return i;
    return -1;
}

std::string Graph::uniqueName(const std::string& base) const {
    std::unordered_set<std::string> names;
    for (const auto& v : values) names.insert(v.name);
    for (const auto& n : nodes) names.insert(n.name);
    if (!names.count(base)) return base;
    for (int i = 1;; ++i) {
        std::string c = base + "_" + std::to_string(i);
        if (!names.count(c)) return c;
    }
}

std::vector<int> stableTopologicalOrder(const std::vector<std::vector<int>>& succ, std::vector<int>& indeg) {
    std::vector<int> order, ready;
    for (int i = 0; i < int(succ.size()); ++i)
        if (indeg[size_t(i)] == 0) ready.push_back(i);
    std::make_heap(ready.begin(), ready.end(), std::greater<>());
    while (!ready.empty()) {
        std::pop_heap(ready.begin(), ready.end(), std::greater<>());
        const int i = ready.back();
        ready.pop_back();
        order.push_back(i);
        for (int s : succ[size_t(i)]) {
            if (--indeg[size_t(s)] == 0) {
                ready.push_back(s);
                std::push_heap(ready.begin(), ready.end(), std::greater<>());
            }
        }
    }
    return order;
}

std::vector<double> constantAsDoubles(const Value& v) {
    std::vector<double> r;
    if (!v.data) return r;
    const int64_t n = int64_t(v.data->size() / dtypeSize(v.dtype));
    r.resize(n);
    for (int64_t i = 0; i < n; ++i) r[i] = loadAsDouble(v.data->data(), v.dtype, i);
    return r;
}

std::vector<int64_t> constantAsInts(const Value& v) {
    std::vector<int64_t> r;
    if (!v.data) return r;
    const int64_t n = int64_t(v.data->size() / dtypeSize(v.dtype));
    r.resize(n);
    for (int64_t i = 0; i < n; ++i) {
        if (v.dtype == DType::kI64) r[i] = reinterpret_cast<const int64_t*>(v.data->data())[i];
        else r[i] = int64_t(loadAsDouble(v.data->data(), v.dtype, i));
    }
    return r;
}

}  // namespace kiln::ir
