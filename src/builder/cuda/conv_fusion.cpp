// The CUDA builder's convolution fusion: a Convolution whose output feeds
// only an ElementWise sum (the other operand, of the same shape and dtype,
// becomes Z) and/or only an Activation relu (or, after a depthwise
// convolution, a clip) becomes one FusedConvolution node, which cuDNN's fused
// convolution (or the own kernels) runs in a single launch: the intermediate
// tensors are never written.
#include "builder/pass.h"
#include "cuda_build.h"
#include "ir/op_schema.h"

namespace kiln::builder {

namespace {

// A 2-D depthwise convolution (one group per channel) in a type the depthwise
// kernel takes: the only convolutions a clip (ReLU6) is fused into, because
// cuDNN's and cuBLASLt's fused epilogues have no clip and kiln's depthwise
// kernel (kernels/depthwise.cu) applies it for free.
bool isDepthwise(const ir::Graph& g, const ir::Node& conv) {
    if (conv.inputs.size() < 2 || conv.inputs[0] < 0 || conv.inputs[1] < 0) return false;
    const ir::Value& x = g.values[size_t(conv.inputs[0])];
    const ir::Value& w = g.values[size_t(conv.inputs[1])];
    const bool type = x.dtype == ir::DType::kF32 || x.dtype == ir::DType::kF16 || x.dtype == ir::DType::kBF16;
    const int64_t group = conv.attrs.getInt("group", 1);
    return type && x.shape.size() == 4 && w.shape.size() == 4 && x.shape[1] > 0 && group == x.shape[1] &&
           w.shape[0] == group && w.shape[1] == 1;
}

}  // namespace

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
        bool clip = false;
        double lo = 0, hi = 0;
        if (c >= 0) {
            const ir::Node& a = g.nodes[size_t(c)];
            const std::string type = a.op == "Activation" ? a.attrs.getString("type") : "";
            if (type == "relu" && a.outputs.size() == 1) {
                relu = true;
                absorbed.push_back(c);
                out = a.outputs[0];
            } else if (type == "clip" && a.outputs.size() == 1 && z < 0 && isDepthwise(g, g.nodes[i])) {
                clip = true;
                lo = a.attrs.getFloat("alpha", 0.0);
                hi = a.attrs.getFloat("beta", 0.0);
                absorbed.push_back(c);
                out = a.outputs[0];
            }
        }
        if (absorbed.empty() || lo > hi) continue;
        ir::Node& n = g.nodes[i];
        n.op = "FusedConvolution";
        n.inputs.resize(3, -1);  // X, W, B (or absent)
        if (z >= 0) n.inputs.push_back(z);
        n.attrs.set("activation", relu ? "relu" : clip ? "clip" : "none");
        if (clip) {
            n.attrs.set("clip_min", lo);
            n.attrs.set("clip_max", hi);
        }
        n.outputs = {out};
        g.values[size_t(out)].producer = int(i);
        for (int a : absorbed) g.nodes[size_t(a)].dead = true;
        ++fused;
    }
    if (fused) {
        g.compact();
        log(kLogVerbose,
            "CUDA convolution fusion: " + std::to_string(fused) + " convolution(s) fused with their add/relu/clip");
    }
    return Status::Ok();
}

}  // namespace kiln::builder
