// Reference Pooling (max / avg / lp over 1-3 spatial dims), docs/ops.md.
// The output extents come from shape inference (args.outputs[0].shape), so the
// ceil_mode and auto_pad extent rules live in one place (ir/ops/pooling.cpp);
// here only the pads are resolved, and every window is clipped to the input.
#include <cmath>
#include <algorithm>
#include <limits>
#include <string>

#include "channels_last.h"
#include "ir/ops/channels_last.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

using ir::DType;

constexpr int kDims = 3;  // spatial dims are padded to 3 with leading 1s

// The input positions one output coordinate of one spatial dim reads.
// The real taps are first, first + step, ... (count of them): the dilated
// kernel clipped to [0, S). Stored as a progression so memory stays O(O).
struct Window {
    int64_t first = 0, count = 0, step = 1;
    int64_t paddedCount = 0;  // taps inside the padded extent [-pb, S + pe)
};

struct Geometry {
    int64_t S[kDims] = {1, 1, 1};  // input spatial extents
    int64_t O[kDims] = {1, 1, 1};  // output spatial extents
    std::vector<Window> win[kDims];
    int64_t inPlane = 1, outPlane = 1;  // spatial volumes
};

struct Params {
    std::string mode;
    bool countIncludePad = false;
    bool columnMajorIndices = false;  // storage_order = 1
    double p = 2.0;
};

Status readList(const ir::Attrs& a, const std::string& name, size_t k, int64_t dflt, std::vector<int64_t>& out) {
    out = a.getInts(name, std::vector<int64_t>(k, dflt));
    if (out.size() != k)
        return Status::Error("pooling: attribute '" + name + "' needs " + std::to_string(k) + " entries");
    return Status::Ok();
}

