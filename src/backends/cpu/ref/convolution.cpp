// Reference Convolution (docs/ops.md): a direct loop in float32, parallel over
// (image, output channel). For each input channel and kernel tap the valid
// output range is computed once, so the inner loop has no bounds checks.
#include <vector>

#include "channels_last.h"
#include "conv_common.h"
#include "ir/ops/channels_last.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace cc = convcommon;

bool convolutionSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                         const std::vector<ir::TensorDesc>& out) {
    return node.op == "Convolution" && cc::supports(node, in, out);
}

namespace {

template <class T>
Status run(KernelArgs& args) {
    ir::ConvGeometry g;
    KILN_RETURN_IF_ERROR(cc::prepare(args, /*transposed=*/false, g));
    const HostTensor& X = args.inputs[0];
    const HostTensor& W = args.inputs[1];
    HostTensor& Y = args.outputs[0];
    const bool hasBias = args.node.hasInput(2) && args.inputs.size() > 2;

    const int64_t N = X.shape[0], C = X.shape[1], M = g.outChannels;
    const int64_t Cg = C / g.group, Mg = M / g.group;
    const cc::Geom3 q = cc::widen(g, X.shape);
    const int64_t inPlane = q.inPlane(), outPlane = q.outPlane(), kVol = q.kernelVolume();
    if (N * M == 0 || outPlane == 0) return Status::Ok();

    std::vector<T> xs, ws, bs;
    const T* x = cc::asValues(X, xs);
    const T* w = cc::asValues(W, ws);
    const T* b = hasBias ? cc::asValues(args.inputs[2], bs) : nullptr;

    args.pool.parallelFor(N * M, [&](int64_t begin, int64_t end) {
        std::vector<T> acc(static_cast<size_t>(outPlane));
        for (int64_t t = begin; t < end; ++t) {
            const int64_t n = t / M, m = t % M, grp = m / Mg;
            std::fill(acc.begin(), acc.end(), b ? b[m] : T(0));
            for (int64_t c = 0; c < Cg; ++c) {
                const T* xc = x + (n * C + grp * Cg + c) * inPlane;
                const T* wc = w + (m * Cg + c) * kVol;
                for (int64_t kd = 0; kd < q.kernel[0]; ++kd) {
                    const int64_t offD = kd * q.dil[0] - q.pad[0];
                    int64_t d0, d1;
                    cc::validRange(offD, q.stride[0], q.in[0], q.out[0], d0, d1);
                    for (int64_t kh = 0; kh < q.kernel[1]; ++kh) {
                        const int64_t offH = kh * q.dil[1] - q.pad[1];
                        int64_t h0, h1;
                        cc::validRange(offH, q.stride[1], q.in[1], q.out[1], h0, h1);
                        for (int64_t kw = 0; kw < q.kernel[2]; ++kw) {
                            const int64_t offW = kw * q.dil[2] - q.pad[2];
                            int64_t w0, w1;
                            cc::validRange(offW, q.stride[2], q.in[2], q.out[2], w0, w1);
                            const T wv = wc[(kd * q.kernel[1] + kh) * q.kernel[2] + kw];
                            for (int64_t od = d0; od < d1; ++od) {
                                const int64_t id = od * q.stride[0] + offD;
                                for (int64_t oh = h0; oh < h1; ++oh) {
                                    const int64_t ih = oh * q.stride[1] + offH;
                                    const T* xrow = xc + (id * q.in[1] + ih) * q.in[2];
                                    T* arow = acc.data() + (od * q.out[1] + oh) * q.out[2];
                                    for (int64_t ow = w0; ow < w1; ++ow)
                                        arow[ow] += wv * xrow[ow * q.stride[2] + offW];
                                }
                            }
                        }
                    }
                }
            }
            cc::storeValues(acc.data(), outPlane, Y.data, Y.dtype, t * outPlane);
        }
    });
    return Status::Ok();
}

}  // namespace

// float64 computes in float64; the other float types in float32.
Status convolution(KernelArgs& args) {
    if (ir::isChannelsLast(args.node)) return runChannelsFirst(args, {0, 1}, &convolution);
    return args.inputs[0].dtype == ir::DType::kF64 ? run<double>(args) : run<float>(args);
}

}  // namespace kiln::cpu::ref
