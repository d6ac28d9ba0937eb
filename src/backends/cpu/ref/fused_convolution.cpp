// Reference FusedConvolution (docs/ops.md): X clipped when the node says so
// (ir/ops/fused_convolution.h), the Convolution reference into the output,
// then + Z and the activation (relu, or clip as Activation clip), element by
// element in float32.
#include <cmath>
#include <vector>

#include "conv_common.h"
#include "ir/ops/fused_convolution.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace cc = convcommon;

bool fusedConvolutionSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                              const std::vector<ir::TensorDesc>& out) {
    if (node.op != "FusedConvolution" || in.size() < 2 || out.size() != 1) return false;
    const std::vector<ir::TensorDesc> convIn(in.begin(), in.begin() + std::min<size_t>(in.size(), 3));
    if (!cc::supports(node, convIn, out)) return false;
    const std::string act = node.attrs.getString("activation", "none");
    return (act == "none" || act == "relu" || act == "clip") && !(node.hasInput(3) && in[3].dtype != out[0].dtype);
}

namespace {

// x clamped to [lo, hi] (NaN propagating) in its own type, in `storage`.
HostTensor clipped(const HostTensor& x, double lo, double hi, std::vector<uint8_t>& storage) {
    HostTensor c = x;
    storage.resize(x.bytes());
    c.data = storage.data();
    for (int64_t i = 0; i < x.numel(); ++i) {
        double v = ir::loadAsDouble(x.data, x.dtype, i);
        v = v < lo ? lo : v;
        ir::storeFromDouble(c.data, c.dtype, i, hi < v ? hi : v);
    }
    return c;
}

}  // namespace

Status fusedConvolution(KernelArgs& args) {
    ir::Node conv = args.node;
    conv.op = "Convolution";
    conv.inputs.resize(std::min<size_t>(conv.inputs.size(), 3));
    std::vector<HostTensor> convIn(args.inputs.begin(), args.inputs.begin() + std::min<size_t>(args.inputs.size(), 3));
    std::vector<uint8_t> xStorage;
    const ir::XClip xc = ir::xClipOf(args.node);
    if (xc.on && !convIn.empty() && convIn[0].data) convIn[0] = clipped(convIn[0], xc.lo, xc.hi, xStorage);
    KernelArgs convArgs{conv, convIn, args.outputs, args.pool, args.workspace, args.workspaceBytes};
    KILN_RETURN_IF_ERROR(convolution(convArgs));
    HostTensor& y = args.outputs[0];
    const bool hasZ = args.node.hasInput(3) && args.inputs.size() > 3;
    const std::string act = args.node.attrs.getString("activation", "none");
    const bool relu = act == "relu", clip = act == "clip";
    const float lo = float(args.node.attrs.getFloat("clip_min", 0.0)), hi = float(args.node.attrs.getFloat("clip_max", 0.0));
    if (hasZ && (args.inputs[3].shape != y.shape || args.inputs[3].dtype != y.dtype))
        return Status::Error("FusedConvolution: Z must have the output's shape and dtype");
    if (!hasZ && !relu && !clip) return Status::Ok();
    std::vector<float> ys, zs;
    const float* yv = cc::asFloats(y, ys);
    const float* zv = hasZ ? cc::asFloats(args.inputs[3], zs) : nullptr;
    std::vector<float> r(yv, yv + y.numel());
    for (size_t i = 0; i < r.size(); ++i) {
        float v = r[i] + (zv ? zv[i] : 0.f);
        if (relu && v < 0) v = 0;  // NaN passes through, as Activation relu
        if (clip) {  // NaN propagates, as Activation clip
            v = v < lo ? lo : v;
            v = hi < v ? hi : v;
        }
        r[i] = v;
    }
    cc::storeFloats(r.data(), int64_t(r.size()), y.data, y.dtype, 0);
    return Status::Ok();
}

}  // namespace kiln::cpu::ref
