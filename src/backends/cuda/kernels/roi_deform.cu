// RoiAlign and DeformConv on CUDA, as the CPU references
// (backends/cpu/ref/roi_align.cpp, deform_conv.cpp) and docs/ops.md: inputs
// read as float32, sums in float64, results rounded to float32 and then to
// the output type. One thread per output element; the bilinear sample
// weights are worked out the same way, in the same order, as the reference.
#include <cmath>
#include <string>

#include "device_common.cuh"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;

// ---- RoiAlign ----

struct RoiParams {
    int64_t N, C, H, W, R, OH, OW;
    bool isMax, halfPixel, idx64;
    double scale;
    int64_t ratio;
    ir::DType roiType;
};

// The four neighbours of (y, x) and their weights (all 0 outside the image).
struct RoiSample {
    int64_t pos[4];
    double w[4];
};

__device__ RoiSample roiBilinear(double y, double x, int64_t H, int64_t W) {
    RoiSample s;
    for (int q = 0; q < 4; ++q) s.pos[q] = 0, s.w[q] = 0;
    if (y < -1.0 || y > double(H) || x < -1.0 || x > double(W)) return s;
    y = y < 0.0 ? 0.0 : y;  // std::max(y, 0.0)
    x = x < 0.0 ? 0.0 : x;
    int64_t y0 = int64_t(y), x0 = int64_t(x), y1, x1;
    if (y0 >= H - 1) {
        y1 = y0 = H - 1;
        y = double(y0);
    } else {
        y1 = y0 + 1;
    }
    if (x0 >= W - 1) {
        x1 = x0 = W - 1;
        x = double(x0);
    } else {
        x1 = x0 + 1;
    }
    const double ly = y - double(y0), lx = x - double(x0), hy = 1 - ly, hx = 1 - lx;
    s.pos[0] = y0 * W + x0, s.pos[1] = y0 * W + x1, s.pos[2] = y1 * W + x0, s.pos[3] = y1 * W + x1;
    s.w[0] = hy * hx, s.w[1] = hy * lx, s.w[2] = ly * hx, s.w[3] = ly * lx;
    return s;
}

__device__ __forceinline__ double maxLikeStd(double a, double b) { return a < b ? b : a; }  // std::max(a, b)

template <class S>
__global__ void roiAlignKernel(const S* __restrict__ x, const void* __restrict__ rois, const void* __restrict__ idx,
                               S* __restrict__ y, int64_t total, RoiParams p) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
        const int64_t pw = e % p.OW, ph = (e / p.OW) % p.OH, c = (e / (p.OW * p.OH)) % p.C, r = e / (p.OW * p.OH * p.C);
        const int64_t b = p.idx64 ? static_cast<const int64_t*>(idx)[r] : int64_t(static_cast<const int32_t*>(idx)[r]);
        if (b < 0 || b >= p.N) {  // the CPU reports this; nothing is read out of bounds here
            y[e] = Elem<S>::store(ComputeT<S>(0.0f));
            continue;
        }
        auto roi = [&](int k) { return double(loadFloatAny(rois, p.roiType, r * 4 + k)) * p.scale; };
        const double offset = p.halfPixel ? 0.5 : 0.0;
        const double x0 = roi(0) - offset, y0 = roi(1) - offset;
        double rw = roi(2) - offset - x0, rh = roi(3) - offset - y0;
        if (!p.halfPixel) {  // malformed regions become 1x1
            rw = rw < 1.0 ? 1.0 : rw;
            rh = rh < 1.0 ? 1.0 : rh;
        }
        const double binH = rh / double(p.OH), binW = rw / double(p.OW);
        const int64_t gh = p.ratio > 0 ? p.ratio : int64_t(ceil(rh / double(p.OH)));
        const int64_t gw = p.ratio > 0 ? p.ratio : int64_t(ceil(rw / double(p.OW)));
        const int64_t ghc = gh > 0 ? gh : 0, gwc = gw > 0 ? gw : 0;
        const double count = double(ghc * gwc > 1 ? ghc * gwc : 1);
        const S* plane = x + (b * p.C + c) * p.H * p.W;
        double acc = 0;
        int64_t k = 0;
        for (int64_t iy = 0; iy < gh; ++iy) {
            const double sy = y0 + double(ph) * binH + (double(iy) + 0.5) * binH / double(gh);
            for (int64_t ix = 0; ix < gw; ++ix, ++k) {
                const RoiSample s =
                    roiBilinear(sy, x0 + double(pw) * binW + (double(ix) + 0.5) * binW / double(gw), p.H, p.W);
                if (p.isMax) {
                    double v = s.w[0] * double(float(Elem<S>::load(plane[s.pos[0]])));
                    for (int q = 1; q < 4; ++q)
                        v = maxLikeStd(v, s.w[q] * double(float(Elem<S>::load(plane[s.pos[q]]))));
                    acc = k == 0 ? v : maxLikeStd(acc, v);
                } else {
                    for (int q = 0; q < 4; ++q) acc += s.w[q] * double(float(Elem<S>::load(plane[s.pos[q]])));
                }
            }
        }
        y[e] = Elem<S>::store(ComputeT<S>(float(p.isMax ? acc : acc / count)));
    }
}

