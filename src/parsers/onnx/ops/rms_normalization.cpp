// RMSNormalization (opset 23) and the Mean/InvStdDev outputs of
// LayerNormalization, decomposed as the ops' function bodies do: statistics in
// the stash type (float32 by default) over the axes [axis, rank).
#include "layer_chain.h"

namespace kiln::onnx {
namespace {

// The stash_type attribute (an ONNX dtype) as a kiln float type.
bool stashType(ConverterContext& ctx, DataType& out) {
    switch (ctx.attrInt("stash_type", 1)) {
        case 1:
            out = DataType::kFLOAT;
            return true;
        case 10:
            out = DataType::kHALF;
            return true;
        case 16:
            out = DataType::kBF16;
            return true;
        default:
            return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "stash_type must be float, float16 or bfloat16");
    }
}

// Bitmask of the axes [axis, rank) after normalizing a negative axis.
bool trailingAxes(ConverterContext& ctx, int32_t rank, uint32_t& mask) {
    int64_t axis = ctx.attrInt("axis", -1);
    if (!normalizeAxis(axis, rank)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    mask = 0;
    for (int32_t i = int32_t(axis); i < rank; ++i) mask |= 1u << i;
    return true;
}

}  // namespace

KILN_ONNX_CONVERTER(convertRMSNormalization) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    ITensor* scale = x ? ctx.tensor(1) : nullptr;
    if (!scale) return false;
    if (!isFloatType(x->getType())) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "X must be a float tensor");
    DataType u;
    uint32_t axes;
    const int32_t rank = x->getDimensions().nbDims;
    if (!stashType(ctx, u) || !trailingAxes(ctx, rank, axes)) return false;
    LayerChain c(ctx);
    // Y = X / sqrt(mean(X^2) + epsilon) * scale
    ITensor* xu = c.cast(x, u);
    ITensor* meanSquare = c.reduce(c.mul(xu, xu), ReduceOperation::kAVG, axes, true);
    ITensor* rms =
        c.unary(c.add(meanSquare, c.scalar(ctx.attrFloat("epsilon", 1e-5f), rank, u)), UnaryOperation::kSQRT);
    ITensor* normalized = c.cast(c.div(xu, rms), x->getType());
    ITensor* y = c.mul(normalized, c.cast(scale, x->getType()));
    if (!y) return false;
    outputs.push_back(y);
    return true;
}

// LayerNormalization with its optional Mean / InvStdDev outputs requested:
// Y from the normalization layer, the statistics (stash type, reduced axes
// kept as 1) computed beside it.
bool convertLayerNormalizationStats(ConverterContext& ctx, const pb::NodeProto& node, ITensor& x, ITensor& scale,
                                    ITensor& bias, std::vector<ITensor*>& outputs) {
    DataType u;
    uint32_t axes;
    const int32_t rank = x.getDimensions().nbDims;
    if (!stashType(ctx, u) || !trailingAxes(ctx, rank, axes)) return false;
    const float eps = ctx.attrFloat("epsilon", 1e-5f);
    LayerChain c(ctx);
    INormalizationLayer* norm = ctx.network().addNormalization(x, scale, bias, axes);
    if (!norm) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the normalization layer");
    norm->setEpsilon(eps);
    ctx.nameLayer(norm);
    ITensor* xu = c.cast(&x, u);
    ITensor* mean = c.reduce(xu, ReduceOperation::kAVG, axes, true);
    ITensor* dev = c.sub(xu, mean);
    ITensor* var = c.reduce(c.mul(dev, dev), ReduceOperation::kAVG, axes, true);
    ITensor* invStd =
        c.unary(c.unary(c.add(var, c.scalar(eps, rank, u)), UnaryOperation::kSQRT), UnaryOperation::kRECIP);
    if (!c.ok()) return false;
    outputs.push_back(norm->getOutput(0));
    outputs.push_back(node.output_size() > 1 && !node.output(1).empty() ? mean : nullptr);
    outputs.push_back(node.output_size() > 2 && !node.output(2).empty() ? invStd : nullptr);
    return true;
}

}  // namespace kiln::onnx
