// Resize reference kernel (ONNX Resize-19). Per dim and output index we list
// the input taps and their weights; nearest is then an indexed copy (exact
// for every dtype), linear/cubic are separable passes in float64, one per
// resized dim, which equals ONNX's nested 1-D interpolation.
#include <algorithm>
#include <cmath>

#include "movement_util.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

using namespace ir::movement;

// The input taps of every output index of one dim.
struct DimTaps {
    int maxTaps = 1;
    std::vector<int64_t> idx;      // [out * maxTaps]
    std::vector<double> weight;    // [out * maxTaps]
    std::vector<int> count;        // [out]: taps used
    std::vector<uint8_t> outside;  // [out]: extrapolated (tf_crop_and_resize)
    bool identity = true;          // every output index reads its own input index
};

int64_t nearestIndex(double x, NearestMode m) {
    const double f = std::floor(x), r = x - f;
    switch (m) {
        case NearestMode::kRoundPreferFloor: return int64_t(r <= 0.5 ? f : f + 1);
        case NearestMode::kRoundPreferCeil: return int64_t(r < 0.5 ? f : f + 1);
        case NearestMode::kFloor: return int64_t(f);
        case NearestMode::kCeil: return int64_t(r > 0 ? f + 1 : f);
    }
    return int64_t(f);
}

// Keys cubic convolution kernel with coefficient A at distance t.
double cubicWeight(double t, double A) {
    t = std::fabs(t);
    if (t <= 1) return ((A + 2) * t - (A + 3)) * t * t + 1;
    if (t < 2) return ((A * t - 5 * A) * t + 8 * A) * t - 4 * A;
    return 0;
}

// The filter taps of one output coordinate xo: positions and weights before
// edge handling. Antialiased downsampling stretches the linear/cubic filter by
// 1/scale (ONNX's reference: taps base+i for i in [start, 1-start], base the
// floor of xo, or one less when xo is whole, so the taps are its nearest).
void filterTaps(const ResizeParams& p, double scale, double xo, std::vector<int64_t>& pos, std::vector<double>& w) {
    pos.clear();
    w.clear();
    if (p.mode == ResizeMode::kNearest) {
        pos.push_back(nearestIndex(xo, p.nearest));
        w.push_back(1.0);
        return;
    }
    double f = std::floor(xo), r = xo - f;
    if (!p.antialias || scale >= 1.0) {
        const int64_t fi = int64_t(f);
        if (p.mode == ResizeMode::kLinear) {
            pos = {fi, fi + 1};
            w = {1 - r, r};
        } else {
            for (int k = -1; k <= 2; ++k) pos.push_back(fi + k), w.push_back(cubicWeight(r - k, p.cubicA));
        }
        return;
    }
    if (r == 0) f -= 1, r = 1;
    const bool linear = p.mode == ResizeMode::kLinear;
    const int64_t start = int64_t(std::floor((linear ? -1.0 : -2.0) / scale)) + 1;
    double sum = 0;
    for (int64_t i = start; i <= 1 - start; ++i) {
        const double arg = (double(i) - r) * scale;
        const double v = linear ? std::max(0.0, 1 - std::fabs(arg)) : cubicWeight(arg, p.cubicA);
        pos.push_back(int64_t(f) + i);
        w.push_back(v);
        sum += v;
    }
    if (sum != 0)
        for (double& v : w) v /= sum;
}

DimTaps dimTaps(const ResizeParams& p, size_t d, int64_t in, int64_t out) {
    DimTaps t;
    const double scale = p.scales[d];
    std::vector<int64_t> cand;
    std::vector<double> w;
    filterTaps(p, scale, 0.0, cand, w);  // the tap count is the same for every coordinate
    t.maxTaps = int(cand.size());
    t.idx.assign(size_t(out * t.maxTaps), 0);
    t.weight.assign(size_t(out * t.maxTaps), 0.0);
    t.count.assign(size_t(out), 0);
    t.outside.assign(size_t(out), 0);
    t.identity = in == out;
    for (int64_t x = 0; x < out; ++x) {
        bool outside;
        const double xo = resizeSourceCoord(p, d, x, in, outside);
        if (outside || !std::isfinite(xo)) {
            t.outside[x] = 1;
            t.identity = false;
            continue;
        }
        filterTaps(p, scale, xo, cand, w);
        const int n = int(cand.size());
        if (p.mode != ResizeMode::kNearest && p.excludeOutside) {
            double sum = 0;
            for (int k = 0; k < n; ++k) {
                if (cand[size_t(k)] < 0 || cand[size_t(k)] >= in) w[size_t(k)] = 0;
                sum += w[size_t(k)];
            }
            if (sum != 0)
                for (int k = 0; k < n; ++k) w[size_t(k)] /= sum;
        }
        int used = 0;
        for (int k = 0; k < n; ++k) {
            if (w[size_t(k)] == 0) continue;
            // Taps beyond the edge read the edge pixel (ONNX pads with "edge").
            const int64_t c = std::clamp<int64_t>(cand[size_t(k)], 0, in - 1);
            t.idx[size_t(x * t.maxTaps + used)] = c;
            t.weight[size_t(x * t.maxTaps + used)] = w[size_t(k)];
            ++used;
        }
        t.count[x] = used;
        if (used != 1 || t.idx[size_t(x * t.maxTaps)] != x || t.weight[size_t(x * t.maxTaps)] != 1.0)
            t.identity = false;
    }
    return t;
}

