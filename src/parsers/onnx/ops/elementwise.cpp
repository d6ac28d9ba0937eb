// Binary (and variadic Sum/Max/Min) ops -> IElementWiseLayer; kiln broadcasts
// numpy-style, so no explicit broadcast reshapes are needed.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "ops.h"

namespace kiln::onnx {

namespace {

// B reshaped to A's rank with its dims starting at the `axis` attribute.
ITensor* alignLegacyBroadcast(ConverterContext& ctx, ITensor& a, ITensor& b) {
    const std::vector<int64_t> ad = dimsOf(a), bd = dimsOf(b);
    int64_t axis = ctx.attrInt("axis", 0);
    if (axis < 0) axis += int64_t(ad.size());
    if (axis < 0 || axis > int64_t(ad.size()) - int64_t(bd.size())) {  // no axis + rank: axis may be INT64_MAX
        ctx.fail(ErrorCode::kINVALID_NODE, "broadcast axis " + std::to_string(ctx.attrInt("axis", 0)) +
                                               " does not fit B's rank " + std::to_string(bd.size()) +
                                               " into A's rank " + std::to_string(ad.size()));
        return nullptr;
    }
    std::vector<int64_t> dims(ad.size(), 1);
    std::copy(bd.begin(), bd.end(), dims.begin() + axis);
    return reshapeTo(ctx, b, dims, "_legacy_broadcast");
}

}  // namespace

KILN_ONNX_CONVERTER(convertElementWise) {
    (void)inputs;
    static const std::map<std::string, ElementWiseOperation> kOps = {
        {"Add", ElementWiseOperation::kSUM},
        {"Sum", ElementWiseOperation::kSUM},
        {"Sub", ElementWiseOperation::kSUB},
        {"Mul", ElementWiseOperation::kPROD},
        {"Div", ElementWiseOperation::kDIV},
        {"Pow", ElementWiseOperation::kPOW},
        {"Max", ElementWiseOperation::kMAX},
        {"Min", ElementWiseOperation::kMIN},
        {"Equal", ElementWiseOperation::kEQUAL},
        {"Greater", ElementWiseOperation::kGREATER},
        {"Less", ElementWiseOperation::kLESS},
        {"And", ElementWiseOperation::kAND},
        {"Or", ElementWiseOperation::kOR},
        {"Xor", ElementWiseOperation::kXOR},
        {"Mean", ElementWiseOperation::kSUM},
        // a >= b is !(a < b) and a <= b is !(a > b): negated below.
        {"GreaterOrEqual", ElementWiseOperation::kLESS},
        {"LessOrEqual", ElementWiseOperation::kGREATER},
    };
    const ElementWiseOperation op = kOps.at(node.op_type());
    // Before opset 7, broadcast = 1 with `axis` lines B's dims up with A's from `axis`
    // on (numpy aligns them at the end): B gets 1s on both sides to A's rank.
    const bool legacyAxis = ctx.opset() < 7 && ctx.attrInt("broadcast", 0) != 0 && ctx.hasAttr("axis");
    // Sum/Max/Min are variadic: fold left to right.
    ITensor* acc = ctx.tensor(0);
    if (!acc) return false;
    const int32_t n = ctx.nbInputs();
    const std::string& op_type = node.op_type();
    const bool variadic = op_type == "Sum" || op_type == "Max" || op_type == "Min" || op_type == "Mean";
    if (!variadic && n != 2)
        return ctx.fail(ErrorCode::kINVALID_NODE, "takes 2 inputs, the node has " + std::to_string(n));
    const bool postOp = op_type == "GreaterOrEqual" || op_type == "LessOrEqual" || op_type == "Mean";
    if (n == 1) return pushLayer(ctx, ctx.network().addIdentity(*acc), outputs);
    for (int32_t i = 1; i < n; ++i) {
        ITensor* rhs = ctx.tensor(i);
        if (!rhs) return false;
        if (legacyAxis && !(rhs = alignLegacyBroadcast(ctx, *acc, *rhs))) return false;
        if (op == ElementWiseOperation::kPOW && rhs->getType() != acc->getType()) {
            // ONNX Pow allows an exponent of another type; kiln needs equal types.
            ICastLayer* cast = ctx.network().addCast(*rhs, acc->getType());
            if (!cast) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the exponent cast");
            ctx.nameLayer(cast, "_exponent_cast");
            rhs = cast->getOutput(0);
        }
        IElementWiseLayer* layer = ctx.network().addElementWise(*acc, *rhs, op);
        if (!layer) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the element-wise layer");
        // The layer producing the node's output carries the node's plain name.
        const bool last = i + 1 == n && !postOp;
        ctx.nameLayer(layer, last ? "" : ("_" + std::to_string(i)).c_str());
        acc = layer->getOutput(0);
    }
    if (op_type == "GreaterOrEqual" || op_type == "LessOrEqual") {
        IUnaryLayer* negate = ctx.network().addUnary(*acc, UnaryOperation::kNOT);
        return pushLayer(ctx, negate, outputs);
    }
    if (op_type == "Mean") {
        ITensor* count = addScalar(ctx, static_cast<float>(n), acc->getDimensions().nbDims);
        if (!count) return false;
        return pushLayer(ctx, ctx.network().addElementWise(*acc, *count, ElementWiseOperation::kDIV), outputs);
    }
    outputs.push_back(acc);
    return true;
}

}  // namespace kiln::onnx
