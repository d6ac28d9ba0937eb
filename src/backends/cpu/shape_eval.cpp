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

bool runReference(const ir::Node& n, const Tactic& ref, const std::vector<ir::TensorDesc>& in,
                  const std::vector<ir::TensorDesc>& out, ThreadPool& pool, std::vector<std::vector<uint8_t>>& bytes) {
    std::unique_ptr<Kernel> kernel;
    if (!ref.create(n, in, out, kernel).ok()) return false;
    std::vector<HostTensor> hin, hout;
    for (size_t k = 0; k < in.size(); ++k)
        hin.push_back(k < n.inputs.size() && n.inputs[k] >= 0
                          ? HostTensor{const_cast<void*>(in[k].data), in[k].dtype, in[k].shape}
                          : HostTensor{});
    bytes.assign(out.size(), {});
    for (size_t k = 0; k < out.size(); ++k) {
        bytes[k].assign(size_t(ir::volume(out[k].shape)) * ir::dtypeSize(out[k].dtype), 0);
        hout.push_back({bytes[k].data(), out[k].dtype, out[k].shape});
    }
    std::vector<uint8_t> ws(ref.workspace ? ref.workspace(n, in, out) : 0);
    KernelArgs args{n, hin, hout, pool, ws.data(), ws.size()};
    return kernel->run(args).ok();
}

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
    std::vector<std::vector<uint8_t>> bytes;
    for (const auto& n : g.nodes) {
        in.clear();
        for (int v : n.inputs)
            in.push_back(v < 0 ? ir::TensorDesc{}
                               : ir::TensorDesc{g.values[size_t(v)].dtype, shapes[size_t(v)], data[size_t(v)]});
        if (!ir::inferNode(n, in, out).ok()) {
            // Shapes that depend on values computed from data are known only after a run.
            for (int v : n.outputs) shapes[size_t(v)] = g.values[size_t(v)].shape;
            continue;
        }
        for (size_t i = 0; i < n.outputs.size(); ++i) shapes[size_t(n.outputs[i])] = out[i].shape;
        if (!evaluable(n, in, out)) continue;
        const Tactic* t = findCpuTactic(n.op, "ref");
        if (!t || !t->supports(n, in, out)) continue;
        if (!pool) pool = std::make_unique<ThreadPool>(1);
        if (!runReference(n, *t, in, out, *pool, bytes)) continue;
        for (size_t i = 0; i < n.outputs.size(); ++i) {
            const int v = n.outputs[i];
            computed[size_t(v)] = std::move(bytes[i]);
            computed[size_t(v)].reserve(1);  // an empty tensor still gets a pointer: its values are known
            data[size_t(v)] = computed[size_t(v)].data();
        }
    }
    return hv;
}

std::vector<ir::Shape> inferWithHostValues(const ir::Graph& g, const std::vector<ir::Shape>& inputs) {
    return evaluateHostValues(g, inputs).shapes;
}

}  // namespace kiln::cpu
