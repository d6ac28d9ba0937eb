#include "shape_eval.h"

#include <cstring>
#include <memory>

#include "ir/control_flow.h"
#include "ir/op_schema.h"
#include "kernel.h"

namespace kiln::cpu {
namespace {

// Shape tensors are a handful of extents; anything larger is data.
constexpr int64_t kMaxHostElements = 1024;

// Whether node n can be evaluated here: its outputs are static and small, and
// every input it reads has host values (Shape and Size read only the shape).
// Nodes without inputs are left alone (random generators would differ per run).
bool evaluable(const ir::Node& n, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    if (ir::isLoopBoundaryOp(n.op) || ir::isIfBoundaryOp(n.op) || in.empty()) return false;
    for (const auto& d : out)
        if (!ir::isStatic(d.shape) || ir::volume(d.shape) > kMaxHostElements) return false;
    const bool shapeOnly = n.op == "Shape" || n.op == "Size";
    bool any = false;
    for (size_t i = 0; i < in.size(); ++i) {
        if (n.inputs[i] < 0) continue;
        if (!ir::isStatic(in[i].shape) || (!shapeOnly && !in[i].data)) return false;
        any = true;
    }
    return any;
}

}  // namespace

HostValues evaluateHostValues(const ir::Graph& g, const std::vector<ir::Shape>& inputs) {
    const size_t nv = g.values.size();
    HostValues hv;
    auto& shapes = hv.shapes;
    auto& data = hv.data;
    auto& computed = hv.computed;
    shapes.resize(nv);
    data.assign(nv, nullptr);
    computed.resize(nv);
    for (size_t v = 0; v < nv; ++v) {
        if (!g.values[v].isConstant()) continue;
        shapes[v] = g.values[v].shape;
        data[v] = g.values[v].data ? g.values[v].data->data() : nullptr;
    }
    for (size_t i = 0; i < g.inputs.size() && i < inputs.size(); ++i) shapes[size_t(g.inputs[i])] = inputs[i];
    std::unique_ptr<ThreadPool> pool;  // made only when something is evaluated
    std::vector<ir::TensorDesc> in, out;
    std::vector<HostTensor> hin, hout;
    for (const auto& n : g.nodes) {
        in.clear();
        hin.clear();
        for (int v : n.inputs) {
            if (v < 0) {
                in.push_back({});
                hin.push_back({});
                continue;
            }
            const ir::DType t = g.values[size_t(v)].dtype;
            in.push_back({t, shapes[size_t(v)], data[size_t(v)]});
            hin.push_back({const_cast<void*>(data[size_t(v)]), t, shapes[size_t(v)]});
        }
        if (!ir::inferNode(n, in, out).ok()) {
            // Shapes that depend on values computed from data are known only after a run.
            for (int v : n.outputs) shapes[size_t(v)] = g.values[size_t(v)].shape;
            continue;
        }
        for (size_t i = 0; i < n.outputs.size(); ++i) shapes[size_t(n.outputs[i])] = out[i].shape;
        if (!evaluable(n, in, out)) continue;
        const Tactic* t = findCpuTactic(n.op, "ref");
        if (!t || !t->supports(n, in, out) || (t->workspace && t->workspace(n, in, out) > 0)) continue;
        std::unique_ptr<Kernel> k;
        if (!t->create(n, in, out, k).ok()) continue;
        hout.clear();
        for (size_t i = 0; i < n.outputs.size(); ++i) {
            auto& buf = computed[size_t(n.outputs[i])];
            buf.assign(std::max<size_t>(size_t(ir::volume(out[i].shape)) * ir::dtypeSize(out[i].dtype), 1), 0);
            hout.push_back({buf.data(), out[i].dtype, out[i].shape});
        }
        if (!pool) pool = std::make_unique<ThreadPool>(1);
        KernelArgs args{n, hin, hout, *pool};
        if (!k->run(args).ok()) continue;
        for (int v : n.outputs) data[size_t(v)] = computed[size_t(v)].data();
    }
    return hv;
}

std::vector<ir::Shape> inferWithHostValues(const ir::Graph& g, const std::vector<ir::Shape>& inputs) {
    return evaluateHostValues(g, inputs).shapes;
}

}  // namespace kiln::cpu
