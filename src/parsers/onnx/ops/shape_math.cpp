#include "shape_math.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace kiln::onnx::shape {

namespace {

ITensor* out(ConverterContext& ctx, ILayer* layer, const char* suffix) {
    if (!layer) {
        ctx.fail(ErrorCode::kINVALID_NODE, std::string("the network rejected a shape computation (") + suffix + ")");
        return nullptr;
    }
    ctx.nameLayer(layer, suffix);
    return layer->getOutput(0);
}

}  // namespace

ITensor* i64(ConverterContext& ctx, const std::vector<int64_t>& values, bool isScalar) {
    Constant c =
        Constant::fromInt64s(isScalar ? std::vector<int64_t>{} : std::vector<int64_t>{int64_t(values.size())}, values);
    return ctx.addConstantTensor(c);
}

ITensor* toI64(ConverterContext& ctx, ITensor& t) {
    if (t.getType() == DataType::kINT64) return &t;
    return out(ctx, ctx.network().addCast(t, DataType::kINT64), "_to_i64");
}

ITensor* flat(ConverterContext& ctx, ITensor& t) {
    if (t.getDimensions().nbDims == 1) return &t;
    IShuffleLayer* s = ctx.network().addShuffle(t);
    if (s) s->setReshapeDimensions(Dims{1, {-1}});
    return out(ctx, s, "_flat");
}

ITensor* scalar(ConverterContext& ctx, ITensor& t) {
    if (t.getDimensions().nbDims == 0) return &t;
    IShuffleLayer* s = ctx.network().addShuffle(t);
    if (s) s->setReshapeDimensions(Dims{0, {}});
    return out(ctx, s, "_scalar");
}

ITensor* dimsOf(ConverterContext& ctx, ITensor& x) {
    const Dims d = x.getDimensions();
    std::vector<int64_t> v(d.d, d.d + std::max(d.nbDims, 0));
    if (std::all_of(v.begin(), v.end(), [](int64_t e) { return e >= 0; })) return i64(ctx, v);
    return out(ctx, ctx.network().addShape(x), "_shape");
}

ITensor* gather(ConverterContext& ctx, ITensor& v, const std::vector<int64_t>& indices) {
    ITensor* idx = i64(ctx, indices);
    if (!idx) return nullptr;
    return out(ctx, ctx.network().addGather(v, *idx, 0), "_gather");
}

ITensor* concat(ConverterContext& ctx, const std::vector<ITensor*>& parts) {
    if (parts.size() == 1) return parts[0];
    IConcatenationLayer* c = ctx.network().addConcatenation(parts.data(), int32_t(parts.size()));
    if (c) c->setAxis(0);
    return out(ctx, c, "_concat");
}

ITensor* binary(ConverterContext& ctx, ITensor& a, ITensor& b, ElementWiseOperation op) {
    return out(ctx, ctx.network().addElementWise(a, b, op), "_arith");
}

ITensor* select(ConverterContext& ctx, ITensor& condition, ITensor& a, ITensor& b) {
    return out(ctx, ctx.network().addSelect(condition, a, b), "_select");
}

ITensor* clamp(ConverterContext& ctx, ITensor& t, ITensor& lo, ITensor& hi) {
    ITensor* m = binary(ctx, t, lo, ElementWiseOperation::kMAX);
    return m ? binary(ctx, *m, hi, ElementWiseOperation::kMIN) : nullptr;
}

ITensor* scatterAxes(ConverterContext& ctx, ITensor& values, const std::vector<int64_t>& axes, ITensor& fallback,
                     int32_t rank) {
    // concat(values, fallback) and pick, per dim, its value's slot or the fallback's.
    const int64_t k = int64_t(axes.size());
    std::vector<int64_t> pick(static_cast<size_t>(rank), 0);
    for (int32_t d = 0; d < rank; ++d) pick[size_t(d)] = k + d;
    for (int64_t i = 0; i < k; ++i) pick[size_t(axes[size_t(i)])] = i;
    ITensor* both = concat(ctx, {&values, &fallback});
    return both ? gather(ctx, *both, pick) : nullptr;
}

