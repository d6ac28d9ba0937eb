// Resize on CUDA (ONNX Resize-19, as the CPU reference): each thread works
// out, per dim, the input taps and weights of its output coordinate (the same
// coordinate transforms as ir::movement::resizeSourceCoord), then copies the
// nearest element's bits or sums the separable product of the taps in double.
// Antialiased downsampling has its own kernel (resizeAntialiasKernel).
#include <cmath>
#include <cstring>
#include <limits>

#include "device_common.cuh"
#include "ir/ops/data_movement.h"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;
using namespace ir::movement;

struct RP {
    int rank, mode, coord, nearest;
    double cubicA, extrapolation;
    bool excludeOutside, scalesGiven;
    double scales[kMaxDims], roi[2 * kMaxDims];
    int64_t in[kMaxDims], out[kMaxDims];
};

__device__ double sourceCoord(const RP& p, int d, int64_t xi, bool& outside) {
    outside = false;
    const double x = double(xi), in = double(p.in[d]), s = p.scales[d], outInt = double(p.out[d]);
    const double out = p.scalesGiven ? in * s : outInt;
    switch (CoordTransform(p.coord)) {
        case CoordTransform::kHalfPixel:
            return (x + 0.5) / s - 0.5;
        case CoordTransform::kAsymmetric:
            return x / s;
        case CoordTransform::kAlignCorners:
            return out == 1 ? 0.0 : x * (in - 1) / (out - 1);
        case CoordTransform::kPytorchHalfPixel:
            return out > 1 ? (x + 0.5) / s - 0.5 : 0.0;
        case CoordTransform::kTfHalfPixelForNN:
            return (x + 0.5) / s;
        case CoordTransform::kHalfPixelSymmetric: {
            const double adjustment = outInt / (s * in);
            const double offset = in / 2 * (1 - adjustment);
            return offset + (x + 0.5) / s - 0.5;
        }
        case CoordTransform::kTfCropAndResize: {
            const double start = p.roi[d], end = p.roi[p.rank + d];
            const double xo = outInt == 1 ? 0.5 * (start + end) * (in - 1)
                                          : start * (in - 1) + x * (end - start) * (in - 1) / (outInt - 1);
            outside = xo < 0 || xo > in - 1;
            return xo;
        }
    }
    return 0.0;
}

__device__ int64_t nearestIndex(double x, int m) {
    const double f = floor(x), r = x - f;
    switch (NearestMode(m)) {
        case NearestMode::kRoundPreferFloor:
            return int64_t(r <= 0.5 ? f : f + 1);
        case NearestMode::kRoundPreferCeil:
            return int64_t(r < 0.5 ? f : f + 1);
        case NearestMode::kFloor:
            return int64_t(f);
        case NearestMode::kCeil:
            return int64_t(r > 0 ? f + 1 : f);
    }
    return int64_t(f);
}

__device__ double cubicWeight(double t, double A) {
    t = fabs(t);
    if (t <= 1) return ((A + 2) * t - (A + 3)) * t * t + 1;
    if (t < 2) return ((A * t - 5 * A) * t + 8 * A) * t - 4 * A;
    return 0;
}

