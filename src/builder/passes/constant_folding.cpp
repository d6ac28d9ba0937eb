// Evaluates layers whose inputs are all constants (and Shape layers whose
// reported dims are fixed, and Gathers and Slices that pick only fixed dims
// out of a Shape) at build time, with the reference kernels.
#include "../pass.h"
#include "backends/cpu/kernel.h"
#include "backends/cpu/shape_eval.h"
#include "ir/control_flow.h"
#include "ir/op_schema.h"
#include "ir/ops/data_movement.h"

namespace kiln::builder {
namespace {

// Folding bigger results would bloat engines for little gain.
constexpr size_t kMaxFoldedBytes = size_t(64) << 20;

// A Gather or Slice (other inputs constant) of a Shape whose dims do not all
// stay fixed: the Shape's node, else -1. What it picks may still be fixed
// (BERT's head size, hidden.shape[-1], is; its batch and sequence vary).
int pickedShape(const ir::Graph& g, const ir::Node& n) {
    if ((n.op != "Gather" && n.op != "Slice") || n.inputs.empty() || n.inputs[0] < 0) return -1;
    const int p = g.values[size_t(n.inputs[0])].producer;
    if (p < 0 || g.nodes[size_t(p)].dead || g.nodes[size_t(p)].op != "Shape") return -1;
    for (size_t k = 1; k < n.inputs.size(); ++k)
        if (n.inputs[k] >= 0 && !g.values[size_t(n.inputs[k])].isConstant()) return -1;
    return p;
}

bool foldable(const ir::Graph& g, const ir::Node& n) {
    if (ir::isLoopBoundaryOp(n.op)) return false;  // their values change with the iteration
    if (n.op == "Shape") {
        // Foldable when the dims it reports are fixed (others may vary with the profile).
        const ir::Shape& xs = g.values[size_t(n.inputs[0])].shape;
        int64_t start = 0, end = 0;
        ir::movement::shapeRange(n, int64_t(xs.size()), start, end);
        for (int64_t d = start; d < end; ++d)
            if (xs[size_t(d)] < 0) return false;
        return true;
    }
    if (pickedShape(g, n) >= 0) return true;
    bool any = false;
    for (int v : n.inputs) {
        if (v < 0) continue;
        if (!g.values[size_t(v)].isConstant()) return false;
        any = true;
    }
    return any;
}

// n's outputs computed by its reference kernel from its inputs' values, input
// 0's replaced by `in0` where given.
Status evaluate(const ir::Graph& g, const ir::Node& n, cpu::ThreadPool& pool, const std::vector<int64_t>* in0,
                std::vector<ir::TensorDesc>& out, std::vector<std::vector<uint8_t>>& bytes) {
    std::vector<ir::TensorDesc> in;
    for (int v : n.inputs) {
        if (v < 0) {
            in.push_back({});
            continue;
        }
        const auto& val = g.values[size_t(v)];
        in.push_back({val.dtype, val.shape, val.data ? val.data->data() : nullptr});
    }
    if (in0) in[0] = {ir::DType::kI64, {int64_t(in0->size())}, in0->data()};
    KILN_RETURN_IF_ERROR(ir::inferNode(n, in, out));
    for (const auto& d : out) {
        if (!ir::isStatic(d.shape)) return Status::Error("unknown output shape");
        if (size_t(ir::volume(d.shape)) * ir::dtypeSize(d.dtype) > kMaxFoldedBytes)
            return Status::Error("too large to fold");
    }
    const cpu::Tactic* t = cpu::findCpuTactic(n.op, "ref");
    if (!t || !t->supports(n, in, out)) return Status::Error("no reference kernel");
    if (!cpu::runReference(n, *t, in, out, pool, bytes)) return Status::Error("the reference kernel failed");
    return Status::Ok();
}

Status fold(ir::Graph& g, ir::Node& n, cpu::ThreadPool& pool) {
    std::vector<ir::TensorDesc> out;
    std::vector<std::vector<uint8_t>> bytes;
    if (const int p = pickedShape(g, n); p >= 0) {
        // The Shape's values with each varying dim as one of two sentinels: a
        // pick that does not change with them reads fixed dims only.
        const ir::Node& shape = g.nodes[size_t(p)];
        const ir::Shape& xs = g.values[size_t(shape.inputs[0])].shape;
        int64_t start = 0, end = 0;
        ir::movement::shapeRange(shape, int64_t(xs.size()), start, end);
        std::vector<std::vector<uint8_t>> alt;
        for (const int64_t sentinel : {int64_t(1) << 40, (int64_t(1) << 40) + 1}) {
            std::vector<int64_t> dims;
            for (int64_t d = start; d < end; ++d) dims.push_back(xs[size_t(d)] < 0 ? sentinel : xs[size_t(d)]);
            auto& target = alt.empty() ? alt : bytes;
            KILN_RETURN_IF_ERROR(evaluate(g, n, pool, &dims, out, target));
        }
        if (alt != bytes) return Status::Error("picks a dim that varies");
    } else {
        KILN_RETURN_IF_ERROR(evaluate(g, n, pool, nullptr, out, bytes));
    }
    for (size_t i = 0; i < n.outputs.size(); ++i) {
        auto& v = g.values[size_t(n.outputs[i])];
        v.dtype = out[i].dtype;
        v.shape = out[i].shape;
        v.data = std::make_shared<ir::Bytes>(std::move(bytes[i]));
        v.producer = -1;
    }
    return Status::Ok();
}

class ConstantFolding final : public Pass {
public:
    const char* name() const override { return "constant-folding"; }
    Status run(ir::Graph& g, bool& changed) override {
        cpu::ThreadPool pool(1);
        // A folded value can fix the extents of layers after it (a slice of a
        // table by a folded size), whose Shape layers then fold: sweep again
        // with the shapes inferred anew until nothing folds.
        for (int sweep = 0; sweep < 16; ++sweep) {
            bool folded = false;
            for (auto& n : g.nodes) {
                if (n.dead || !foldable(g, n)) continue;
                // A failure only means this layer stays a layer; the build goes on.
                if (fold(g, n, pool).ok()) {
                    n.dead = true;
                    folded = true;
                }
            }
            if (!folded) break;
            changed = true;
            g.compact();
            KILN_RETURN_IF_ERROR(ir::inferGraph(g));
        }
        return Status::Ok();
    }
};

}  // namespace

std::unique_ptr<Pass> makeConstantFolding() { return std::make_unique<ConstantFolding>(); }

}  // namespace kiln::builder
