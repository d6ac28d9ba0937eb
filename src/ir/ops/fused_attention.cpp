// FusedAttention (docs/ops.md): Y = softmax(scale * Q K^T + M) V over the last
// two axes, the node the CUDA builder's attention fusion makes of MatMul ->
// [scale] -> [+ mask] -> Softmax -> MatMul chains (attention_fusion.cpp), so
// that one kernel computes it without writing the [.., Sq, Sk] scores.
// Never produced by the network API or the parsers.
//   inputs: Q [b.., Sq, D]; K [b.., Sk, D] (trans_k=1) or [b.., D, Sk]
//   (trans_k=0, as a MatMul's second operand); V [b.., Sk, Dv]; optional M,
//   broadcastable to [b.., Sq, Sk]. attrs: scale (float, default 1), trans_k.
#include <string>

#include "op_families.h"

namespace kiln::ir {

namespace {

Status inferFusedAttention(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const TensorDesc &q = in[0], &k = in[1], &v = in[2];
    const size_t r = q.shape.size();
    if (r < 2 || k.shape.size() != r || v.shape.size() != r)
        return Status::Error("Q, K and V must have one rank of at least 2, got " + shapeToString(q.shape) + ", " +
                             shapeToString(k.shape) + ", " + shapeToString(v.shape));
    if (!dtypeIsArithmeticFloat(q.dtype) || k.dtype != q.dtype || v.dtype != q.dtype)
        return Status::Error("Q, K and V must have one float dtype");
    for (size_t d = 0; d + 2 < r; ++d)
        if (k.shape[d] != q.shape[d] || v.shape[d] != q.shape[d])
            return Status::Error("batch dims differ: Q " + shapeToString(q.shape) + ", K " + shapeToString(k.shape) +
                                 ", V " + shapeToString(v.shape));
    const bool transK = node.attrs.getInt("trans_k", 0) != 0;
    const int64_t dk = q.shape[r - 1];
    const int64_t sk = transK ? k.shape[r - 2] : k.shape[r - 1], kd = transK ? k.shape[r - 1] : k.shape[r - 2];
    if (kd != dk || v.shape[r - 2] != sk)
        return Status::Error("inner dims differ: Q " + shapeToString(q.shape) + ", K " + shapeToString(k.shape) +
                             (transK ? " (transposed)" : "") + ", V " + shapeToString(v.shape));
    Shape y = q.shape;
    y[r - 1] = v.shape[r - 1];
    if (in.size() > 3 && node.inputs.size() > 3 && node.inputs[3] >= 0) {
        const TensorDesc& m = in[3];
        Shape s = q.shape;
        s[r - 1] = sk;
        bool ok = m.dtype == q.dtype && m.shape.size() <= r;
        for (size_t i = 0; ok && i < m.shape.size(); ++i) {
            const int64_t md = m.shape[m.shape.size() - 1 - i], sd = s[r - 1 - i];
            ok = md == 1 || md == sd;
        }
        if (!ok)
            return Status::Error("mask " + std::string(dtypeName(m.dtype)) + shapeToString(m.shape) +
                                 " does not broadcast to the scores " + shapeToString(s));
    }
    out[0] = {q.dtype, y, nullptr};
    return Status::Ok();
}

}  // namespace

void registerFusedAttentionOp(std::vector<OpSchema>& t) {
    t.push_back({"FusedAttention", 3, 4, 1, 1, &inferFusedAttention});
}

}  // namespace kiln::ir
