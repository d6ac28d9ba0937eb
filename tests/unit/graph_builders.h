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

// An Activation clip of x to [lo, hi] (MobileNet's ReLU6: 0, 6); its output.
inline int clipOf(ir::Graph& g, const std::string& name, int x, float lo, float hi) {
    const int n = g.addNode("Activation", name, {x}, 1);
    auto& a = g.nodes[size_t(n)].attrs;
    a.set("type", std::string("clip"));
    a.set("alpha", lo);
    a.set("beta", hi);
    return out0(g, n);
}

// A 2-D Convolution of x by w and b (-1: none), a k x k kernel, stride 1,
// `pad` on every side, `group` groups; its output.
inline int conv2d(ir::Graph& g, const std::string& name, int x, int w, int b, int64_t k, int64_t pad,
                  int64_t group = 1) {
    const int n = g.addNode("Convolution", name, b >= 0 ? std::vector<int>{x, w, b} : std::vector<int>{x, w}, 1);
    auto& a = g.nodes[size_t(n)].attrs;
    a.set("kernel", std::vector<int64_t>{k, k});
    a.set("pads_begin", std::vector<int64_t>{pad, pad});
    a.set("pads_end", std::vector<int64_t>{pad, pad});
    if (group != 1) a.set("group", group);
    return out0(g, n);
}

}  // namespace kiln::testutil
