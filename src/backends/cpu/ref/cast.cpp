// Cast reference kernel, between every pair of dtypes, with ONNX Cast's rules
// (docs/ops.md): floats round to nearest even, once; float8 targets saturate
// unless attribute `saturate` is 0; e8m0 rounds per `round_mode`; float ->
// integer truncates toward zero and keeps the low bits (numpy's result), NaN
// gives 0 and values beyond int64 saturate; integer -> integer keeps the low
// bits; anything -> bool is != 0.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "broadcast.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

struct CastOptions {
    bool saturate = true;
    ir::E8M0Rounding rounding = ir::E8M0Rounding::kUp;
};

bool parseRounding(const std::string& s, ir::E8M0Rounding& r) {
    if (s == "up")
        r = ir::E8M0Rounding::kUp;
    else if (s == "down")
        r = ir::E8M0Rounding::kDown;
    else if (s == "nearest")
        r = ir::E8M0Rounding::kNearest;
    else
        return false;
    return true;
}

// Integers beyond 2^53 become double with round-to-odd, so the one later
// rounding to a narrower float is as if done from the exact integer.
template <class I>
double toDoubleRoundToOdd(I v) {
    const double d = double(v);  // nearest
    const double limit = std::is_signed_v<I> ? 9223372036854775808.0 : 18446744073709551616.0;
    bool above;  // d is above the exact value
    if (d >= limit) {
        above = true;  // rounded up past the type's maximum
    } else {
        const I back = I(d);
        if (back == v) return d;
        above = back > v;
    }
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    if (bits & 1u) return d;
    return std::nextafter(d, above ? -INFINITY : INFINITY);
}

template <class S>
constexpr bool kIsIntegerSource = kIsIntElem<S> || kIsNarrowIntElem<S> || kIsBoolElem<S>;

// Integer value of an integer-like element, as int64 or (uint64 sources) uint64.
template <class S>
auto intValue(S s) {
    if constexpr (kIsBoolElem<S>)
        return int64_t(s.value != 0);
    else if constexpr (kIsNarrowIntElem<S>)
        return int64_t(Elem<S>::load(s));
    else if constexpr (std::is_same_v<S, uint64_t>)
        return s;
    else
        return int64_t(s);
}

// Stores the low bits of integer `v` as D (two's complement wrap).
template <class D, class I>
D wrapInt(I v) {
    if constexpr (kIsNarrowIntElem<D>)
        return Elem<D>::store(int32_t(uint32_t(uint64_t(v))));
    else
        return D(std::make_unsigned_t<D>(uint64_t(v)));
}

// A float value to a float type D.
template <class D>
D floatToFloat(double v, const CastOptions& o) {
    if constexpr (std::is_same_v<D, float> || std::is_same_v<D, double>)
        return D(v);
    else if constexpr (std::is_same_v<D, Half>)
        return {uint16_t(ir::encodeNarrowFloat(ir::DType::kF16, v, false))};
    else if constexpr (std::is_same_v<D, BFloat16>)
        return {uint16_t(ir::encodeNarrowFloat(ir::DType::kBF16, v, false))};
    else if constexpr (std::is_same_v<D, E8M0>)
        return {ir::encodeE8M0(v, o.saturate, o.rounding)};
    else if constexpr (std::is_same_v<D, Fp4E2M1>)
        return {uint8_t(ir::encodeNarrowFloat(ir::DType::kFP4, v, true))};
    else
        return {uint8_t(ir::encodeNarrowFloat(D::kType, v, o.saturate))};
}

// A float value to an integer type D (see the file comment).
template <class D>
D floatToInt(double v) {
    if (std::isnan(v)) return wrapInt<D>(int64_t(0));
    const double t = std::trunc(v);
    constexpr double kTwo63 = 9223372036854775808.0;
    if (t >= -kTwo63 && t < kTwo63) return wrapInt<D>(int64_t(t));
    if constexpr (std::is_same_v<D, uint64_t>) {
        if (t >= kTwo63 && t < 2 * kTwo63) return uint64_t(t);
    }
    // Beyond int64: saturate to D's range.
    if constexpr (kIsNarrowIntElem<D>) {
        return Elem<D>::store(t < 0 ? D::kMin : D::kMax);
    } else {
        return t < 0 ? std::numeric_limits<D>::lowest() : std::numeric_limits<D>::max();
    }
}

// One element between the two halves of a cast: integer (and bool) sources
// keep their exact bits, float sources their value as double. Staging through
// it keeps the kernel at one loader per source and one storer per target type
// instead of one loop per (source, target) pair.
struct Staged {
    bool isInt;
    bool isU64;       // `bits` holds a uint64 (else an int64)
    uint64_t bits;    // the integer's two's complement bits
    double value;     // the float's value
};

