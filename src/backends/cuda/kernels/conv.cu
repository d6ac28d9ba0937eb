// The own Convolution, Deconvolution and Pooling kernels: one thread per
// output element over a geometry widened to 3 spatial dims, float32
// accumulation (float64 convolutions and pooling averages in double, as the
// reference). They cover every case docs/ops.md allows (asymmetric pads,
// dilation, ceil_mode, Indices, lp pooling); cuDNN is the fast tactic where
// it applies.
#include <cmath>
#include <limits>

#include "ir/ops/channels_last.h"
#include "conv_act.cuh"
#include "device_common.cuh"
#include "ir/ops/convolution.h"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;

struct Geom3 {
    int64_t N, C, M, group;
    int64_t in[3], out[3], kernel[3], stride[3], dil[3], pad[3];
};

Geom3 widen(const ir::ConvGeometry& g, const ir::Shape& x) {
    Geom3 q{};
    q.N = x[0];
    q.C = x[1];
    q.M = g.outChannels;
    q.group = g.group;
    const int k = g.spatialRank;
    for (int a = 0; a < 3; ++a) {
        const int i = a - (3 - k);
        const bool real = i >= 0;
        q.in[a] = real ? x[size_t(i) + 2] : 1;
        q.kernel[a] = real ? g.kernel[size_t(i)] : 1;
        q.out[a] = real ? g.outShape[size_t(i) + 2] : 1;
        q.stride[a] = real ? g.strides[size_t(i)] : 1;
        q.dil[a] = real ? g.dilations[size_t(i)] : 1;
        q.pad[a] = real ? g.padsBegin[size_t(i)] : 0;
    }
    return q;
}

// float64 X computes in double (ConvInteger/QLinearConv lower to exact integer
// sums in float64); every other X in float32.
template <class S>
using ConvAcc = std::conditional_t<std::is_same_v<S, double>, double, float>;

template <class S>
__device__ __forceinline__ ConvAcc<S> ld(const S* p, int64_t i) {
    return ConvAcc<S>(Elem<S>::load(p[i]));
}

// W or B of run-time dtype t as S's accumulator; float64 only beside a float64 X.
template <class S>
__device__ __forceinline__ ConvAcc<S> ldAny(const void* p, ir::DType t, int64_t i) {
    if constexpr (std::is_same_v<S, double>) {
        if (t == ir::DType::kF64) return static_cast<const double*>(p)[i];
        return double(loadFloatAny(p, t, i));
    } else {
        return loadFloatAny(p, t, i);
    }
}

// W and B may have their own float types (wt, bt), read through ldAny.
// FusedConvolution adds z (the output's shape and dtype) and applies its activation.
template <class S>
__global__ void convDirect(const S* __restrict__ x, const void* __restrict__ w, const void* __restrict__ b,
                           S* __restrict__ y, Geom3 q, int64_t total, ir::DType wt, ir::DType bt,
                           const S* __restrict__ z, ConvAct act) {
    const int64_t outPlane = q.out[0] * q.out[1] * q.out[2], inPlane = q.in[0] * q.in[1] * q.in[2];
    const int64_t kVol = q.kernel[0] * q.kernel[1] * q.kernel[2];
    const int64_t Cg = q.C / q.group, Mg = q.M / q.group;
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < total; t += stride) {
        int64_t p = t % outPlane;
        const int64_t nm = t / outPlane, m = nm % q.M, n = nm / q.M, grp = m / Mg;
        const int64_t ow = p % q.out[2];
        p /= q.out[2];
        const int64_t oh = p % q.out[1], od = p / q.out[1];
        ConvAcc<S> acc = b ? ldAny<S>(b, bt, m) : ConvAcc<S>(0);
        for (int64_t c = 0; c < Cg; ++c) {
            const S* xc = x + (n * q.C + grp * Cg + c) * inPlane;
            const int64_t wc = (m * Cg + c) * kVol;
            for (int64_t kd = 0; kd < q.kernel[0]; ++kd) {
                const int64_t id = od * q.stride[0] + kd * q.dil[0] - q.pad[0];
                if (id < 0 || id >= q.in[0]) continue;
                for (int64_t kh = 0; kh < q.kernel[1]; ++kh) {
                    const int64_t ih = oh * q.stride[1] + kh * q.dil[1] - q.pad[1];
                    if (ih < 0 || ih >= q.in[1]) continue;
                    for (int64_t kw = 0; kw < q.kernel[2]; ++kw) {
                        const int64_t iw = ow * q.stride[2] + kw * q.dil[2] - q.pad[2];
                        if (iw < 0 || iw >= q.in[2]) continue;
                        acc += ldAny<S>(w, wt, wc + (kd * q.kernel[1] + kh) * q.kernel[2] + kw) *
                               ld(xc, (id * q.in[1] + ih) * q.in[2] + iw);
                    }
                }
            }
        }
        if (z) acc += ld(z, t);
        y[t] = Elem<S>::store(ComputeT<S>(applyConvAct(acc, act)));
    }
}

