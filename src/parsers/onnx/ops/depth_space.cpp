// DepthToSpace / SpaceToDepth -> reshape, then transpose + reshape (two
// shuffles); C, H and W must be static.
//   DepthToSpace DCR: [N, b, b, C/b², H, W] -> perm (0, 3, 4, 1, 5, 2) -> [N, C/b², H*b, W*b]
//   DepthToSpace CRD: [N, C/b², b, b, H, W] -> perm (0, 1, 4, 2, 5, 3) -> same
//   SpaceToDepth:     [N, C, H/b, b, W/b, b] -> perm (0, 3, 5, 1, 2, 4) -> [N, C*b², H/b, W/b]
#include "ops.h"

namespace kiln::onnx {

namespace {

bool shuffle6(ConverterContext& ctx, ITensor& x, const std::vector<int64_t>& split, const int32_t (&perm)[6],
              const std::vector<int64_t>& out, std::vector<ITensor*>& outputs) {
    ITensor* s = reshapeTo(ctx, x, split, "_split");
    if (!s) return false;
    IShuffleLayer* t = ctx.network().addShuffle(*s);
    if (t) {
        Permutation p;
        for (int i = 0; i < 6; ++i) p.order[i] = perm[i];
        t->setFirstTranspose(p);
        t->setReshapeDimensions(toDims(out));
        t->setZeroIsPlaceholder(false);
    }
    return pushLayer(ctx, t, outputs);
}

// b must be positive and b² must fit in int64 (a mutated blocksize may be 2^32).
bool staticNCHW(ConverterContext& ctx, ITensor& x, std::vector<int64_t>& d, int64_t& b, int64_t& bb) {
    d = dimsOf(x);
    if (d.size() != 4) return ctx.fail(ErrorCode::kINVALID_NODE, "input must be 4-D [N, C, H, W]");
    for (size_t i = 1; i < 4; ++i)
        if (d[i] < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "dynamic C, H or W");
    b = ctx.attrInt("blocksize", 0);
    if (b < 1) return ctx.fail(ErrorCode::kINVALID_VALUE, "blocksize must be positive");
    if (__builtin_mul_overflow(b, b, &bb)) return ctx.fail(ErrorCode::kINVALID_VALUE, "blocksize² overflows int64");
    return true;
}

}  // namespace

KILN_ONNX_CONVERTER(convertDepthToSpace) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    std::vector<int64_t> d;
    int64_t b = 0, bb = 0;
    if (!x || !staticNCHW(ctx, *x, d, b, bb)) return false;
    const int64_t n = d[0], c = d[1], h = d[2], w = d[3];
    if (c % bb != 0) return ctx.fail(ErrorCode::kINVALID_NODE, "C is not a multiple of blocksize²");
    int64_t hb = 0, wb = 0;
    if (__builtin_mul_overflow(h, b, &hb) || __builtin_mul_overflow(w, b, &wb))
        return ctx.fail(ErrorCode::kINVALID_NODE, "H * blocksize or W * blocksize overflows int64");
    const std::string mode = ctx.attrString("mode", "DCR");
    const std::vector<int64_t> out = {n, c / bb, hb, wb};
    if (mode == "DCR") return shuffle6(ctx, *x, {n, b, b, c / bb, h, w}, {0, 3, 4, 1, 5, 2}, out, outputs);
    if (mode == "CRD") return shuffle6(ctx, *x, {n, c / bb, b, b, h, w}, {0, 1, 4, 2, 5, 3}, out, outputs);
    return ctx.fail(ErrorCode::kINVALID_VALUE, "unknown mode '" + mode + "' (DCR or CRD)");
}

KILN_ONNX_CONVERTER(convertSpaceToDepth) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    std::vector<int64_t> d;
    int64_t b = 0, bb = 0;
    if (!x || !staticNCHW(ctx, *x, d, b, bb)) return false;
    const int64_t n = d[0], c = d[1], h = d[2], w = d[3];
    if (h % b != 0 || w % b != 0) return ctx.fail(ErrorCode::kINVALID_NODE, "H and W must be multiples of blocksize");
    int64_t cbb = 0;
    if (__builtin_mul_overflow(c, bb, &cbb))
        return ctx.fail(ErrorCode::kINVALID_NODE, "C * blocksize² overflows int64");
    return shuffle6(ctx, *x, {n, c, h / b, b, w / b, b}, {0, 3, 5, 1, 2, 4}, {n, cbb, h / b, w / b}, outputs);
}

}  // namespace kiln::onnx
