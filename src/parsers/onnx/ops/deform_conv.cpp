// DeformConv (opsets 19, 22; 2-D) -> IDeformConvolutionLayer.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertDeformConv) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    ITensor* w = x ? ctx.tensor(1) : nullptr;
    ITensor* off = w ? ctx.tensor(2) : nullptr;
    if (!off) return false;
    if (x->getDimensions().nbDims != 4)
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "only 2-D deformable convolution (4-D X) is supported");
    const Dims wd = w->getDimensions();
    if (ctx.hasAttr("kernel_shape")) {
        const auto ks = ctx.attrInts("kernel_shape");
        if (ks.size() != 2 || wd.nbDims != 4 || (wd.d[2] >= 0 && wd.d[2] != ks[0]) ||
            (wd.d[3] >= 0 && wd.d[3] != ks[1]))
            return ctx.fail(ErrorCode::kINVALID_NODE, "kernel_shape does not match W");
    }
    IDeformConvolutionLayer* layer = ctx.network().addDeformConvolution(*x, *w, *off);
    if (!layer) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the DeformConv layer");
    if (ctx.hasAttr("strides")) layer->setStrideNd(toDims(ctx.attrInts("strides")));
    if (ctx.hasAttr("dilations")) layer->setDilationNd(toDims(ctx.attrInts("dilations")));
    if (ctx.hasAttr("pads")) {
        const auto pads = ctx.attrInts("pads");
        if (pads.size() != 4) return ctx.fail(ErrorCode::kINVALID_NODE, "pads need 4 entries");
        layer->setPrePadding(toDims({pads[0], pads[1]}));
        layer->setPostPadding(toDims({pads[2], pads[3]}));
    }
    layer->setNbGroups(ctx.attrInt("group", 1));
    layer->setNbOffsetGroups(ctx.attrInt("offset_group", 1));
    if (ctx.hasInput(3)) {
        ITensor* b = ctx.tensor(3);
        if (!b) return false;
        layer->setBias(*b);
    }
    if (ctx.hasInput(4)) {
        ITensor* m = ctx.tensor(4);
        if (!m) return false;
        layer->setMask(*m);
    }
    return pushLayer(ctx, layer, outputs);
}

}  // namespace kiln::onnx