// Deconvolution: output o receives input i through tap k when o = i*s + k*d - p.
template <class S>
__global__ void deconvDirect(const S* __restrict__ x, const void* __restrict__ w, const void* __restrict__ b,
                             S* __restrict__ y, Geom3 q, int64_t total, ir::DType wt, ir::DType bt) {
    const int64_t outPlane = q.out[0] * q.out[1] * q.out[2], inPlane = q.in[0] * q.in[1] * q.in[2];
    const int64_t kVol = q.kernel[0] * q.kernel[1] * q.kernel[2];
    const int64_t Cg = q.C / q.group, Mg = q.M / q.group;
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < total; t += stride) {
        int64_t p = t % outPlane;
        const int64_t nm = t / outPlane, m = nm % q.M, n = nm / q.M, grp = m / Mg, mg = m % Mg;
        const int64_t o[3] = {p / (q.out[1] * q.out[2]), (p / q.out[2]) % q.out[1], p % q.out[2]};
        ConvAcc<S> acc = b ? ldAny<S>(b, bt, m) : ConvAcc<S>(0);
        for (int64_t c = 0; c < Cg; ++c) {
            const int64_t ci = grp * Cg + c;
            const S* xc = x + (n * q.C + ci) * inPlane;
            const int64_t wc = (ci * Mg + mg) * kVol;
            for (int64_t kd = 0; kd < q.kernel[0]; ++kd) {
                const int64_t nd = o[0] + q.pad[0] - kd * q.dil[0];
                if (nd < 0 || nd % q.stride[0] != 0 || nd / q.stride[0] >= q.in[0]) continue;
                for (int64_t kh = 0; kh < q.kernel[1]; ++kh) {
                    const int64_t nh = o[1] + q.pad[1] - kh * q.dil[1];
                    if (nh < 0 || nh % q.stride[1] != 0 || nh / q.stride[1] >= q.in[1]) continue;
                    for (int64_t kw = 0; kw < q.kernel[2]; ++kw) {
                        const int64_t nw = o[2] + q.pad[2] - kw * q.dil[2];
                        if (nw < 0 || nw % q.stride[2] != 0 || nw / q.stride[2] >= q.in[2]) continue;
                        acc += ldAny<S>(w, wt, wc + (kd * q.kernel[1] + kh) * q.kernel[2] + kw) *
                               ld(xc, ((nd / q.stride[0]) * q.in[1] + nh / q.stride[1]) * q.in[2] + nw / q.stride[2]);
                    }
                }
            }
        }
        y[t] = Elem<S>::store(ComputeT<S>(acc));
    }
}

// W and B may be any float type; float64 ones only beside a float64 X (which computes in double).
bool convParamType(ir::DType x, ir::DType t) { return isDeviceFloat(t) || (x == ir::DType::kF64 && t == x); }

bool convTypesOk(const ir::Node& n, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    if (in.size() < 2 || out.size() != 1 || !n.hasInput(0) || !n.hasInput(1)) return false;
    const ir::DType x = in[0].dtype;
    if (!(isDeviceFloat(x) || x == ir::DType::kF64) || !convParamType(x, in[1].dtype) || out[0].dtype != x)
        return false;
    if (n.hasInput(2) && in.size() > 2 && !convParamType(x, in[2].dtype)) return false;
    return in[0].shape.size() >= 3 && in[0].shape.size() <= 5;
}

template <class Fn>
Status visitConvType(ir::DType t, Fn&& fn) {
    if (t == ir::DType::kF64) return fn(Tag<double>{});
    return visitFloatType(t, fn);
}

