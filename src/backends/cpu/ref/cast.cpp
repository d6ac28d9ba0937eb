// Cast reference kernel, between every pair of dtypes (fp8 and float64
// included). Float -> int truncates toward zero and saturates, NaN -> int is
// 0, anything -> bool is != 0; int -> narrower int saturates too, matching
// ir::storeFromDouble so constant folding and the kernel agree.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "broadcast.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

// Rounds to float with round-to-odd, so a second rounding to a narrower
// float type (half, bfloat16, fp8) is as if done once from double.
float toFloatRoundToOdd(double v) {
    float f = float(v);
    if (double(f) == v || !std::isfinite(f)) return f;
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    if ((bits & 1u) == 0) f = std::nextafter(f, v > double(f) ? INFINITY : -INFINITY);
    return f;
}

template <class D>
D fromDouble(double v) {
    if constexpr (kIsBoolElem<D>) {
        return {uint8_t(v != 0.0 ? 1 : 0)};  // NaN != 0: true
    } else if constexpr (std::is_same_v<D, float> || std::is_same_v<D, double>) {
        return D(v);
    } else if constexpr (kIsFloatElem<D>) {
        return Elem<D>::store(toFloatRoundToOdd(v));
    } else {
        if (std::isnan(v)) return D(0);
        const double lo = double(std::numeric_limits<D>::lowest()), hi = double(std::numeric_limits<D>::max());
        if (v <= lo) return std::numeric_limits<D>::lowest();
        if (v >= hi) return std::numeric_limits<D>::max();
        return D(v);  // truncates toward zero
    }
}

template <class D>
D fromInt(int64_t v) {
    if constexpr (kIsBoolElem<D>) {
        return {uint8_t(v != 0 ? 1 : 0)};
    } else if constexpr (std::is_same_v<D, float> || std::is_same_v<D, double>) {
        return D(v);
    } else if constexpr (kIsFloatElem<D>) {
        return Elem<D>::store(toFloatRoundToOdd(double(v)));
    } else {
        const int64_t lo = int64_t(std::numeric_limits<D>::lowest()), hi = int64_t(std::numeric_limits<D>::max());
        return D(v < lo ? lo : v > hi ? hi : v);
    }
}

template <class S, class D>
D convert(S s) {
    if constexpr (kIsFloatElem<S>) return fromDouble<D>(double(Elem<S>::load(s)));
    else if constexpr (kIsBoolElem<S>) return fromInt<D>(s.value != 0 ? 1 : 0);
    else return fromInt<D>(int64_t(s));
}

template <class S, class D>
void castLoop(KernelArgs& args) {
    const S* x = args.inputs[0].as<const S>();
    D* y = args.outputs[0].as<D>();
    args.pool.parallelFor(args.inputs[0].numel(), [&](int64_t b, int64_t e) {
        if constexpr (std::is_same_v<S, D> && !kIsBoolElem<S>) {
            std::memcpy(y + b, x + b, size_t(e - b) * sizeof(S));
        } else {
            for (int64_t i = b; i < e; ++i) y[i] = convert<S, D>(x[i]);
        }
    }, kParallelGrain);
}

}  // namespace

bool castSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&) {
    const int64_t to = node.attrs.getInt("to", -1);
    return in.size() == 1 && ir::dtypeValid(int(in[0].dtype)) && to >= 0 && to < ir::kNumDTypes;
}

Status cast(KernelArgs& args) {
    if (args.inputs.size() != 1 || args.outputs.size() != 1) return Status::Error("Cast: expects 1 input and 1 output");
    const int64_t to = args.node.attrs.getInt("to", -1);
    if (to < 0 || to >= ir::kNumDTypes) return Status::Error("Cast: invalid 'to' dtype " + std::to_string(to));
    if (args.outputs[0].dtype != ir::DType(to) || args.outputs[0].numel() != args.inputs[0].numel())
        return Status::Error("Cast: output must be " + std::string(ir::dtypeName(ir::DType(to))) + " " +
                             ir::shapeToString(args.inputs[0].shape));
    return visitDType(args.inputs[0].dtype, [&](auto src) -> Status {
        return visitDType(args.outputs[0].dtype, [&](auto dst) -> Status {
            castLoop<typename decltype(src)::type, typename decltype(dst)::type>(args);
            return Status::Ok();
        });
    });
}

}  // namespace kiln::cpu::ref
