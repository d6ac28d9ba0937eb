// Test helpers: an IR graph run node by node on the CPU reference kernels,
// to compare a graph before and after a builder pass rewrote it.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backends/cpu/kernel.h"
#include "backends/cpu/shape_eval.h"
#include "backends/cpu/thread_pool.h"
#include "ir/dtype.h"
#include "ir/graph.h"
#include "ir/op_schema.h"

namespace kiln::testutil {

// Every value of g computed with the CPU reference kernels, in node order,
// each node's output shapes inferred from its inputs' actual shapes and
// values; the inputs' bytes given, at the shapes the graph records or at
// inputShapes. Returns the outputs' bytes.
inline std::vector<std::vector<uint8_t>> runOnCpu(const ir::Graph& g, const std::vector<std::vector<uint8_t>>& inputs,
                                                  const std::vector<ir::Shape>& inputShapes = {}) {
    std::vector<std::vector<uint8_t>> bytes(g.values.size());
    std::vector<const void*> data(g.values.size(), nullptr);
    std::vector<ir::Shape> shapes(g.values.size());
    for (size_t v = 0; v < g.values.size(); ++v)
        if (g.values[v].isConstant()) {
            data[v] = g.values[v].data->data();
            shapes[v] = g.values[v].shape;
        }
    for (size_t i = 0; i < g.inputs.size(); ++i) {
        data[size_t(g.inputs[i])] = inputs[i].data();
        shapes[size_t(g.inputs[i])] = i < inputShapes.size() ? inputShapes[i] : g.values[size_t(g.inputs[i])].shape;
    }
    cpu::ThreadPool pool(1);
    for (const ir::Node& n : g.nodes) {
        std::vector<ir::TensorDesc> in, out;
        for (int v : n.inputs)
            in.push_back(v < 0 ? ir::TensorDesc{}
                               : ir::TensorDesc{g.values[size_t(v)].dtype, shapes[size_t(v)], data[size_t(v)]});
        EXPECT_TRUE(ir::inferNode(n, in, out).ok()) << n.name;
        const cpu::Tactic* t = cpu::findCpuTactic(n.op, "ref");
        std::vector<std::vector<uint8_t>> produced;
        EXPECT_TRUE(t && cpu::runReference(n, *t, in, out, pool, produced)) << n.name;
        if (produced.size() != n.outputs.size()) return {};
        for (size_t k = 0; k < n.outputs.size(); ++k) {
            bytes[size_t(n.outputs[k])] = std::move(produced[k]);
            data[size_t(n.outputs[k])] = bytes[size_t(n.outputs[k])].data();
            shapes[size_t(n.outputs[k])] = out[k].shape;
        }
    }
    std::vector<std::vector<uint8_t>> outs;
    for (int v : g.outputs) outs.push_back(bytes[size_t(v)]);
    return outs;
}

// n float32 values uniform in [-scale, scale), as bytes.
inline std::vector<uint8_t> randomFloats(int64_t n, uint32_t seed, float scale = 1.f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-scale, scale);
    std::vector<uint8_t> b(size_t(n) * 4);
    for (int64_t i = 0; i < n; ++i) {
        const float v = u(rng);
        std::memcpy(b.data() + i * 4, &v, 4);
    }
    return b;
}

// A float32 constant of random values in [-1, 1) (a layer's weights).
inline int floatConst(ir::Graph& g, const std::string& name, ir::Shape shape, uint32_t seed) {
    return g.addConstant(name, ir::DType::kF32, shape,
                         std::make_shared<ir::Bytes>(randomFloats(ir::volume(shape), seed)));
}

inline std::vector<uint8_t> randomHalves(int64_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    std::vector<uint8_t> b(size_t(n) * 2);
    for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = ir::floatToHalf(u(rng));
        std::memcpy(b.data() + i * 2, &h, 2);
    }
    return b;
}

// The largest |a - b| over two float16 buffers, relative to b's largest magnitude (at least 1).
inline double maxHalfDiff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
    EXPECT_EQ(a.size(), b.size());
    double diff = 0, scale = 1;
    for (size_t i = 0; i + 1 < std::min(a.size(), b.size()); i += 2) {
        uint16_t x, y;
        std::memcpy(&x, a.data() + i, 2);
        std::memcpy(&y, b.data() + i, 2);
        diff = std::max(diff, std::fabs(double(ir::halfToFloat(x)) - ir::halfToFloat(y)));
        scale = std::max(scale, std::fabs(double(ir::halfToFloat(y))));
    }
    return diff / scale;
}

}  // namespace kiln::testutil
