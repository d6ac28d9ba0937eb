// Reference FusedAttention (docs/ops.md): per batch and query row, the scaled
// scores plus the broadcast mask, a softmax over the keys and the weighted sum
// of V, in double; what the CUDA kernel is checked against.
#include <cmath>
#include <vector>

#include "conv_common.h"
#include "ir/ops/fused_attention.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace cc = convcommon;

bool fusedAttentionSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                            const std::vector<ir::TensorDesc>& out) {
    if (node.op != "FusedAttention" || in.size() < 3 || out.size() != 1) return false;
    for (const auto& d : in)
        if (d.dtype != in[0].dtype) return false;
    return cc::isKernelFloat(in[0].dtype);
}

Status fusedAttention(KernelArgs& args) {
    const HostTensor &q = args.inputs[0], &k = args.inputs[1], &v = args.inputs[2];
    HostTensor& y = args.outputs[0];
    const bool hasMask = args.node.hasInput(3) && args.inputs.size() > 3;
    const double scale = args.node.attrs.getFloat("scale", 1.0f);
    const bool nanToZero = args.node.attrs.getInt("nan_to_zero", 0) != 0;
    std::vector<ir::TensorDesc> desc;
    for (const HostTensor& t : args.inputs) desc.push_back({t.dtype, t.shape, t.data});
    ir::AttentionLayout l;
    KILN_RETURN_IF_ERROR(ir::attentionLayout(args.node, desc, l));
    const int64_t sq = l.Sq, d = l.D, sk = l.Sk, dv = l.Dv;
    std::vector<double> qs, ks, vs, ms;
    const double* qp = cc::asValues(q, qs);
    const double* kp = cc::asValues(k, ks);
    const double* vp = cc::asValues(v, vs);
    const double* mp = hasMask ? cc::asValues(args.inputs[3], ms) : nullptr;
    // The mask's strides over [batch.., Sq, Sk], 0 along broadcast axes.
    std::vector<int64_t> full(l.batchDims.begin(), l.batchDims.end());
    full.push_back(sq);
    full.push_back(sk);
    const size_t r = full.size();
    std::vector<int64_t> mstride(r, 0);
    if (hasMask) {
        const ir::Shape& m = args.inputs[3].shape;
        int64_t st = 1;
        for (size_t i = 0; i < m.size(); ++i) {
            const size_t axis = r - 1 - i, mi = m.size() - 1 - i;
            mstride[axis] = m[mi] == 1 ? 0 : st;
            st *= m[mi];
        }
    }
    // Y is written through its view (every element once): accumulate in a
    // buffer of its shape, at the view's positions.
    std::vector<double> out(size_t(std::max<int64_t>(y.numel(), 0)), 0.0), p(size_t(sk), 0.0);
    for (int64_t b = 0; b < l.B * l.H; ++b) {
        int64_t mbase = 0;  // the mask offset of this batch: unravel b over the batch axes
        for (int64_t rem = b, axis = int64_t(r) - 3; axis >= 0; --axis) {
            mbase += (rem % full[size_t(axis)]) * mstride[size_t(axis)];
            rem /= full[size_t(axis)];
        }
        auto base = [&](const ir::AttentionOperand& o) { return o.offset + (b / l.H) * o.batch + (b % l.H) * o.head; };
        const double *qb = qp + base(l.q), *kb = kp + base(l.k), *vb = vp + base(l.v);
        double* yb = out.data() + base(l.y);
        for (int64_t i = 0; i < sq; ++i) {
            double mx = -INFINITY;
            for (int64_t j = 0; j < sk; ++j) {
                double s = 0;
                for (int64_t c = 0; c < d; ++c) s += qb[i * l.q.row + c] * kb[j * l.k.row + c * l.k.col];
                s *= scale;
                if (mp) s += mp[mbase + i * mstride[r - 2] + j * mstride[r - 1]];
                p[size_t(j)] = s;
                mx = std::max(mx, s);
            }
            double sum = 0;
            for (int64_t j = 0; j < sk; ++j) sum += (p[size_t(j)] = std::exp(p[size_t(j)] - mx));
            double* o = yb + i * l.y.row;
            // A row with every key masked: its softmax is NaN (0/0), or zeros with nan_to_zero.
            if (nanToZero && mx == -INFINITY) continue;
            for (int64_t j = 0; j < sk; ++j)
                for (int64_t c = 0; c < dv; ++c) o[c] += p[size_t(j)] / sum * vb[j * l.v.row + c];
        }
    }
    cc::storeValues(out.data(), int64_t(out.size()), y.data, y.dtype, 0);
    return Status::Ok();
}

}  // namespace kiln::cpu::ref
