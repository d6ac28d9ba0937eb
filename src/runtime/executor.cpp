#include "executor.h"

#include <cstring>

#include "ir/op_schema.h"

namespace kiln::runtime {

Executor::Executor(std::shared_ptr<const EngineCore> core, int threads) : core_(std::move(core)), pool_(threads) {
    // 64 bytes of slack keep every arena offset 64-byte aligned below.
    // CUDA engines keep their activations on the device (runtime/cuda).
    if (core_->plan().backend != engine::Backend::kCPU) return;
    arena_.resize(size_t(core_->plan().memory.arenaBytes) + 64);
    workspace_.resize(core_->workspaceBytes() + 64);
}

Status Executor::checkInputShape(int i, const ir::Shape& s) const {
    const auto& p = core_->plan().profiles[0];
    const auto& name = core_->bindings()[size_t(i)].name;
    const auto& mn = p.min[size_t(i)];
    const auto& mx = p.max[size_t(i)];
    if (s.size() != mx.size())
        return Status::Error("input '" + name + "' has rank " + std::to_string(s.size()) + ", the engine expects " +
                             std::to_string(mx.size()));
    for (size_t d = 0; d < s.size(); ++d) {
        if (s[d] < mn[d] || s[d] > mx[d])
            return Status::Error("input '" + name + "' shape " + ir::shapeToString(s) + " is outside the profile: dimension " +
                                 std::to_string(d) + " must lie in [" + std::to_string(mn[d]) + ", " +
                                 std::to_string(mx[d]) + "]");
    }
    return Status::Ok();
}

namespace {
uint8_t* aligned(std::vector<uint8_t>& buf) {
    auto p = reinterpret_cast<uintptr_t>(buf.data());
    return buf.data() + ((64 - p % 64) % 64);
}
}  // namespace

Status Executor::run(const std::vector<void*>& io, const std::vector<ir::Shape>& inputShapes) {
    const engine::Plan& plan = core_->plan();
    const ir::Graph& g = plan.graph;
    const int nIn = core_->nbInputs();
    shapes_.assign(g.values.size(), {});
    ptrs_.assign(g.values.size(), nullptr);
    uint8_t* arena = aligned(arena_);
    for (size_t v = 0; v < g.values.size(); ++v) {
        const ir::Value& val = g.values[v];
        if (val.isConstant()) {
            shapes_[v] = val.shape;
            ptrs_[v] = const_cast<uint8_t*>(val.data->data());
        } else if (plan.memory.offsets[v] >= 0) {
            ptrs_[v] = arena + plan.memory.offsets[v];
        }
    }
    for (int i = 0; i < nIn; ++i) {
        KILN_RETURN_IF_ERROR(checkInputShape(i, inputShapes[size_t(i)]));
        const int v = g.inputs[size_t(i)];
        shapes_[size_t(v)] = inputShapes[size_t(i)];
        ptrs_[size_t(v)] = io[size_t(i)];
    }
    for (size_t o = 0; o < g.outputs.size(); ++o) {
        const int v = g.outputs[o];
        if (g.values[size_t(v)].producer >= 0) ptrs_[size_t(v)] = io[size_t(nIn) + o];
    }

    std::vector<ir::TensorDesc> in, out;
    std::vector<cpu::HostTensor> hin, hout;
    uint8_t* ws = aligned(workspace_);
    for (size_t ni = 0; ni < g.nodes.size(); ++ni) {
        const ir::Node& n = g.nodes[ni];
        in.clear();
        hin.clear();
        for (int v : n.inputs) {
            if (v < 0) {
                in.push_back({});
                hin.push_back({});
                continue;
            }
            const ir::DType t = g.values[size_t(v)].dtype;
            in.push_back({t, shapes_[size_t(v)], ptrs_[size_t(v)]});
            hin.push_back({ptrs_[size_t(v)], t, shapes_[size_t(v)]});
        }
        KILN_RETURN_IF_ERROR(ir::inferNode(n, in, out));
        hout.clear();
        for (size_t i = 0; i < n.outputs.size(); ++i) {
            const int v = n.outputs[i];
            const ir::Value& val = g.values[size_t(v)];
            // The arena slot was sized for the engine's maximum shapes.
            if (ir::volume(out[i].shape) > ir::volume(val.shape) || ir::volume(out[i].shape) < 0)
                return Status::Error("layer '" + n.name + "': output shape " + ir::shapeToString(out[i].shape) +
                                     " exceeds the engine's maximum " + ir::shapeToString(val.shape));
            shapes_[size_t(v)] = out[i].shape;
            hout.push_back({ptrs_[size_t(v)], out[i].dtype, out[i].shape});
        }
        cpu::KernelArgs args{n, hin, hout, pool_, ws, core_->workspaceBytes()};
        KILN_RETURN_IF_ERROR(core_->kernel(ni).run(args).withContext("layer '" + n.name + "' (" + n.op + "): "));
    }
    // Outputs that no layer produces (an input or a constant marked as output).
    for (size_t o = 0; o < g.outputs.size(); ++o) {
        const int v = g.outputs[o];
        if (g.values[size_t(v)].producer >= 0) continue;
        const size_t bytes = size_t(ir::volume(shapes_[size_t(v)])) * ir::dtypeSize(g.values[size_t(v)].dtype);
        if (io[size_t(nIn) + o] != ptrs_[size_t(v)]) std::memmove(io[size_t(nIn) + o], ptrs_[size_t(v)], bytes);
    }
    return Status::Ok();
}

Status Executor::inferOutputShapes(const std::vector<ir::Shape>& inputShapes, std::vector<ir::Shape>& outputShapes) {
    const ir::Graph& g = core_->plan().graph;
    std::vector<ir::Shape> shapes(g.values.size());
    for (size_t v = 0; v < g.values.size(); ++v)
        if (g.values[v].isConstant()) shapes[v] = g.values[v].shape;
    for (size_t i = 0; i < g.inputs.size(); ++i) {
        KILN_RETURN_IF_ERROR(checkInputShape(int(i), inputShapes[i]));
        shapes[size_t(g.inputs[i])] = inputShapes[i];
    }
    std::vector<ir::TensorDesc> in, out;
    for (const auto& n : g.nodes) {
        in.clear();
        for (int v : n.inputs) {
            if (v < 0) in.push_back({});
            else
                in.push_back({g.values[size_t(v)].dtype, shapes[size_t(v)],
                              g.values[size_t(v)].data ? g.values[size_t(v)].data->data() : nullptr});
        }
        Status st = ir::inferNode(n, in, out);
        if (!st.ok()) {
            // Shapes that depend on computed values are known only after a run.
            for (int v : n.outputs) shapes[size_t(v)] = g.values[size_t(v)].shape;
            continue;
        }
        for (size_t i = 0; i < n.outputs.size(); ++i) shapes[size_t(n.outputs[i])] = out[i].shape;
    }
    outputShapes.clear();
    for (int v : g.outputs) outputShapes.push_back(shapes[size_t(v)]);
    return Status::Ok();
}

}  // namespace kiln::runtime
