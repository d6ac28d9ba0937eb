// Constant: binds its value as a parse-time constant; a layer is added only
// when a consumer needs it as a tensor.
#include "importer.h"
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertConstant) {
    (void)node;
    (void)inputs;
    Constant value;
    if (const pb::TensorProto* t = ctx.attrTensor("value")) {
        std::string err;
        if (!tensorProtoToConstant(*t, value, err, ctx.modelDir())) return ctx.fail(ErrorCode::kINVALID_VALUE, err);
    } else if (ctx.hasAttr("value_float")) {
        value = Constant::fromFloats({}, {ctx.attrFloat("value_float", 0.f)});
    } else if (ctx.hasAttr("value_floats")) {
        const auto v = ctx.attrFloats("value_floats");
        value = Constant::fromFloats({int64_t(v.size())}, v);
    } else if (ctx.hasAttr("value_int")) {
        value = Constant::fromInt64s({}, {ctx.attrInt("value_int", 0)});
    } else if (ctx.hasAttr("value_ints")) {
        const auto v = ctx.attrInts("value_ints");
        value = Constant::fromInt64s({int64_t(v.size())}, v);
    } else {
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "only value, value_float(s) and value_int(s) are supported");
    }
    ctx.setOutputConstant(0, std::move(value));
    outputs.push_back(nullptr);
    return true;
}

}  // namespace kiln::onnx
