// Reshape-like ops -> IShuffleLayer: Reshape, Flatten, Squeeze, Unsqueeze, Transpose.
#include <algorithm>
#include <set>

#include "ops.h"
#include "shape_math.h"

namespace kiln::onnx {
namespace {

// Axes from the attribute (opset < 13) or from input 1 (opset >= 13): a
// constant, or else `tensor` (values known only at run time).
bool readAxes(ConverterContext& ctx, std::vector<int64_t>& axes, bool& present, ITensor*& tensor) {
    present = false;
    tensor = nullptr;
    if (ctx.opset() < 13 || ctx.hasAttr("axes")) {
        present = ctx.hasAttr("axes");
        axes = ctx.attrInts("axes");
        return true;
    }
    if (!ctx.hasInput(1)) return true;
    present = true;
    if (const Constant* c = ctx.constant(1)) {
        axes = c->toInt64s();
        return true;
    }
    tensor = ctx.tensor(1);
    tensor = tensor ? shape::toI64(ctx, *tensor) : nullptr;
    tensor = tensor ? shape::flat(ctx, *tensor) : nullptr;
    if (!tensor) return false;
    if (tensor->getDimensions().d[0] < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "axes of unknown length");
    return true;
}

// Reshape to `dims`, which may hold at most one unknown (-1) extent.
bool reshapeKnown(ConverterContext& ctx, ITensor& x, const std::vector<int64_t>& dims, std::vector<ITensor*>& outputs) {
    if (std::count(dims.begin(), dims.end(), -1) > 1)
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "needs more than one dynamic dimension resolved");
    if (dims.size() > static_cast<size_t>(Dims::MAX_DIMS))
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "rank above 8");
    IShuffleLayer* s = addReshape(ctx, x, toDims(dims), "");
    if (s) s->setZeroIsPlaceholder(false);
    return pushLayer(ctx, s, outputs);
}

// Reshape to a tensor of dims computed at run time.
bool reshapeTo(ConverterContext& ctx, ITensor& x, ITensor& dims, std::vector<ITensor*>& outputs) {
    IShuffleLayer* s = ctx.network().addShuffle(x);
    if (!s) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the shuffle");
    s->setInput(1, dims);
    s->setZeroIsPlaceholder(false);
    return pushLayer(ctx, s, outputs);
}

// Reshape to x's dims picked by `picks` (an input dim index, or -1 for a new
// extent of 1): with constant dims when they are known, else from x's shape.
bool reshapePicking(ConverterContext& ctx, ITensor& x, const std::vector<int64_t>& picks,
                    std::vector<ITensor*>& outputs) {
    const Dims d = x.getDimensions();
    std::vector<int64_t> dims, index;
    for (int64_t p : picks) {
        dims.push_back(p < 0 ? 1 : d.d[p]);
        index.push_back(p < 0 ? d.nbDims : p);
    }
    if (std::count(dims.begin(), dims.end(), -1) <= 1) return reshapeKnown(ctx, x, dims, outputs);
    ITensor* all = shape::dimsOf(ctx, x);
    ITensor* one = all ? shape::i64(ctx, {1}) : nullptr;
    ITensor* both = one ? shape::concat(ctx, {all, one}) : nullptr;
    ITensor* picked = both ? shape::gather(ctx, *both, index) : nullptr;
    return picked && reshapeTo(ctx, x, *picked, outputs);
}

// Run-time axes normalized against n, as a column [k, 1], and the positions
// 0..n-1 as a row [1, n]: comparing them marks where the axes are.
bool axesGrid(ConverterContext& ctx, ITensor& axes, int64_t n, ITensor*& column, ITensor*& positions) {
    const int64_t k = axes.getDimensions().d[0];
    std::vector<int64_t> iota;
    for (int64_t j = 0; j < n; ++j) iota.push_back(j);
    ITensor* norm = shape::normalizeAxes(ctx, axes, int32_t(n));
    IShuffleLayer* col = norm ? addReshape(ctx, *norm, Dims2{k, 1}, "_axes_column") : nullptr;
    positions = col ? ctx.addConstantTensor(Constant::fromInt64s({1, n}, iota)) : nullptr;
    column = col ? col->getOutput(0) : nullptr;
    return positions != nullptr;
}

