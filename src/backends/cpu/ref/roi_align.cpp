// Reference RoiAlign (docs/ops.md). Per region and output cell, sample points
// on a regular grid inside the bin are interpolated bilinearly; the weights of
// the four neighbours are shared by all channels. avg averages the samples;
// max takes, per sample, the largest weighted neighbour and then the largest
// sample (ONNX's and ONNX Runtime's definition).
#include <algorithm>
#include <cmath>
#include <string>

#include "conv_common.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

struct Sample {
    int64_t pos[4] = {0, 0, 0, 0};
    double w[4] = {0, 0, 0, 0};
};

Sample bilinearSample(double y, double x, int64_t H, int64_t W) {
    Sample s;
    if (y < -1.0 || y > double(H) || x < -1.0 || x > double(W)) return s;  // outside: all weights 0
    y = std::max(y, 0.0);
    x = std::max(x, 0.0);
    int64_t y0 = int64_t(y), x0 = int64_t(x), y1, x1;
    if (y0 >= H - 1)
        y1 = y0 = H - 1, y = double(y0);
    else
        y1 = y0 + 1;
    if (x0 >= W - 1)
        x1 = x0 = W - 1, x = double(x0);
    else
        x1 = x0 + 1;
    const double ly = y - double(y0), lx = x - double(x0), hy = 1 - ly, hx = 1 - lx;
    s.pos[0] = y0 * W + x0, s.pos[1] = y0 * W + x1, s.pos[2] = y1 * W + x0, s.pos[3] = y1 * W + x1;
    s.w[0] = hy * hx, s.w[1] = hy * lx, s.w[2] = ly * hx, s.w[3] = ly * lx;
    return s;
}

}  // namespace

Status roiAlign(KernelArgs& args) {
    const HostTensor &x = args.inputs[0], &rois = args.inputs[1], &idx = args.inputs[2];
    HostTensor& y = args.outputs[0];
    const ir::Attrs& a = args.node.attrs;
    const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    const int64_t R = rois.shape[0], OH = y.shape[2], OW = y.shape[3];
    const bool isMax = a.getString("mode", "avg") == "max";
    const bool halfPixel = a.getInt("half_pixel", 1) != 0;
    const double scale = a.getFloat("spatial_scale", 1.0);
    const int64_t ratio = a.getInt("sampling_ratio", 0);
    for (int64_t r = 0; r < R; ++r) {
        const int64_t b = int64_t(ir::loadAsDouble(idx.data, idx.dtype, r));
        if (b < 0 || b >= N)
            return Status::Error("RoiAlign: batch_indices[" + std::to_string(r) + "] = " + std::to_string(b) +
                                 " is outside [0, " + std::to_string(N) + ")");
    }
    if (R * C * OH * OW == 0) return Status::Ok();
    std::vector<float> xStore, yStore(size_t(y.numel()));
    const float* xs = convcommon::asFloats(x, xStore);

    args.pool.parallelFor(R, [&](int64_t begin, int64_t end) {
        std::vector<Sample> samples;
        for (int64_t r = begin; r < end; ++r) {
            const int64_t b = int64_t(ir::loadAsDouble(idx.data, idx.dtype, r));
            auto roi = [&](int k) { return ir::loadAsDouble(rois.data, rois.dtype, r * 4 + k) * scale; };
            const double offset = halfPixel ? 0.5 : 0.0;
            const double x0 = roi(0) - offset, y0 = roi(1) - offset;
            double rw = roi(2) - offset - x0, rh = roi(3) - offset - y0;
            if (!halfPixel) rw = std::max(rw, 1.0), rh = std::max(rh, 1.0);  // malformed regions become 1x1
            const double binH = rh / double(OH), binW = rw / double(OW);
            const int64_t gh = ratio > 0 ? ratio : int64_t(std::ceil(rh / double(OH)));
            const int64_t gw = ratio > 0 ? ratio : int64_t(std::ceil(rw / double(OW)));
            const int64_t per = std::max<int64_t>(gh, 0) * std::max<int64_t>(gw, 0);
            const double count = double(std::max<int64_t>(per, 1));
            samples.clear();
            for (int64_t ph = 0; ph < OH; ++ph)
                for (int64_t pw = 0; pw < OW; ++pw)
                    for (int64_t iy = 0; iy < gh; ++iy) {
                        const double sy = y0 + double(ph) * binH + (double(iy) + 0.5) * binH / double(gh);
                        for (int64_t ix = 0; ix < gw; ++ix)
                            samples.push_back(bilinearSample(
                                sy, x0 + double(pw) * binW + (double(ix) + 0.5) * binW / double(gw), H, W));
                    }
            for (int64_t c = 0; c < C; ++c) {
                const float* plane = xs + (b * C + c) * H * W;
                float* out = yStore.data() + (r * C + c) * OH * OW;
                for (int64_t cell = 0; cell < OH * OW; ++cell) {
                    const Sample* s = samples.data() + cell * per;
                    double acc = 0;
                    for (int64_t k = 0; k < per; ++k) {
                        double v;
                        if (isMax) {
                            v = s[k].w[0] * plane[s[k].pos[0]];
                            for (int q = 1; q < 4; ++q) v = std::max(v, s[k].w[q] * double(plane[s[k].pos[q]]));
                            acc = k == 0 ? v : std::max(acc, v);
                        } else {
                            for (int q = 0; q < 4; ++q) acc += s[k].w[q] * double(plane[s[k].pos[q]]);
                        }
                    }
                    out[cell] = float(isMax ? acc : acc / count);
                }
            }
        }
    });
    convcommon::storeFloats(yStore.data(), y.numel(), y.data, y.dtype, 0);
    return Status::Ok();
}

bool roiAlignSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in.size() == 3 && out.size() == 1 && convcommon::isKernelFloat(in[0].dtype) && out[0].dtype == in[0].dtype;
}

}  // namespace kiln::cpu::ref
