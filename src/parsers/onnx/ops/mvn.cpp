// MeanVarianceNormalization, as ONNX's function body defines it:
// (X - E[X]) / (sqrt(E[X^2] - E[X]^2) + 1e-9), means over `axes` (default 0, 2, 3).
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertMeanVarianceNormalization) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const int32_t rank = x->getDimensions().nbDims;
    std::vector<int64_t> axes = ctx.hasAttr("axes") ? ctx.attrInts("axes") : std::vector<int64_t>{0, 2, 3};
    uint32_t mask = 0;
    for (int64_t a : axes) {
        if (!normalizeAxis(a, rank))
            return ctx.fail(ErrorCode::kINVALID_VALUE, "axis " + std::to_string(a) + " out of range");
        mask |= 1u << a;
    }
    ITensor* mean = reduceAll(ctx, *x, ReduceOperation::kAVG, mask, true, "_mean");
    ITensor* sq = mean ? binary(ctx, *x, *x, ElementWiseOperation::kPROD, "_square") : nullptr;
    ITensor* meanSq = sq ? reduceAll(ctx, *sq, ReduceOperation::kAVG, mask, true, "_mean_square") : nullptr;
    ITensor* sqMean = meanSq ? binary(ctx, *mean, *mean, ElementWiseOperation::kPROD, "_square_mean") : nullptr;
    ITensor* var = sqMean ? binary(ctx, *meanSq, *sqMean, ElementWiseOperation::kSUB, "_variance") : nullptr;
    ITensor* stddev = var ? unary(ctx, *var, UnaryOperation::kSQRT, "_std") : nullptr;
    ITensor* eps = stddev ? scalarOfType(ctx, 1e-9, rank, x->getType()) : nullptr;
    ITensor* denom = eps ? binary(ctx, *stddev, *eps, ElementWiseOperation::kSUM, "_std_eps") : nullptr;
    ITensor* centered = denom ? binary(ctx, *x, *mean, ElementWiseOperation::kSUB, "_centered") : nullptr;
    if (!centered) return false;
    return pushLayer(ctx, ctx.network().addElementWise(*centered, *denom, ElementWiseOperation::kDIV), outputs);
}

}  // namespace kiln::onnx