ITensor* scatterAxes(ConverterContext& ctx, ITensor& values, ITensor& axes, ITensor& fallback, int32_t rank) {
    using EW = ElementWiseOperation;
    // hit[k, d] = (axes[k] == d); out[d] = sum_k values[k] * hit[k, d] where any hit, else fallback[d].
    std::vector<int64_t> iota;
    for (int32_t d = 0; d < rank; ++d) iota.push_back(d);
    IShuffleLayer* col = ctx.network().addShuffle(axes);
    if (col) col->setReshapeDimensions(Dims{2, {-1, 1}});
    IShuffleLayer* valCol = col ? ctx.network().addShuffle(values) : nullptr;
    if (valCol) valCol->setReshapeDimensions(Dims{2, {-1, 1}});
    ITensor* positions = valCol ? ctx.addConstantTensor(Constant::fromInt64s({1, rank}, iota)) : nullptr;
    ITensor* hit = positions ? binary(ctx, *col->getOutput(0), *positions, EW::kEQUAL) : nullptr;
    ITensor* hit64 = hit ? toI64(ctx, *hit) : nullptr;
    ITensor* weighted = hit64 ? binary(ctx, *valCol->getOutput(0), *hit64, EW::kPROD) : nullptr;
    IReduceLayer* sum = weighted ? ctx.network().addReduce(*weighted, ReduceOperation::kSUM, 1u, false) : nullptr;
    IReduceLayer* any = sum ? ctx.network().addReduce(*hit64, ReduceOperation::kMAX, 1u, false) : nullptr;
    ITensor* one = any ? i64(ctx, {1}) : nullptr;
    ITensor* isAxis = one ? binary(ctx, *any->getOutput(0), *one, EW::kEQUAL) : nullptr;
    return isAxis ? select(ctx, *isAxis, *sum->getOutput(0), fallback) : nullptr;
}

ITensor* normalizeAxes(ConverterContext& ctx, ITensor& axes, int32_t rank) {
    using EW = ElementWiseOperation;
    ITensor* zero = i64(ctx, {0});
    ITensor* r = zero ? i64(ctx, {rank}) : nullptr;
    ITensor* neg = r ? binary(ctx, axes, *zero, EW::kLESS) : nullptr;
    ITensor* wrapped = neg ? binary(ctx, axes, *r, EW::kSUM) : nullptr;
    return wrapped ? select(ctx, *neg, *wrapped, axes) : nullptr;
}

ITensor* fillLike(ConverterContext& ctx, ITensor& dims, DataType type, double value) {
    IFillLayer* f = ctx.network().addFill(Dims{0, {}}, FillOperation::kLINSPACE, type);
    if (!f) return out(ctx, f, "_fill");
    f->setInput(0, dims);
    f->setAlpha(value);
    f->setBeta(0.0);
    return out(ctx, f, "_fill");
}

bool fillOutput(ConverterContext& ctx, const std::vector<int64_t>& dims, const Constant& value,
                std::vector<ITensor*>& outputs) {
    const int32_t index = int32_t(outputs.size());
    const std::string name = index < ctx.node().output_size() ? ctx.node().output(index) : std::string();
    const int64_t elemBytes = int64_t(value.bytes.size());
    if (value.count() != 1 || elemBytes < 1)
        return ctx.fail(ErrorCode::kINVALID_VALUE, "output '" + name + "': the fill value must hold one element");
    std::string shape;
    for (int64_t d : dims) shape += (shape.empty() ? "" : ",") + std::to_string(d);
    int64_t bytes = elemBytes;
    for (int64_t d : dims) {
        if (d < 0)
            return ctx.fail(ErrorCode::kINVALID_VALUE,
                            "output '" + name + "': negative extent in shape [" + shape + "]");
        if (bytes != 0 && (__builtin_mul_overflow(bytes, d, &bytes) || bytes > kMaxFillBytes))
            return ctx.fail(ErrorCode::kINVALID_VALUE,
                            "output '" + name + "': shape [" + shape + "] is larger than the 1 TiB the parser accepts");
    }
    if (bytes <= kMaxParseTimeFillBytes) {
        Constant c;
        c.type = value.type;
        c.dims = dims;
        c.bytes.resize(size_t(bytes));
        // The first element, then doubling copies: a few memcpy calls, not one per element.
        size_t done = std::min(size_t(bytes), size_t(elemBytes));
        if (done) std::memcpy(c.bytes.data(), value.bytes.data(), done);
        while (done < c.bytes.size()) {
            const size_t n = std::min(done, c.bytes.size() - done);
            std::memcpy(c.bytes.data() + done, c.bytes.data(), n);
            done += n;
        }
        ctx.setOutputConstant(index, std::move(c));
        outputs.push_back(nullptr);
        return true;
    }
    ITensor* shapeTensor = i64(ctx, dims);
    Constant scalarValue = value;
    scalarValue.dims.clear();
    ITensor* v = shapeTensor ? ctx.addConstantTensor(scalarValue) : nullptr;
    if (!v) return false;
    IFillLayer* f = ctx.network().addFill(Dims{0, {}}, FillOperation::kLINSPACE, value.type);
    if (!f) return ctx.fail(ErrorCode::kINVALID_NODE, "output '" + name + "': the network rejected the fill");
    f->setInput(0, *shapeTensor);
    f->setInput(1, *v);  // exact for every type (int64 included)
    ITensor* t = out(ctx, f, "_fill");
    if (!t) return false;
    outputs.push_back(t);
    return true;
}

}  // namespace kiln::onnx::shape