// Taps of output coordinate x along dim d; false when it lies outside (extrapolate).
__device__ bool taps(const RP& p, int d, int64_t x, int64_t (&idx)[4], double (&w)[4], int& used) {
    bool outside;
    const double xo = sourceCoord(p, d, x, outside);
    used = 0;
    if (outside || !isfinite(xo)) return false;
    const int64_t in = p.in[d];
    int64_t cand[4];
    double wt[4];
    int n = 0;
    if (ResizeMode(p.mode) == ResizeMode::kNearest) {
        cand[n] = nearestIndex(xo, p.nearest);
        wt[n++] = 1.0;
    } else {
        const double f = floor(xo), r = xo - f;
        const int64_t fi = int64_t(f);
        if (ResizeMode(p.mode) == ResizeMode::kLinear) {
            cand[n] = fi, wt[n++] = 1 - r;
            cand[n] = fi + 1, wt[n++] = r;
        } else {
            for (int k = -1; k <= 2; ++k) cand[n] = fi + k, wt[n++] = cubicWeight(r - k, p.cubicA);
        }
        if (p.excludeOutside) {
            double sum = 0;
            for (int k = 0; k < n; ++k) {
                if (cand[k] < 0 || cand[k] >= in) wt[k] = 0;
                sum += wt[k];
            }
            if (sum != 0)
                for (int k = 0; k < n; ++k) wt[k] /= sum;
        }
    }
    for (int k = 0; k < n; ++k) {
        if (wt[k] == 0) continue;
        idx[used] = cand[k] < 0 ? 0 : (cand[k] > in - 1 ? in - 1 : cand[k]);
        w[used] = wt[k];
        ++used;
    }
    return true;
}

template <class S>
__device__ __forceinline__ S fromDoubleValue(double v) {
    if constexpr (kIsBool<S>) {
        return {uint8_t(v != 0.0)};
    } else if constexpr (kIsFloat<S>) {
        return Elem<S>::store(ComputeT<S>(v));
    } else {
        v = rint(v);
        if (isnan(v)) return S(0);
        const double lo = double(std::numeric_limits<S>::lowest()), hi = double(std::numeric_limits<S>::max());
        return v <= lo ? std::numeric_limits<S>::lowest() : v >= hi ? std::numeric_limits<S>::max() : S(v);
    }
}

template <class S>
__device__ __forceinline__ double toDoubleValue(S v) {
    if constexpr (kIsBool<S>)
        return v.v ? 1.0 : 0.0;
    else
        return double(Elem<S>::load(v));
}

template <class S>
__global__ void resizeKernel(const S* __restrict__ x, S* __restrict__ y, int64_t total, RP p, S fill) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < total; t += stride) {
        int64_t coord[kMaxDims];
        int64_t rem = t;
        for (int d = p.rank - 1; d >= 0; --d) {
            coord[d] = rem % p.out[d];
            rem /= p.out[d];
        }
        int64_t idx[kMaxDims][4];
        double w[kMaxDims][4];
        int cnt[kMaxDims];
        bool outside = false;
        for (int d = 0; d < p.rank; ++d) outside |= !taps(p, d, coord[d], idx[d], w[d], cnt[d]);
        if (outside) {
            y[t] = ResizeMode(p.mode) == ResizeMode::kNearest ? fill : fromDoubleValue<S>(p.extrapolation);
            continue;
        }
        if (ResizeMode(p.mode) == ResizeMode::kNearest) {
            int64_t off = 0;
            for (int d = 0; d < p.rank; ++d) off = off * p.in[d] + idx[d][0];
            y[t] = x[off];
            continue;
        }
        // Sum over every combination of taps (an odometer over the dims).
        int k[kMaxDims];
        for (int d = 0; d < p.rank; ++d) k[d] = 0;
        double acc = 0;
        while (true) {
            double weight = 1;
            int64_t off = 0;
            for (int d = 0; d < p.rank; ++d) {
                weight *= w[d][k[d]];
                off = off * p.in[d] + idx[d][k[d]];
            }
            acc += weight * toDoubleValue(x[off]);
            int d = p.rank - 1;
            while (d >= 0 && ++k[d] == cnt[d]) k[d--] = 0;
            if (d < 0) break;
        }
        y[t] = fromDoubleValue<S>(acc);
    }
}

// Antialiased linear/cubic downsampling (ONNX's reference, as the CPU's
// filterTaps): along a dim with scale < 1 the filter is stretched by 1/scale,
// taps base+i for i in [start, 1-start] with base the floor of the source
// coordinate (one less when it is whole); weights are normalized by their sum,
// then (exclude_outside) taps outside the input are zeroed and the rest
// renormalized. Each thread works out every tap's weight when it needs it,
// from the per-dim sums found first, in the reference's order of operations.
struct WideDim {
    bool wide;
    int64_t base, start;
    double r, sum, sum2;
    int count;
};

