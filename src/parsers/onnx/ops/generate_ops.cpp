// Ops that create or broadcast values: ConstantOfShape and Range (folded at
// parse time when their inputs are constants, Fill layers otherwise), Expand
// (a select over a tensor of the target shape), Tile (wrap-mode slice).
#include <algorithm>
#include <cmath>

#include "importer.h"
#include "ops.h"
#include "shape_math.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertConstantOfShape) {
    (void)node;
    (void)inputs;
    Constant fill = Constant::fromFloats({}, {0.f});  // ONNX default: float 0
    if (const pb::TensorProto* t = ctx.attrTensor("value")) {
        std::string err;
        if (!tensorProtoToConstant(*t, fill, err)) return ctx.fail(ErrorCode::kINVALID_VALUE, err);
        if (fill.count() != 1) return ctx.fail(ErrorCode::kINVALID_VALUE, "value must hold one element");
    }
    const Constant* shape = ctx.constant(0);
    if (!shape) {
        // The shape is computed: a Fill whose extents are known at run time.
        ITensor* dims = ctx.tensor(0);
        dims = dims ? shape::toI64(ctx, *dims) : nullptr;
        if (!dims) return false;
        IFillLayer* f = ctx.network().addFill(Dims{0, {}}, FillOperation::kLINSPACE, fill.type);
        if (!f) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the fill");
        fill.dims.clear();
        ITensor* value = ctx.addConstantTensor(fill);
        if (!value) return false;
        f->setInput(0, *dims);
        f->setInput(1, *value);  // exact for every type (int64 included)
        return pushLayer(ctx, f, outputs);
    }
    // A huge or overflowing shape is a Fill layer or an error, never a long loop here.
    return shape::fillOutput(ctx, shape->toInt64s(), fill, outputs);
}

namespace {

// Range with bounds known at run time: a Fill of
// n = max(0, ceil((limit - start) / delta)) elements start + i * delta.
bool rangeAtRunTime(ConverterContext& ctx, std::vector<ITensor*>& outputs) {
    ITensor* t[3];
    for (int i = 0; i < 3; ++i)
        if (!(t[i] = ctx.tensor(i))) return false;
    for (int i = 0; i < 3; ++i)
        if (t[i]->getDimensions().nbDims != 0 && !(t[i] = shape::scalar(ctx, *t[i]))) return false;
    const DataType type = t[0]->getType();
    const bool isInt =
        type == DataType::kINT32 || type == DataType::kINT64 || type == DataType::kINT8 || type == DataType::kUINT8;
    ITensor* diff = shape::binary(ctx, *t[1], *t[0], ElementWiseOperation::kSUB);
    if (!diff) return false;
    ITensor* count = nullptr;
    if (isInt) {
        // ceil(a / b) = -floor(-a / b), exact in integers.
        Constant zeroValue;  // a scalar 0 of the bounds' type
        zeroValue.type = type;
        zeroValue.bytes.assign(dataTypeSize(type), 0);
        ITensor* zero = ctx.addConstantTensor(zeroValue);
        ITensor* neg = zero ? shape::binary(ctx, *zero, *diff, ElementWiseOperation::kSUB) : nullptr;
        ITensor* q = neg ? shape::binary(ctx, *neg, *t[2], ElementWiseOperation::kFLOOR_DIV) : nullptr;
        count = q ? shape::binary(ctx, *zero, *q, ElementWiseOperation::kSUB) : nullptr;
    } else {
        ITensor* q = shape::binary(ctx, *diff, *t[2], ElementWiseOperation::kDIV);
        IUnaryLayer* ceil = q ? ctx.network().addUnary(*q, UnaryOperation::kCEIL) : nullptr;
        if (ceil) ctx.nameLayer(ceil, "_ceil");
        count = ceil ? ceil->getOutput(0) : nullptr;
    }
    ITensor* n = count ? shape::toI64(ctx, *count) : nullptr;
    ITensor* zero64 = n ? shape::i64(ctx, {0}, true) : nullptr;
    n = zero64 ? shape::binary(ctx, *n, *zero64, ElementWiseOperation::kMAX) : nullptr;
    n = n ? shape::flat(ctx, *n) : nullptr;
    if (!n) return false;
    IFillLayer* f = ctx.network().addFill(Dims{0, {}}, FillOperation::kLINSPACE, type);
    if (!f) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the fill");
    f->setInput(0, *n);
    f->setInput(1, *t[0]);
    f->setInput(2, *t[2]);
    return pushLayer(ctx, f, outputs);
}

}  // namespace

// Longest Range computed at parse time.
constexpr int64_t kMaxParseTimeRange = int64_t(1) << 20;

