// LinearAttention (opset 27): recurrent linear attention over packed
// [B, T, H*D] inputs with a [B, Hkv, Dk, Dv] state, in float32:
//   linear:      S = S + k v^T
//   gated:       S = exp(g) S + k v^T
//   delta:       S = S + k (beta (v - S^T k))^T
//   gated_delta: S = exp(g) S;  S = S + k (beta (v - S^T k))^T   (the default)
//   o_t = scale * q_t^T S   (kv head h serves query heads h*G .. h*G+G-1)
// g (decay, log space) is per key channel [B, T, Hkv*Dk] or per head [B, T, Hkv];
// beta is per head [B, T, Hkv] or shared [B, T, 1].
// The time loop is unrolled (T is static), one small group of layers per step;
// long prefills are refused rather than turned into an enormous network.
#include <cmath>

#include "attention_common.h"

namespace kiln::onnx {
namespace {

constexpr int64_t kMaxUnrolledSteps = 256;

// [B, T, H*D] -> [B, H, T, D] (float32).
ITensor* unpackHeads(LayerChain& c, ITensor* x, int64_t heads) {
    const auto d = LayerChain::dims(x);
    return c.reshapeTranspose(c.cast(x, DataType::kFLOAT), {d[0], d[1], heads, d[2] / heads}, {0, 2, 1, 3});
}

}  // namespace

KILN_ONNX_CONVERTER(convertLinearAttention) {
    (void)inputs;
    ITensor* q = ctx.tensor(0);
    ITensor* k = q ? ctx.tensor(1) : nullptr;
    ITensor* v = k ? ctx.tensor(2) : nullptr;
    if (!v) return false;
    const auto qd = LayerChain::dims(q), kd = LayerChain::dims(k), vd = LayerChain::dims(v);
    if (qd.size() != 3 || kd.size() != 3 || vd.size() != 3)
        return ctx.fail(ErrorCode::kINVALID_NODE, "query, key and value must be 3-D [B, T, H*D]");
    for (const auto* d : {&qd, &kd, &vd})
        for (int64_t x : *d)
            if (x < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "query, key and value need static dimensions");
    const DataType t = q->getType();
    if (!isFloatType(t) || k->getType() != t || v->getType() != t)
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "query, key and value must share one float type");
    const int64_t hq = ctx.attrInt("q_num_heads", 0), hkv = ctx.attrInt("kv_num_heads", 0);
    if (hq <= 0 || hkv <= 0 || hq % hkv != 0)
        return ctx.fail(ErrorCode::kINVALID_NODE, "q_num_heads must be a positive multiple of kv_num_heads");
    const int64_t b = qd[0], steps = qd[1];
    if (kd[0] != b || vd[0] != b || kd[1] != steps || vd[1] != steps)
        return ctx.fail(ErrorCode::kINVALID_NODE, "query, key and value differ in batch or sequence length");
    if (qd[2] % hq != 0 || kd[2] % hkv != 0 || vd[2] % hkv != 0)
        return ctx.fail(ErrorCode::kINVALID_NODE, "a hidden size is not divisible by its head count");
    const int64_t dk = qd[2] / hq, dv = vd[2] / hkv;
    if (kd[2] / hkv != dk) return ctx.fail(ErrorCode::kINVALID_NODE, "query and key head sizes differ");
    if (steps > kMaxUnrolledSteps)
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "sequence length " + std::to_string(steps) +
                                                          " exceeds the unrolled limit of " +
                                                          std::to_string(kMaxUnrolledSteps) + " steps");
    const std::string rule = ctx.attrString("update_rule", "gated_delta");
    const bool gated = rule == "gated" || rule == "gated_delta";
    const bool delta = rule == "delta" || rule == "gated_delta";
    if (!gated && !delta && rule != "linear")
        return ctx.fail(ErrorCode::kINVALID_VALUE, "unknown update_rule '" + rule + "'");
    if (gated && !ctx.hasInput(4)) return ctx.fail(ErrorCode::kINVALID_NODE, "update_rule '" + rule + "' needs decay");
    if (delta && !ctx.hasInput(5)) return ctx.fail(ErrorCode::kINVALID_NODE, "update_rule '" + rule + "' needs beta");
    const float scale = ctx.hasAttr("scale") ? ctx.attrFloat("scale", 1.f) : 1.f / std::sqrt(float(dk));

    LayerChain c(ctx);
    const DataType f = DataType::kFLOAT;
    ITensor* q4 = unpackHeads(c, q, hq);  // [B, Hq, T, Dk]
    ITensor* k4 = unpackHeads(c, k, hkv);
    ITensor* v4 = unpackHeads(c, v, hkv);
    ITensor* gate = nullptr;  // exp(decay) as [B, Hkv, Dk or 1, T]: one column per step
    if (gated) {
        ITensor* g = ctx.tensor(4);
        if (!g) return false;
        const auto gd = LayerChain::dims(g);
        if (gd.size() != 3 || gd[0] != b || gd[1] != steps || (gd[2] != hkv * dk && gd[2] != hkv))
            return ctx.fail(ErrorCode::kINVALID_NODE,
                            "decay must be [B, T, kv_num_heads * d_k] or [B, T, kv_num_heads]");
        gate =
            c.reshapeTranspose(c.unary(c.cast(g, f), UnaryOperation::kEXP), {b, steps, hkv, gd[2] / hkv}, {0, 2, 3, 1});
    }
    ITensor* betaAll = nullptr;  // [B, Hkv or 1, T, 1]
    if (delta) {
        ITensor* be = ctx.tensor(5);
        if (!be) return false;
        const auto bd = LayerChain::dims(be);
        if (bd.size() != 3 || bd[0] != b || bd[1] != steps || (bd[2] != hkv && bd[2] != 1))
            return ctx.fail(ErrorCode::kINVALID_NODE, "beta must be [B, T, kv_num_heads] or [B, T, 1]");
        betaAll = c.reshapeTranspose(c.cast(be, f), {b, steps, bd[2], 1}, {0, 2, 1, 3});
    }
    ITensor* state = nullptr;  // [B, Hkv, Dk, Dv]; null = zeros
    if (ctx.hasInput(3)) {
        ITensor* past = ctx.tensor(3);
        if (!past) return false;
        if (LayerChain::dims(past) != std::vector<int64_t>{b, hkv, dk, dv})
            return ctx.fail(ErrorCode::kINVALID_NODE, "past_state must be [B, kv_num_heads, d_k, d_v]");
        state = c.cast(past, f);
    }

    ITensor* scaleT = c.scalar(scale, 4, f);
    std::vector<ITensor*> outs;
    for (int64_t s = 0; s < steps && c.ok(); ++s) {
        ITensor* kt = c.sliceAxis(k4, 2, s, s + 1);  // [B, Hkv, 1, Dk]
        ITensor* vt = c.sliceAxis(v4, 2, s, s + 1);  // [B, Hkv, 1, Dv]
        if (gated && state) state = c.mul(state, c.sliceAxis(gate, 3, s, s + 1));
        ITensor* write = vt;  // the row written under k_t
        if (delta) {
            ITensor* diff = state ? c.sub(vt, c.matmul(kt, false, state, false)) : vt;  // v - S^T k
            write = c.mul(c.sliceAxis(betaAll, 2, s, s + 1), diff);
        }
        ITensor* outer = c.matmul(kt, true, write, false);  // k write^T: [B, Hkv, Dk, Dv]
        state = state ? c.add(state, outer) : outer;
        outs.push_back(c.mul(headMatmul(c, c.sliceAxis(q4, 2, s, s + 1), state, false), scaleT));
    }
    ITensor* o = outs.size() == 1 ? outs[0] : c.concat(outs, 2);  // [B, Hq, T, Dv]
    ITensor* y = c.cast(c.transposeReshape(o, {0, 2, 1, 3}, {b, steps, hq * dv}), t);
    ITensor* present = c.cast(state, t);
    if (!c.ok() || !y || !present) return false;
    if (present->isNetworkInput()) present = c.identity(present);
    outputs.push_back(y);
    outputs.push_back(node.output_size() > 1 && !node.output(1).empty() ? present : nullptr);
    return c.ok();
}

}  // namespace kiln::onnx
