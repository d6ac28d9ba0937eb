// ONNX Attention (opset 23, 24) -> MatrixMultiply, SoftMax, ElementWise, Select,
// Shuffle, Concatenation and Reduce layers, following the op's function body:
//
//   Q, K, V: 4-D [B, H, S, D], or 3-D [B, S, H*D] with q_num_heads/kv_num_heads
//   present_key/value = concat(past_key/value, K/V) along the sequence axis
//   scores = (Q * sqrt(scale)) @ (K * sqrt(scale))^T   (scale: 1/sqrt(D) unless given)
//   scores = softcap * tanh(scores / softcap)           (softcap > 0)
//   bias   = attn_mask (bool: 0 / -inf; float: added; padded with -inf up to the
//            total kv length) + causal mask + nonpad_kv_seqlen padding mask
//   probs  = softmax(scores + bias) in softmax_precision, 0 on rows whose bias is
//            all -inf
//   Y      = probs @ V
// Grouped-query attention (q_num_heads a multiple of kv_num_heads): see headMatmul.
#include <cmath>
#include <limits>

#include "attention_common.h"
#include "layer_chain.h"

namespace kiln::onnx {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

bool allKnown(const std::vector<int64_t>& d) {
    for (int64_t v : d)
        if (v < 0) return false;
    return true;
}

// Q/K/V to [B, H, S, D] (3-D inputs are split into `heads` heads).
ITensor* toHeads(LayerChain& c, ITensor* x, int64_t heads) {
    const auto d = LayerChain::dims(x);
    if (d.size() == 4) return x;
    if (heads <= 0 || d[2] % heads != 0)
        return c.fail("a 3-D input's hidden size " + std::to_string(d[2]) + " is not divisible by its head count " +
                      std::to_string(heads));
    return c.reshapeTranspose(x, {d[0], d[1], heads, d[2] / heads}, {0, 2, 1, 3});
}

// The ONNX dtype enum value of softmax_precision -> kiln type.
bool softmaxPrecisionType(int64_t onnxType, DataType& out) {
    switch (onnxType) {
        case 1:
            out = DataType::kFLOAT;
            return true;
        case 10:
            out = DataType::kHALF;
            return true;
        case 16:
            out = DataType::kBF16;
            return true;
        default:
            return false;
    }
}

}  // namespace

ITensor* attentionBias(LayerChain& c, const AttentionBiasSpec& spec) {
    const int64_t b = spec.batch, sq = spec.qLen, skv = spec.kvLen;
    ITensor* bias = nullptr;  // float32, broadcastable to [B, H, Sq, Skv]
    if (spec.mask) {
        ITensor* m = spec.mask;
        auto md = LayerChain::dims(m);
        if (md.size() < 2 || md.size() > 4) return c.fail("attn_mask must have rank 2 to 4");
        if (!allKnown(md)) return c.fail("attn_mask needs static dimensions");
        if (m->getType() == DataType::kBOOL) {
            const int32_t r = int32_t(md.size());
            m = c.select(m, c.scalar(0.f, r, DataType::kFLOAT), c.scalar(kNegInf, r, DataType::kFLOAT));
        } else {
            m = c.cast(m, DataType::kFLOAT);
        }
        if (md.back() > skv) return c.fail("attn_mask's last dimension exceeds the total kv sequence length");
        if (md.back() < skv) {  // a shorter mask is padded with -inf (those keys are masked)
            std::vector<int64_t> pd = md;
            pd.back() = skv - md.back();
            int64_t rows = 1;  // the padding is a constant table: its size is checked (mutated dims overflow)
            for (size_t i = 0; i + 1 < pd.size(); ++i)
                if (__builtin_mul_overflow(rows, pd[i], &rows)) rows = INT64_MAX;
            if (!c.tableFits(rows, pd.back())) return nullptr;
            m = c.concat({m, c.constant(pd, std::vector<float>(size_t(rows * pd.back()), kNegInf), DataType::kFLOAT)},
                         int32_t(md.size()) - 1);
        }
        bias = m;
    }
    if (spec.causal) {
        // Query i sees keys j <= i + offset: the past length (internal cache or
        // none), or nonpad_kv_seqlen[b] - Sq per batch (external cache). Built
        // from index vectors so that a long sequence never becomes an
        // [Sq, Skv] parse-time constant (the builder folds small ones).
        ITensor* off = !spec.pastKey && spec.nonpadKvSeqlen
                           ? c.reshape(c.sub(spec.nonpadKvSeqlen, c.constantInt64({1}, {sq})), {b, 1, 1, 1})
                           : c.constantInt64({1, 1, 1, 1}, {spec.pastLen});
        ITensor* limit = c.add(c.iota(sq, {1, 1, sq, 1}), off);
        ITensor* hidden = c.binary(limit, c.iota(skv, {1, 1, 1, skv}), ElementWiseOperation::kLESS);
        ITensor* causal = c.select(hidden, c.scalar(kNegInf, 4, DataType::kFLOAT), c.scalar(0.f, 4, DataType::kFLOAT));
        bias = bias ? c.add(bias, causal) : causal;
    }
    if (spec.nonpadKvSeqlen) {
        // Keys at or beyond nonpad_kv_seqlen[b] are padding.
        ITensor* len = c.reshape(spec.nonpadKvSeqlen, {b, 1, 1, 1});
        ITensor* valid = c.binary(c.iota(skv, {1, 1, 1, skv}), len, ElementWiseOperation::kLESS);
        ITensor* pad = c.select(valid, c.scalar(0.f, 4, DataType::kFLOAT), c.scalar(kNegInf, 4, DataType::kFLOAT));
        bias = bias ? c.add(bias, pad) : pad;
    }
    return bias;
}