// Unsqueeze by axes known at run time: out[j] = 1 where j is an axis, else the
// input dim j - (number of axes below j).
bool unsqueezeAtRunTime(ConverterContext& ctx, ITensor& x, ITensor& axes, std::vector<ITensor*>& outputs) {
    using EW = ElementWiseOperation;
    const int32_t rank = x.getDimensions().nbDims;
    const int64_t outRank = rank + axes.getDimensions().d[0];
    if (outRank > Dims::MAX_DIMS) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "rank above 8");
    ITensor *col, *pos;
    if (!axesGrid(ctx, axes, outRank, col, pos)) return false;
    ITensor* below = shape::binary(ctx, *col, *pos, EW::kLESS);
    ITensor* at = below ? shape::binary(ctx, *col, *pos, EW::kEQUAL) : nullptr;
    auto countOver = [&](ITensor* b, ReduceOperation op) -> ITensor* {
        ITensor* i = b ? shape::toI64(ctx, *b) : nullptr;
        IReduceLayer* red = i ? ctx.network().addReduce(*i, op, 1u, false) : nullptr;
        if (red) ctx.nameLayer(red, "_axes_count");
        return red ? red->getOutput(0) : nullptr;
    };
    ITensor* nBelow = countOver(below, ReduceOperation::kSUM);
    ITensor* isAxis = countOver(at, ReduceOperation::kMAX);
    ITensor* posFlat = isAxis ? shape::flat(ctx, *pos) : nullptr;
    ITensor* src = posFlat && nBelow ? shape::binary(ctx, *posFlat, *nBelow, EW::kSUB) : nullptr;
    // Axis positions read a placeholder (the appended 1).
    ITensor* placeholder = src ? shape::i64(ctx, {rank}) : nullptr;
    ITensor* one = placeholder ? shape::i64(ctx, {1}) : nullptr;
    ITensor* axisMask = one ? shape::binary(ctx, *isAxis, *one, EW::kEQUAL) : nullptr;
    ITensor* idx = axisMask ? shape::select(ctx, *axisMask, *placeholder, *src) : nullptr;
    ITensor* dims = idx ? shape::dimsOf(ctx, x) : nullptr;
    ITensor* table = dims ? shape::concat(ctx, {dims, one}) : nullptr;
    IGatherLayer* g = table ? ctx.network().addGather(*table, *idx, 0) : nullptr;
    if (!g) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the unsqueeze shape");
    ctx.nameLayer(g, "_dims");
    return reshapeTo(ctx, x, *g->getOutput(0), outputs);
}

// Squeeze by axes known at run time: keep the dims that are not axes, in order
// (the k smallest of key = i for kept dims, i + rank for squeezed ones).
bool squeezeAtRunTime(ConverterContext& ctx, ITensor& x, ITensor& axes, std::vector<ITensor*>& outputs) {
    using EW = ElementWiseOperation;
    const int32_t rank = x.getDimensions().nbDims;
    const int64_t k = axes.getDimensions().d[0];
    if (k > rank) return ctx.fail(ErrorCode::kINVALID_NODE, "more axes than dims");
    if (k == rank) return reshapeKnown(ctx, x, {}, outputs);  // every dim is squeezed
    ITensor *col, *pos;
    if (!axesGrid(ctx, axes, rank, col, pos)) return false;
    ITensor* r = shape::i64(ctx, {rank});
    ITensor* at = r ? shape::binary(ctx, *col, *pos, EW::kEQUAL) : nullptr;
    ITensor* atI = at ? shape::toI64(ctx, *at) : nullptr;
    IReduceLayer* hit = atI ? ctx.network().addReduce(*atI, ReduceOperation::kMAX, 1u, false) : nullptr;
    ITensor* posFlat = hit ? shape::flat(ctx, *pos) : nullptr;
    ITensor* shift = posFlat ? shape::binary(ctx, *hit->getOutput(0), *r, EW::kPROD) : nullptr;
    ITensor* key = shift ? shape::binary(ctx, *posFlat, *shift, EW::kSUM) : nullptr;
    if (!key) return false;
    ITopKLayer* kept = ctx.network().addTopK(*key, TopKOperation::kMIN, int32_t(rank - k), 1u);
    ITensor* dims = kept ? shape::dimsOf(ctx, x) : nullptr;
    IGatherLayer* g = dims ? ctx.network().addGather(*dims, *kept->getOutput(1), 0) : nullptr;
    if (!g) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the squeeze shape");
    ctx.nameLayer(g, "_dims");
    return reshapeTo(ctx, x, *g->getOutput(0), outputs);
}

}  // namespace