// Resolves kernel, strides, dilations and pads for the run-time shapes and
// describes, per spatial dim and output coordinate, the taps of the window.
Status buildGeometry(const ir::Attrs& a, const ir::Shape& xs, const ir::Shape& ys, Geometry& g) {
    const size_t k = xs.size() - 2;
    std::vector<int64_t> kernel, strides, dils, pb, pe;
    if (a.getInt("global", 0)) {
        kernel.assign(xs.begin() + 2, xs.end());
        strides.assign(k, 1);
        dils.assign(k, 1);
        pb.assign(k, 0);
        pe.assign(k, 0);
    } else {
        KILN_RETURN_IF_ERROR(readList(a, "kernel", k, 1, kernel));
        KILN_RETURN_IF_ERROR(readList(a, "strides", k, 1, strides));
        KILN_RETURN_IF_ERROR(readList(a, "dilations", k, 1, dils));
        KILN_RETURN_IF_ERROR(readList(a, "pads_begin", k, 0, pb));
        KILN_RETURN_IF_ERROR(readList(a, "pads_end", k, 0, pe));
    }
    const std::string autoPad = a.getString("auto_pad", "NOTSET");
    for (size_t i = 0; i < k; ++i) {
        const int d = kDims - int(k) + int(i);
        const int64_t S = xs[2 + i], O = ys[2 + i];
        if (S < 0 || O < 0) return Status::Error("pooling: unknown spatial extent at run time");
        constexpr int64_t kMax = (int64_t(1) << 31) - 1;  // as shape inference enforces
        if (kernel[i] < 1 || strides[i] < 1 || dils[i] < 1 || pb[i] < 0 || pe[i] < 0 || kernel[i] > kMax ||
            strides[i] > kMax || dils[i] > kMax || pb[i] > kMax || pe[i] > kMax)
            return Status::Error("pooling: invalid kernel/strides/dilations/pads for spatial dim " +
                                 std::to_string(i));
        const int64_t effK = dils[i] * (kernel[i] - 1) + 1;
        if (!a.getInt("global", 0) && (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER")) {
            const int64_t total = std::max<int64_t>(0, (O - 1) * strides[i] + effK - S);
            const int64_t small = total / 2;  // the odd unit goes to the end (UPPER) or the beginning (LOWER)
            pb[i] = autoPad == "SAME_UPPER" ? small : total - small;
            pe[i] = total - pb[i];
        } else if (autoPad == "VALID") {
            pb[i] = pe[i] = 0;
        }
        g.S[d] = S;
        g.O[d] = O;
        g.win[d].resize(size_t(O));
        for (int64_t o = 0; o < O; ++o) {
            Window& w = g.win[d][size_t(o)];
            w.step = dils[i];
            const int64_t start = o * strides[i] - pb[i];
            for (int64_t j = 0; j < kernel[i]; ++j) {
                const int64_t pos = start + j * dils[i];
                if (pos >= 0 && pos < S) {
                    if (w.count++ == 0) w.first = pos;
                }
                if (pos >= -pb[i] && pos < S + pe[i]) ++w.paddedCount;
            }
        }
    }
    for (int d = 0; d < kDims; ++d) {
        if (g.win[d].empty()) g.win[d].push_back(Window{0, 1, 1, 1});  // a padding dim of extent 1
        g.inPlane *= g.S[d];
        g.outPlane *= g.O[d];
    }
    return Status::Ok();
}

template <typename T>
T lowestValue() {
    if constexpr (std::numeric_limits<T>::has_infinity) return -std::numeric_limits<T>::infinity();
    else return std::numeric_limits<T>::lowest();
}

// Pools one (n, c) plane. T is the element type; floats use float, F16/BF16
// arrive here converted to float.
template <typename T>
void poolPlane(const T* x, T* y, int64_t* indices, int64_t planeBase, const Geometry& g, const Params& prm) {
    const bool isMax = prm.mode == "max", isAvg = prm.mode == "avg";
    int64_t outIdx = 0;
    for (int64_t o0 = 0; o0 < g.O[0]; ++o0)
        for (int64_t o1 = 0; o1 < g.O[1]; ++o1)
            for (int64_t o2 = 0; o2 < g.O[2]; ++o2, ++outIdx) {
                const Window& w0 = g.win[0][size_t(o0)];
                const Window& w1 = g.win[1][size_t(o1)];
                const Window& w2 = g.win[2][size_t(o2)];
                if (isMax) {
                    // An all-padding window yields the lowest value (-inf) and index -1.
                    T best = lowestValue<T>();
                    int64_t bestAt = -1;
                    for (int64_t t0 = 0, i0 = w0.first; t0 < w0.count; ++t0, i0 += w0.step)
                        for (int64_t t1 = 0, i1 = w1.first; t1 < w1.count; ++t1, i1 += w1.step)
                            for (int64_t t2 = 0, i2 = w2.first; t2 < w2.count; ++t2, i2 += w2.step) {
                                const int64_t at = (i0 * g.S[1] + i1) * g.S[2] + i2;
                                const T v = x[at];
                                // Strict > keeps the first maximum; NaN propagates.
                                if (bestAt < 0 || v > best || (v != v && best == best)) {
                                    best = v;
                                    bestAt = prm.columnMajorIndices ? i0 + g.S[0] * (i1 + g.S[1] * i2) : at;
                                }
                            }
                    y[outIdx] = best;
                    if (indices) indices[outIdx] = bestAt < 0 ? -1 : planeBase + bestAt;
                } else {
                    double acc = 0.0;
                    for (int64_t t0 = 0, i0 = w0.first; t0 < w0.count; ++t0, i0 += w0.step)
                        for (int64_t t1 = 0, i1 = w1.first; t1 < w1.count; ++t1, i1 += w1.step)
                            for (int64_t t2 = 0, i2 = w2.first; t2 < w2.count; ++t2, i2 += w2.step) {
                                const double v = double(x[(i0 * g.S[1] + i1) * g.S[2] + i2]);
                                acc += isAvg ? v : std::pow(std::fabs(v), prm.p);
                            }
                    if (isAvg) {
                        const int64_t count =
                            prm.countIncludePad ? w0.paddedCount * w1.paddedCount * w2.paddedCount
                                                : w0.count * w1.count * w2.count;
                        y[outIdx] = T(count > 0 ? acc / double(count) : 0.0);
                    } else {
                        y[outIdx] = T(std::pow(acc, 1.0 / prm.p));
                    }
                }
            }
}

template <typename T>
void poolAll(const T* x, T* y, int64_t* indices, int64_t planes, const Geometry& g, const Params& prm,
             ThreadPool& pool) {
    pool.parallelFor(planes, [&](int64_t b, int64_t e) {
        for (int64_t nc = b; nc < e; ++nc)
            poolPlane<T>(x + nc * g.inPlane, y + nc * g.outPlane, indices ? indices + nc * g.outPlane : nullptr,
                         nc * g.inPlane, g, prm);
    });
}

bool supportedDType(DType t, const std::string& mode) {
    if (t == DType::kF32 || t == DType::kF16 || t == DType::kBF16) return true;
    return mode == "max" && (t == DType::kI8 || t == DType::kU8 || t == DType::kI32 || t == DType::kI64);
}

std::vector<float> toFloat(const HostTensor& t) {
    std::vector<float> r(static_cast<size_t>(t.numel()));
    const auto* src = t.as<const uint16_t>();
    for (size_t i = 0; i < r.size(); ++i) r[i] = t.dtype == DType::kF16 ? ir::halfToFloat(src[i]) : ir::bf16ToFloat(src[i]);
    return r;
}

}  // namespace