__device__ double wideRaw(const RP& p, int d, int64_t i, double r) {
    const double arg = (double(i) - r) * p.scales[d];
    if (ResizeMode(p.mode) == ResizeMode::kLinear) {
        const double v = 1 - fabs(arg);
        return 0.0 < v ? v : 0.0;  // std::max(0.0, v)
    }
    return cubicWeight(arg, p.cubicA);
}

// Tap k (0-based) of a wide dim: its clamped input index and weight (0: skipped).
__device__ double wideTap(const RP& p, int d, const WideDim& w, int k, int64_t& idx) {
    const int64_t i = w.start + k, pos = w.base + i;
    double v = wideRaw(p, d, i, w.r);
    if (w.sum != 0) v /= w.sum;
    if (p.excludeOutside) {
        if (pos < 0 || pos >= p.in[d])
            v = 0;
        else if (w.sum2 != 0)
            v /= w.sum2;
    }
    idx = pos < 0 ? 0 : (pos > p.in[d] - 1 ? p.in[d] - 1 : pos);
    return v;
}

// False when the coordinate lies outside (tf_crop_and_resize extrapolates).
__device__ bool wideSetup(const RP& p, int d, int64_t x, WideDim& w) {
    bool outside;
    const double xo = sourceCoord(p, d, x, outside);
    if (outside || !isfinite(xo)) return false;
    double f = floor(xo), r = xo - f;
    if (r == 0) f -= 1, r = 1;
    const double s = p.scales[d];
    w.start = int64_t(floor((ResizeMode(p.mode) == ResizeMode::kLinear ? -1.0 : -2.0) / s)) + 1;
    w.base = int64_t(f);
    w.r = r;
    w.count = int(1 - w.start - w.start + 1);
    double sum = 0;
    for (int64_t i = w.start; i <= 1 - w.start; ++i) sum += wideRaw(p, d, i, r);
    w.sum = sum;
    w.sum2 = 0;
    if (p.excludeOutside) {
        double sum2 = 0;
        for (int64_t i = w.start; i <= 1 - w.start; ++i) {
            const int64_t pos = w.base + i;
            if (pos < 0 || pos >= p.in[d]) continue;
            double v = wideRaw(p, d, i, r);
            if (sum != 0) v /= sum;
            sum2 += v;
        }
        w.sum2 = sum2;
    }
    return true;
}

template <class S>
__global__ void resizeAntialiasKernel(const S* __restrict__ x, S* __restrict__ y, int64_t total, RP p) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < total; t += stride) {
        int64_t coord[kMaxDims];
        int64_t rem = t;
        for (int d = p.rank - 1; d >= 0; --d) {
            coord[d] = rem % p.out[d];
            rem /= p.out[d];
        }
        // Narrow dims keep their (at most 4) taps; wide dims compute theirs per use.
        int64_t idx[kMaxDims][4];
        double w[kMaxDims][4];
        int cnt[kMaxDims];
        WideDim wd[kMaxDims];
        bool outside = false;
        for (int d = 0; d < p.rank && !outside; ++d) {
            wd[d].wide = p.scales[d] < 1.0;
            if (wd[d].wide) {
                outside = !wideSetup(p, d, coord[d], wd[d]);
                cnt[d] = wd[d].count;
            } else {
                outside = !taps(p, d, coord[d], idx[d], w[d], cnt[d]);
            }
        }
        if (outside) {
            y[t] = fromDoubleValue<S>(p.extrapolation);
            continue;
        }
        bool empty = false;
        for (int d = 0; d < p.rank; ++d) empty |= cnt[d] <= 0;
        double acc = 0;
        int k[kMaxDims];
        for (int d = 0; d < p.rank; ++d) k[d] = 0;
        while (!empty) {
            double weight = 1;
            int64_t off = 0;
            bool skip = false;
            for (int d = 0; d < p.rank && !skip; ++d) {
                int64_t i;
                double wt;
                if (wd[d].wide) {
                    wt = wideTap(p, d, wd[d], k[d], i);
                    skip = wt == 0;  // the reference leaves zero-weight taps out
                } else {
                    i = idx[d][k[d]];
                    wt = w[d][k[d]];
                }
                weight *= wt;
                off = off * p.in[d] + i;
            }
            if (!skip) acc += weight * toDoubleValue(x[off]);
            int d = p.rank - 1;
            while (d >= 0 && ++k[d] == cnt[d]) k[d--] = 0;
            if (d < 0) break;
        }
        y[t] = fromDoubleValue<S>(acc);
    }
}


}  // namespace