template <bool Transposed>
Status runConv(LaunchArgs& a, bool fused = false) {
    const DeviceTensor& X = a.inputs[0];
    const DeviceTensor& W = a.inputs[1];
    DeviceTensor& Y = a.outputs[0];
    ir::ConvGeometry g;
    ir::Node convNode = a.node;  // FusedConvolution's geometry is its Convolution's
    convNode.op = Transposed ? "Deconvolution" : "Convolution";
    KILN_RETURN_IF_ERROR(ir::resolveConvGeometry(convNode, X.shape, W.shape, Transposed, g));
    if (g.outShape != Y.shape)
        return Status::Error("output buffer shape " + ir::shapeToString(Y.shape) + " != expected " +
                             ir::shapeToString(g.outShape));
    const bool bias = a.node.hasInput(2) && a.inputs.size() > 2;
    if (bias && a.inputs[2].shape != ir::Shape{g.outChannels}) return Status::Error("bias shape must be [M]");
    const Geom3 q = widen(g, X.shape);
    const int64_t total = Y.numel();
    if (total <= 0) return Status::Ok();
    return visitConvType(X.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        const void* b = bias ? a.inputs[2].data : nullptr;
        const ir::DType bt = bias ? a.inputs[2].dtype : ir::DType::kF32;
        if (!convParamType(X.dtype, W.dtype) || !convParamType(X.dtype, bt))
            return Status::Error("W and B must be float types (float64 only with a float64 X)");
        if (Transposed)
            deconvDirect<S>
                <<<gridFor(total), kBlock, 0, a.stream>>>(X.as<const S>(), W.data, b, Y.as<S>(), q, total, W.dtype, bt);
        else {
            const bool hasZ = fused && a.node.hasInput(3) && a.inputs.size() > 3;
            if (hasZ && (a.inputs[3].shape != Y.shape || a.inputs[3].dtype != Y.dtype))
                return Status::Error("Z must have the output's shape and dtype");
            convDirect<S><<<gridFor(total), kBlock, 0, a.stream>>>(
                X.as<const S>(), W.data, b, Y.as<S>(), q, total, W.dtype, bt,
                hasZ ? a.inputs[3].as<const S>() : nullptr, convActOf(a.node));
        }
        KILN_CUDA_CHECK_LAUNCH();
        return Status::Ok();
    });
}

// ---------------------------------------------------------------- Pooling
struct PoolGeom {
    int64_t S[3], O[3], kernel[3], stride[3], dil[3], pb[3], pe[3];
    int mode;  // 0 max, 1 avg, 2 lp
    bool includePad, columnMajor;
    double p;
};

template <class S>
__device__ __forceinline__ S lowestOf() {
    if constexpr (kIsFloat<S>)
        return Elem<S>::store(ComputeT<S>(-INFINITY));
    else
        return std::numeric_limits<S>::lowest();
}

