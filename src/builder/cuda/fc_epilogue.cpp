// The CUDA builder's FullyConnected epilogue pass: a FullyConnected whose only
// reader adds a tensor of its own shape (a residual connection: BERT's and
// ViT's `x + dense(h)`), or, in 16-bit, applies GELU (the MLP's first
// layer), takes that work into the GEMM's epilogue (docs/ops.md,
// FullyConnected): the product is written once instead of written, read and
// written again. Runs after reduced precision, so that it sees the dtypes the
// layers run in; kept only where a CUDA tactic takes the fused layer.
#include "builder/pass.h"
#include "cuda_build.h"
#include "ir/op_schema.h"
#include "ir/ops/fully_connected.h"

namespace kiln::builder {

namespace {

// The fused form of FullyConnected `fc` with its reader `r` folded in, or
// false where r is neither a residual Add nor a GELU it can take.
bool fold(const ir::Graph& g, const ir::Node& fc, const ir::Node& r, ir::Node& fused) {
    const int y = fc.outputs[0];
    const ir::Value& yv = g.values[size_t(y)];
    if (r.outputs.size() != 1 || g.values[size_t(r.outputs[0])].shape != yv.shape ||
        g.values[size_t(r.outputs[0])].dtype != yv.dtype)
        return false;
    fused = fc;
    if (r.op == "ElementWise" && r.attrs.getString("op") == "sum" && r.inputs.size() == 2 && !ir::fcHasEpilogue(fc)) {
        const int other = r.inputs[0] == y ? r.inputs[1] : r.inputs[0];
        if (other < 0 || other == y || g.values[size_t(other)].shape != yv.shape ||
            g.values[size_t(other)].dtype != yv.dtype)
            return false;
        fused.inputs.resize(3, -1);
        fused.inputs.push_back(other);
    } else if (r.op == "Activation" && r.attrs.getString("type") == "gelu_erf" && r.inputs.size() == 1 &&
               fc.attrs.getString("activation", "").empty() &&
               (yv.dtype == ir::DType::kF16 || yv.dtype == ir::DType::kBF16)) {
        fused.attrs.set("activation", std::string("gelu_erf"));
    } else {
        return false;
    }
    fused.outputs = {r.outputs[0]};
    return true;
}

}  // namespace

Status fuseFcEpilogues(ir::Graph& g, const LogFn& log) {
    int residuals = 0, gelus = 0;
    // A residual Add then a GELU fold one after the other: repeat until nothing changes.
    for (bool again = true; again;) {
        again = false;
        const auto consumers = g.consumers();
        for (size_t i = 0; i < g.nodes.size(); ++i) {
            const ir::Node& fc = g.nodes[i];
            if (fc.dead || fc.op != "FullyConnected" || fc.outputs.size() != 1) continue;
            const int ri = soleConsumer(g, consumers, fc.outputs[0]);
            if (ri < 0 || g.nodes[size_t(ri)].dead) continue;
            const ir::Node& r = g.nodes[size_t(ri)];
            ir::Node fused;
            if (!fold(g, fc, r, fused)) continue;
            std::vector<ir::TensorDesc> in = ir::describeInputs(g, fused), out(1);
            if (!ir::inferNode(fused, in, out).ok() || out[0].shape != g.values[size_t(fused.outputs[0])].shape ||
                !anyCudaTactic(fused, in, out))
                continue;
            // The residual is produced before the Add; the fused layer takes the
            // Add's place in the order, after both of its inputs.
            (r.op == "ElementWise" ? residuals : gelus)++;
            g.nodes[size_t(ri)] = std::move(fused);
            g.nodes[i].dead = true;
            again = true;
        }
        if (again) g.compact();
    }
    if (residuals + gelus)
        log(kLogVerbose, "CUDA FullyConnected epilogues: " + std::to_string(residuals) + " residual Add(s), " +
                             std::to_string(gelus) + " GELU(s) folded in");
    return Status::Ok();
}

}  // namespace kiln::builder
