// Reshape-like ops -> IShuffleLayer: Reshape, Flatten, Squeeze, Unsqueeze, Transpose.
#include <algorithm>
#include <set>

#include "ops.h"

namespace kiln::onnx {
namespace {

// Axes from the attribute (opset < 13) or from constant input 1 (opset >= 13).
bool readAxes(ConverterContext& ctx, std::vector<int64_t>& axes, bool& present) {
    present = false;
    if (ctx.opset() < 13 || ctx.hasAttr("axes")) {
        present = ctx.hasAttr("axes");
        axes = ctx.attrInts("axes");
        return true;
    }
    if (!ctx.hasInput(1)) return true;
    const Constant* c = ctx.constant(1);
    if (!c) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "axes (input 1) must be a constant");
    axes = c->toInt64s();
    present = true;
    return true;
}

// Reshape to `dims`, which may hold at most one unknown (-1) extent.
bool reshapeKnown(ConverterContext& ctx, ITensor& x, const std::vector<int64_t>& dims, std::vector<ITensor*>& outputs) {
    if (std::count(dims.begin(), dims.end(), -1) > 1)
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "needs more than one dynamic dimension resolved");
    if (dims.size() > static_cast<size_t>(Dims::MAX_DIMS)) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "rank above 8");
    IShuffleLayer* s = addReshape(ctx, x, toDims(dims), "");
    if (s) s->setZeroIsPlaceholder(false);
    return pushLayer(ctx, s, outputs);
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
        if (dims.size() > static_cast<size_t>(Dims::MAX_DIMS)) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "rank above 8");
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
            if (d.d[i] < 0) return int64_t{-1};
            p *= d.d[i];
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
    if (!readAxes(ctx, axes, present)) return false;
    std::set<int64_t> drop;
    if (!present) {
        for (int i = 0; i < d.nbDims; ++i)
            if (d.d[i] == 1) drop.insert(i);
    }
    for (int64_t a : axes) {
        if (!normalizeAxis(a, d.nbDims)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
        if (d.d[a] != 1 && d.d[a] != -1) return ctx.fail(ErrorCode::kINVALID_VALUE, "squeezed axis has extent != 1");
        drop.insert(a);
    }
    std::vector<int64_t> out;
    for (int i = 0; i < d.nbDims; ++i)
        if (!drop.count(i)) out.push_back(d.d[i]);
    return reshapeKnown(ctx, *x, out, outputs);
}

KILN_ONNX_CONVERTER(convertUnsqueeze) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const Dims d = x->getDimensions();
    std::vector<int64_t> axes;
    bool present;
    if (!readAxes(ctx, axes, present)) return false;
    const int32_t outRank = d.nbDims + static_cast<int32_t>(axes.size());
    std::set<int64_t> ones;
    for (int64_t a : axes) {
        if (!normalizeAxis(a, outRank)) return ctx.fail(ErrorCode::kINVALID_VALUE, "axis out of range");
        ones.insert(a);
    }
    std::vector<int64_t> out;
    for (int i = 0, j = 0; i < outRank; ++i) out.push_back(ones.count(i) ? 1 : d.d[j++]);
    return reshapeKnown(ctx, *x, out, outputs);
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
