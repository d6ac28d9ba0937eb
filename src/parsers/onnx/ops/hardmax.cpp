// Hardmax -> one-hot of the arg max along the axis: TopK(k=1) indices
// compared with 0..n-1 (the first maximum wins, as ONNX says), cast to the
// input type. Before opset 13 the input is seen as a 2-D matrix
// [prod(dims before axis), prod(dims from axis)] (axis default 1).
#include "ops.h"

namespace kiln::onnx {

namespace {

ITensor* hardmaxAlong(ConverterContext& ctx, ITensor& x, int32_t axis) {
    const std::vector<int64_t> d = dimsOf(x);
    if (axis < 0 || size_t(axis) >= d.size()) {  // an input the network could not shape
        ctx.fail(ErrorCode::kINVALID_NODE, "the input has no axis " + std::to_string(axis));
        return nullptr;
    }
    const int64_t n = d[size_t(axis)];
    if (n < 0) {
        ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "a dynamic extent along the axis");
        return nullptr;
    }
    if (!tableFits(ctx, 1, n)) return nullptr;  // the 0..n-1 table below is a constant
    ITopKLayer* t = ctx.network().addTopK(x, TopKOperation::kMAX, 1, 1u << axis);
    if (!t) return layerOutput(ctx, nullptr, "_argmax");
    ctx.nameLayer(t, "_argmax");
    ITensor* idx = t->getOutput(1);
    std::vector<int64_t> rangeDims(d.size(), 1), range(static_cast<size_t>(n));
    rangeDims[size_t(axis)] = n;
    for (int64_t i = 0; i < n; ++i) range[size_t(i)] = i;
    ITensor* r = ctx.addConstantTensor(Constant::fromInt64s(rangeDims, range));
    r = r ? castTo(ctx, *r, idx->getType(), "_range") : nullptr;
    ITensor* hot = r ? binary(ctx, *idx, *r, ElementWiseOperation::kEQUAL, "_onehot") : nullptr;
    return hot ? castTo(ctx, *hot, x.getType(), "_cast") : nullptr;
}

}  // namespace

KILN_ONNX_CONVERTER(convertHardmax) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const std::vector<int64_t> d = dimsOf(*x);
    const bool legacy = ctx.opset() < 13;
    int64_t axis = ctx.attrInt("axis", legacy ? 1 : -1);
    if (!normalizeAxis(axis, static_cast<int32_t>(d.size())))
        return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    ITensor* y = nullptr;
    if (!legacy || axis == static_cast<int64_t>(d.size()) - 1) {
        y = hardmaxAlong(ctx, *x, static_cast<int32_t>(axis));
    } else {
        int64_t left = 1, right = 1;
        for (size_t i = 0; i < d.size(); ++i) {
            if (d[i] < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "opset < 13 hardmax over dynamic dims");
            int64_t& side = int64_t(i) < axis ? left : right;
            if (__builtin_mul_overflow(side, d[i], &side))
                return ctx.fail(ErrorCode::kINVALID_NODE, "the input has more elements than int64 holds");
        }
        ITensor* flat = reshapeTo(ctx, *x, {left, right}, "_flatten");
        ITensor* h = flat ? hardmaxAlong(ctx, *flat, 1) : nullptr;
        y = h ? reshapeTo(ctx, *h, d, "_unflatten") : nullptr;
    }
    if (!y) return false;
    outputs.push_back(y);
    return true;
}

}  // namespace kiln::onnx
