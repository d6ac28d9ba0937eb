// Bit-level ops: BitShift -> ElementWise kLEFT_SHIFT/kRIGHT_SHIFT, BitwiseAnd/Or/Xor ->
// ElementWise kAND/kOR/kXOR (bitwise on integers), BitwiseNot -> Unary kNOT, BitCast
// -> IBitCastLayer.
#include "importer.h"
#include "ops.h"

namespace kiln::onnx {

namespace {

bool isInteger(DataType t) {
    switch (t) {
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kINT16:
        case DataType::kUINT16:
        case DataType::kINT32:
        case DataType::kUINT32:
        case DataType::kINT64:
        case DataType::kUINT64:
            return true;
        default:
            return false;
    }
}

}  // namespace

KILN_ONNX_CONVERTER(convertBitShift) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    ITensor* y = x ? ctx.tensor(1) : nullptr;
    if (!y) return false;
    const std::string direction = ctx.attrString("direction", "");
    ElementWiseOperation op;
    if (direction == "LEFT")
        op = ElementWiseOperation::kLEFT_SHIFT;
    else if (direction == "RIGHT")
        op = ElementWiseOperation::kRIGHT_SHIFT;
    else
        return ctx.fail(ErrorCode::kINVALID_NODE,
                        "attribute 'direction' must be LEFT or RIGHT, got '" + direction + "'");
    return pushLayer(ctx, ctx.network().addElementWise(*x, *y, op), outputs);
}

KILN_ONNX_CONVERTER(convertBitwiseBinary) {
    (void)inputs;
    ITensor* a = ctx.tensor(0);
    ITensor* b = a ? ctx.tensor(1) : nullptr;
    if (!b) return false;
    if (!isInteger(a->getType()))
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, node.op_type() + " needs integer inputs");
    const std::string& type = node.op_type();
    const ElementWiseOperation op = type == "BitwiseAnd"  ? ElementWiseOperation::kAND
                                    : type == "BitwiseOr" ? ElementWiseOperation::kOR
                                                          : ElementWiseOperation::kXOR;
    return pushLayer(ctx, ctx.network().addElementWise(*a, *b, op), outputs);
}

KILN_ONNX_CONVERTER(convertBitwiseNot) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    if (!isInteger(x->getType())) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "BitwiseNot needs an integer input");
    return pushLayer(ctx, ctx.network().addUnary(*x, UnaryOperation::kNOT), outputs);
}

KILN_ONNX_CONVERTER(convertBitCast) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    if (!ctx.hasAttr("to")) return ctx.fail(ErrorCode::kINVALID_NODE, "attribute 'to' is required");
    const int64_t to = ctx.attrInt("to", 0);
    DataType type;
    if (!onnxTypeToKiln(static_cast<int32_t>(to), type))
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE,
                        "bit-cast to ONNX type " + std::to_string(to) + " is not supported");
    return pushLayer(ctx, ctx.network().addBitCast(*x, type), outputs);
}

}  // namespace kiln::onnx