// ---- DeformConv ----

struct DcParams {
    int64_t N, C, H, W, M, Cg, kH, kW, OH, OW;
    int64_t group, og, s0, s1, d0, d1, p0, p1;
};

// Bilinear sample of a plane at (y, x); neighbours outside the plane read 0.
template <class S>
__device__ double dcSample(const S* plane, int64_t H, int64_t W, double y, double x) {
    const double fy = floor(y), fx = floor(x);
    if (!(fy > -2 && fy < double(H) && fx > -2 && fx < double(W))) return 0.0;  // also NaN
    const int64_t y0 = int64_t(fy), x0 = int64_t(fx);
    const double ly = y - fy, lx = x - fx;
    double v = 0;
    for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx) {
            const int64_t yy = y0 + dy, xx = x0 + dx;
            if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
            v += (dy ? ly : 1 - ly) * (dx ? lx : 1 - lx) * double(float(Elem<S>::load(plane[yy * W + xx])));
        }
    return v;
}

template <class S>
__device__ __forceinline__ double asF32(S v) {
    return double(float(Elem<S>::load(v)));
}

template <class S>
__global__ void deformConvKernel(const S* __restrict__ x, const S* __restrict__ w, const S* __restrict__ off,
                                 const S* __restrict__ bias, const S* __restrict__ mask, S* __restrict__ y,
                                 int64_t total, DcParams p) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    const int64_t P = p.OH * p.OW, K = p.kH * p.kW, cPerOg = p.C / p.og, mPerG = p.M / p.group;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
        const int64_t pix = e % P, m = (e / P) % p.M, n = e / (P * p.M);
        const int64_t oh = pix / p.OW, ow = pix % p.OW, g = m / mPerG;
        double acc = bias ? asF32(bias[m]) : 0.0;
        for (int64_t cg = 0; cg < p.Cg; ++cg) {
            const int64_t c = g * p.Cg + cg, og = c / cPerOg;
            const S* plane = x + (n * p.C + c) * p.H * p.W;
            for (int64_t k = 0; k < K; ++k) {
                const int64_t i = k / p.kW, j = k % p.kW;
                const S* offY = off + ((n * p.og + og) * K + k) * 2 * P;
                const double yy = double(oh * p.s0 - p.p0 + i * p.d0) + asF32(offY[pix]);
                const double xx = double(ow * p.s1 - p.p1 + j * p.d1) + asF32(offY[P + pix]);
                const double col =
                    dcSample(plane, p.H, p.W, yy, xx) * (mask ? asF32(mask[((n * p.og + og) * K + k) * P + pix]) : 1.0);
                acc += asF32(w[(m * p.Cg + cg) * K + k]) * col;
            }
        }
        y[e] = Elem<S>::store(ComputeT<S>(float(acc)));
    }
}

}  // namespace

bool roiAlignSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                      const std::vector<ir::TensorDesc>& out) {
    if (in.size() != 3 || out.size() != 1) return false;
    const std::string mode = node.attrs.getString("mode", "avg");
    return isDeviceFloat(in[0].dtype) && out[0].dtype == in[0].dtype && isDeviceFloat(in[1].dtype) &&
           (in[2].dtype == ir::DType::kI32 || in[2].dtype == ir::DType::kI64) && in[0].shape.size() == 4 &&
           out[0].shape.size() == 4 && (mode == "avg" || mode == "max");
}