template <class S>
void stage(const S* x, int64_t n, Staged* out) {
    for (int64_t i = 0; i < n; ++i) {
        if constexpr (kIsIntegerSource<S>) {
            out[i] = {true, std::is_same_v<S, uint64_t>, uint64_t(intValue(x[i])), 0.0};
        } else {
            out[i] = {false, false, 0, double(Elem<S>::load(x[i]))};
        }
    }
}

template <class D, class I>
D fromInt(I v, const CastOptions& o) {
    if constexpr (kIsBoolElem<D>) return {uint8_t(v != 0)};
    else if constexpr (kIsIntElem<D> || kIsNarrowIntElem<D>) return wrapInt<D>(v);
    else if constexpr (std::is_same_v<D, float> || std::is_same_v<D, double>) return D(v);
    else return floatToFloat<D>(toDoubleRoundToOdd(v), o);
}

template <class D>
void unstage(const Staged* in, int64_t n, D* y, const CastOptions& o) {
    for (int64_t i = 0; i < n; ++i) {
        const Staged& s = in[i];
        if (s.isInt) {
            y[i] = s.isU64 ? fromInt<D>(s.bits, o) : fromInt<D>(int64_t(s.bits), o);
        } else if constexpr (kIsBoolElem<D>) {
            y[i] = {uint8_t(s.value != 0.0)};  // NaN != 0: true
        } else if constexpr (kIsIntElem<D> || kIsNarrowIntElem<D>) {
            y[i] = floatToInt<D>(s.value);
        } else {
            y[i] = floatToFloat<D>(s.value, o);
        }
    }
}

}  // namespace

bool castSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&) {
    const int64_t to = node.attrs.getInt("to", -1);
    ir::E8M0Rounding r;
    return in.size() == 1 && ir::dtypeValid(int(in[0].dtype)) && to >= 0 && to < ir::kNumDTypes &&
           parseRounding(node.attrs.getString("round_mode", "up"), r);
}

Status cast(KernelArgs& args) {
    if (args.inputs.size() != 1 || args.outputs.size() != 1) return Status::Error("Cast: expects 1 input and 1 output");
    const int64_t to = args.node.attrs.getInt("to", -1);
    if (to < 0 || to >= ir::kNumDTypes) return Status::Error("Cast: invalid 'to' dtype " + std::to_string(to));
    if (args.outputs[0].dtype != ir::DType(to) || args.outputs[0].numel() != args.inputs[0].numel())
        return Status::Error("Cast: output must be " + std::string(ir::dtypeName(ir::DType(to))) + " " +
                             ir::shapeToString(args.inputs[0].shape));
    CastOptions o;
    o.saturate = args.node.attrs.getInt("saturate", 1) != 0;
    const std::string rounding = args.node.attrs.getString("round_mode", "up");
    if (!parseRounding(rounding, o.rounding)) return Status::Error("Cast: unknown round_mode '" + rounding + "'");
    const HostTensor& x = args.inputs[0];
    HostTensor& y = args.outputs[0];
    // Same type: a copy, except where bytes are made canonical (bool 0/1, sub-byte low bits).
    if (x.dtype == y.dtype && x.dtype != ir::DType::kBool && !ir::dtypeIsSubByte(x.dtype)) {
        if (x.bytes()) std::memcpy(y.data, x.data, x.bytes());
        return Status::Ok();
    }
    if (x.dtype == ir::DType::kF32 && y.dtype == ir::DType::kF16) {  // the common case, directly
        const float* src = x.as<const float>();
        uint16_t* dst = y.as<uint16_t>();
        args.pool.parallelFor(x.numel(), [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) dst[i] = ir::floatToHalf(src[i]);
        }, kParallelGrain);
        return Status::Ok();
    }
    constexpr int64_t kChunk = 256;
    args.pool.parallelFor(x.numel(), [&](int64_t b, int64_t e) {
        Staged buf[kChunk];
        for (int64_t c = b; c < e; c += kChunk) {
            const int64_t n = std::min(kChunk, e - c);
            (void)visitDType(x.dtype, [&](auto src) -> Status {
                stage(x.as<const typename decltype(src)::type>() + c, n, buf);
                return Status::Ok();
            });
            (void)visitDType(y.dtype, [&](auto dst) -> Status {
                unstage(buf, n, y.as<typename decltype(dst)::type>() + c, o);
                return Status::Ok();
            });
        }
    }, kParallelGrain);
    return Status::Ok();
}

}  // namespace kiln::cpu::ref
