// The CUDA builder's FullyConnected epilogue pass: a FullyConnected whose only
// reader adds a tensor of its own shape (a residual connection: BERT's and
// ViT's `x + dense(h)`), or, in 16-bit, applies GELU (the MLP's first
// layer), takes that work into the GEMM's epilogue (docs/ops.md,
// FullyConnected): the product is written once instead of written, read and
// written again. Runs after reduced precision, so that it sees the dtypes the
// layers run in; kept only where a CUDA tactic takes the fused layer. In a
// dynamic engine the residual's shape is compared at the profile's max shapes
// (with shape tensors evaluated); a run whose shapes part is refused by the
// layer's shape inference, never read out of bounds.
#include "backends/cpu/shape_eval.h"
#include "builder/pass.h"
#include "cuda_build.h"
#include "ir/op_schema.h"
#include "ir/ops/fully_connected.h"

namespace kiln::builder {

namespace {

// The fused form of FullyConnected `fc` with its reader `r` folded in, or
// false where r is neither a residual Add nor a GELU it can take. `shapes`:
// every value's shape with the shape tensors of a dynamic engine evaluated
// at the graph's (max) input shapes, where inference alone leaves -1s.
bool fold(const ir::Graph& g, const std::vector<ir::Shape>& shapes, const ir::Node& fc, const ir::Node& r,
          ir::Node& fused) {
    const int y = fc.outputs[0];
    const ir::DType dt = g.values[size_t(y)].dtype;
    const ir::Shape& ys = shapes[size_t(y)];
    if (r.outputs.size() != 1 || !ir::isStatic(ys) || shapes[size_t(r.outputs[0])] != ys ||
        g.values[size_t(r.outputs[0])].dtype != dt)
        return false;
    fused = fc;
    if (r.op == "ElementWise" && r.attrs.getString("op") == "sum" && r.inputs.size() == 2 && !ir::fcHasEpilogue(fc)) {
        const int other = r.inputs[0] == y ? r.inputs[1] : r.inputs[0];
        if (other < 0 || other == y || shapes[size_t(other)] != ys || g.values[size_t(other)].dtype != dt) return false;
        fused.inputs.resize(3, -1);
        fused.inputs.push_back(other);
    } else if (r.op == "Activation" && r.attrs.getString("type") == "gelu_erf" && r.inputs.size() == 1 &&
               fc.attrs.getString("activation", "").empty() && (dt == ir::DType::kF16 || dt == ir::DType::kBF16)) {
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
    std::vector<ir::Shape> inputShapes;
    for (int v : g.inputs) inputShapes.push_back(g.values[size_t(v)].shape);
    for (bool again = true; again;) {
        again = false;
        const auto consumers = g.consumers();
        const std::vector<ir::Shape> shapes = cpu::inferWithHostValues(g, inputShapes);
        for (size_t i = 0; i < g.nodes.size(); ++i) {
            const ir::Node& fc = g.nodes[i];
            if (fc.dead || fc.op != "FullyConnected" || fc.outputs.size() != 1) continue;
            const int ri = soleConsumer(g, consumers, fc.outputs[0]);
            if (ri < 0 || g.nodes[size_t(ri)].dead) continue;
            const ir::Node& r = g.nodes[size_t(ri)];
            ir::Node fused;
            if (!fold(g, shapes, fc, r, fused)) continue;
            std::vector<ir::TensorDesc> in = ir::describeInputs(g, fused), out(1);
            for (size_t k = 0; k < in.size(); ++k)
                if (fused.inputs[k] >= 0) in[k].shape = shapes[size_t(fused.inputs[k])];
            if (!ir::inferNode(fused, in, out).ok() || out[0].shape != shapes[size_t(fused.outputs[0])] ||
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