KILN_ONNX_CONVERTER(convertReshape) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    IShuffleLayer* s = ctx.network().addShuffle(*x);
    if (!s) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the shuffle");
    if (ctx.opset() < 5) {
        s->setReshapeDimensions(toDims(ctx.attrInts("shape")));
    } else if (const Constant* shape = ctx.constant(1)) {
        const auto dims = shape->toInt64s();
        if (dims.size() > static_cast<size_t>(Dims::MAX_DIMS))
            return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "rank above 8");
        s->setReshapeDimensions(toDims(dims));
    } else {
        ITensor* shapeTensor = ctx.tensor(1);  // dynamic shape: kiln takes it as the second input
        if (!shapeTensor) return false;
        s->setInput(1, *shapeTensor);
    }
    // ONNX: 0 copies the input extent unless allowzero (opset 14) is set.
    s->setZeroIsPlaceholder(ctx.attrInt("allowzero", 0) == 0);
    return pushLayer(ctx, s, outputs);
}

KILN_ONNX_CONVERTER(convertFlatten) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const Dims d = x->getDimensions();
    int64_t axis = ctx.attrInt("axis", 1);
    if (axis < 0) axis += d.nbDims;
    if (axis < 0 || axis > d.nbDims) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
    auto product = [&](int from, int to) {  // -1 when any extent is unknown
        int64_t p = 1;
        for (int i = from; i < to; ++i) {
            if (d.d[i] < 0 || __builtin_mul_overflow(p, d.d[i], &p)) return int64_t{-1};
        }
        return p;
    };
    int64_t left = product(0, int(axis)), right = product(int(axis), d.nbDims);
    if (left < 0 && right < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "dynamic extents on both sides of axis");
    return reshapeKnown(ctx, *x, {left, right}, outputs);
}

KILN_ONNX_CONVERTER(convertSqueeze) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const Dims d = x->getDimensions();
    std::vector<int64_t> axes;
    bool present;
    ITensor* axesTensor;
    if (!readAxes(ctx, axes, present, axesTensor)) return false;
    if (axesTensor) return squeezeAtRunTime(ctx, *x, *axesTensor, outputs);
    std::set<int64_t> drop;
    if (!present) {
        for (int i = 0; i < d.nbDims; ++i) {
            if (d.d[i] < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "squeezing every 1 of dynamic dims");
            if (d.d[i] == 1) drop.insert(i);
        }
    }
    for (int64_t a : axes) {
        if (!normalizeAxis(a, d.nbDims)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
        if (d.d[a] != 1 && d.d[a] != -1) return ctx.fail(ErrorCode::kINVALID_VALUE, "squeezed axis has extent != 1");
        drop.insert(a);
    }
    std::vector<int64_t> picks;
    for (int i = 0; i < d.nbDims; ++i)
        if (!drop.count(i)) picks.push_back(i);
    return reshapePicking(ctx, *x, picks, outputs);
}

KILN_ONNX_CONVERTER(convertUnsqueeze) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const Dims d = x->getDimensions();
    std::vector<int64_t> axes;
    bool present;
    ITensor* axesTensor;
    if (!readAxes(ctx, axes, present, axesTensor)) return false;
    if (axesTensor) return unsqueezeAtRunTime(ctx, *x, *axesTensor, outputs);
    const int32_t outRank = d.nbDims + static_cast<int32_t>(axes.size());
    std::set<int64_t> ones;
    for (int64_t a : axes) {
        if (!normalizeAxis(a, outRank)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
        if (!ones.insert(a).second)
            return ctx.fail(ErrorCode::kINVALID_VALUE, "axis " + std::to_string(a) + " repeated");
    }
    std::vector<int64_t> picks;
    for (int i = 0, j = 0; i < outRank; ++i) picks.push_back(ones.count(i) ? -1 : j++);
    return reshapePicking(ctx, *x, picks, outputs);
}

KILN_ONNX_CONVERTER(convertTranspose) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const int32_t rank = x->getDimensions().nbDims;
    auto perm = ctx.attrInts("perm");
    if (perm.empty())
        for (int i = rank - 1; i >= 0; --i) perm.push_back(i);  // default: reverse the axes
    if (static_cast<int32_t>(perm.size()) != rank) return ctx.fail(ErrorCode::kINVALID_NODE, "perm length != rank");
    Permutation p;
    for (int i = 0; i < rank; ++i) {
        if (perm[i] < 0 || perm[i] >= rank) return ctx.fail(ErrorCode::kINVALID_VALUE, "perm entry out of range");
        p.order[i] = static_cast<int32_t>(perm[i]);
    }
    IShuffleLayer* s = ctx.network().addShuffle(*x);
    if (s) s->setFirstTranspose(p);
    return pushLayer(ctx, s, outputs);
}

}  // namespace kiln::onnx
