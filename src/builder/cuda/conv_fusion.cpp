// The CUDA builder's convolution fusion: a Convolution whose output feeds
// only an ElementWise sum (the other operand, of the same shape and dtype,
// becomes Z) and/or only an Activation relu becomes one FusedConvolution
// node, which cuDNN's fused convolution (or the own kernels) runs in a single
// launch: the intermediate tensors are never written. A clip joins later,
// where an own kernel takes it (conv_clip_fusion.cpp).
#include "builder/pass.h"
#include "cuda_build.h"
#include "ir/op_schema.h"

namespace kiln::builder {

ir::Node asFusedConvolution(ir::Node conv) {
    if (conv.op == "Convolution") {
        conv.op = "FusedConvolution";
        conv.inputs.resize(3, -1);  // X, W, B (or absent)
        conv.attrs.set("activation", "none");
    }
    return conv;
}

Status fuseConvolutions(ir::Graph& g, const LogFn& log) {
    const auto consumers = g.consumers();
    auto onlyConsumer = [&](int v) { return soleConsumer(g, consumers, v); };
    int fused = 0;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        if (g.nodes[i].dead || g.nodes[i].op != "Convolution" || g.nodes[i].outputs.size() != 1) continue;
        const int convOut = g.nodes[i].outputs[0];
        const ir::Value& cv = g.values[size_t(convOut)];
        if (!ir::dtypeIsFloat(cv.dtype)) continue;
        int out = convOut, z = -1;
        bool relu = false;
        std::vector<int> absorbed;
        int c = onlyConsumer(out);
        if (c >= 0) {
            const ir::Node& e = g.nodes[size_t(c)];
            if (e.op == "ElementWise" && e.attrs.getString("op") == "sum" && e.inputs.size() == 2 &&
                e.outputs.size() == 1 && e.inputs[0] != e.inputs[1]) {
                const int other = e.inputs[0] == out ? e.inputs[1] : e.inputs[0];
                const ir::Value& ov = g.values[size_t(other)];
                // No broadcasting: Z has exactly the convolution's output shape.
                if (other >= 0 && ov.shape == cv.shape && ov.dtype == cv.dtype &&
                    g.values[size_t(e.outputs[0])].shape == cv.shape) {
                    z = other;
                    absorbed.push_back(c);
                    out = e.outputs[0];
                    c = onlyConsumer(out);
                }
            }
        }
        if (c >= 0) {
            const ir::Node& a = g.nodes[size_t(c)];
            if (a.op == "Activation" && a.attrs.getString("type") == "relu" && a.outputs.size() == 1) {
                relu = true;
                absorbed.push_back(c);
                out = a.outputs[0];
            }
        }
        if (absorbed.empty()) continue;
        ir::Node& n = g.nodes[i];
        n = asFusedConvolution(std::move(n));
        if (z >= 0) n.inputs.push_back(z);
        n.attrs.set("activation", relu ? "relu" : "none");
        n.outputs = {out};
        g.values[size_t(out)].producer = int(i);
        for (int a : absorbed) g.nodes[size_t(a)].dead = true;
        ++fused;
    }
    if (fused) {
        g.compact();
        log(kLogVerbose,
            "CUDA convolution fusion: " + std::to_string(fused) + " convolution(s) fused with their add/relu");
    }
    return Status::Ok();
}

}  // namespace kiln::builder