template <class S>
__global__ void poolDirect(const S* __restrict__ x, S* __restrict__ y, int64_t* __restrict__ indices, PoolGeom g,
                           int64_t total) {
    const int64_t outPlane = g.O[0] * g.O[1] * g.O[2], inPlane = g.S[0] * g.S[1] * g.S[2];
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < total; t += stride) {
        const int64_t nc = t / outPlane, p = t % outPlane;
        const int64_t o[3] = {p / (g.O[1] * g.O[2]), (p / g.O[2]) % g.O[1], p % g.O[2]};
        const S* xp = x + nc * inPlane;
        int64_t first[3], count[3], padded[3];
        for (int d = 0; d < 3; ++d) {
            const int64_t start = o[d] * g.stride[d] - g.pb[d];
            first[d] = 0;
            count[d] = 0;
            padded[d] = 0;
            for (int64_t j = 0; j < g.kernel[d]; ++j) {
                const int64_t pos = start + j * g.dil[d];
                if (pos >= 0 && pos < g.S[d] && count[d]++ == 0) first[d] = pos;
                if (pos >= -g.pb[d] && pos < g.S[d] + g.pe[d]) ++padded[d];
            }
        }
        if (g.mode == 0) {
            using C = ComputeT<S>;
            C best = Elem<S>::load(lowestOf<S>());
            int64_t bestAt = -1;
            for (int64_t t0 = 0, i0 = first[0]; t0 < count[0]; ++t0, i0 += g.dil[0])
                for (int64_t t1 = 0, i1 = first[1]; t1 < count[1]; ++t1, i1 += g.dil[1])
                    for (int64_t t2 = 0, i2 = first[2]; t2 < count[2]; ++t2, i2 += g.dil[2]) {
                        const int64_t at = (i0 * g.S[1] + i1) * g.S[2] + i2;
                        const C v = Elem<S>::load(xp[at]);
                        if (bestAt < 0 || v > best || (v != v && best == best)) {
                            best = v;
                            bestAt = g.columnMajor ? i0 + g.S[0] * (i1 + g.S[1] * i2) : at;
                        }
                    }
            y[t] = Elem<S>::store(best);
            if (indices) indices[t] = bestAt < 0 ? -1 : nc * inPlane + bestAt;
        } else {
            double acc = 0.0;
            for (int64_t t0 = 0, i0 = first[0]; t0 < count[0]; ++t0, i0 += g.dil[0])
                for (int64_t t1 = 0, i1 = first[1]; t1 < count[1]; ++t1, i1 += g.dil[1])
                    for (int64_t t2 = 0, i2 = first[2]; t2 < count[2]; ++t2, i2 += g.dil[2]) {
                        const double v = double(Elem<S>::load(xp[(i0 * g.S[1] + i1) * g.S[2] + i2]));
                        acc += g.mode == 1 ? v : pow(fabs(v), g.p);
                    }
            double r;
            if (g.mode == 1) {
                const int64_t cnt = g.includePad ? padded[0] * padded[1] * padded[2] : count[0] * count[1] * count[2];
                r = cnt > 0 ? acc / double(cnt) : 0.0;
            } else {
                r = pow(acc, 1.0 / g.p);
            }
            if constexpr (kIsFloat<S>) {
                // float32 output rounds the double once; 16-bit types go through float like the reference.
                y[t] = Elem<S>::store(ComputeT<S>(float(r)));
            } else {
                y[t] = S(r);
            }
        }
    }
}

bool poolType(ir::DType t, const std::string& mode) {
    if (isDeviceFloat(t)) return true;
    return mode == "max" &&
           (t == ir::DType::kI8 || t == ir::DType::kU8 || t == ir::DType::kI32 || t == ir::DType::kI64);
}

Status poolGeometry(const ir::Attrs& a, const ir::Shape& xs, const ir::Shape& ys, PoolGeom& g) {
    const size_t k = xs.size() - 2;
    std::vector<int64_t> kernel, strides, dils, pb, pe;
    const bool global = a.getInt("global", 0) != 0;
    if (global) {
        kernel.assign(xs.begin() + 2, xs.end());
        strides.assign(k, 1);
        dils.assign(k, 1);
        pb.assign(k, 0);
        pe.assign(k, 0);
    } else {
        kernel = a.getInts("kernel", std::vector<int64_t>(k, 1));
        strides = a.getInts("strides", std::vector<int64_t>(k, 1));
        dils = a.getInts("dilations", std::vector<int64_t>(k, 1));
        pb = a.getInts("pads_begin", std::vector<int64_t>(k, 0));
        pe = a.getInts("pads_end", std::vector<int64_t>(k, 0));
        if (kernel.size() != k || strides.size() != k || dils.size() != k || pb.size() != k || pe.size() != k)
            return Status::Error("pooling: attribute lists must have one entry per spatial dim");
    }
    const std::string autoPad = a.getString("auto_pad", "NOTSET");
    for (int d = 0; d < 3; ++d) {
        g.S[d] = g.O[d] = g.kernel[d] = g.stride[d] = g.dil[d] = 1;
        g.pb[d] = g.pe[d] = 0;
    }
    for (size_t i = 0; i < k; ++i) {
        const int d = 3 - int(k) + int(i);
        if (kernel[i] < 1 || strides[i] < 1 || dils[i] < 1 || pb[i] < 0 || pe[i] < 0)
            return Status::Error("pooling: invalid kernel/strides/dilations/pads for spatial dim " + std::to_string(i));
        const int64_t S = xs[2 + i], O = ys[2 + i];
        const int64_t effK = dils[i] * (kernel[i] - 1) + 1;
        if (!global && (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER")) {
            const int64_t totalPad = std::max<int64_t>(0, (O - 1) * strides[i] + effK - S);
            const int64_t small = totalPad / 2;
            pb[i] = autoPad == "SAME_UPPER" ? small : totalPad - small;
            pe[i] = totalPad - pb[i];
        } else if (autoPad == "VALID") {
            pb[i] = pe[i] = 0;
        }
        g.S[d] = S;
        g.O[d] = O;
        g.kernel[d] = kernel[i];
        g.stride[d] = strides[i];
        g.dil[d] = dils[i];
        g.pb[d] = pb[i];
        g.pe[d] = pe[i];
    }
    return Status::Ok();
}

}  // namespace

