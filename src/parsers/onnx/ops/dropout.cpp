// Dropout. Without training (opsets < 12, training_mode absent or a constant
// false, or a constant ratio of 0) it is the identity with an all-true mask.
// In training mode it drops each element with probability `ratio`:
// mask = U >= ratio for U uniform in [0, 1) (IFillLayer), y = x * mask / (1 - ratio);
// a run-time training_mode selects between that and the identity.
#include "ops.h"
#include "shape_math.h"

namespace kiln::onnx {

namespace {

bool identityDropout(ConverterContext& ctx, const pb::NodeProto& node, ITensor& x, std::vector<ITensor*>& outputs) {
    if (!pushLayer(ctx, ctx.network().addIdentity(x), outputs)) return false;
    if (node.output_size() > 1 && !node.output(1).empty()) {
        std::vector<int64_t> dims = dimsOf(x);
        for (int64_t v : dims)
            if (v < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "the mask output of a dynamically shaped input");
        Constant allTrue;
        allTrue.type = DataType::kBOOL;
        allTrue.bytes = {1};
        if (!shape::fillOutput(ctx, dims, allTrue, outputs)) return false;
    }
    return true;
}

}  // namespace

KILN_ONNX_CONVERTER(convertDropout) {
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    if (ctx.opset() < 12 || !ctx.hasInput(2)) return identityDropout(ctx, node, *x, outputs);
    const Constant* training = ctx.constant(2);
    const Constant* ratioConst = ctx.hasInput(1) ? ctx.constant(1) : nullptr;
    if (training && training->count() == 1 && training->toInt64s()[0] == 0)
        return identityDropout(ctx, node, *x, outputs);
    if (ratioConst && ratioConst->count() == 1 && ratioConst->toFloats()[0] == 0.f)
        return identityDropout(ctx, node, *x, outputs);

    const std::vector<int64_t> d = dimsOf(*x);
    const int32_t rank = static_cast<int32_t>(d.size());
    const DataType t = x->getType();
    ITensor* ratio = ctx.hasInput(1) ? ctx.tensor(1) : scalarOfType(ctx, 0.5, 0, t);
    if (!ratio) return false;
    ratio = castTo(ctx, *ratio, t, "_ratio");
    bool dynamic = false;
    for (int64_t v : d) dynamic |= v < 0;
    Dims fillDims = toDims(d);
    if (dynamic) fillDims.nbDims = -1;  // the shape comes from input 0 instead
    IFillLayer* fill = ctx.network().addFill(fillDims, FillOperation::kRANDOM_UNIFORM, t);
    if (fill) {
        fill->setAlpha(0.0);
        fill->setBeta(1.0);
        if (dynamic) {
            ITensor* shape = layerOutput(ctx, ctx.network().addShape(*x), "_shape");
            if (!shape) return false;
            fill->setInput(0, *shape);
        }
    }
    ITensor* u = layerOutput(ctx, fill, "_uniform");
    ITensor* drop = u && ratio ? binary(ctx, *u, *ratio, ElementWiseOperation::kLESS, "_drop") : nullptr;
    ITensor* keep = drop ? unary(ctx, *drop, UnaryOperation::kNOT, "_mask") : nullptr;
    ITensor* keepF = keep ? castTo(ctx, *keep, t, "_mask_cast") : nullptr;
    ITensor* one = keepF ? scalarOfType(ctx, 1, 0, t) : nullptr;
    ITensor* rest = one ? binary(ctx, *one, *ratio, ElementWiseOperation::kSUB, "_keep_ratio") : nullptr;
    ITensor* kept = rest ? binary(ctx, *x, *keepF, ElementWiseOperation::kPROD, "_apply_mask") : nullptr;
    ITensor* y = kept ? binary(ctx, *kept, *rest, ElementWiseOperation::kDIV, "_scale") : nullptr;
    if (!y) return false;
    ITensor* mask = keep;
    if (!training) {  // training_mode known at run time only
        ITensor* on = ctx.tensor(2);
        if (!on) return false;
        if (on->getType() != DataType::kBOOL) return ctx.fail(ErrorCode::kINVALID_NODE, "training_mode must be bool");
        ITensor* allTrue = scalarOfType(ctx, 1, rank, DataType::kBOOL);
        y = allTrue ? select(ctx, *on, *y, *x, "_train_or_identity") : nullptr;
        mask = y ? select(ctx, *on, *keep, *allTrue, "_train_or_all") : nullptr;
        if (!mask) return false;
    }
    ITensor* out = layerOutput(ctx, ctx.network().addIdentity(*y), "");
    if (!out) return false;
    outputs.push_back(out);
    if (node.output_size() > 1 && !node.output(1).empty()) outputs.push_back(mask);
    return true;
}

}  // namespace kiln::onnx