ITensor* headMatmul(LayerChain& c, ITensor* a, ITensor* b, bool transB) {
    const auto ad = LayerChain::dims(a), bd = LayerChain::dims(b);
    if (ad.size() != 4 || bd.size() != 4) return c.fail("internal: head matmul needs 4-D operands");
    const int64_t hq = ad[1], hkv = bd[1];
    if (hkv <= 0 || hq % hkv != 0)
        return c.fail("q_num_heads " + std::to_string(hq) + " is not a multiple of kv_num_heads " +
                      std::to_string(hkv));
    const int64_t g = hq / hkv;
    if (g == 1) return c.matmul(a, false, b, transB);
    // Query heads h*g .. h*g+g-1 share kv head h: fold them into a group axis
    // and let the kv operand broadcast over it (no copy of K/V).
    ITensor* a5 = c.reshape(a, {ad[0], hkv, g, ad[2], ad[3]});
    ITensor* b5 = c.reshape(b, {bd[0], hkv, 1, bd[2], bd[3]});
    ITensor* r = c.matmul(a5, false, b5, transB);
    const auto rd = LayerChain::dims(r);
    if (rd.size() != 5) return nullptr;
    return c.reshape(r, {ad[0], hq, rd[3], rd[4]});
}

ITensor* attentionCore(LayerChain& c, const AttentionCoreSpec& s, AttentionCoreOutputs& out) {
    ITensor *q = s.q, *k = s.k, *v = s.v;
    if (!c.ok() || !q || !k || !v) return nullptr;
    const DataType t = q->getType();
    const auto qd = LayerChain::dims(q), kd = LayerChain::dims(k), vd = LayerChain::dims(v);
    if (qd.size() != 4 || kd.size() != 4 || vd.size() != 4) return c.fail("internal: attention needs 4-D Q, K, V");
    const int64_t b = qd[0], hq = qd[1], dqk = qd[3];
    const int64_t hkv = kd[1], skv = kd[2];
    if (kd[0] != b || vd[0] != b) return c.fail("Q, K and V have different batch sizes");
    if (kd[3] != dqk) return c.fail("Q and K have different head sizes");
    if (vd[1] != hkv || vd[2] != skv) return c.fail("K and V differ in head count or sequence length");
    if (hkv <= 0 || hq % hkv != 0)
        return c.fail("q_num_heads " + std::to_string(hq) + " is not a multiple of kv_num_heads " +
                      std::to_string(hkv));

    // Scale both operands by sqrt(scale), in the input type, as the function body does.
    const float scale = s.hasScale ? s.scale : 1.f / std::sqrt(float(dqk));
    const float rootScale = std::sqrt(scale);
    ITensor* qs = c.mul(q, c.scalar(rootScale, 4, t));
    ITensor* ks = c.mul(k, c.scalar(rootScale, 4, t));

    ITensor* scores = headMatmul(c, qs, ks, true);  // [B, Hq, Sq, Skv]
    out.qk = scores;
    if (s.softcap > 0.f) {
        ITensor* cap = c.scalar(s.softcap, 4, t);
        scores = c.mul(c.activation(c.div(scores, cap), ActivationType::kTANH), cap);
    }
    out.qkSoftcapped = scores;
    ITensor* biasT = s.bias ? c.cast(s.bias, t) : nullptr;
    if (biasT) scores = c.add(scores, biasT);
    out.qkBiased = scores;

    ITensor* probs = c.cast(c.softmax(c.cast(scores, s.softmaxType), 3), t);
    if (biasT && s.guardMaskedRows) {
        // A row whose bias is -inf everywhere has no key to attend: its
        // probabilities are 0 (softmax alone would give NaN).
        const int32_t r = int32_t(LayerChain::dims(biasT).size());
        ITensor* rowMax = c.reduce(biasT, ReduceOperation::kMAX, 1u << (r - 1), true);
        ITensor* dead = c.binary(rowMax, c.scalar(kNegInf, r, t), ElementWiseOperation::kEQUAL);
        probs = c.select(dead, c.scalar(0.f, r, t), probs);
    }
    out.probs = probs;

    return headMatmul(c, probs, v, false);
}