bool convolutionSupports(const ir::Node& n, const std::vector<ir::TensorDesc>& in,
                         const std::vector<ir::TensorDesc>& out) {
    return n.op == "Convolution" && !ir::isChannelsLast(n) && convTypesOk(n, in, out);
}
Status convolution(LaunchArgs& a) { return runConv<false>(a); }

bool fusedConvolutionSupports(const ir::Node& n, const std::vector<ir::TensorDesc>& in,
                              const std::vector<ir::TensorDesc>& out) {
    if (n.op != "FusedConvolution" || in.size() < 2 || ir::isChannelsLast(n) || ir::xClipOf(n).on) return false;
    const std::vector<ir::TensorDesc> convIn(in.begin(), in.begin() + std::min<size_t>(in.size(), 3));
    return convTypesOk(n, convIn, out) && convActKnown(n) &&
           !(n.hasInput(3) && in.size() > 3 && in[3].dtype != out[0].dtype);
}
Status fusedConvolution(LaunchArgs& a) { return runConv<false>(a, true); }

bool deconvolutionSupports(const ir::Node& n, const std::vector<ir::TensorDesc>& in,
                           const std::vector<ir::TensorDesc>& out) {
    return n.op == "Deconvolution" && convTypesOk(n, in, out);
}
Status deconvolution(LaunchArgs& a) { return runConv<true>(a); }

bool poolingSupports(const ir::Node& n, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    if (in.empty() || out.empty() || ir::isChannelsLast(n)) return false;  // channels-last: cuDNN only
    const size_t rank = in[0].shape.size();
    return rank >= 3 && rank <= 5 && out[0].dtype == in[0].dtype &&
           poolType(in[0].dtype, n.attrs.getString("mode", "max"));
}

Status pooling(LaunchArgs& a) {
    const DeviceTensor& X = a.inputs[0];
    DeviceTensor& Y = a.outputs[0];
    const size_t rank = X.shape.size();
    if (rank < 3 || rank > 5 || Y.shape.size() != rank || Y.shape[0] != X.shape[0] || Y.shape[1] != X.shape[1])
        return Status::Error("pooling: input " + ir::shapeToString(X.shape) + " and output " +
                             ir::shapeToString(Y.shape) + " are not [N, C, S1..Sk] with k = 1..3");
    PoolGeom g{};
    const std::string mode = a.node.attrs.getString("mode", "max");
    g.mode = mode == "max" ? 0 : mode == "avg" ? 1 : mode == "lp" ? 2 : -1;
    if (g.mode < 0) return Status::Error("pooling: unknown mode '" + mode + "'");
    if (!poolType(X.dtype, mode)) return Status::Error("pooling: unsupported dtype for mode '" + mode + "'");
    g.includePad = a.node.attrs.getInt("count_include_pad", 0) != 0;
    g.columnMajor = a.node.attrs.getInt("storage_order", 0) == 1;
    g.p = a.node.attrs.getFloat("p", 2.0);
    KILN_RETURN_IF_ERROR(poolGeometry(a.node.attrs, X.shape, Y.shape, g));
    int64_t* indices = nullptr;
    if (a.outputs.size() > 1 && a.outputs[1].data) {
        if (a.outputs[1].dtype != ir::DType::kI64 || g.mode != 0)
            return Status::Error("pooling: Indices must be int64 and exist only for max pooling");
        indices = a.outputs[1].as<int64_t>();
    }
    const int64_t total = Y.numel();
    if (total <= 0) return Status::Ok();
    return visitType(X.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        if constexpr (kIsBool<S> || std::is_same_v<S, double>) {
            return Status::Error("pooling: unsupported dtype");
        } else {
            poolDirect<S><<<gridFor(total), kBlock, 0, a.stream>>>(X.as<const S>(), Y.as<S>(), indices, g, total);
            KILN_CUDA_CHECK_LAUNCH();
            return Status::Ok();
        }
    });
}

}  // namespace kiln::cuda::kernels
