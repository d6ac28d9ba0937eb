// FusedAttention (docs/ops.md): Y = softmax(scale * Q K^T + M) V over the last
// two axes, the node the CUDA builder's attention fusion makes of MatMul ->
// [scale] -> [+ mask] -> Softmax -> MatMul chains (attention_fusion.cpp), so
// that one kernel computes it without writing the [.., Sq, Sk] scores.
// Never produced by the network API or the parsers.
//   inputs: Q [b.., Sq, D]; K [b.., Sk, D] (trans_k=1) or [b.., D, Sk]
//   (trans_k=0, as a MatMul's second operand); V [b.., Sk, Dv]; optional M,
//   broadcastable to [b.., Sq, Sk]. attrs: scale (float, default 1), trans_k,
//   nan_to_zero; the strided form's attrs are in fused_attention.h.
#include "fused_attention.h"

#include <algorithm>
#include <string>

#include "op_families.h"

namespace kiln::ir {

// The strided form's numbers, in order: view_dims (5), q_view, k_view, v_view,
// y_view (4 each), then y_shape. Literal attrs, or view_terms (engines with
// dynamic shapes): y_shape's rank, then per number c, k and k pairs (t, a)
// meaning c · ∏ in[t].shape[a], so that the views follow the run's shapes.
// -1 for a number with an unknown factor (a -1 extent at build time).
Status stridedAttentionNumbers(const Node& node, const std::vector<TensorDesc>& in, std::vector<int64_t>& nums,
                               size_t& yRank) {
    nums.clear();
    if (!node.attrs.has("view_terms")) {
        static const std::pair<const char*, const char*> attrs[] = {{"view_dims", "[B, H, Sq, Sk, D]"},
                                                                    {"q_view", "[offset, batch, head, row]"},
                                                                    {"k_view", "[offset, batch, head, row]"},
                                                                    {"v_view", "[offset, batch, head, row]"},
                                                                    {"y_view", "[offset, batch, head, row]"}};
        for (const auto& [name, holds] : attrs) {
            const std::vector<int64_t> v = node.attrs.getInts(name);
            if (v.size() != (nums.empty() ? 5u : 4u)) return Status::Error(std::string(name) + " must hold " + holds);
            nums.insert(nums.end(), v.begin(), v.end());
        }
        const std::vector<int64_t> y = node.attrs.getInts("y_shape");
        yRank = y.size();
        nums.insert(nums.end(), y.begin(), y.end());
        return Status::Ok();
    }
    const std::vector<int64_t> t = node.attrs.getInts("view_terms");
    if (t.empty() || t[0] < 0 || t[0] > kMaxRank) return Status::Error("view_terms: bad rank of y_shape");
    yRank = size_t(t[0]);
    size_t at = 1;
    while (nums.size() < 21 + yRank) {
        if (at + 2 > t.size()) return Status::Error("view_terms ends early");
        const int64_t c = t[at], k = t[at + 1];
        at += 2;
        if (c < 0 || k < 0 || k > 8 || at + size_t(2 * k) > t.size()) return Status::Error("view_terms: a bad term");
        __int128 v = c;
        bool known = true;
        for (int64_t f = 0; f < k; ++f, at += 2) {
            const int64_t ti = t[at], a = t[at + 1];
            if (ti < 0 || ti > 2 || a < 0 || size_t(a) >= in[size_t(ti)].shape.size())
                return Status::Error("view_terms: a factor names no input extent");
            const int64_t e = in[size_t(ti)].shape[size_t(a)];
            known = known && e >= 0;
            if (known) v *= e;
            if (v > (__int128(1) << 62)) return Status::Error("view_terms: a number overflows");
        }
        nums.push_back(known ? int64_t(v) : -1);
    }
    if (at != t.size()) return Status::Error("view_terms has extra entries");
    return Status::Ok();
}

namespace {

// The strided form: the views' extents and strides checked against their tensors.
Status stridedLayout(const Node& node, const std::vector<TensorDesc>& in, AttentionLayout& l) {
    std::vector<int64_t> n;
    size_t yRank = 0;
    KILN_RETURN_IF_ERROR(stridedAttentionNumbers(node, in, n, yRank));
    const std::vector<int64_t> dims(n.begin(), n.begin() + 5);
    for (int64_t d : dims)
        if (d < 1 || d > (int64_t(1) << 31)) return Status::Error("view_dims " + shapeToString(dims) + " out of range");
    if (node.attrs.getInt("trans_k", 0) == 0)
        return Status::Error("the strided form reads K as [.., Sk, D] (trans_k=1)");
    l.B = dims[0], l.H = dims[1], l.Sq = dims[2], l.Sk = dims[3], l.D = l.Dv = dims[4];
    l.batchDims = {l.B, l.H};
    l.yShape.assign(n.begin() + 21, n.end());
    l.strided = true;
    // Reads one view's attr; its last element must lie inside a tensor of `volume` elements.
    auto view = [&](const char* name, int64_t rows, int64_t volume, AttentionOperand& o) -> Status {
        const size_t first = name[0] == 'q' ? 5 : name[0] == 'k' ? 9 : name[0] == 'v' ? 13 : 17;
        const std::vector<int64_t> a(n.begin() + std::ptrdiff_t(first), n.begin() + std::ptrdiff_t(first + 4));
        __int128 last = a[0];
        const int64_t ext[3] = {l.B, l.H, rows};
        for (int i = 0; i < 3; ++i) {
            if (a[size_t(i) + 1] < 0 || a[size_t(i) + 1] > (int64_t(1) << 40))
                return Status::Error(std::string(name) + " has a stride out of range");
            last += __int128(ext[i] - 1) * a[size_t(i) + 1];
        }
        last += l.D - 1;
        if (a[0] < 0 || volume < 0 || last >= volume)
            return Status::Error(std::string(name) + " " + shapeToString(a) + " reaches beyond its tensor of " +
                                 std::to_string(volume) + " elements");
        o = {a[0], a[1], a[2], a[3], 1};
        return Status::Ok();
    };
    KILN_RETURN_IF_ERROR(view("q_view", l.Sq, volume(in[0].shape), l.q));
    KILN_RETURN_IF_ERROR(view("k_view", l.Sk, volume(in[1].shape), l.k));
    KILN_RETURN_IF_ERROR(view("v_view", l.Sk, volume(in[2].shape), l.v));
    if (!isStatic(l.yShape) || __int128(volume(l.yShape)) != __int128(l.B) * l.H * l.Sq * l.D)
        return Status::Error("y_shape " + shapeToString(l.yShape) +
                             " does not hold [B, H, Sq, D] = " + shapeToString(Shape{l.B, l.H, l.Sq, l.D}));
    KILN_RETURN_IF_ERROR(view("y_view", l.Sq, volume(l.yShape), l.y));
    // Y is written through its view: each element once (strides of the
    // non-trivial axes, sorted, each at least the span of the ones below).
    std::vector<std::pair<int64_t, int64_t>> axes = {{1, l.D}, {l.y.row, l.Sq}, {l.y.head, l.H}, {l.y.batch, l.B}};
    std::sort(axes.begin(), axes.end());
    __int128 span = 0;
    for (const auto& [stride, ext] : axes) {
        if (ext == 1) continue;
        if (stride < std::max<__int128>(span, 1)) return Status::Error("y_view writes some elements twice");
        span = __int128(stride) * ext;
    }
    return Status::Ok();
}

}  // namespace

Status attentionLayout(const Node& node, const std::vector<TensorDesc>& in, AttentionLayout& l) {
    l = {};
    if (in.size() < 3) return Status::Error("FusedAttention needs Q, K and V");
    if (isStridedAttention(node)) return stridedLayout(node, in, l);
    const Shape &qs = in[0].shape, &ks = in[1].shape, &vs = in[2].shape;
    const size_t r = qs.size();
    const bool transK = node.attrs.getInt("trans_k", 0) != 0;
    l.batchDims.assign(qs.begin(), qs.end() - 2);
    l.B = volume(l.batchDims);
    l.Sq = qs[r - 2], l.D = qs[r - 1];
    l.Sk = vs[r - 2], l.Dv = vs[r - 1];
    l.q = {0, l.Sq * l.D, 0, l.D, 1};
    l.k = transK ? AttentionOperand{0, l.Sk * l.D, 0, l.D, 1} : AttentionOperand{0, l.Sk * l.D, 0, 1, ks[r - 1]};
    l.v = {0, l.Sk * l.Dv, 0, l.Dv, 1};
    l.y = {0, l.Sq * l.Dv, 0, l.Dv, 1};
    l.yShape = qs;
    l.yShape[r - 1] = l.Dv;
    return Status::Ok();
}

namespace {

Status inferStridedAttention(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    if (!dtypeIsArithmeticFloat(in[0].dtype) || in[1].dtype != in[0].dtype || in[2].dtype != in[0].dtype)
        return Status::Error("Q, K and V must have one float dtype");
    if (!isStatic(in[0].shape) || !isStatic(in[1].shape) || !isStatic(in[2].shape)) {
        // Extents known only at run time: the output's shape as far as the terms give it.
        if (!node.attrs.has("view_terms")) return Status::Error("the literal strided form needs static Q, K and V");
        std::vector<int64_t> n;
        size_t yRank = 0;
        KILN_RETURN_IF_ERROR(stridedAttentionNumbers(node, in, n, yRank));
        out[0] = {in[0].dtype, Shape(n.begin() + 21, n.end()), nullptr};
        return Status::Ok();
    }
    AttentionLayout l;
    KILN_RETURN_IF_ERROR(attentionLayout(node, in, l));
    if (in.size() > 3 && node.inputs.size() > 3 && node.inputs[3] >= 0) {
        const TensorDesc& m = in[3];
        const Shape s = {l.B, l.H, l.Sq, l.Sk};
        bool ok = m.dtype == in[0].dtype && m.shape.size() <= 4;
        for (size_t i = 0; ok && i < m.shape.size(); ++i) {
            const int64_t md = m.shape[m.shape.size() - 1 - i];
            ok = md < 0 || md == 1 || md == s[3 - i];  // < 0: known at run time, checked then
        }
        if (!ok)
            return Status::Error("mask " + std::string(dtypeName(m.dtype)) + shapeToString(m.shape) +
                                 " does not broadcast to the scores " + shapeToString(s));
    }
    out[0] = {in[0].dtype, l.yShape, nullptr};
    return Status::Ok();
}

Status inferFusedAttention(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    if (isStridedAttention(node)) return inferStridedAttention(node, in, out);
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