Status pooling(KernelArgs& args) {
    if (ir::isChannelsLast(args.node)) return runChannelsFirst(args, {0}, &pooling);
    const HostTensor& x = args.inputs[0];
    HostTensor& y = args.outputs[0];
    const size_t rank = x.shape.size();
    if (rank < 3 || rank > 5 || y.shape.size() != rank || y.shape[0] != x.shape[0] || y.shape[1] != x.shape[1])
        return Status::Error("pooling: input " + ir::shapeToString(x.shape) + " and output " +
                             ir::shapeToString(y.shape) + " are not [N, C, S1..Sk] with k = 1..3");
    Params prm;
    prm.mode = args.node.attrs.getString("mode", "max");
    prm.countIncludePad = args.node.attrs.getInt("count_include_pad", 0) != 0;
    prm.columnMajorIndices = args.node.attrs.getInt("storage_order", 0) == 1;
    prm.p = args.node.attrs.getFloat("p", 2.0);
    if (!supportedDType(x.dtype, prm.mode) || y.dtype != x.dtype)
        return Status::Error("pooling: unsupported dtype " + std::string(ir::dtypeName(x.dtype)) + " for mode '" +
                             prm.mode + "'");
    int64_t* indices = nullptr;
    if (args.outputs.size() > 1 && args.outputs[1].data) {
        if (args.outputs[1].dtype != DType::kI64 || prm.mode != "max")
            return Status::Error("pooling: Indices must be int64 and exist only for max pooling");
        indices = args.outputs[1].as<int64_t>();
    }
    Geometry g;
    KILN_RETURN_IF_ERROR(buildGeometry(args.node.attrs, x.shape, y.shape, g));
    const int64_t planes = x.shape[0] * x.shape[1];
    if (planes == 0 || g.outPlane == 0) return Status::Ok();

    switch (x.dtype) {
        case DType::kF32: poolAll(x.as<const float>(), y.as<float>(), indices, planes, g, prm, args.pool); break;
        case DType::kI8: poolAll(x.as<const int8_t>(), y.as<int8_t>(), indices, planes, g, prm, args.pool); break;
        case DType::kU8: poolAll(x.as<const uint8_t>(), y.as<uint8_t>(), indices, planes, g, prm, args.pool); break;
        case DType::kI32: poolAll(x.as<const int32_t>(), y.as<int32_t>(), indices, planes, g, prm, args.pool); break;
        case DType::kI64: poolAll(x.as<const int64_t>(), y.as<int64_t>(), indices, planes, g, prm, args.pool); break;
        case DType::kF16:
        case DType::kBF16: {
            // Computed in float32, rounded once at the end.
            const std::vector<float> xf = toFloat(x);
            std::vector<float> yf(size_t(y.numel()));
            poolAll(xf.data(), yf.data(), indices, planes, g, prm, args.pool);
            auto* dst = y.as<uint16_t>();
            for (size_t i = 0; i < yf.size(); ++i)
                dst[i] = y.dtype == DType::kF16 ? ir::floatToHalf(yf[i]) : ir::floatToBF16(yf[i]);
            break;
        }
        default: break;  // rejected above
    }
    return Status::Ok();
}

bool poolingSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                     const std::vector<ir::TensorDesc>& out) {
    if (in.empty() || out.empty()) return false;
    const size_t rank = in[0].shape.size();
    return rank >= 3 && rank <= 5 && out[0].dtype == in[0].dtype &&
           supportedDType(in[0].dtype, node.attrs.getString("mode", "max"));
}

}  // namespace kiln::cpu::ref