Status roiAlign(LaunchArgs& a) {
    const DeviceTensor &X = a.inputs[0], &Rois = a.inputs[1], &Idx = a.inputs[2];
    DeviceTensor& Y = a.outputs[0];
    if (X.shape.size() != 4 || Rois.shape.size() != 2 || Rois.shape[1] != 4 || Idx.numel() != Rois.shape[0] ||
        Y.shape.size() != 4 || Y.shape[0] != Rois.shape[0] || Y.shape[1] != X.shape[1])
        return Status::Error("RoiAlign: X " + ir::shapeToString(X.shape) + ", rois " + ir::shapeToString(Rois.shape) +
                             " and the output " + ir::shapeToString(Y.shape) + " do not fit");
    const ir::Attrs& at = a.node.attrs;
    RoiParams p{};
    p.N = X.shape[0], p.C = X.shape[1], p.H = X.shape[2], p.W = X.shape[3];
    p.R = Rois.shape[0], p.OH = Y.shape[2], p.OW = Y.shape[3];
    p.isMax = at.getString("mode", "avg") == "max";
    p.halfPixel = at.getInt("half_pixel", 1) != 0;
    p.scale = at.getFloat("spatial_scale", 1.0);
    p.ratio = at.getInt("sampling_ratio", 0);
    p.idx64 = Idx.dtype == ir::DType::kI64;
    p.roiType = Rois.dtype;
    const int64_t total = Y.numel();
    if (total <= 0) return Status::Ok();
    if (p.H < 1 || p.W < 1) return Status::Error("RoiAlign: X " + ir::shapeToString(X.shape) + " has no pixels");
    return visitFloatType(X.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        roiAlignKernel<S>
            <<<gridFor(total), kBlock, 0, a.stream>>>(X.as<const S>(), Rois.data, Idx.data, Y.as<S>(), total, p);
        KILN_CUDA_CHECK_LAUNCH();
        return Status::Ok();
    });
}

bool deformConvSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                        const std::vector<ir::TensorDesc>& out) {
    if (in.size() < 3 || in.size() > 5 || out.size() != 1 || !isDeviceFloat(in[0].dtype) || out[0].dtype != in[0].dtype)
        return false;
    for (size_t i = 1; i < in.size(); ++i)
        if (ir::hasInput(node, in, i) && in[i].dtype != in[0].dtype) return false;
    const ir::Attrs& at = node.attrs;
    return in[0].shape.size() == 4 && in[1].shape.size() == 4 && at.getInts("strides", {1, 1}).size() == 2 &&
           at.getInts("dilations", {1, 1}).size() == 2 && at.getInts("pads_begin", {0, 0}).size() == 2;
}

Status deformConv(LaunchArgs& a) {
    const ir::Attrs& at = a.node.attrs;
    const DeviceTensor &X = a.inputs[0], &Wt = a.inputs[1], &Off = a.inputs[2];
    const DeviceTensor* Bias = a.inputs.size() > 3 && a.inputs[3].data ? &a.inputs[3] : nullptr;
    const DeviceTensor* Mask = a.inputs.size() > 4 && a.inputs[4].data ? &a.inputs[4] : nullptr;
    DeviceTensor& Y = a.outputs[0];
    DcParams p{};
    p.N = X.shape[0], p.C = X.shape[1], p.H = X.shape[2], p.W = X.shape[3];
    p.M = Wt.shape[0], p.Cg = Wt.shape[1], p.kH = Wt.shape[2], p.kW = Wt.shape[3];
    p.group = at.getInt("group", 1), p.og = at.getInt("offset_group", 1);
    const auto s = at.getInts("strides", {1, 1}), d = at.getInts("dilations", {1, 1}),
               pb = at.getInts("pads_begin", {0, 0});
    if (s.size() != 2 || d.size() != 2 || pb.size() != 2)
        return Status::Error("DeformConv: strides, dilations and pads_begin need 2 entries");
    p.s0 = s[0], p.s1 = s[1], p.d0 = d[0], p.d1 = d[1], p.p0 = pb[0], p.p1 = pb[1];
    if (Y.shape.size() != 4 || Y.shape[0] != p.N || Y.shape[1] != p.M) return Status::Error("DeformConv: bad output");
    p.OH = Y.shape[2], p.OW = Y.shape[3];
    const int64_t K = p.kH * p.kW, P = p.OH * p.OW;
    if (p.group < 1 || p.og < 1 || p.C % p.og != 0 || p.M % p.group != 0 || p.Cg * p.group != p.C)
        return Status::Error("DeformConv: channels do not split into the groups");
    if (Off.numel() != p.N * p.og * 2 * K * P || (Mask && Mask->numel() != p.N * p.og * K * P) ||
        (Bias && Bias->numel() != p.M))
        return Status::Error("DeformConv: offset, mask or bias does not fit");
    const int64_t total = Y.numel();
    if (total <= 0) return Status::Ok();
    return visitFloatType(X.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        deformConvKernel<S><<<gridFor(total), kBlock, 0, a.stream>>>(
            X.as<const S>(), Wt.as<const S>(), Off.as<const S>(), Bias ? Bias->as<const S>() : nullptr,
            Mask ? Mask->as<const S>() : nullptr, Y.as<S>(), total, p);
        KILN_CUDA_CHECK_LAUNCH();
        return Status::Ok();
    });
}

}  // namespace kiln::cuda::kernels
