// Reference DeformConv (docs/ops.md). Per image, the deformed columns
// col[c, tap, pixel] = mask * bilinear(X[c], tap position + offset) are built
// once (taps outside the image read 0), then every output channel is the dot
// product of its group's weights with those columns.
#include <cmath>
#include <string>

#include "conv_common.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

// Bilinear sample of a plane at (y, x); each of the four neighbours outside
// the plane contributes 0.
double sampleZero(const float* plane, int64_t H, int64_t W, double y, double x) {
    const double fy = std::floor(y), fx = std::floor(x);
    if (!(fy > -2 && fy < double(H) && fx > -2 && fx < double(W))) return 0.0;  // also NaN
    const int64_t y0 = int64_t(fy), x0 = int64_t(fx);
    const double ly = y - fy, lx = x - fx;
    double v = 0;
    for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx) {
            const int64_t yy = y0 + dy, xx = x0 + dx;
            if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
            v += (dy ? ly : 1 - ly) * (dx ? lx : 1 - lx) * double(plane[yy * W + xx]);
        }
    return v;
}

}  // namespace

Status deformConv(KernelArgs& args) {
    const ir::Attrs& a = args.node.attrs;
    const HostTensor &xt = args.inputs[0], &wt = args.inputs[1], &ot = args.inputs[2];
    const bool hasBias = args.inputs.size() > 3 && args.inputs[3].data;
    const bool hasMask = args.inputs.size() > 4 && args.inputs[4].data;
    HostTensor& yt = args.outputs[0];
    const int64_t N = xt.shape[0], C = xt.shape[1], H = xt.shape[2], W = xt.shape[3];
    const int64_t M = wt.shape[0], Cg = wt.shape[1], kH = wt.shape[2], kW = wt.shape[3];
    const int64_t OH = yt.shape[2], OW = yt.shape[3], K = kH * kW, P = OH * OW;
    const int64_t group = a.getInt("group", 1), og = a.getInt("offset_group", 1);
    const auto s = a.getInts("strides", {1, 1}), d = a.getInts("dilations", {1, 1}),
               pb = a.getInts("pads_begin", {0, 0});
    std::vector<float> xs, ws, os, bs, ms, ys(size_t(yt.numel()));
    const float* X = convcommon::asFloats(xt, xs);
    const float* Wt = convcommon::asFloats(wt, ws);
    const float* O = convcommon::asFloats(ot, os);
    const float* Bv = hasBias ? convcommon::asFloats(args.inputs[3], bs) : nullptr;
    const float* Mk = hasMask ? convcommon::asFloats(args.inputs[4], ms) : nullptr;
    const int64_t cPerOg = C / og, mPerG = M / group;

    for (int64_t n = 0; n < N; ++n) {
        std::vector<double> col(size_t(C * K * P));
        args.pool.parallelFor(C, [&](int64_t begin, int64_t end) {
            for (int64_t c = begin; c < end; ++c) {
                const int64_t g = c / cPerOg;
                const float* plane = X + (n * C + c) * H * W;
                for (int64_t k = 0; k < K; ++k) {
                    const int64_t i = k / kW, j = k % kW;
                    const float* offY = O + ((n * og + g) * K + k) * 2 * P;
                    const float* offX = offY + P;
                    const float* mask = Mk ? Mk + ((n * og + g) * K + k) * P : nullptr;
                    for (int64_t p = 0; p < P; ++p) {
                        const int64_t oh = p / OW, ow = p % OW;
                        const double y = double(oh * s[0] - pb[0] + i * d[0]) + double(offY[p]);
                        const double x = double(ow * s[1] - pb[1] + j * d[1]) + double(offX[p]);
                        col[size_t((c * K + k) * P + p)] =
                            sampleZero(plane, H, W, y, x) * (mask ? double(mask[p]) : 1.0);
                    }
                }
            }
        });
        args.pool.parallelFor(M, [&](int64_t begin, int64_t end) {
            std::vector<double> acc(static_cast<size_t>(P));
            for (int64_t m = begin; m < end; ++m) {
                const int64_t g = m / mPerG;
                std::fill(acc.begin(), acc.end(), Bv ? double(Bv[m]) : 0.0);
                for (int64_t cg = 0; cg < Cg; ++cg)
                    for (int64_t k = 0; k < K; ++k) {
                        const double wv = Wt[(m * Cg + cg) * K + k];
                        const double* src = col.data() + ((g * Cg + cg) * K + k) * P;
                        for (int64_t p = 0; p < P; ++p) acc[size_t(p)] += wv * src[p];
                    }
                for (int64_t p = 0; p < P; ++p) ys[size_t((n * M + m) * P + p)] = float(acc[size_t(p)]);
            }
        });
    }
    convcommon::storeFloats(ys.data(), yt.numel(), yt.data, yt.dtype, 0);
    return Status::Ok();
}

bool deformConvSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in,
                        const std::vector<ir::TensorDesc>& out) {
    return in.size() >= 3 && out.size() == 1 && convcommon::isKernelFloat(in[0].dtype) && out[0].dtype == in[0].dtype;
}

}  // namespace kiln::cpu::ref