KILN_ONNX_CONVERTER(convertAttention) {
    (void)inputs;
    LayerChain c(ctx);
    ITensor* q = ctx.tensor(0);
    ITensor* k = q ? ctx.tensor(1) : nullptr;
    ITensor* v = k ? ctx.tensor(2) : nullptr;
    if (!v) return false;
    const auto qd0 = LayerChain::dims(q), kd0 = LayerChain::dims(k), vd0 = LayerChain::dims(v);
    const size_t rank = qd0.size();
    if ((rank != 3 && rank != 4) || kd0.size() != rank || vd0.size() != rank)
        return ctx.fail(ErrorCode::kINVALID_NODE, "Q, K and V must all be 3-D or all 4-D");
    if (!allKnown(qd0) || !allKnown(kd0) || !allKnown(vd0))
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "Q, K and V need static dimensions");
    if (!isFloatType(q->getType()) || k->getType() != q->getType() || v->getType() != q->getType())
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "Q, K and V must share one float type");
    const int64_t qHeads = ctx.attrInt("q_num_heads", 0), kvHeads = ctx.attrInt("kv_num_heads", 0);
    if (rank == 3 && (qHeads <= 0 || kvHeads <= 0))
        return ctx.fail(ErrorCode::kINVALID_NODE, "3-D inputs need the q_num_heads and kv_num_heads attributes");
    if (rank == 4 && ((qHeads > 0 && qHeads != qd0[1]) || (kvHeads > 0 && kvHeads != kd0[1])))
        return ctx.fail(ErrorCode::kINVALID_NODE, "q_num_heads/kv_num_heads disagree with the 4-D inputs' head dims");

    const int64_t mode = ctx.attrInt("qk_matmul_output_mode", 0);
    if (mode < 0 || mode > 3) return ctx.fail(ErrorCode::kINVALID_VALUE, "qk_matmul_output_mode must be 0..3");
    AttentionCoreSpec s;
    s.softcap = ctx.attrFloat("softcap", 0.f);
    s.hasScale = ctx.hasAttr("scale");
    s.scale = ctx.attrFloat("scale", 1.f);
    s.softmaxType = q->getType();
    if (ctx.hasAttr("softmax_precision") && !softmaxPrecisionType(ctx.attrInt("softmax_precision", 1), s.softmaxType))
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "softmax_precision must be float, float16 or bfloat16");

    s.q = toHeads(c, q, qHeads);
    s.k = toHeads(c, k, kvHeads);
    s.v = toHeads(c, v, kvHeads);
    if (!c.ok()) return false;

    // KV cache: present = concat(past, new) along the sequence axis.
    const bool hasPastK = ctx.hasInput(4), hasPastV = ctx.hasInput(5);
    if (hasPastK != hasPastV) return ctx.fail(ErrorCode::kINVALID_NODE, "past_key and past_value come together");
    int64_t pastLen = 0;
    ITensor* pastKey = nullptr;
    if (hasPastK) {
        pastKey = ctx.tensor(4);
        ITensor* pastValue = pastKey ? ctx.tensor(5) : nullptr;
        if (!pastValue) return false;
        const auto pk = LayerChain::dims(pastKey), pv = LayerChain::dims(pastValue);
        if (pk.size() != 4 || pv.size() != 4 || !allKnown(pk) || !allKnown(pv))
            return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "past_key/past_value must be 4-D with static dimensions");
        pastLen = pk[2];
        s.k = c.concat({c.cast(pastKey, q->getType()), s.k}, 2);
        s.v = c.concat({c.cast(pastValue, q->getType()), s.v}, 2);
    }
    ITensor* presentKey = s.k;
    ITensor* presentValue = s.v;

    AttentionBiasSpec bs;
    const auto qd = LayerChain::dims(s.q), kd = LayerChain::dims(s.k);
    if (qd.size() != 4 || kd.size() != 4) return c.ok() ? ctx.fail(ErrorCode::kINVALID_NODE, "bad Q/K shapes") : false;
    bs.batch = qd[0];
    bs.qLen = qd[2];
    bs.kvLen = kd[2];
    bs.causal = ctx.attrInt("is_causal", 0) != 0;
    bs.pastKey = pastKey;
    bs.pastLen = pastLen;
    if (ctx.hasInput(3)) bs.mask = ctx.tensor(3);
    if (ctx.hasInput(6)) {
        if (ctx.opset() < 24) return ctx.fail(ErrorCode::kINVALID_NODE, "nonpad_kv_seqlen needs opset 24");
        bs.nonpadKvSeqlen = c.cast(ctx.tensor(6), DataType::kINT64);
        if (bs.nonpadKvSeqlen && LayerChain::dims(bs.nonpadKvSeqlen) != std::vector<int64_t>{bs.batch})
            return ctx.fail(ErrorCode::kINVALID_NODE, "nonpad_kv_seqlen must have shape [batch]");
    }
    s.bias = attentionBias(c, bs);
    // Only a bias that can mask whole rows needs the guard: the causal mask
    // alone always leaves key 0 visible.
    s.guardMaskedRows = bs.mask || bs.nonpadKvSeqlen;

    AttentionCoreOutputs co;
    ITensor* y = attentionCore(c, s, co);
    if (rank == 3) {
        const auto yd = LayerChain::dims(y);
        if (yd.size() == 4) y = c.transposeReshape(y, {0, 2, 1, 3}, {yd[0], yd[2], yd[1] * yd[3]});
    }
    ITensor* qkOut = mode == 0 ? co.qk : mode == 1 ? co.qkSoftcapped : mode == 2 ? co.qkBiased : co.probs;
    if (!c.ok() || !y) return false;
    outputs.push_back(y);
    outputs.push_back(node.output_size() > 1 && !node.output(1).empty() ? presentKey : nullptr);
    outputs.push_back(node.output_size() > 2 && !node.output(2).empty() ? presentValue : nullptr);
    outputs.push_back(node.output_size() > 3 && !node.output(3).empty() ? qkOut : nullptr);
    // Without a past, present_key/value are K/V themselves (perhaps network
    // inputs, which must keep their names): give them their own tensors.
    for (size_t i = 1; i < 3; ++i)
        if (outputs[i] && outputs[i]->isNetworkInput()) outputs[i] = c.identity(outputs[i]);
    return c.ok();
}

}  // namespace kiln::onnx