Status resizeNearest(KernelArgs& a, const ResizeParams& p, const std::vector<DimTaps>& taps) {
    const HostTensor& x = a.inputs[0];
    HostTensor& y = a.outputs[0];
    const auto strides = ir::stridesOf(x.shape);
    std::vector<std::vector<int64_t>> offs(x.shape.size());
    for (size_t d = 0; d < offs.size(); ++d) {
        offs[d].resize(size_t(y.shape[d]));
        for (int64_t i = 0; i < y.shape[d]; ++i)
            offs[d][i] = taps[d].outside[i] ? -1 : taps[d].idx[size_t(i)] * strides[d];
    }
    const auto fill = movement::elementBytes(x.dtype, p.extrapolationValue);
    movement::indexedCopy(x.data, y.data, ir::dtypeSize(x.dtype), y.shape, offs, fill.data(), a.pool);
    return Status::Ok();
}

Status resizeInterpolate(KernelArgs& a, const ResizeParams& p, const std::vector<DimTaps>& taps) {
    const HostTensor& x = a.inputs[0];
    HostTensor& y = a.outputs[0];
    std::vector<double> cur(size_t(x.numel())), next;
    a.pool.parallelFor(
        x.numel(),
        [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) cur[size_t(i)] = ir::loadAsDouble(x.data, x.dtype, i);
        },
        movement::kGrainElems);
    ir::Shape shape = x.shape;
    for (size_t d = 0; d < shape.size(); ++d) {
        const DimTaps& t = taps[d];
        if (t.identity) continue;
        int64_t outer = 1, inner = 1;
        for (size_t k = 0; k < d; ++k) outer *= shape[k];
        for (size_t k = d + 1; k < shape.size(); ++k) inner *= shape[k];
        const int64_t inD = shape[d], outD = y.shape[d];
        next.assign(size_t(outer * outD * inner), 0.0);
        a.pool.parallelFor(
            outer * outD,
            [&](int64_t r0, int64_t r1) {
                for (int64_t r = r0; r < r1; ++r) {
                    const int64_t o = r / outD, j = r % outD;
                    double* dst = next.data() + r * inner;
                    for (int k = 0; k < t.count[j]; ++k) {
                        const double w = t.weight[size_t(j * t.maxTaps + k)];
                        const double* src = cur.data() + (o * inD + t.idx[size_t(j * t.maxTaps + k)]) * inner;
                        for (int64_t i = 0; i < inner; ++i) dst[i] += w * src[i];
                    }
                }
            },
            std::max<int64_t>(1, movement::kGrainElems / std::max<int64_t>(inner, 1)));
        cur.swap(next);
        shape[d] = outD;
    }
    const bool isInt = ir::dtypeIsInteger(y.dtype);
    const auto outStrides = ir::stridesOf(y.shape);
    a.pool.parallelFor(
        y.numel(),
        [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) {
                double v = cur[size_t(i)];
                if (p.coord == CoordTransform::kTfCropAndResize) {
                    for (size_t d = 0; d < y.shape.size(); ++d)
                        if (taps[d].outside[size_t((i / outStrides[d]) % y.shape[d])]) v = p.extrapolationValue;
                }
                ir::storeFromDouble(y.data, y.dtype, i, isInt ? std::nearbyint(v) : v);
            }
        },
        movement::kGrainElems);
    return Status::Ok();
}

}  // namespace

Status resize(KernelArgs& a) {
    KILN_RETURN_IF_ERROR(movement::inferAndCheck(a, &ir::movement::inferResize));
    ResizeParams p;
    KILN_RETURN_IF_ERROR(resolveResize(a.node, movement::descsOf(a.inputs), p));
    const HostTensor& x = a.inputs[0];
    if (a.outputs[0].numel() == 0) return Status::Ok();
    std::vector<DimTaps> taps;
    for (size_t d = 0; d < x.shape.size(); ++d) taps.push_back(dimTaps(p, d, x.shape[d], p.outShape[d]));
    return p.mode == ResizeMode::kNearest ? resizeNearest(a, p, taps) : resizeInterpolate(a, p, taps);
}

bool resizeSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                    const std::vector<ir::TensorDesc>& out) {
    return in[0].dtype == out[0].dtype &&
           (in[0].dtype != ir::DType::kBool || node.attrs.getString("mode", "nearest") == "nearest");
}

}  // namespace kiln::cpu::ref
