// Ops that create or broadcast values: ConstantOfShape and Range (folded at
// parse time), Expand (add a zero tensor of the target shape), Tile (wrap-mode slice).
#include <algorithm>
#include <cmath>

#include "importer.h"
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertConstantOfShape) {
    (void)node;
    (void)inputs;
    const Constant* shape = ctx.constant(0);
    if (!shape) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "the shape (input 0) must be known at parse time");
    const auto dims = shape->toInt64s();
    int64_t count = 1;
    for (int64_t d : dims) {
        if (d < 0) return ctx.fail(ErrorCode::kINVALID_VALUE, "negative extent");
        count *= d;
    }
    Constant fill = Constant::fromFloats({}, {0.f});  // ONNX default: float 0
    if (const pb::TensorProto* t = ctx.attrTensor("value")) {
        std::string err;
        if (!tensorProtoToConstant(*t, fill, err)) return ctx.fail(ErrorCode::kINVALID_VALUE, err);
        if (fill.count() != 1) return ctx.fail(ErrorCode::kINVALID_VALUE, "value must hold one element");
    }
    Constant out;
    out.type = fill.type;
    out.dims = dims;
    for (int64_t i = 0; i < count; ++i) out.bytes.insert(out.bytes.end(), fill.bytes.begin(), fill.bytes.end());
    ctx.setOutputConstant(0, std::move(out));
    outputs.push_back(nullptr);
    return true;
}

KILN_ONNX_CONVERTER(convertRange) {
    (void)node;
    (void)inputs;
    const Constant* c[3] = {ctx.constant(0), ctx.constant(1), ctx.constant(2)};
    if (!c[0] || !c[1] || !c[2]) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "start/limit/delta must be constants");
    for (const Constant* v : c)
        if (v->count() != 1) return ctx.fail(ErrorCode::kINVALID_NODE, "start/limit/delta must be scalars");
    const bool isFloat = c[0]->type == DataType::kFLOAT;
    const double start = c[0]->toFloats()[0], limit = c[1]->toFloats()[0], delta = c[2]->toFloats()[0];
    if (delta == 0) return ctx.fail(ErrorCode::kINVALID_VALUE, "delta is 0");
    const int64_t n = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((limit - start) / delta)));
    if (isFloat) {
        std::vector<float> v;
        for (int64_t i = 0; i < n; ++i) v.push_back(static_cast<float>(start + i * delta));
        ctx.setOutputConstant(0, Constant::fromFloats({n}, v));
    } else {
        const int64_t s = c[0]->toInt64s()[0], d = c[2]->toInt64s()[0];
        std::vector<int64_t> v;
        for (int64_t i = 0; i < n; ++i) v.push_back(s + i * d);
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
    if (!x) return false;
    const Constant* shape = ctx.constant(1);
    if (!shape) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "the shape (input 1) must be a constant");
    const auto dims = shape->toInt64s();
    if (dims.size() > static_cast<size_t>(Dims::MAX_DIMS)) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "rank above 8");
    // x + zeros(shape) broadcasts numpy-style, which is exactly Expand.
    const DataType type = x->getType();
    int64_t count = 1;
    for (int64_t d : dims) count *= std::max<int64_t>(d, 1);
    Constant zeros;
    zeros.type = type;
    zeros.dims = dims;
    for (int64_t& d : zeros.dims) d = std::max<int64_t>(d, 1);
    zeros.bytes.assign(static_cast<size_t>(count) * dataTypeSize(type), 0);
    if (zeros.bytes.empty() && count) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "unsupported element type");
    ITensor* z = ctx.addConstantTensor(zeros);
    if (!z) return false;
    const auto op = type == DataType::kBOOL ? ElementWiseOperation::kOR : ElementWiseOperation::kSUM;
    return pushLayer(ctx, ctx.network().addElementWise(*x, *z, op), outputs);
}

KILN_ONNX_CONVERTER(convertTile) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const Constant* reps = ctx.constant(1);
    if (!reps) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "repeats (input 1) must be a constant");
    const auto r = reps->toInt64s();
    const Dims d = x->getDimensions();
    if (static_cast<int32_t>(r.size()) != d.nbDims) return ctx.fail(ErrorCode::kINVALID_NODE, "repeats length != rank");
    Dims start, size, stride;
    start.nbDims = size.nbDims = stride.nbDims = d.nbDims;
    for (int i = 0; i < d.nbDims; ++i) {
        if (d.d[i] < 0 && r[i] != 1) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "tiling a dynamic dimension");
        start.d[i] = 0;
        size.d[i] = r[i] == 1 ? d.d[i] : d.d[i] * r[i];
        stride.d[i] = 1;
    }
    ISliceLayer* s = ctx.network().addSlice(*x, start, size, stride);
    if (s) s->setMode(SampleMode::kWRAP);  // reading past the end wraps around: a tiling
    return pushLayer(ctx, s, outputs);
}

}  // namespace kiln::onnx
