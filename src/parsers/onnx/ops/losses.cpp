// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss as kiln layers:
// loss[n, d..] = -input[n, target[n, d..], d..] * weight[target[n, d..]], 0
// where target == ignore_index; reduction "none" keeps it, "sum" adds it up,
// "mean" divides the sum by the sum of the weights that took part (ONNX).
#include "ops.h"

namespace kiln::onnx {

namespace {

// The loss of log-probabilities `input` [N, C, d..] against `target` [N, d..].
// `weightIndex` is the node input holding the class weights (absent: 1).
ITensor* nllLoss(ConverterContext& ctx, ITensor& input, ITensor& target, int32_t weightIndex) {
    const std::vector<int64_t> in = dimsOf(input), tg = dimsOf(target);
    if (in.size() < 2 || tg.size() + 1 != in.size()) {
        ctx.fail(ErrorCode::kINVALID_NODE, "input must be [N, C, d1..dk] and target [N, d1..dk]");
        return nullptr;
    }
    if (target.getType() != DataType::kINT32 && target.getType() != DataType::kINT64) {
        ctx.fail(ErrorCode::kINVALID_NODE, "target must be int32 or int64");
        return nullptr;
    }
    const std::string reduction = ctx.attrString("reduction", "mean");
    if (reduction != "none" && reduction != "sum" && reduction != "mean") {
        ctx.fail(ErrorCode::kINVALID_VALUE, "unknown reduction '" + reduction + "'");
        return nullptr;
    }
    const DataType ft = input.getType();
    const int32_t tr = static_cast<int32_t>(tg.size());

    // Ignored positions read class 0 (any valid class) and are zeroed after.
    ITensor* ignored = nullptr;
    ITensor* index = &target;
    if (ctx.hasAttr("ignore_index")) {
        ITensor* ii = scalarOfType(ctx, double(ctx.attrInt("ignore_index", 0)), tr, target.getType());
        ignored = ii ? binary(ctx, target, *ii, ElementWiseOperation::kEQUAL, "_ignored") : nullptr;
        ITensor* zero = ignored ? scalarOfType(ctx, 0, tr, target.getType()) : nullptr;
        index = zero ? select(ctx, *ignored, *zero, target, "_safe_target") : nullptr;
        if (!index) return nullptr;
    }
    std::vector<int64_t> idxDims = tg;
    idxDims.insert(idxDims.begin() + 1, 1);
    ITensor* idx = reshapeTo(ctx, *index, idxDims, "_target_unsqueeze");
    if (!idx) return nullptr;
    IGatherLayer* g = ctx.network().addGatherV2(input, *idx, GatherMode::kELEMENT);
    if (g) g->setGatherAxis(1);
    ITensor* picked = layerOutput(ctx, g, "_pick");
    picked = picked ? reshapeTo(ctx, *picked, tg, "_pick_squeeze") : nullptr;
    ITensor* loss = picked ? unary(ctx, *picked, UnaryOperation::kNEG, "_neg") : nullptr;
    if (!loss) return nullptr;

    // The weight of every position (null: all ones and nothing ignored).
    ITensor* w = nullptr;
    if (ctx.hasInput(weightIndex)) {
        ITensor* weight = ctx.tensor(weightIndex);
        if (!weight) return nullptr;
        if (weight->getDimensions().nbDims != 1) {
            ctx.fail(ErrorCode::kINVALID_NODE, "weight must be [C]");
            return nullptr;
        }
        w = layerOutput(ctx, ctx.network().addGather(*weight, *index, 0), "_weight");
        loss = w ? binary(ctx, *loss, *w, ElementWiseOperation::kPROD, "_weighted") : nullptr;
        if (!loss) return nullptr;
    }
    if (ignored) {
        ITensor* zero = scalarOfType(ctx, 0, tr, ft);
        // Without a weight input the weights are 1, and 0 where ignored (Select broadcasts).
        if (!w) w = scalarOfType(ctx, 1, tr, ft);
        if (!zero || !w) return nullptr;
        loss = select(ctx, *ignored, *zero, *loss, "_mask_loss");
        w = select(ctx, *ignored, *zero, *w, "_mask_weight");
        if (!loss || !w) return nullptr;
    }
    if (reduction == "none") return loss;
    const uint32_t all = (1u << tr) - 1u;
    if (reduction == "sum") return reduceAll(ctx, *loss, ReduceOperation::kSUM, all, false, "_sum");
    if (!w) return reduceAll(ctx, *loss, ReduceOperation::kAVG, all, false, "_mean");
    ITensor* total = reduceAll(ctx, *loss, ReduceOperation::kSUM, all, false, "_sum");
    ITensor* wsum = total ? reduceAll(ctx, *w, ReduceOperation::kSUM, all, false, "_weight_sum") : nullptr;
    return wsum ? binary(ctx, *total, *wsum, ElementWiseOperation::kDIV, "_mean") : nullptr;
}

}  // namespace

KILN_ONNX_CONVERTER(convertNegativeLogLikelihoodLoss) {
    (void)node;
    (void)inputs;
    ITensor* input = ctx.tensor(0);
    ITensor* target = input ? ctx.tensor(1) : nullptr;
    ITensor* loss = target ? nllLoss(ctx, *input, *target, 2) : nullptr;
    if (!loss) return false;
    outputs.push_back(loss);
    return true;
}

KILN_ONNX_CONVERTER(convertSoftmaxCrossEntropyLoss) {
    (void)inputs;
    ITensor* scores = ctx.tensor(0);
    ITensor* labels = scores ? ctx.tensor(1) : nullptr;
    if (!labels) return false;
    if (scores->getDimensions().nbDims < 2) return ctx.fail(ErrorCode::kINVALID_NODE, "scores must be [N, C, ...]");
    // log_prob = LogSoftmax(scores) over the class axis (1).
    ISoftMaxLayer* sm = ctx.network().addSoftMax(*scores);
    if (sm) sm->setAxes(1u << 1);
    ITensor* prob = layerOutput(ctx, sm, "_softmax");
    ITensor* logProb = prob ? unary(ctx, *prob, UnaryOperation::kLOG, "_log_prob") : nullptr;
    ITensor* loss = logProb ? nllLoss(ctx, *logProb, *labels, 2) : nullptr;
    if (!loss) return false;
    outputs.push_back(loss);
    if (node.output_size() > 1) outputs.push_back(logProb);
    return true;
}

}  // namespace kiln::onnx
