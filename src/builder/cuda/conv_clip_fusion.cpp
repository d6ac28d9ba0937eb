// The CUDA builder's clip fusion: an Activation clip (MobileNet's ReLU6) fed
// only by a Convolution or FusedConvolution without activation joins it as
// FusedConvolution's "clip" activation, when one of kiln's own fast kernels
// runs the fused layer (kiln_depthwise: depthwise 2-D; kiln_conv_small_k:
// channels-first, at most 64 terms per output, e.g. a 1x1 of few channels). cuDNN's and cuBLASLt's fused epilogues
// have no clip, and trading them for the generic own kernel would be slower
// than the separate clip. It runs after reduced precision and cuda-channels-last,
// which settle the types and layouts those kernels' support depends on.
#include "builder/pass.h"
#include "cuda_build.h"
#include "ir/op_schema.h"

namespace kiln::builder {

Status fuseConvClips(ir::Graph& g, const LogFn& log) {
    const auto consumers = g.consumers();
    int fused = 0;
    for (ir::Node& a : g.nodes) {
        if (a.dead || a.op != "Activation" || a.attrs.getString("type") != "clip" || a.inputs.size() != 1 ||
            a.outputs.size() != 1)
            continue;
        const int v = a.inputs[0];
        const int p = v >= 0 ? g.values[size_t(v)].producer : -1;
        if (p < 0 || soleConsumer(g, consumers, v) < 0) continue;
        const ir::Node& conv = g.nodes[size_t(p)];
        if (conv.dead || (conv.op != "Convolution" && conv.op != "FusedConvolution") || conv.outputs.size() != 1 ||
            conv.attrs.getString("activation", "none") != "none")
            continue;
        const int out = a.outputs[0];
        if (g.values[size_t(out)].dtype != g.values[size_t(v)].dtype) continue;
        const double lo = a.attrs.getFloat("alpha", 0.0), hi = a.attrs.getFloat("beta", 0.0);
        if (lo > hi) continue;
        ir::Node candidate = asFusedConvolution(conv);
        candidate.attrs.set("activation", std::string("clip"));
        candidate.attrs.set("clip_min", lo);
        candidate.attrs.set("clip_max", hi);
        candidate.outputs = {out};
        if (!cudaTacticRuns(g, candidate, {"kiln_depthwise", "kiln_conv_small_k"})) continue;
        g.nodes[size_t(p)] = std::move(candidate);
        g.values[size_t(out)].producer = p;
        a.dead = true;
        ++fused;
    }
    if (fused) {
        g.compact();
        log(kLogVerbose,
            "CUDA clip fusion: " + std::to_string(fused) + " clip(s) joined their convolution's own kernel");
    }
    return Status::Ok();
}

}  // namespace kiln::builder
