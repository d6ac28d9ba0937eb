// Shrink(x) = x < -lambd ? x + bias : (x > lambd ? x - bias : 0), as two selects.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertShrink) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const double lambd = ctx.attrFloat("lambd", 0.5f), bias = ctx.attrFloat("bias", 0.0f);
    const int32_t rank = x->getDimensions().nbDims;
    const DataType t = x->getType();
    ITensor* lo = scalarOfType(ctx, -lambd, rank, t);
    ITensor* hi = lo ? scalarOfType(ctx, lambd, rank, t) : nullptr;
    ITensor* b = hi ? scalarOfType(ctx, bias, rank, t) : nullptr;
    ITensor* zero = b ? scalarOfType(ctx, 0, rank, t) : nullptr;
    if (!zero) return false;
    ITensor* below = binary(ctx, *x, *lo, ElementWiseOperation::kLESS, "_below");
    ITensor* above = below ? binary(ctx, *x, *hi, ElementWiseOperation::kGREATER, "_above") : nullptr;
    ITensor* plus = above ? binary(ctx, *x, *b, ElementWiseOperation::kSUM, "_plus_bias") : nullptr;
    ITensor* minus = plus ? binary(ctx, *x, *b, ElementWiseOperation::kSUB, "_minus_bias") : nullptr;
    ITensor* upper = minus ? select(ctx, *above, *minus, *zero, "_upper") : nullptr;
    if (!upper) return false;
    return pushLayer(ctx, ctx.network().addSelect(*below, *plus, *upper), outputs);
}

}  // namespace kiln::onnx
