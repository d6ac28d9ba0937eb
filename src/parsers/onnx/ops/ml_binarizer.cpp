// ai.onnx.ml Binarizer -> ElementWise kGREATER against the threshold, cast
// back to the input type: Y = X > threshold ? 1 : 0.
#include <cmath>

#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertBinarizer) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const float threshold = ctx.attrFloat("threshold", 0.f);
    const DataType t = x->getType();
    Constant c;
    if (t == DataType::kFLOAT) {
        c = Constant::fromFloats({}, {threshold});
    } else if (t == DataType::kINT32 || t == DataType::kINT64) {
        // For integers, x > t holds exactly when x > floor(t).
        c = Constant::fromInt64s({}, {static_cast<int64_t>(std::floor(threshold))});
        if (t == DataType::kINT32) {
            const int32_t v = static_cast<int32_t>(std::floor(threshold));
            c.type = DataType::kINT32;
            c.bytes.assign(reinterpret_cast<const uint8_t*>(&v), reinterpret_cast<const uint8_t*>(&v) + 4);
        }
    } else {
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "input type must be float, int32 or int64");
    }
    ITensor* th = ctx.addConstantTensor(c);
    if (!th) return false;
    IElementWiseLayer* gt = ctx.network().addElementWise(*x, *th, ElementWiseOperation::kGREATER);
    if (!gt) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the comparison");
    ctx.nameLayer(gt, "_greater");
    return pushLayer(ctx, ctx.network().addCast(*gt->getOutput(0), t), outputs);
}

}  // namespace kiln::onnx
