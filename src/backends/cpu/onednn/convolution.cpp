// oneDNN Convolution, and the code it shares with Deconvolution (the
// "convolution family"): geometry from ir::resolveConvGeometry, so auto_pad,
// ceil_mode and output_shape resolve exactly as shape inference does, then
// explicit left pads plus a right pad derived from the output extent, which is
// how oneDNN states every one of those cases. Weights are constants, reordered
// once into oneDNN's preferred (blocked) layout; activations are staged
// through the workspace when oneDNN prefers a blocked layout for them too.
#include "ir/ops/channels_last.h"
#include "../../../ir/ops/convolution.h"
#include "../ref/ref_kernels.h"
#include "onednn_common.h"
#include "onednn_tactics.h"

namespace kiln::cpu::onednn {

namespace {

using dnnl::algorithm;
using dnnl::prop_kind;
using tag = memory::format_tag;

// oneDNN's weights dims: [G, M/G, C/G, K..] with groups, else [M, C, K..]
// (for Deconvolution too: oneDNN orders deconvolution weights out, in).
dims weightsDims(const ir::Shape& w, int64_t group, bool transposed) {
    const int64_t outCh = transposed ? w[1] * group : w[0];
    const int64_t inCh = transposed ? w[0] : w[1] * group;
    dims d;
    if (group > 1) d = {group, outCh / group, inCh / group};
    else d = {outCh, inCh};
    d.insert(d.end(), w.begin() + 2, w.end());
    return d;
}

// kiln's W as a view in oneDNN's dims order. Convolution W [M, C/G, K..] is
// already goihw/oihw; Deconvolution W [C, M/G, K..] = [G, C/G, M/G, K..] is
// gio.../io... so its two channel strides swap.
memory::desc userWeightsDesc(const ir::Shape& w, int64_t group, bool transposed) {
    const dims d = weightsDims(w, group, transposed);
    dims st = rowMajorStrides(d);
    if (transposed) {
        const size_t o = group > 1 ? 1 : 0, i = o + 1;  // positions of out/in channels
        int64_t kVol = 1;
        for (size_t a = 2; a < w.size(); ++a) kVol *= w[a];
        st[o] = kVol;
        st[i] = d[o] * kVol;
    }
    return stridedDesc(d, st);
}

// Builds the primitive for input shape x (W, bias presence and attributes fixed).
Status convSetup(const ir::Node& node, const ir::Shape& x, const ir::Shape& w, bool hasBias, bool transposed,
                 Setup& s) {
    ir::ConvGeometry g;
    KILN_RETURN_IF_ERROR(ir::resolveConvGeometry(node, x, w, transposed, g));
    const size_t k = size_t(g.spatialRank);
    dims strides, dil, padL, padR;
    for (size_t i = 0; i < k; ++i) {
        const int64_t S = x[2 + i], O = g.outShape[2 + i], st = g.strides[i], d = g.dilations[i];
        const int64_t span = (w[2 + i] - 1) * d + 1;
        strides.push_back(st);
        dil.push_back(d - 1);  // oneDNN counts dilation from 0
        padL.push_back(g.padsBegin[i]);
        // The right pad that makes oneDNN's size rule give exactly O: it may
        // exceed pads_end (ceil_mode, SAME) or fall short of it (unused tail).
        padR.push_back(transposed ? st * (S - 1) + span - g.padsBegin[i] - O
                                  : (O - 1) * st + span - S - g.padsBegin[i]);
    }
    const memory::desc src(toDims(x), memory::data_type::f32, tag::any);
    const memory::desc wts(weightsDims(w, g.group, transposed), memory::data_type::f32, tag::any);
    const memory::desc dst(toDims(g.outShape), memory::data_type::f32, tag::any);
    const memory::desc bias = hasBias ? plainDesc({g.outChannels}) : memory::desc();
    const dnnl::primitive_attr attr = userScratchpadAttr();
    if (transposed) {
        dnnl::deconvolution_forward::desc d(prop_kind::forward_inference, algorithm::deconvolution_direct, src, wts,
                                            bias, dst, strides, dil, padL, padR);
        s.pd = dnnl::deconvolution_forward::primitive_desc(d, attr, cpuEngine());
    } else {
        dnnl::convolution_forward::desc d(prop_kind::forward_inference, algorithm::convolution_direct, src, wts, bias,
                                          dst, strides, dil, padL, padR);
        s.pd = dnnl::convolution_forward::primitive_desc(d, attr, cpuEngine());
    }
    s.srcUser = plainDesc(toDims(x));
    s.dstUser = plainDesc(toDims(g.outShape));
    return Status::Ok();
}

SetupFn makeSetup(const ir::Node& node, const ir::Shape& w, bool hasBias, bool transposed) {
    ir::Node copy = node;  // the kernel may outlive the caller's node
    return [copy, w, hasBias, transposed](const std::vector<ir::Shape>& shapes, Setup& s) {
        return convSetup(copy, shapes.at(0), w, hasBias, transposed, s);
    };
}

bool hasBias(const ir::Node& node) { return node.hasInput(2); }

}  // namespace

bool convFamilySupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                        const std::vector<ir::TensorDesc>& out, bool transposed) {
    if (ir::isChannelsLast(node)) return false;  // the reference handles that layout
    if (in.size() < 2 || out.size() != 1 || !node.hasInput(0) || !allF32(node, in, out)) return false;
    // Weights and bias are prepared once, so they must be build-time constants.
    if (!isConstant(node, in, 1) || (hasBias(node) && !isConstant(node, in, 2))) return false;
    const ir::Shape& x = in[0].shape;
    if (x.size() < 3 || x.size() > 5 || !ir::isStatic(x) || ir::volume(x) == 0) return false;
    return canSetup(makeSetup(node, in[1].shape, hasBias(node), transposed), {x});
}

