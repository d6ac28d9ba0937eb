// Reference FusedAttention (docs/ops.md): per batch and query row, the scaled
// scores plus the broadcast mask, a softmax over the keys and the weighted sum
// of V, in double; what the CUDA kernel is checked against.
#include <cmath>
#include <vector>

#include "conv_common.h"
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
    const bool hasMask = cc::hasInput(args.node, 3) && args.inputs.size() > 3;
    const bool transK = args.node.attrs.getInt("trans_k", 0) != 0;
    const double scale = args.node.attrs.getFloat("scale", 1.0f);
    const bool nanToZero = args.node.attrs.getInt("nan_to_zero", 0) != 0;
    const size_t r = q.shape.size();
    const int64_t sq = q.shape[r - 2], d = q.shape[r - 1], sk = v.shape[r - 2], dv = v.shape[r - 1];
    const int64_t batches = sq * d > 0 ? q.numel() / (sq * d) : 0;
    std::vector<double> qs, ks, vs, ms;
    const double* qp = cc::asValues(q, qs);
    const double* kp = cc::asValues(k, ks);
    const double* vp = cc::asValues(v, vs);
    const double* mp = hasMask ? cc::asValues(args.inputs[3], ms) : nullptr;
    // The mask's strides over [batch.., Sq, Sk], 0 along broadcast axes.
    std::vector<int64_t> full(q.shape.begin(), q.shape.end()), mstride(r, 0);
    full[r - 1] = sk;
    if (hasMask) {
        const ir::Shape& m = args.inputs[3].shape;
        int64_t st = 1;
        for (size_t i = 0; i < m.size(); ++i) {
            const size_t axis = r - 1 - i, mi = m.size() - 1 - i;
            mstride[axis] = m[mi] == 1 ? 0 : st;
            st *= m[mi];
        }
    }
    std::vector<double> out(size_t(std::max<int64_t>(y.numel(), 0)), 0.0), p(size_t(sk), 0.0);
    for (int64_t b = 0; b < batches; ++b) {
        int64_t mbase = 0;  // the mask offset of this batch: unravel b over the batch axes
        for (int64_t rem = b, axis = int64_t(r) - 3; axis >= 0; --axis) {
            mbase += (rem % full[size_t(axis)]) * mstride[size_t(axis)];
            rem /= full[size_t(axis)];
        }
        const double *qb = qp + b * sq * d, *kb = kp + b * sk * d, *vb = vp + b * sk * dv;
        for (int64_t i = 0; i < sq; ++i) {
            double mx = -INFINITY;
            for (int64_t j = 0; j < sk; ++j) {
                double s = 0;
                for (int64_t c = 0; c < d; ++c) s += qb[i * d + c] * (transK ? kb[j * d + c] : kb[c * sk + j]);
                s *= scale;
                if (mp) s += mp[mbase + i * mstride[r - 2] + j * mstride[r - 1]];
                p[size_t(j)] = s;
                mx = std::max(mx, s);
            }
            double sum = 0;
            for (int64_t j = 0; j < sk; ++j) sum += (p[size_t(j)] = std::exp(p[size_t(j)] - mx));
            double* o = out.data() + (b * sq + i) * dv;
            // A row with every key masked: its softmax is NaN (0/0), or zeros with nan_to_zero.
            if (nanToZero && mx == -INFINITY) continue;
            for (int64_t j = 0; j < sk; ++j)
                for (int64_t c = 0; c < dv; ++c) o[c] += p[size_t(j)] / sum * vb[j * dv + c];
        }
    }
    cc::storeValues(out.data(), int64_t(out.size()), y.data, y.dtype, 0);
    return Status::Ok();
}

}  // namespace kiln::cpu::ref
