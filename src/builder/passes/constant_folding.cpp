// Evaluates layers whose inputs are all constants (and Shape layers whose
// reported dims are fixed) at build time, with the reference kernels.
#include "../pass.h"
#include "backends/cpu/kernel.h"
#include "ir/control_flow.h"
#include "ir/op_schema.h"
#include "ir/ops/data_movement.h"

namespace kiln::builder {
namespace {

// Folding bigger results would bloat engines for little gain.
constexpr size_t kMaxFoldedBytes = size_t(64) << 20;

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
    bool any = false;
    for (int v : n.inputs) {
        if (v < 0) continue;
        if (!g.values[size_t(v)].isConstant()) return false;
        any = true;
    }
    return any;
}

Status fold(ir::Graph& g, ir::Node& n, cpu::ThreadPool& pool) {
    std::vector<ir::TensorDesc> in;
    std::vector<cpu::HostTensor> hin;
    for (int v : n.inputs) {
        ir::TensorDesc d;
        cpu::HostTensor h;
        if (v >= 0) {
            const auto& val = g.values[size_t(v)];
            d = {val.dtype, val.shape, val.data ? val.data->data() : nullptr};
            h = {const_cast<uint8_t*>(val.data ? val.data->data() : nullptr), val.dtype, val.shape};
        }
        in.push_back(d);
        hin.push_back(h);
    }
    std::vector<ir::TensorDesc> out;
    KILN_RETURN_IF_ERROR(ir::inferNode(n, in, out));
    std::vector<std::shared_ptr<ir::Bytes>> buffers;
    std::vector<cpu::HostTensor> hout;
    for (const auto& d : out) {
        if (!ir::isStatic(d.shape)) return Status::Error("unknown output shape");
        const size_t bytes = size_t(ir::volume(d.shape)) * ir::dtypeSize(d.dtype);
        if (bytes > kMaxFoldedBytes) return Status::Error("too large to fold");
        buffers.push_back(std::make_shared<ir::Bytes>(bytes));
        hout.push_back({buffers.back()->data(), d.dtype, d.shape});
    }
    const cpu::Tactic* t = cpu::findCpuTactic(n.op, "ref");
    if (!t || !t->supports(n, in, out)) return Status::Error("no reference kernel");
    std::unique_ptr<cpu::Kernel> k;
    KILN_RETURN_IF_ERROR(t->create(n, in, out, k));
    cpu::KernelArgs args{n, hin, hout, pool};
    KILN_RETURN_IF_ERROR(k->run(args));
    for (size_t i = 0; i < n.outputs.size(); ++i) {
        auto& v = g.values[size_t(n.outputs[i])];
        v.dtype = out[i].dtype;
        v.shape = out[i].shape;
        v.data = buffers[i];
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
