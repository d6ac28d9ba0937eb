// Test helpers: small pieces for building IR graphs by hand in the builder
// pass tests (the passes are run on them, then the graphs on the CPU
// reference with cpu_graph_runner.h).
#pragma once
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace kiln::testutil {

// Node `node`'s first output.
inline int out0(const ir::Graph& g, int node) { return g.nodes[size_t(node)].outputs[0]; }

// How many nodes of g have op type `op`.
inline int countOp(const ir::Graph& g, const std::string& op) {
    return int(std::count_if(g.nodes.begin(), g.nodes.end(), [&](const ir::Node& n) { return n.op == op; }));
}

// An int64 constant: [v.size()], or a scalar (one value).
inline int i64Const(ir::Graph& g, const std::string& name, const std::vector<int64_t>& v, bool scalar = false) {
    auto bytes = std::make_shared<ir::Bytes>(v.size() * 8);
    std::memcpy(bytes->data(), v.data(), v.size() * 8);
    return g.addConstant(name, ir::DType::kI64, scalar ? ir::Shape{} : ir::Shape{int64_t(v.size())}, bytes);
}

// A Shuffle of x: transpose by perm (perm1), then reshape; either may be empty.
inline int shuffle(ir::Graph& g, const std::string& name, int x, std::vector<int64_t> perm,
                   std::vector<int64_t> reshape) {
    const int n = g.addNode("Shuffle", name, {x}, 1);
    if (!perm.empty()) g.nodes[size_t(n)].attrs.set("perm1", std::move(perm));
    if (!reshape.empty()) g.nodes[size_t(n)].attrs.set("reshape", std::move(reshape));
    return out0(g, n);
}

}  // namespace kiln::testutil
