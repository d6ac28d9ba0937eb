// Scale reference kernel (TensorRT's IScaleLayer): Y = (X * scale + shift) ^ power
// with one coefficient set for the tensor, per channel, or per element.
#include <algorithm>
#include <cmath>
#include <string>

#include "broadcast.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

bool isFloatCompute(ir::DType t) {
    return t == ir::DType::kF32 || t == ir::DType::kF16 || t == ir::DType::kBF16 || t == ir::DType::kF64;
}

// Element i of X uses coefficient (i / inner) % period of each input.
// uniform: one block, period 1; channel: inner = the dims after the axis,
// period C; elementwise: inner 1, period = X's non-batch volume or all of X.
struct Layout {
    int64_t inner = 1;
    std::vector<int64_t> periods;  // the coefficient counts allowed
};

Status layoutFor(const ir::Node& node, const ir::Shape& x, Layout& lay) {
    const std::string mode = node.attrs.getString("mode", "uniform");
    if (mode == "uniform") {
        lay.inner = std::max<int64_t>(ir::volume(x), 1);
        lay.periods = {1};
    } else if (mode == "channel") {
        int64_t axis = node.attrs.getInt("channel_axis", 1);
        if (!ir::normalizeAxis(axis, int64_t(x.size())))
            return Status::Error("channel_axis " + std::to_string(node.attrs.getInt("channel_axis", 1)) +
                                 " out of range for X of rank " + std::to_string(x.size()));
        lay.inner = 1;
        for (size_t d = size_t(axis) + 1; d < x.size(); ++d) lay.inner *= x[d];
        lay.periods = {x[size_t(axis)]};
    } else if (mode == "elementwise") {
        int64_t perItem = 1;
        for (size_t d = 1; d < x.size(); ++d) perItem *= x[d];
        lay.inner = 1;
        lay.periods = {perItem, ir::volume(x)};
    } else {
        return Status::Error("unknown mode '" + mode + "'");
    }
    return Status::Ok();
}

template <class C>
struct Coeffs {
    std::vector<C> vals;
    int64_t period = 1;
};

// Loads coefficient input i as compute type C; an absent one is its default.
template <class C>
Status loadCoeffs(const KernelArgs& args, size_t i, const char* name, double dflt, const Layout& lay, Coeffs<C>& c) {
    if (!args.node.hasInput(i)) {
        c.vals.assign(1, C(dflt));
        c.period = 1;
        return Status::Ok();
    }
    const HostTensor& t = args.inputs[i];
    if (!isFloatCompute(t.dtype))
        return Status::Error(std::string(name) + " has unsupported dtype " + std::string(ir::dtypeName(t.dtype)));
    const int64_t n = t.numel();
    if (std::find(lay.periods.begin(), lay.periods.end(), n) == lay.periods.end())
        return Status::Error(std::string(name) + " has " + std::to_string(n) + " values, expected " +
                             std::to_string(lay.periods[0]) + " for X " + ir::shapeToString(args.inputs[0].shape));
    c.vals.resize(size_t(n));
    for (int64_t k = 0; k < n; ++k) c.vals[size_t(k)] = C(ir::loadAsDouble(t.data, t.dtype, k));
    c.period = n;
    return Status::Ok();
}

template <class S>
Status runTyped(KernelArgs& args) {
    using C = ComputeT<S>;
    Layout lay;
    KILN_RETURN_IF_ERROR(layoutFor(args.node, args.inputs[0].shape, lay));
    Coeffs<C> shift, scale, power;
    KILN_RETURN_IF_ERROR(loadCoeffs(args, 1, "shift", 0.0, lay, shift));
    KILN_RETURN_IF_ERROR(loadCoeffs(args, 2, "scale", 1.0, lay, scale));
    KILN_RETURN_IF_ERROR(loadCoeffs(args, 3, "power", 1.0, lay, power));
    const int64_t n = args.inputs[0].numel();
    if (n == 0) return Status::Ok();
    const bool hasPower = args.node.hasInput(3);
    const S* x = args.inputs[0].as<const S>();
    S* y = args.outputs[0].as<S>();
    const int64_t inner = lay.inner;
    args.pool.parallelFor(n, [&](int64_t b, int64_t e) {
        const int64_t blk = b / inner;
        int64_t pos = b - blk * inner;
        int64_t ksh = blk % shift.period, ksc = blk % scale.period, kpw = blk % power.period;
        for (int64_t i = b; i < e; ++i) {
            C v = Elem<S>::load(x[i]) * scale.vals[size_t(ksc)] + shift.vals[size_t(ksh)];
            if (hasPower) v = C(std::pow(v, power.vals[size_t(kpw)]));
            y[i] = Elem<S>::store(v);
            if (++pos == inner) {  // next block: next coefficient of each input
                pos = 0;
                if (++ksh == shift.period) ksh = 0;
                if (++ksc == scale.period) ksc = 0;
                if (++kpw == power.period) kpw = 0;
            }
        }
    }, kParallelGrain);
    return Status::Ok();
}

}  // namespace

bool scaleSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&) {
    if (in.empty() || in.size() > 4 || !isFloatCompute(in[0].dtype)) return false;
    for (size_t i = 1; i < in.size(); ++i)
        if (node.hasInput(i) && !isFloatCompute(in[i].dtype)) return false;
    const std::string mode = node.attrs.getString("mode", "uniform");
    return mode == "uniform" || mode == "channel" || mode == "elementwise";
}

Status scale(KernelArgs& args) {
    if (args.inputs.empty() || args.inputs.size() > 4 || args.outputs.size() != 1)
        return Status::Error("Scale: expects 1..4 inputs and 1 output");
    const HostTensor& x = args.inputs[0];
    if (!isFloatCompute(x.dtype)) return Status::Error("Scale: unsupported X dtype " + std::string(ir::dtypeName(x.dtype)));
    if (args.outputs[0].dtype != x.dtype || args.outputs[0].numel() != x.numel())
        return Status::Error("Scale: output must match X's dtype and shape " + ir::shapeToString(x.shape));
    return visitDType(x.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        if constexpr (kIsFloatElem<S>) return runTyped<S>(args).withContext("Scale: ");
        else return Status::Error("Scale: unsupported X dtype");
    });
}

}  // namespace kiln::cpu::ref