size_t convFamilyWorkspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in, bool transposed) {
    if (in.size() < 2) return 0;
    return setupWorkspace(makeSetup(node, in[1].shape, hasBias(node), transposed), {in[0].shape});
}

Status convFamilyCreate(const ir::Node& node, const std::vector<ir::TensorDesc>& in, bool transposed,
                        std::unique_ptr<Kernel>& kernel) {
    if (in.size() < 2 || !isConstant(node, in, 1) || (hasBias(node) && !isConstant(node, in, 2)))
        return Status::Error(node.op + " (onednn): W and B must be constants");
    return guarded(node.op + " (onednn)", [&] {
        ir::ConvGeometry g;
        KILN_RETURN_IF_ERROR(ir::resolveConvGeometry(node, in[0].shape, in[1].shape, transposed, g));
        if (hasBias(node) && in[2].shape != ir::Shape{g.outChannels})
            return Status::Error(node.op + " (onednn): bias shape " + ir::shapeToString(in[2].shape) + " is not [M]");
        KernelSpec spec;
        spec.op = node.op;
        spec.setup = makeSetup(node, in[1].shape, hasBias(node), transposed);
        spec.shapeInputs = {0};
        spec.constWeights = memory(userWeightsDesc(in[1].shape, g.group, transposed), cpuEngine(),
                                   const_cast<void*>(in[1].data));
        if (hasBias(node)) spec.bias = ownedCopy(plainDesc({g.outChannels}), in[2].data);
        // Run-time shapes oneDNN declines (possible with dynamic spatial dims) use the reference.
        spec.fallback = transposed ? &ref::deconvolution : &ref::convolution;
        return createKernel(std::move(spec), {in[0].shape}, kernel);
    });
}

bool convolutionSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                         const std::vector<ir::TensorDesc>& out) {
    return node.op == "Convolution" && convFamilySupports(node, in, out, false);
}

size_t convolutionWorkspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                            const std::vector<ir::TensorDesc>&) {
    return convFamilyWorkspace(node, in, false);
}

Status convolutionCreate(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                         const std::vector<ir::TensorDesc>&, std::unique_ptr<Kernel>& kernel) {
    return convFamilyCreate(node, in, false, kernel);
}

}  // namespace kiln::cpu::onednn
