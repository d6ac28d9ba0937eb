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
    };
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    if (node.op_type() == "IsInf" && (ctx.attrInt("detect_negative", 1) == 0 || ctx.attrInt("detect_positive", 1) == 0))
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "IsInf detecting only one sign");
    return pushLayer(ctx, ctx.network().addUnary(*x, kOps.at(node.op_type())), outputs);
}

}  // namespace kiln::onnx
