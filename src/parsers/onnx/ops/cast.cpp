// Cast and CastLike -> ICastLayer, every opset: `to` (a type name in Cast-1,
// the TensorProto enum since Cast-6), `saturate` (19+, float8 targets) and
// `round_mode` (25+, float8e8m0 targets).
#include "importer.h"
#include "ops.h"

namespace kiln::onnx {

namespace {

// Cast-1 names the target type; later versions give the enum value.
bool castTarget(ConverterContext& ctx, DataType& type) {
    using P = pb::TensorProto;
    int64_t to = ctx.attrInt("to", -1);
    if (ctx.opset() < 6 && ctx.hasAttr("to")) {
        const std::string name = ctx.attrString("to", "");
        P::DataType e;
        if (!P::DataType_Parse(name, &e))
            return ctx.fail(ErrorCode::kINVALID_NODE, "unknown 'to' type name '" + name + "'");
        to = e;
    }
    if (!ctx.hasAttr("to")) return ctx.fail(ErrorCode::kINVALID_NODE, "attribute 'to' is required");
    if (to == P::STRING) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "casting to string is not supported");
    if (!onnxTypeToKiln(static_cast<int32_t>(to), type))
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "cast to ONNX type " + std::to_string(to) + " is not supported");
    return true;
}

// Applies `saturate` and `round_mode` (defaults 1 and "up", as ONNX's).
bool castOptions(ConverterContext& ctx, ICastLayer& cast) {
    cast.setSaturate(ctx.attrInt("saturate", 1) != 0);
    const std::string mode = ctx.attrString("round_mode", "up");
    if (mode == "up")
        cast.setRoundingMode(RoundingMode::kUP);
    else if (mode == "down")
        cast.setRoundingMode(RoundingMode::kDOWN);
    else if (mode == "nearest")
        cast.setRoundingMode(RoundingMode::kNEAREST);
    else
        return ctx.fail(ErrorCode::kINVALID_NODE, "unknown round_mode '" + mode + "'");
    return true;
}

bool addCast(ConverterContext& ctx, ITensor& x, DataType type, std::vector<ITensor*>& outputs) {
    ICastLayer* cast = ctx.network().addCast(x, type);
    if (cast && !castOptions(ctx, *cast)) return false;
    return pushLayer(ctx, cast, outputs);
}

}  // namespace

KILN_ONNX_CONVERTER(convertCast) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    DataType type;
    if (!x || !castTarget(ctx, type)) return false;
    return addCast(ctx, *x, type, outputs);
}

KILN_ONNX_CONVERTER(convertCastLike) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    DataType target;
    if (const Constant* like = ctx.constant(1))
        target = like->type;
    else if (ITensor* t = ctx.tensor(1))
        target = t->getType();
    else
        return false;
    return addCast(ctx, *x, target, outputs);
}

}  // namespace kiln::onnx
