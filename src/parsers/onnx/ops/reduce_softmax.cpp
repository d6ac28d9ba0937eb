// Softmax -> ISoftMaxLayer (opset < 13: flatten-to-2D semantics); Reduce* -> IReduceLayer.
#include <map>

#include "ops.h"

namespace kiln::onnx {

namespace {

bool softmax(ConverterContext& ctx, std::vector<ITensor*>& outputs) {
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const Dims d = x->getDimensions();
    const bool legacy = ctx.opset() < 13;
    int64_t axis = ctx.attrInt("axis", legacy ? 1 : -1);
    if (!normalizeAxis(axis, d.nbDims)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    if (!legacy || axis == d.nbDims - 1) {
        // Along one axis (also what the legacy 2-D flattening means when axis is the last one).
        ISoftMaxLayer* s = ctx.network().addSoftMax(*x);
        if (s) s->setAxes(1u << axis);
        return pushLayer(ctx, s, outputs);
    }
    // Legacy: softmax over the flattened trailing block [axis, rank).
    int64_t left = 1, right = 1;
    for (int i = 0; i < d.nbDims; ++i) {
        if (d.d[i] < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "opset < 13 softmax over dynamic dims");
        int64_t& side = i < axis ? left : right;
        if (__builtin_mul_overflow(side, d.d[i], &side))
            return ctx.fail(ErrorCode::kINVALID_NODE, "the input has more elements than int64 holds");
    }
    IShuffleLayer* flat = addReshape(ctx, *x, Dims2{left, right}, "_flatten");
    if (!flat) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the flatten");
    ISoftMaxLayer* s = ctx.network().addSoftMax(*flat->getOutput(0));
    if (!s) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the softmax");
    s->setAxes(1u << 1);
    ctx.nameLayer(s, "_softmax");
    return pushLayer(ctx, addReshape(ctx, *s->getOutput(0), d, "_unflatten"), outputs);
}

}  // namespace

// Softmax and LogSoftmax (= log of the softmax; same axis rules).
KILN_ONNX_CONVERTER(convertSoftmax) {
    (void)inputs;
    if (!softmax(ctx, outputs)) return false;
    if (node.op_type() != "LogSoftmax") return true;
    IUnaryLayer* log = ctx.network().addUnary(*outputs.back(), UnaryOperation::kLOG);
    outputs.pop_back();
    if (log) ctx.nameLayer(log, "_log");
    return pushLayer(ctx, log, outputs);
}

KILN_ONNX_CONVERTER(convertReduce) {
    (void)inputs;
    // Each ONNX reduction = optional element-wise pre-step, a kiln reduction,
    // optional unary post-step (L2 = sqrt(sum(x*x)), LogSumExp = log(sum(exp x)), ...).
    enum class Pre { kNONE, kSQUARE, kABS, kEXP };
    struct Recipe {
        ReduceOperation op;
        Pre pre;
        bool hasPost;
        UnaryOperation post;
    };
    static const std::map<std::string, Recipe> kOps = {
        {"ReduceSum", {ReduceOperation::kSUM, Pre::kNONE, false, UnaryOperation::kEXP}},
        {"ReduceMean", {ReduceOperation::kAVG, Pre::kNONE, false, UnaryOperation::kEXP}},
        {"ReduceMax", {ReduceOperation::kMAX, Pre::kNONE, false, UnaryOperation::kEXP}},
        {"ReduceMin", {ReduceOperation::kMIN, Pre::kNONE, false, UnaryOperation::kEXP}},
        {"ReduceProd", {ReduceOperation::kPROD, Pre::kNONE, false, UnaryOperation::kEXP}},
        {"ReduceSumSquare", {ReduceOperation::kSUM, Pre::kSQUARE, false, UnaryOperation::kEXP}},
        {"ReduceL1", {ReduceOperation::kSUM, Pre::kABS, false, UnaryOperation::kEXP}},
        {"ReduceL2", {ReduceOperation::kSUM, Pre::kSQUARE, true, UnaryOperation::kSQRT}},
        {"ReduceLogSum", {ReduceOperation::kSUM, Pre::kNONE, true, UnaryOperation::kLOG}},
        {"ReduceLogSumExp", {ReduceOperation::kSUM, Pre::kEXP, true, UnaryOperation::kLOG}},
    };
    const Recipe& recipe = kOps.at(node.op_type());
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const int32_t rank = x->getDimensions().nbDims;
    // Axes: an attribute, except ReduceSum >= 13 and the others >= 18 take input 1.
    const bool axesAsInput = node.op_type() == "ReduceSum" ? ctx.opset() >= 13 : ctx.opset() >= 18;
    std::vector<int64_t> axes;
    ITensor* axesTensor = nullptr;  // axes known only at run time
    if (axesAsInput && ctx.hasInput(1)) {
        if (const Constant* c = ctx.constant(1)) {
            axes = c->toInt64s();
        } else {
            axesTensor = ctx.tensor(1);
            if (!axesTensor) return false;
            const Dims ad = axesTensor->getDimensions();
            if (ad.nbDims != 1 || ad.d[0] < 0)
                return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "axes (input 1) must be 1-D of known length");
            if (ad.d[0] == 0) axesTensor = nullptr;  // no axes: as an empty constant
        }
    } else if (!axesAsInput) {
        axes = ctx.attrInts("axes");
    }
    uint32_t mask = 0;
    if (axes.empty() && !axesTensor) {
        if (ctx.attrInt("noop_with_empty_axes", 0) != 0) return pushLayer(ctx, ctx.network().addIdentity(*x), outputs);
        for (int i = 0; i < rank; ++i) mask |= 1u << i;
    }
    for (int64_t a : axes) {
        if (!normalizeAxis(a, rank)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
        mask |= 1u << a;
    }
    ILayer* pre = nullptr;
    if (recipe.pre == Pre::kSQUARE)
        pre = ctx.network().addElementWise(*x, *x, ElementWiseOperation::kPROD);
    else if (recipe.pre == Pre::kABS)
        pre = ctx.network().addUnary(*x, UnaryOperation::kABS);
    else if (recipe.pre == Pre::kEXP)
        pre = ctx.network().addUnary(*x, UnaryOperation::kEXP);
    if (recipe.pre != Pre::kNONE) {
        if (!pre) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the pre-reduction step");
        ctx.nameLayer(pre, "_pre");
        x = pre->getOutput(0);
    }
    const bool keep = ctx.attrInt("keepdims", 1) != 0;
    // ReduceMax/Min of bool (opset 20) are any/all: exact through int32 and back.
    const bool boolMinMax =
        x->getType() == DataType::kBOOL && (recipe.op == ReduceOperation::kMAX || recipe.op == ReduceOperation::kMIN);
    if (boolMinMax && !(x = castTo(ctx, *x, DataType::kINT32, "_i32"))) return false;
    IReduceLayer* reduce = ctx.network().addReduce(*x, recipe.op, mask, keep);
    if (boolMinMax) {
        if (!reduce) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the reduction");
        if (axesTensor) reduce->setInput(1, *axesTensor);
        ctx.nameLayer(reduce, "_reduce");
        return pushLayer(ctx, ctx.network().addCast(*reduce->getOutput(0), DataType::kBOOL), outputs);
    }
    if (reduce && axesTensor) reduce->setInput(1, *axesTensor);  // overrides the mask
    if (!recipe.hasPost) return pushLayer(ctx, reduce, outputs);
    if (!reduce) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the reduction");
    ctx.nameLayer(reduce, "_reduce");
    return pushLayer(ctx, ctx.network().addUnary(*reduce->getOutput(0), recipe.post), outputs);
}

}  // namespace kiln::onnx