KILN_ONNX_CONVERTER(convertRange) {
    (void)node;
    (void)inputs;
    const Constant* c[3] = {ctx.constant(0), ctx.constant(1), ctx.constant(2)};
    if (!c[0] || !c[1] || !c[2]) return rangeAtRunTime(ctx, outputs);
    for (const Constant* v : c)
        if (v->count() != 1) return ctx.fail(ErrorCode::kINVALID_NODE, "start/limit/delta must be scalars");
    const bool isFloat = c[0]->type == DataType::kFLOAT;
    const double start = c[0]->toFloats()[0], limit = c[1]->toFloats()[0], delta = c[2]->toFloats()[0];
    if (delta == 0) return ctx.fail(ErrorCode::kINVALID_VALUE, "delta is 0");
    const double steps = std::ceil((limit - start) / delta);
    if (std::isnan(steps)) return ctx.fail(ErrorCode::kINVALID_VALUE, "start, limit and delta give no element count");
    // Parse-time values are for shape-sized ranges; a longer one (or an
    // infinite one) is left to the run-time layer, which checks it.
    if (steps > double(kMaxParseTimeRange)) return rangeAtRunTime(ctx, outputs);
    const int64_t n = steps <= 0 ? 0 : static_cast<int64_t>(steps);
    if (isFloat) {
        std::vector<float> v;
        for (int64_t i = 0; i < n; ++i) v.push_back(static_cast<float>(start + i * delta));
        ctx.setOutputConstant(0, Constant::fromFloats({n}, v));
    } else {
        const int64_t s = c[0]->toInt64s()[0], d = c[2]->toInt64s()[0];
        std::vector<int64_t> v;
        // Wrapping arithmetic: an overflowing range is the model's problem, not undefined behaviour here.
        for (int64_t i = 0; i < n; ++i) v.push_back(int64_t(uint64_t(s) + uint64_t(i) * uint64_t(d)));
        Constant out = Constant::fromInt64s({n}, v);
        if (c[0]->type == DataType::kINT32) {  // keep the input's integer type
            out.type = DataType::kINT32;
            out.bytes.clear();
            for (int64_t x : v) {
                const int32_t y = static_cast<int32_t>(x);
                const auto* p = reinterpret_cast<const uint8_t*>(&y);
                out.bytes.insert(out.bytes.end(), p, p + 4);
            }
        }
        ctx.setOutputConstant(0, std::move(out));
    }
    outputs.push_back(nullptr);
    return true;
}

KILN_ONNX_CONVERTER(convertExpand) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    ITensor* shapeT = x ? ctx.tensor(1) : nullptr;
    shapeT = shapeT ? shape::toI64(ctx, *shapeT) : nullptr;
    if (!shapeT) return false;
    // select(true, x, x) over a true tensor of the target shape broadcasts
    // numpy-style, which is exactly Expand, for every type and bit pattern.
    ITensor* all = shape::fillLike(ctx, *shapeT, DataType::kBOOL, 1.0);
    return all && pushLayer(ctx, ctx.network().addSelect(*all, *x, *x), outputs);
}

KILN_ONNX_CONVERTER(convertTile) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const Dims d = x->getDimensions();
    const Constant* reps = ctx.constant(1);
    const bool staticDims = std::all_of(d.d, d.d + std::max(d.nbDims, 0), [](int64_t e) { return e >= 0; });
    Dims start, size, stride;
    start.nbDims = size.nbDims = stride.nbDims = d.nbDims;
    for (int i = 0; i < d.nbDims; ++i) {
        start.d[i] = 0;
        size.d[i] = d.d[i];
        stride.d[i] = 1;
    }
    ITensor* sizeT = nullptr;
    if (reps && staticDims) {
        const auto r = reps->toInt64s();
        if (static_cast<int32_t>(r.size()) != d.nbDims)
            return ctx.fail(ErrorCode::kINVALID_NODE, "repeats length != rank");
        for (int i = 0; i < d.nbDims; ++i) {
            if (r[i] < 0) return ctx.fail(ErrorCode::kINVALID_VALUE, "negative repeats");
            if (d.d[i] > 0 && r[i] > INT64_MAX / d.d[i])
                return ctx.fail(ErrorCode::kINVALID_VALUE, "repeats " + std::to_string(r[i]) + " of dim " +
                                                               std::to_string(i) + " overflow the output extent");
            size.d[i] = d.d[i] * r[i];
        }
    } else {
        // Output extents dims * repeats, computed at run time.
        ITensor* r = ctx.tensor(1);
        r = r ? shape::toI64(ctx, *r) : nullptr;
        ITensor* dims = r ? shape::dimsOf(ctx, *x) : nullptr;
        sizeT = dims ? shape::binary(ctx, *dims, *r, ElementWiseOperation::kPROD) : nullptr;
        if (!sizeT) return false;
    }
    ISliceLayer* s = ctx.network().addSlice(*x, start, size, stride);
    if (!s) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the slice");
    s->setMode(SampleMode::kWRAP);  // reading past the end wraps around: a tiling
    if (sizeT) s->setInput(2, *sizeT);
    return pushLayer(ctx, s, outputs);
}

}  // namespace kiln::onnx
