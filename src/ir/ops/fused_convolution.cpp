// FusedConvolution (docs/ops.md): Y = act(conv(X, W) + B + Z) (act: none, relu,
// or clip to [clip_min, clip_max], MobileNet's ReLU6; X optionally clipped
// first, fused_convolution.h), the node the
// CUDA builder's fusion pass makes of Convolution -> ElementWise sum ->
// Activation chains so that one kernel (cuDNN's fused convolution) does it all.
// Never produced by the network API or the parsers.
#include <string>

#include "fused_convolution.h"
#include "op_families.h"

namespace kiln::ir {

namespace {

bool knownActivation(const std::string& a) { return a == "none" || a == "relu" || a == "clip"; }

Status inferFusedConvolution(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const std::string act = node.attrs.getString("activation", "none");
    if (!knownActivation(act)) return Status::Error("unknown activation '" + act + "' (expected none, relu or clip)");
    if (act == "clip" && !(node.attrs.getFloat("clip_min", 0.0) <= node.attrs.getFloat("clip_max", 0.0)))
        return Status::Error("clip_min must not exceed clip_max");
    const XClip xc = xClipOf(node);
    if (xc.on && !(node.attrs.has("x_clip_min") && node.attrs.has("x_clip_max") && xc.holdsZero()))
        return Status::Error("x_clip_min and x_clip_max must both be given, with x_clip_min <= 0 <= x_clip_max");
    // The convolution part is a Convolution on X, W and B.
    Node conv = node;
    conv.op = "Convolution";
    conv.attrs.erase("activation");
    conv.attrs.erase("clip_min");
    conv.attrs.erase("clip_max");
    conv.attrs.erase("x_clip_min");
    conv.attrs.erase("x_clip_max");
    const size_t n = std::min<size_t>(in.size(), 3);
    conv.inputs.assign(node.inputs.begin(), node.inputs.begin() + std::min(node.inputs.size(), n));
    while (conv.inputs.size() > 2 && conv.inputs.back() < 0) conv.inputs.pop_back();
    std::vector<TensorDesc> convIn(in.begin(), in.begin() + std::min(conv.inputs.size(), n));
    KILN_RETURN_IF_ERROR(inferNode(conv, convIn, out));
    if (in.size() > 3 && node.inputs.size() > 3 && node.inputs[3] >= 0) {
        const TensorDesc& z = in[3];
        if (z.dtype != out[0].dtype)
            return Status::Error("input 3 (Z) has dtype " + std::string(dtypeName(z.dtype)) + ", the output " +
                                 std::string(dtypeName(out[0].dtype)));
        if (z.shape != out[0].shape)
            return Status::Error("input 3 (Z) has shape " + shapeToString(z.shape) + ", the output " +
                                 shapeToString(out[0].shape));
    }
    return Status::Ok();
}

}  // namespace

void registerFusedConvolutionOps(std::vector<OpSchema>& t) {
    t.push_back({"FusedConvolution", 2, 4, 1, 1, &inferFusedConvolution});
}

}  // namespace kiln::ir
