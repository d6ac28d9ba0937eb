// The CUDA builder's input-clip fusion: an Activation clip whose only reader
// is a depthwise convolution's X (MobileNetV2's ReLU6 between each 1x1
// expansion and its depthwise layer: the expansion runs in cuBLASLt or cuDNN,
// whose epilogues have no clip) becomes that convolution's input clip
// (ir/ops/fused_convolution.h), applied by kiln_depthwise to each element it
// loads: the clipped tensor is neither written nor read again. The zero
// padding stays zero only for a range that holds 0; other clips stay apart.
// Runs after cuda-conv-clip-fusion (a clip that joined its producer is gone),
// and keeps a fusion only where kiln_depthwise runs the fused layer.
#include "builder/pass.h"
#include "cuda_build.h"
#include "ir/op_schema.h"
#include "ir/ops/fused_convolution.h"

namespace kiln::builder {

Status fuseConvInputClips(ir::Graph& g, const LogFn& log) {
    const auto consumers = g.consumers();
    int fused = 0;
    for (ir::Node& a : g.nodes) {
        if (a.dead || a.op != "Activation" || a.attrs.getString("type") != "clip" || a.inputs.size() != 1 ||
            a.outputs.size() != 1 || a.inputs[0] < 0)
            continue;
        const ir::XClip clip{true, a.attrs.getFloat("alpha", 0.0), a.attrs.getFloat("beta", 0.0)};
        if (!clip.holdsZero()) continue;
        const int v = a.outputs[0];
        const int c = soleConsumer(g, consumers, v);
        if (c < 0) continue;
        const ir::Node& conv = g.nodes[size_t(c)];
        if ((conv.op != "Convolution" && conv.op != "FusedConvolution") || conv.inputs.empty() || conv.inputs[0] != v ||
            ir::xClipOf(conv).on)
            continue;
        bool readOnce = true;
        for (size_t k = 1; k < conv.inputs.size(); ++k) readOnce = readOnce && conv.inputs[k] != v;
        if (!readOnce || g.values[size_t(a.inputs[0])].dtype != g.values[size_t(v)].dtype) continue;
        ir::Node candidate = asFusedConvolution(conv);
        candidate.inputs[0] = a.inputs[0];
        candidate.attrs.set("x_clip_min", clip.lo);
        candidate.attrs.set("x_clip_max", clip.hi);
        if (!cudaTacticRuns(g, candidate, {"kiln_depthwise"})) continue;
        g.nodes[size_t(c)] = std::move(candidate);
        a.dead = true;
        ++fused;
    }
    if (fused) {
        g.compact();
        log(kLogVerbose, "CUDA input-clip fusion: " + std::to_string(fused) +
                             " clip(s) now applied by the depthwise convolution reading them");
    }
    return Status::Ok();
}

}  // namespace kiln::builder
