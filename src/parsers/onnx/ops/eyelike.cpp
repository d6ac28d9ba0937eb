// EyeLike -> a constant: ones on the k-th diagonal of a 2-D shape taken from
// the input (which must be static), in `dtype` or the input's type.
#include "importer.h"
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertEyeLike) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const std::vector<int64_t> d = dimsOf(*x);
    if (d.size() != 2) return ctx.fail(ErrorCode::kINVALID_NODE, "input must be 2-D");
    if (d[0] < 0 || d[1] < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "a dynamically shaped input");
    if (!tableFits(ctx, d[0], d[1])) return false;
    DataType type = x->getType();
    if (ctx.hasAttr("dtype") && !onnxTypeToKiln(static_cast<int32_t>(ctx.attrInt("dtype", 1)), type))
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE,
                        "output dtype " + std::to_string(ctx.attrInt("dtype", 1)) + " is not supported");
    const int64_t k = ctx.attrInt("k", 0);
    std::vector<int64_t> eye(static_cast<size_t>(d[0] * d[1]), 0);
    if (k > -d[0] && k < d[1])  // else no diagonal element lies inside (and i + k could overflow)
        for (int64_t i = 0; i < d[0]; ++i)
            if (i + k >= 0 && i + k < d[1]) eye[size_t(i * d[1] + i + k)] = 1;
    ITensor* c = ctx.addConstantTensor(Constant::fromInt64s(d, eye));
    ITensor* y = c ? castTo(ctx, *c, type, "_cast") : nullptr;
    if (!y) return false;
    outputs.push_back(y);
    return true;
}

}  // namespace kiln::onnx
