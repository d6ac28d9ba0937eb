// RotaryEmbedding (opset 23) -> Gather, Slice, ElementWise, Concatenation and
// Shuffle layers, in the input's own layout:
//   X 4-D [B, H, S, D], or 3-D [B, S, H*D] with num_heads;
//   cos/sin: [max_position, >= rot/2] gathered by position_ids [B, S], or
//            [B, S, >= rot/2] when there are no position ids;
//   the first rot = rotary_embedding_dim (default D) channels of each head
//   rotate as pairs (x1, x2): halves (x[:rot/2], x[rot/2:rot]) or, interleaved,
//   (x[0::2], x[1::2]) -> (cos x1 - sin x2, sin x1 + cos x2); the rest pass.
#include "layer_chain.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertRotaryEmbedding) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    ITensor* cosCache = x ? ctx.tensor(1) : nullptr;
    ITensor* sinCache = cosCache ? ctx.tensor(2) : nullptr;
    if (!sinCache) return false;
    LayerChain c(ctx);
    const auto xd = LayerChain::dims(x);
    for (int64_t v : xd)
        if (v < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "the input needs static dimensions");
    if (!isFloatType(x->getType())) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "the input must be a float tensor");
    const int64_t numHeads = ctx.attrInt("num_heads", 0);
    int64_t b, s, h, d;
    if (xd.size() == 4) {
        b = xd[0], h = xd[1], s = xd[2], d = xd[3];
    } else if (xd.size() == 3) {
        if (numHeads <= 0 || xd[2] % numHeads != 0)
            return ctx.fail(ErrorCode::kINVALID_NODE, "a 3-D input needs num_heads dividing its hidden size");
        b = xd[0], s = xd[1], h = numHeads, d = xd[2] / numHeads;
    } else {
        return ctx.fail(ErrorCode::kINVALID_NODE, "the input must be 3-D or 4-D");
    }
    const int64_t rot = ctx.attrInt("rotary_embedding_dim", 0) > 0 ? ctx.attrInt("rotary_embedding_dim", 0) : d;
    if (rot > d || rot % 2 != 0)
        return ctx.fail(ErrorCode::kINVALID_VALUE, "rotary_embedding_dim must be even and at most the head size");
    const int64_t half = rot / 2;
    const bool interleaved = ctx.attrInt("interleaved", 0) != 0;

    // cos/sin -> [B, S, half], then broadcastable to the 4-D view of X.
    ITensor* cosBs = cosCache;
    ITensor* sinBs = sinCache;
    if (ctx.hasInput(3)) {
        ITensor* pos = ctx.tensor(3);
        if (!pos) return false;
        if (LayerChain::dims(pos) != std::vector<int64_t>{b, s})
            return ctx.fail(ErrorCode::kINVALID_NODE, "position_ids must have shape [batch, sequence]");
        if (LayerChain::dims(cosCache).size() != 2 || LayerChain::dims(sinCache).size() != 2)
            return ctx.fail(ErrorCode::kINVALID_NODE, "with position_ids, cos_cache/sin_cache must be 2-D");
        cosBs = c.gather(cosCache, pos, 0);
        sinBs = c.gather(sinCache, pos, 0);
    }
    const auto cd = LayerChain::dims(cosBs), sd = LayerChain::dims(sinBs);
    if (cd.size() != 3 || cd[0] != b || cd[1] != s || cd[2] < half || sd != cd)
        return ctx.fail(ErrorCode::kINVALID_NODE, "cos_cache/sin_cache do not match [batch, sequence, >= rot/2]");
    if (cd[2] > half) {
        cosBs = c.sliceAxis(cosBs, 2, 0, half);
        sinBs = c.sliceAxis(sinBs, 2, 0, half);
    }
    const DataType t = x->getType();
    cosBs = c.cast(cosBs, t);
    sinBs = c.cast(sinBs, t);

    // The 4-D view: [B, H, S, D] (cos as [B, 1, S, half]) or [B, S, H, D] (cos as [B, S, 1, half]).
    ITensor* x4 = xd.size() == 4 ? x : c.reshape(x, {b, s, h, d});
    const std::vector<int64_t> csShape =
        xd.size() == 4 ? std::vector<int64_t>{b, 1, s, half} : std::vector<int64_t>{b, s, 1, half};
    ITensor* cosv = c.reshape(cosBs, csShape);
    ITensor* sinv = c.reshape(sinBs, csShape);
    ITensor* x1 = interleaved ? c.sliceAxis(x4, 3, 0, rot, 2) : c.sliceAxis(x4, 3, 0, half);
    ITensor* x2 = interleaved ? c.sliceAxis(x4, 3, 1, rot, 2) : c.sliceAxis(x4, 3, half, rot);
    ITensor* re = c.sub(c.mul(cosv, x1), c.mul(sinv, x2));
    ITensor* im = c.add(c.mul(sinv, x1), c.mul(cosv, x2));
    if (!c.ok()) return false;
    ITensor* rotated = nullptr;
    auto x4d = LayerChain::dims(x4);
    if (interleaved) {
        std::vector<int64_t> pairShape = x4d;
        pairShape[3] = half;
        pairShape.push_back(1);
        std::vector<int64_t> outShape = x4d;
        outShape[3] = rot;
        rotated = c.reshape(c.concat({c.reshape(re, pairShape), c.reshape(im, pairShape)}, 4), outShape);
    } else {
        rotated = c.concat({re, im}, 3);
    }
    ITensor* y = rot < d ? c.concat({rotated, c.sliceAxis(x4, 3, rot, d)}, 3) : rotated;
    if (xd.size() == 3) y = c.reshape(y, xd);
    if (!y) return false;
    outputs.push_back(y);
    return true;
}

}  // namespace kiln::onnx