bool resizeSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                    const std::vector<ir::TensorDesc>& out) {
    if (in.empty() || out.empty() || in[0].dtype != out[0].dtype || in[0].shape.size() > size_t(kMaxDims)) return false;
    if (!isDeviceType(in[0].dtype) || in[0].dtype == ir::DType::kF64) return false;
    for (size_t i = 1; i < in.size() && i < node.inputs.size(); ++i)
        if (node.inputs[i] >= 0 && !in[i].data && !in[i].shape.empty() && ir::volume(in[i].shape) > 0) return false;
    return in[0].dtype != ir::DType::kBool || node.attrs.getString("mode", "nearest") == "nearest";
}

Status resize(LaunchArgs& a) {
    ResizeParams p;
    KILN_RETURN_IF_ERROR(resolveResize(a.node, hostDescs(a.inputs), p));
    const DeviceTensor& X = a.inputs[0];
    DeviceTensor& Y = a.outputs[0];
    if (p.outShape != Y.shape) return Status::Error("Resize: output shape mismatch");
    const int64_t total = Y.numel();
    if (total <= 0) return Status::Ok();
    RP rp{};
    rp.rank = int(X.shape.size());
    rp.mode = int(p.mode);
    rp.coord = int(p.coord);
    rp.nearest = int(p.nearest);
    rp.cubicA = p.cubicA;
    rp.extrapolation = p.extrapolationValue;
    rp.excludeOutside = p.excludeOutside;
    rp.scalesGiven = p.scalesGiven;
    for (int d = 0; d < rp.rank; ++d) {
        rp.scales[d] = p.scales[size_t(d)];
        rp.in[d] = X.shape[size_t(d)];
        rp.out[d] = Y.shape[size_t(d)];
        if (rp.in[d] == 0) return Status::Error("Resize: cannot resize an empty dim");
    }
    for (size_t i = 0; i < p.roi.size() && i < size_t(2 * kMaxDims); ++i) rp.roi[i] = p.roi[i];
    // Antialiasing changes only linear/cubic downsampling (a dim with scale < 1).
    bool antialiased = false;
    if (p.antialias && p.mode != ResizeMode::kNearest)
        for (int d = 0; d < rp.rank; ++d) antialiased |= rp.scales[d] < 1.0;
    std::vector<uint8_t> fillBytes(16, 0);
    ir::storeFromDouble(fillBytes.data(), X.dtype, 0, p.extrapolationValue);
    return visitType(X.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        if constexpr (std::is_same_v<S, double>) {
            return Status::Error("Resize: float64 is not supported on CUDA");
        } else {
            S fill;
            std::memcpy(&fill, fillBytes.data(), sizeof(S));
            if (antialiased)
                resizeAntialiasKernel<S>
                    <<<gridFor(total), kBlock, 0, a.stream>>>(X.as<const S>(), Y.as<S>(), total, rp);
            else
                resizeKernel<S><<<gridFor(total), kBlock, 0, a.stream>>>(X.as<const S>(), Y.as<S>(), total, rp, fill);
            KILN_CUDA_CHECK_LAUNCH();
            return Status::Ok();
        }
    });
}

}  // namespace kiln::cuda::kernels
