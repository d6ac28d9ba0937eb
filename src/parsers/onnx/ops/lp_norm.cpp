// LpNormalization -> x / ||x||_p along `axis` (p = 1: sum |x|, p = 2: sqrt(sum x^2)),
// 0 where the norm is 0.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertLpNormalization) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const int32_t rank = x->getDimensions().nbDims;
    int64_t axis = ctx.attrInt("axis", -1);
    if (!normalizeAxis(axis, rank)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    const int64_t p = ctx.attrInt("p", 2);
    if (p != 1 && p != 2) return ctx.fail(ErrorCode::kINVALID_VALUE, "p must be 1 or 2, got " + std::to_string(p));
    ITensor* mag = p == 1 ? unary(ctx, *x, UnaryOperation::kABS, "_abs")
                          : binary(ctx, *x, *x, ElementWiseOperation::kPROD, "_square");
    ITensor* norm = mag ? reduceAll(ctx, *mag, ReduceOperation::kSUM, 1u << axis, true, "_sum") : nullptr;
    if (norm && p == 2) norm = unary(ctx, *norm, UnaryOperation::kSQRT, "_sqrt");
    // A zero norm (an all-zero slice) gives zeros rather than 0/0 (ONNX says so).
    ITensor* zero = norm ? scalarOfType(ctx, 0, rank, x->getType()) : nullptr;
    ITensor* isZero = zero ? binary(ctx, *norm, *zero, ElementWiseOperation::kEQUAL, "_zero_norm") : nullptr;
    ITensor* y = isZero ? binary(ctx, *x, *norm, ElementWiseOperation::kDIV, "_divide") : nullptr;
    if (!y) return false;
    return pushLayer(ctx, ctx.network().addSelect(*isZero, *zero, *y), outputs);
}

}  // namespace kiln::onnx
