// FlexAttention (ai.onnx.preview, version 1): scaled dot-product attention with
// user subgraphs that rewrite the scores (score_mod, mask_mod) and the
// probabilities (prob_mod), imported inline:
//   scores = (Q * sqrt(scale)) @ (K * sqrt(scale))^T      in Q's type
//   scores = score_mod(cast(scores, P))                    P: softmax_precision, else
//                                                          float32 for 16-bit types
//   scores = mask_mod: masked positions -> -inf
//   probs  = prob_mod(softmax(scores))
//   Y      = cast(probs @ cast(V, P), T)
// A modifier takes the whole [B, H, Sq, Skv] tensor (one input), or, in the
// element-wise form, (value, batch, head, q_idx, kv_idx) with the indices as
// tensors broadcastable to the scores ([B,1,1,1], [1,H,1,1], [1,1,Sq,1],
// [1,1,1,Skv]); mask_mod then takes only the four indices and returns a bool
// (true = keep) or, in the one-input form, the masked scores.
#include <cmath>
#include <limits>

#include "attention_common.h"
#include "importer.h"

namespace kiln::onnx {
namespace {

// The subgraph's declared element type for input i (int64 when undeclared).
DataType declaredIndexType(const pb::GraphProto& g, int i) {
    const auto& vi = g.input(i);
    DataType t = DataType::kINT64;
    if (vi.type().has_tensor_type() && vi.type().tensor_type().elem_type() != 0)
        if (!onnxTypeToKiln(vi.type().tensor_type().elem_type(), t)) t = DataType::kINT64;
    return t;
}

struct Indices {
    ITensor *b = nullptr, *h = nullptr, *q = nullptr, *k = nullptr;
};

// Runs modifier `g` on `value` (null for mask_mod's four-input form).
ITensor* applyModifier(LayerChain& c, const pb::GraphProto& g, ITensor* value, const Indices& idx, const char* what) {
    std::vector<ITensor*> in;
    const int n = g.input_size();
    const int first = value ? 1 : 0;
    if (n == first + 4) {
        if (value) in.push_back(value);
        ITensor* all[4] = {idx.b, idx.h, idx.q, idx.k};
        for (int i = 0; i < 4; ++i) in.push_back(c.cast(all[i], declaredIndexType(g, first + i)));
    } else if (n == 1 && value) {
        in.push_back(value);
    } else {
        return c.fail(std::string(what) + " has " + std::to_string(n) + " inputs; expected " +
                      (value ? "1 or 5" : "4"));
    }
    if (!c.ok()) return nullptr;
    std::vector<ITensor*> out;
    if (!c.ctx().importSubgraph(g, in, out)) return c.fail(std::string("cannot import ") + what);
    if (out.size() != 1 || !out[0]) return c.fail(std::string(what) + " must have exactly one output");
    return out[0];
}

}  // namespace

KILN_ONNX_CONVERTER(convertFlexAttention) {
    (void)node;
    (void)inputs;
    ITensor* q = ctx.tensor(0);
    ITensor* k = q ? ctx.tensor(1) : nullptr;
    ITensor* v = k ? ctx.tensor(2) : nullptr;
    if (!v) return false;
    const auto qd = LayerChain::dims(q), kd = LayerChain::dims(k), vd = LayerChain::dims(v);
    if (qd.size() != 4 || kd.size() != 4 || vd.size() != 4)
        return ctx.fail(ErrorCode::kINVALID_NODE, "Q, K and V must be 4-D");
    for (const auto* d : {&qd, &kd, &vd})
        for (int64_t x : *d)
            if (x < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "Q, K and V need static dimensions");
    const DataType t = q->getType();
    if (!isFloatType(t) || k->getType() != t)
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE,
                        "Q and K must share one of float32, float16, bfloat16 "
                        "(kiln's matrix multiply has no float64)");
    if (!isFloatType(v->getType())) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "V must be float32/16 or bfloat16");
    if (kd[0] != qd[0] || vd[0] != qd[0] || kd[3] != qd[3] || vd[1] != kd[1] || vd[2] != kd[2])
        return ctx.fail(ErrorCode::kINVALID_NODE, "Q, K and V shapes do not match");
    DataType p = DataType::kFLOAT;  // the 16-bit types run softmax and P @ V in float32
    if (ctx.hasAttr("softmax_precision")) {
        switch (ctx.attrInt("softmax_precision", 1)) {
            case 1:
                p = DataType::kFLOAT;
                break;
            case 10:
                p = DataType::kHALF;
                break;
            case 16:
                p = DataType::kBF16;
                break;
            default:
                return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "softmax_precision must be float, float16 or bfloat16");
        }
    }

    LayerChain c(ctx);
    const int64_t b = qd[0], h = qd[1], sq = qd[2], skv = kd[2];
    const float scale = ctx.hasAttr("scale") ? ctx.attrFloat("scale", 1.f) : 1.f / std::sqrt(float(qd[3]));
    ITensor* root = c.scalar(std::sqrt(scale), 4, t);
    ITensor* scores = c.cast(headMatmul(c, c.mul(q, root), c.mul(k, root), true), p);

    Indices idx;
    idx.b = c.iota(b, {b, 1, 1, 1});
    idx.h = c.iota(h, {1, h, 1, 1});
    idx.q = c.iota(sq, {1, 1, sq, 1});
    idx.k = c.iota(skv, {1, 1, 1, skv});
    if (const pb::GraphProto* g = ctx.attrGraph("score_mod"))
        scores = c.cast(applyModifier(c, *g, scores, idx, "score_mod"), p);
    if (const pb::GraphProto* g = ctx.attrGraph("mask_mod")) {
        if (g->input_size() == 4) {
            ITensor* keep = c.cast(applyModifier(c, *g, nullptr, idx, "mask_mod"), DataType::kBOOL);
            scores = c.select(keep, scores, c.scalar(-std::numeric_limits<float>::infinity(), 4, p));
        } else {
            scores = c.cast(applyModifier(c, *g, scores, idx, "mask_mod"), p);
        }
    }
    ITensor* probs = c.softmax(scores, 3);
    if (const pb::GraphProto* g = ctx.attrGraph("prob_mod"))
        probs = c.cast(applyModifier(c, *g, probs, idx, "prob_mod"), p);
    ITensor* y = c.cast(headMatmul(c, probs, c.cast(v, p), false), v->getType());
    if (!y) return false;
    outputs.push_back(y);
    return true;
}

}  // namespace kiln::onnx
