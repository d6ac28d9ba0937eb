// The per-element arithmetic of the R-CNN plugins (RPROI_TRT, ROIAlign_TRT), shared by
// their CPU and CUDA paths (see box_math.h for why).
#pragma once
#include <cfloat>

#include "box_math.h"

namespace kiln::builtin {

// floor, ceil and lround (halves away from zero) of a float, on the host and the device.
KILN_HD inline float hdFloorf(float x) {
#ifdef __CUDA_ARCH__
    return floorf(x);
#else
    return std::floor(x);
#endif
}
KILN_HD inline float hdCeilf(float x) {
#ifdef __CUDA_ARCH__
    return ceilf(x);
#else
    return std::ceil(x);
#endif
}
KILN_HD inline int64_t hdLroundf(float x) {
#ifdef __CUDA_ARCH__
    return int64_t(llroundf(x));
#else
    return int64_t(std::llround(x));
#endif
}

// ---- RPROI_TRT ----

struct RproiParams {
    int32_t poolingH, poolingW, featureStride, preNmsTop, nmsMaxOut;
    float iouThreshold, minBoxSize, spatialScale;
};

// py-faster-rcnn's bbox_transform_inv and clip_boxes: anchor `an` of cell (x, y) moved by
// the deltas (dx, dy, dw, dh), clipped to the image (imH x imW pixels).
KILN_HD inline Box rpnProposal(const Box& an, int64_t x, int64_t y, int32_t featureStride, float dx, float dy, float dw,
                               float dh, double imH, double imW) {
    const double sx = double(x) * featureStride, sy = double(y) * featureStride;
    const double w = an.xmax - an.xmin + 1, h = an.ymax - an.ymin + 1;
    const double cx = an.xmin + sx + 0.5 * w, cy = an.ymin + sy + 0.5 * h;
    const double pcx = dx * w + cx, pcy = dy * h + cy;
    const double pw = detExp(double(dw)) * w, ph = detExp(double(dh)) * h;
    Box b{pcx - 0.5 * pw, pcy - 0.5 * ph, pcx + 0.5 * pw, pcy + 0.5 * ph};
    b.xmin = hdMin(hdMax(b.xmin, 0.0), imW - 1);
    b.xmax = hdMin(hdMax(b.xmax, 0.0), imW - 1);
    b.ymin = hdMin(hdMax(b.ymin, 0.0), imH - 1);
    b.ymax = hdMin(hdMax(b.ymax, 0.0), imH - 1);
    return b;
}

// py-faster-rcnn's _filter_boxes: false when the box is narrower or lower than minSize.
KILN_HD inline bool rpnLargeEnough(const Box& b, double minSize) {
    return !(b.xmax - b.xmin + 1 < minSize || b.ymax - b.ymin + 1 < minSize);
}

// Caffe ROIPooling's window of output bin (ph, pw) of `roi` (image pixels) on a feature map
// of height x width: rows [hs, he) and columns [ws, we), clipped (computed in float, as Caffe
// does).
struct PoolWindow {
    int64_t hs, he, ws, we;
};
KILN_HD inline PoolWindow roiPoolWindow(const float* roi, const RproiParams& p, int64_t height, int64_t width,
                                        int64_t ph, int64_t pw) {
    const int64_t startW = hdLroundf(roi[0] * p.spatialScale), startH = hdLroundf(roi[1] * p.spatialScale);
    const int64_t endW = hdLroundf(roi[2] * p.spatialScale), endH = hdLroundf(roi[3] * p.spatialScale);
    const int64_t roiH = hdMax<int64_t>(endH - startH + 1, 1), roiW = hdMax<int64_t>(endW - startW + 1, 1);
    const float binH = float(roiH) / float(p.poolingH), binW = float(roiW) / float(p.poolingW);
    PoolWindow w;
    w.hs = int64_t(hdFloorf(float(ph) * binH));
    w.ws = int64_t(hdFloorf(float(pw) * binW));
    w.he = int64_t(hdCeilf(float(ph + 1) * binH));
    w.we = int64_t(hdCeilf(float(pw + 1) * binW));
    w.hs = hdMin(hdMax(w.hs + startH, int64_t(0)), height);
    w.he = hdMin(hdMax(w.he + startH, int64_t(0)), height);
    w.ws = hdMin(hdMax(w.ws + startW, int64_t(0)), width);
    w.we = hdMin(hdMax(w.we + startW, int64_t(0)), width);
    return w;
}

// The max over a window of one channel `f` (width `width`), NaNs skipped as std::max skips
// them; 0 for an empty window.
KILN_HD inline float roiPoolMax(const float* f, int64_t width, const PoolWindow& w) {
    float v = w.he <= w.hs || w.we <= w.ws ? 0.f : -FLT_MAX;
    for (int64_t y = w.hs; y < w.he; ++y)
        for (int64_t x = w.ws; x < w.we; ++x) v = hdMax(v, f[y * width + x]);
    return v;
}

// ---- ROIAlign_TRT ----

struct RoiAlignParams {
    bool halfPixel, avg;
    int64_t outH, outW, samplingRatio;
    float spatialScale;
};

// One ROI's sampling grid: origin, extent, bin size and samples per bin.
struct RoiAlignGeometry {
    double x0, y0, binH, binW, count;
    int64_t gh, gw;
};
KILN_HD inline RoiAlignGeometry roiAlignGeometry(const float* roi, const RoiAlignParams& p) {
    RoiAlignGeometry g;
    const double off = p.halfPixel ? 0.5 : 0.0;
    g.x0 = roi[0] * double(p.spatialScale) - off;
    g.y0 = roi[1] * double(p.spatialScale) - off;
    double rw = roi[2] * double(p.spatialScale) - off - g.x0, rh = roi[3] * double(p.spatialScale) - off - g.y0;
    if (!p.halfPixel) {
        rw = hdMax(rw, 1.0);
        rh = hdMax(rh, 1.0);
    }
    g.binH = rh / double(p.outH);
    g.binW = rw / double(p.outW);
    // Adaptive grids of inverted ROIs (negative extents) have no samples.
    g.gh = p.samplingRatio > 0 ? p.samplingRatio : hdMax<int64_t>(int64_t(ceil(rh / double(p.outH))), 0);
    g.gw = p.samplingRatio > 0 ? p.samplingRatio : hdMax<int64_t>(int64_t(ceil(rw / double(p.outW))), 0);
    g.count = double(hdMax<int64_t>(g.gh * g.gw, 1));
    return g;
}

// Sample (iy, ix) of bin (ph, pw): the four neighbours (offsets into a height x width plane)
// and their bilinear weights; all weights 0 (offsets 0) for a sample outside the map.
struct RoiAlignSample {
    int64_t pos[4];
    double w[4];
};
KILN_HD inline RoiAlignSample roiAlignSample(const RoiAlignGeometry& g, int64_t height, int64_t width, int64_t ph,
                                             int64_t pw, int64_t iy, int64_t ix) {
    double y = g.y0 + double(ph) * g.binH + (double(iy) + 0.5) * g.binH / double(g.gh);
    double xx = g.x0 + double(pw) * g.binW + (double(ix) + 0.5) * g.binW / double(g.gw);
    RoiAlignSample s{{0, 0, 0, 0}, {0, 0, 0, 0}};
    if (y < -1.0 || y > double(height) || xx < -1.0 || xx > double(width)) return s;
    y = hdMax(y, 0.0);
    xx = hdMax(xx, 0.0);
    int64_t yl = int64_t(y), xl = int64_t(xx), yh, xh;
    if (yl >= height - 1)
        y = double(yh = yl = height - 1);
    else
        yh = yl + 1;
    if (xl >= width - 1)
        xx = double(xh = xl = width - 1);
    else
        xh = xl + 1;
    const double ly = y - double(yl), lx = xx - double(xl), hy = 1 - ly, hx = 1 - lx;
    s = {{yl * width + xl, yl * width + xh, yh * width + xl, yh * width + xh}, {hy * hx, hy * lx, ly * hx, ly * lx}};
    return s;
}

// One output bin of one channel `xc`: the average of the samples' weighted values, or (max
// mode) the largest weighted corner term, in double. `sampleAt(k)` gives the bin's sample k
// (row-major over the gh x gw grid).
template <typename SampleAt>
KILN_HD inline float roiAlignBin(const float* xc, const RoiAlignGeometry& g, bool avg, SampleAt sampleAt) {
    const int64_t perBin = g.gh * g.gw;
    double v = 0;
    for (int64_t k = 0; k < perBin; ++k) {
        const RoiAlignSample s = sampleAt(k);
        if (avg) {
            for (int q = 0; q < 4; ++q) v += s.w[q] * xc[s.pos[q]];
        } else {
            for (int q = 0; q < 4; ++q) {
                const double t = s.w[q] * xc[s.pos[q]];
                v = (k == 0 && q == 0) ? t : hdMax(v, t);
            }
        }
    }
    return float(avg ? v / g.count : v);
}

}  // namespace kiln::builtin
