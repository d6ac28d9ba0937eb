// Helpers for converters that decompose an op into several kiln layers.
#include <algorithm>

#include "ops.h"

namespace kiln::onnx {

std::vector<int64_t> dimsOf(const ITensor& t) {
    const Dims d = t.getDimensions();
    return std::vector<int64_t>(d.d, d.d + std::max(d.nbDims, 0));
}

bool tableFits(ConverterContext& ctx, int64_t rows, int64_t cols) {
    constexpr int64_t kMaxTableElements = int64_t(1) << 25;
    // Each side bounded too: callers loop over rows and columns, and an empty
    // 2^62 x 0 table would still take 2^62 steps.
    if (rows >= 0 && cols >= 0 && rows <= kMaxTableElements && cols <= kMaxTableElements &&
        (rows == 0 || cols <= kMaxTableElements / rows))
        return true;
    ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "a constant table of " + std::to_string(rows) + " x " +
                                               std::to_string(cols) + " elements (over 2^25) would be needed");
    return false;
}

bool isIntegerType(DataType t) {
    switch (t) {
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kINT16:
        case DataType::kUINT16:
        case DataType::kINT32:
        case DataType::kUINT32:
        case DataType::kINT64:
        case DataType::kUINT64:
        case DataType::kINT4:
        case DataType::kUINT4:
        case DataType::kINT2:
        case DataType::kUINT2:
            return true;
        default:
            return false;
    }
}

ITensor* castTo(ConverterContext& ctx, ITensor& t, DataType type, const char* suffix) {
    if (t.getType() == type) return &t;
    ICastLayer* c = ctx.network().addCast(t, type);
    if (!c) {
        ctx.fail(ErrorCode::kINVALID_NODE, std::string("the network rejected a cast (") + suffix + ")");
        return nullptr;
    }
    ctx.nameLayer(c, suffix);
    return c->getOutput(0);
}

ITensor* scalarOfType(ConverterContext& ctx, double value, int32_t rank, DataType type) {
    std::vector<int64_t> dims(static_cast<size_t>(std::max(rank, 0)), 1);
    // Integers go through int64 so that large values (ignore_index) stay exact.
    const bool integral = isIntegerType(type) || type == DataType::kBOOL;
    // Saturating (ignore_index = INT64_MAX arrives as 2^63).
    const int64_t i = saturatingInt64(value);
    ITensor* c = integral ? ctx.addConstantTensor(Constant::fromInt64s(dims, {i}))
                          : ctx.addConstantTensor(Constant::fromFloats(dims, {static_cast<float>(value)}));
    return c ? castTo(ctx, *c, type, "_const_cast") : nullptr;
}

ITensor* layerOutput(ConverterContext& ctx, ILayer* layer, const char* suffix) {
    if (!layer) {
        ctx.fail(ErrorCode::kINVALID_NODE, std::string("the network rejected a layer (") + suffix + "; see the log)");
        return nullptr;
    }
    ctx.nameLayer(layer, suffix);
    return layer->getOutput(0);
}

ITensor* binary(ConverterContext& ctx, ITensor& a, ITensor& b, ElementWiseOperation op, const char* suffix) {
    return layerOutput(ctx, ctx.network().addElementWise(a, b, op), suffix);
}

ITensor* unary(ConverterContext& ctx, ITensor& x, UnaryOperation op, const char* suffix) {
    return layerOutput(ctx, ctx.network().addUnary(x, op), suffix);
}

ITensor* select(ConverterContext& ctx, ITensor& cond, ITensor& a, ITensor& b, const char* suffix) {
    return layerOutput(ctx, ctx.network().addSelect(cond, a, b), suffix);
}

ITensor* reshapeTo(ConverterContext& ctx, ITensor& x, const std::vector<int64_t>& dims, const char* suffix) {
    int unknown = 0;
    for (int64_t v : dims) unknown += v < 0;
    if (unknown > 1) {
        ctx.fail(ErrorCode::kUNSUPPORTED_NODE, std::string("a reshape (") + suffix + ") with several dynamic dims");
        return nullptr;
    }
    IShuffleLayer* s = ctx.network().addShuffle(x);
    if (!s) return layerOutput(ctx, nullptr, suffix);
    s->setReshapeDimensions(toDims(dims));
    s->setZeroIsPlaceholder(false);
    return layerOutput(ctx, s, suffix);
}

ITensor* reduceAll(ConverterContext& ctx, ITensor& x, ReduceOperation op, uint32_t axes, bool keep,
                   const char* suffix) {
    return layerOutput(ctx, ctx.network().addReduce(x, op, axes, keep), suffix);
}

}  // namespace kiln::onnx
