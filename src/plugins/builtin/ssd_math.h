// The per-element arithmetic of the SSD plugins (PriorBox_TRT, NMS_TRT, BatchedNMS_TRT),
// shared by their CPU and CUDA paths (see box_math.h for why).
#pragma once
#include "box_math.h"

namespace kiln::builtin {

// ---- PriorBox_TRT ----

// What the priors of one feature map depend on besides the per-prior sizes: the grid, the
// image size and steps (the host computes them from the fields and shapes), clipping and
// the variances.
struct PriorBoxShape {
    int64_t layerH, layerW, priorsPerCell;
    double imgH, imgW, stepH, stepW, offset;
    bool clip;
    int32_t nbVariance;  // 1 or 4
    float variance[4];
};

// Element e of the output [2, layerH * layerW * priorsPerCell * 4]: the boxes (xmin, ymin,
// xmax, ymax) position by position (row-major) and prior by prior, then the variances.
// `sizes` holds each prior's (width, height) in pixels.
KILN_HD inline float priorBoxValue(const PriorBoxShape& s, const double* sizes, int64_t e) {
    const int64_t count = s.layerH * s.layerW * s.priorsPerCell * 4;
    if (e >= count) return s.nbVariance == 1 ? s.variance[0] : s.variance[(e - count) % 4];
    const int64_t box = e / 4, k = e % 4, cell = box / s.priorsPerCell, prior = box % s.priorsPerCell;
    const int64_t h = cell / s.layerW, w = cell % s.layerW;
    const double cx = (double(w) + s.offset) * s.stepW, cy = (double(h) + s.offset) * s.stepH;
    const double bw = sizes[2 * prior], bh = sizes[2 * prior + 1];
    float v;
    switch (k) {
        case 0:
            v = float((cx - bw / 2) / s.imgW);
            break;
        case 1:
            v = float((cy - bh / 2) / s.imgH);
            break;
        case 2:
            v = float((cx + bw / 2) / s.imgW);
            break;
        default:
            v = float((cy + bh / 2) / s.imgH);
            break;
    }
    return s.clip ? hdMin(hdMax(v, 0.f), 1.f) : v;
}

// ---- NMS_TRT (DetectionOutput) ----

enum CodeType : int32_t { kCORNER = 1, kCENTER_SIZE = 2, kCORNER_SIZE = 3, kTF_CENTER = 4 };

struct DetectionParams {
    bool shareLocation, varianceEncodedInTarget, confSigmoid, isNormalized;
    int32_t backgroundLabelId, numClasses, topK, keepTopK, codeType;
    float confidenceThreshold, nmsThreshold;
};

// The box of offsets `loc` from `prior` with variances `var` (Caffe SSD's DecodeBBox).
KILN_HD inline Box decodeBox(const float* prior, const float* var, const float* loc, const DetectionParams& p) {
    const float kOne[4] = {1, 1, 1, 1};
    const float* v = p.varianceEncodedInTarget ? kOne : var;
    const double pw = double(prior[2]) - prior[0], ph = double(prior[3]) - prior[1];
    const double pcx = (double(prior[0]) + prior[2]) / 2, pcy = (double(prior[1]) + prior[3]) / 2;
    switch (p.codeType) {
        case kCORNER:
            return {prior[0] + double(v[0]) * loc[0], prior[1] + double(v[1]) * loc[1],
                    prior[2] + double(v[2]) * loc[2], prior[3] + double(v[3]) * loc[3]};
        case kCORNER_SIZE:
            return {prior[0] + double(v[0]) * loc[0] * pw, prior[1] + double(v[1]) * loc[1] * ph,
                    prior[2] + double(v[2]) * loc[2] * pw, prior[3] + double(v[3]) * loc[3] * ph};
        default: {
            const bool tf = p.codeType == kTF_CENTER;  // loc holds (y, x, h, w)
            const double dx = tf ? loc[1] : loc[0], dy = tf ? loc[0] : loc[1];
            const double dw = tf ? loc[3] : loc[2], dh = tf ? loc[2] : loc[3];
            const double cx = v[0] * dx * pw + pcx, cy = v[1] * dy * ph + pcy;
            const double w = detExp(v[2] * dw) * pw, h = detExp(v[3] * dh) * ph;
            return {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
        }
    }
}

// A class's confidence as NMS_TRT ranks it (the logistic of it with confSigmoid).
KILN_HD inline double detectionScore(float conf, bool sigmoid) {
    return sigmoid ? 1.0 / (1.0 + detExp(-double(conf))) : double(conf);
}

// ---- BatchedNMS_TRT ----

struct BatchedNmsParams {
    bool shareLocation, clipBoxes, plusOne;
    int32_t backgroundLabelId, numClasses, topK, keepTopK;
    float scoreThreshold, iouThreshold;
};

}  // namespace kiln::builtin
