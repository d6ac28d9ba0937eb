// Unary math ops -> IUnaryLayer.
#include <map>

#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertUnary) {
    (void)inputs;
    static const std::map<std::string, UnaryOperation> kOps = {
        {"Exp", UnaryOperation::kEXP},     {"Log", UnaryOperation::kLOG},
        {"Sqrt", UnaryOperation::kSQRT},   {"Abs", UnaryOperation::kABS},
        {"Neg", UnaryOperation::kNEG},     {"Reciprocal", UnaryOperation::kRECIP},
        {"Floor", UnaryOperation::kFLOOR}, {"Ceil", UnaryOperation::kCEIL},
        {"Sin", UnaryOperation::kSIN},     {"Cos", UnaryOperation::kCOS},
        {"Tan", UnaryOperation::kTAN},     {"Erf", UnaryOperation::kERF},
        {"Not", UnaryOperation::kNOT},     {"Sign", UnaryOperation::kSIGN},
        {"Round", UnaryOperation::kROUND}, {"IsNaN", UnaryOperation::kISNAN},
        {"IsInf", UnaryOperation::kISINF},
        {"Asin", UnaryOperation::kASIN},   {"Acos", UnaryOperation::kACOS},
        {"Atan", UnaryOperation::kATAN},   {"Sinh", UnaryOperation::kSINH},
        {"Cosh", UnaryOperation::kCOSH},   {"Asinh", UnaryOperation::kASINH},
        {"Acosh", UnaryOperation::kACOSH}, {"Atanh", UnaryOperation::kATANH},
    };
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    if (node.op_type() == "IsInf") {
        const bool pos = ctx.attrInt("detect_positive", 1) != 0, neg = ctx.attrInt("detect_negative", 1) != 0;
        if (!pos || !neg) {
            // One sign only: isinf(x) and (x > 0) / (x < 0); neither sign: all false.
            ITensor* inf = unary(ctx, *x, UnaryOperation::kISINF, "_isinf");
            ITensor* zero = inf ? scalarOfType(ctx, 0, x->getDimensions().nbDims, x->getType()) : nullptr;
            if (!zero) return false;
            ITensor* sign = binary(ctx, *x, *zero, pos ? ElementWiseOperation::kGREATER : ElementWiseOperation::kLESS,
                                   "_sign");
            if (!sign) return false;
            if (!pos && !neg) {  // x > 0 and x < 0: never
                ITensor* lt = binary(ctx, *x, *zero, ElementWiseOperation::kLESS, "_less");
                sign = lt ? binary(ctx, *sign, *lt, ElementWiseOperation::kAND, "_never") : nullptr;
                if (!sign) return false;
            }
            return pushLayer(ctx, ctx.network().addElementWise(*inf, *sign, ElementWiseOperation::kAND), outputs);
        }
    }
    return pushLayer(ctx, ctx.network().addUnary(*x, kOps.at(node.op_type())), outputs);
}

}  // namespace kiln::onnx
