// Helpers shared by element-wise reference kernels (and any kernel that
// broadcasts): typed element access, where reduced-precision floats compute in
// float32, and numpy broadcasting with collapsed dims so the innermost loop is
// long and has a fixed stride (0 or 1) per input.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "../../../ir/dtype.h"
#include "../../../ir/shape.h"
#include "../../../ir/status.h"
#include "../thread_pool.h"

namespace kiln::cpu::ref {

// ---------------------------------------------------------------------------
// Element storage types and their compute types.

struct Half {
    uint16_t bits;
};
struct BFloat16 {
    uint16_t bits;
};
struct Bool8 {
    uint8_t value;
};  // one byte per element; any nonzero byte reads as true

// Storage-only ("narrow") types: one byte per element, computed in float or
// int32. The general compute kernels reject them (ir::dtypeIsArithmetic);
// Cast, Quantize/Dequantize, Select and the data-movement ops handle them.
template <ir::DType T>
struct NarrowFloat {
    static constexpr ir::DType kType = T;
    uint8_t bits;
};
using Fp8E4M3 = NarrowFloat<ir::DType::kFP8>;
using Fp8E5M2 = NarrowFloat<ir::DType::kFP8E5M2>;
using Fp8E4M3Fnuz = NarrowFloat<ir::DType::kFP8E4M3FNUZ>;
using Fp8E5M2Fnuz = NarrowFloat<ir::DType::kFP8E5M2FNUZ>;
using Fp4E2M1 = NarrowFloat<ir::DType::kFP4>;
using E8M0 = NarrowFloat<ir::DType::kE8M0>;
// Sub-byte integers: the value in the low `Bits` bits of the byte.
template <int Bits, bool Signed>
struct NarrowInt {
    static constexpr int kBits = Bits;
    static constexpr int32_t kMin = Signed ? -(1 << (Bits - 1)) : 0;
    static constexpr int32_t kMax = Signed ? (1 << (Bits - 1)) - 1 : (1 << Bits) - 1;
    uint8_t bits;
};
using Int4 = NarrowInt<4, true>;
using UInt4 = NarrowInt<4, false>;
using Int2 = NarrowInt<2, true>;
using UInt2 = NarrowInt<2, false>;

// Value of every code of a narrow float type, decoded once.
template <ir::DType T>
float narrowFloatValue(uint8_t bits) {
    static const std::array<float, 256> table = [] {
        std::array<float, 256> t{};
        for (int i = 0; i < 256; ++i) t[size_t(i)] = float(ir::decodeNarrowFloat(T, uint32_t(i)));
        return t;
    }();
    return table[bits];
}

// Elem<S>: Compute is the type arithmetic happens in; load/store convert.
template <class S>
struct Elem {  // plain arithmetic types compute as themselves
    using Compute = S;
    static S load(S s) { return s; }
    static S store(S c) { return c; }
};
template <>
struct Elem<Half> {
    using Compute = float;
    static float load(Half h) { return ir::halfToFloat(h.bits); }
    static Half store(float f) { return {ir::floatToHalf(f)}; }
};
template <>
struct Elem<BFloat16> {
    using Compute = float;
    static float load(BFloat16 h) { return ir::bf16ToFloat(h.bits); }
    static BFloat16 store(float f) { return {ir::floatToBF16(f)}; }
};
template <ir::DType T>
struct Elem<NarrowFloat<T>> {  // store rounds to nearest even and saturates (float8), as ONNX Cast's default
    using Compute = float;
    static float load(NarrowFloat<T> h) { return narrowFloatValue<T>(T == ir::DType::kFP4 ? h.bits & 0xfu : h.bits); }
    static NarrowFloat<T> store(float f) {
        if constexpr (T == ir::DType::kE8M0)
            return {ir::encodeE8M0(f, true, ir::E8M0Rounding::kUp)};
        else
            return {uint8_t(ir::encodeNarrowFloat(T, f, true))};
    }
};
template <int Bits, bool Signed>
struct Elem<NarrowInt<Bits, Signed>> {  // store keeps the low bits (wraps), as integer Cast
    using Compute = int32_t;
    static int32_t load(NarrowInt<Bits, Signed> v) {
        return Signed ? ir::signExtendLowBits(v.bits, Bits) : ir::zeroExtendLowBits(v.bits, Bits);
    }
    static NarrowInt<Bits, Signed> store(int32_t c) {
        const auto low = uint8_t(uint32_t(c) & ((1u << Bits) - 1u));
        return {Signed ? uint8_t(ir::signExtendLowBits(low, Bits)) : low};
    }
};
template <>
struct Elem<Bool8> {
    using Compute = bool;
    static bool load(Bool8 b) { return b.value != 0; }
    static Bool8 store(bool b) { return {uint8_t(b ? 1 : 0)}; }
};

template <class S>
using ComputeT = typename Elem<S>::Compute;
template <class S>
constexpr bool kIsNarrowFloatElem = false;
template <ir::DType T>
constexpr bool kIsNarrowFloatElem<NarrowFloat<T>> = true;
template <class S>
constexpr bool kIsNarrowIntElem = false;
template <int Bits, bool Signed>
constexpr bool kIsNarrowIntElem<NarrowInt<Bits, Signed>> = true;
// Storage-only types (see above).
template <class S>
constexpr bool kIsNarrowElem = kIsNarrowFloatElem<S> || kIsNarrowIntElem<S>;
// Float types that compute (float32, float64, half, bfloat16).
template <class S>
constexpr bool kIsFloatElem = std::is_floating_point_v<ComputeT<S>> && !kIsNarrowElem<S>;
template <class S>
constexpr bool kIsBoolElem = std::is_same_v<S, Bool8>;
// 8..64-bit integers.
template <class S>
constexpr bool kIsIntElem = std::is_integral_v<S> && !std::is_same_v<S, bool>;

template <class S>
struct TypeTag {
    using type = S;
};

// Calls fn(TypeTag<S>{}) with S the storage type of `t`; fn returns Status.
template <class Fn>
Status visitDType(ir::DType t, Fn&& fn) {
    switch (t) {
        case ir::DType::kF32:
            return fn(TypeTag<float>{});
        case ir::DType::kF16:
            return fn(TypeTag<Half>{});
        case ir::DType::kI8:
            return fn(TypeTag<int8_t>{});
        case ir::DType::kI32:
            return fn(TypeTag<int32_t>{});
        case ir::DType::kBool:
            return fn(TypeTag<Bool8>{});
        case ir::DType::kU8:
            return fn(TypeTag<uint8_t>{});
        case ir::DType::kFP8:
            return fn(TypeTag<Fp8E4M3>{});
        case ir::DType::kBF16:
            return fn(TypeTag<BFloat16>{});
        case ir::DType::kI64:
            return fn(TypeTag<int64_t>{});
        case ir::DType::kI4:
            return fn(TypeTag<Int4>{});
        case ir::DType::kFP4:
            return fn(TypeTag<Fp4E2M1>{});
        case ir::DType::kE8M0:
            return fn(TypeTag<E8M0>{});
        case ir::DType::kF64:
            return fn(TypeTag<double>{});
        case ir::DType::kI16:
            return fn(TypeTag<int16_t>{});
        case ir::DType::kU16:
            return fn(TypeTag<uint16_t>{});
        case ir::DType::kU32:
            return fn(TypeTag<uint32_t>{});
        case ir::DType::kU64:
            return fn(TypeTag<uint64_t>{});
        case ir::DType::kFP8E5M2:
            return fn(TypeTag<Fp8E5M2>{});
        case ir::DType::kFP8E4M3FNUZ:
            return fn(TypeTag<Fp8E4M3Fnuz>{});
        case ir::DType::kFP8E5M2FNUZ:
            return fn(TypeTag<Fp8E5M2Fnuz>{});
        case ir::DType::kU4:
            return fn(TypeTag<UInt4>{});
        case ir::DType::kI2:
            return fn(TypeTag<Int2>{});
        case ir::DType::kU2:
            return fn(TypeTag<UInt2>{});
    }
    return Status::Error("invalid dtype " + std::to_string(int(t)));
}

// Like visitDType, for the types general compute kernels accept
// (ir::dtypeIsArithmetic, plus bool when `withBool`); others get an error
// naming the type, without instantiating fn for them.
template <class Fn>
Status visitArithmeticDType(ir::DType t, bool withBool, Fn&& fn) {
    switch (t) {
        case ir::DType::kF32:
            return fn(TypeTag<float>{});
        case ir::DType::kF16:
            return fn(TypeTag<Half>{});
        case ir::DType::kBF16:
            return fn(TypeTag<BFloat16>{});
        case ir::DType::kF64:
            return fn(TypeTag<double>{});
        case ir::DType::kI8:
            return fn(TypeTag<int8_t>{});
        case ir::DType::kU8:
            return fn(TypeTag<uint8_t>{});
        case ir::DType::kI16:
            return fn(TypeTag<int16_t>{});
        case ir::DType::kU16:
            return fn(TypeTag<uint16_t>{});
        case ir::DType::kI32:
            return fn(TypeTag<int32_t>{});
        case ir::DType::kU32:
            return fn(TypeTag<uint32_t>{});
        case ir::DType::kI64:
            return fn(TypeTag<int64_t>{});
        case ir::DType::kU64:
            return fn(TypeTag<uint64_t>{});
        case ir::DType::kBool:
            if (withBool) return fn(TypeTag<Bool8>{});
            break;
        default:
            break;
    }
    return Status::Error("unsupported dtype " + std::string(ir::dtypeName(t)));
}

// Elements per task below which splitting work across threads costs more
// than it saves.
constexpr int64_t kParallelGrain = int64_t(1) << 14;

// ---------------------------------------------------------------------------
// Broadcasting of N inputs to one output.

template <size_t N>
struct BroadcastPlan {
    std::vector<int64_t> dims;                    // collapsed output extents; never empty
    std::array<std::vector<int64_t>, N> strides;  // element strides per input; 0 = broadcast
    int64_t numel = 0;                            // output elements

    int64_t rowLen() const { return dims.back(); }
    int64_t numRows() const { return numel == 0 ? 0 : numel / rowLen(); }
    int64_t innerStride(size_t k) const { return strides[k].back(); }  // 0 or 1
};

// Builds the plan; fails (naming the shapes) when an input does not broadcast
// to `out` or `out` has unknown dims. Adjacent dims merge when every input is
// either full in both or broadcast in both; extent-1 output dims are dropped.
template <size_t N>
Status planBroadcast(const ir::Shape& out, const std::array<ir::Shape, N>& ins, BroadcastPlan<N>& plan) {
    const size_t rank = out.size();
    for (int64_t d : out)
        if (d < 0) return Status::Error("output shape " + ir::shapeToString(out) + " has unknown dims");
    for (size_t k = 0; k < N; ++k) {
        const ir::Shape& s = ins[k];
        bool ok = s.size() <= rank;
        for (size_t i = 0; ok && i < s.size(); ++i) {
            const int64_t o = out[rank - s.size() + i];
            ok = s[i] == 1 || s[i] == o;
        }
        if (!ok)
            return Status::Error("input " + std::to_string(k) + " of shape " + ir::shapeToString(s) +
                                 " does not broadcast to output shape " + ir::shapeToString(out));
    }
    plan = BroadcastPlan<N>{};
    plan.numel = ir::volume(out);
    if (plan.numel == 0) {
        plan.dims = {0};
        for (auto& st : plan.strides) st = {0};
        return Status::Ok();
    }
    // full[k] per kept dim: input k spans the dim (true) or is broadcast (false).
    std::vector<int64_t> extents;
    std::vector<std::array<bool, N>> full;
    for (size_t i = 0; i < rank; ++i) {
        if (out[i] == 1) continue;
        std::array<bool, N> f{};
        for (size_t k = 0; k < N; ++k) {
            const size_t lead = rank - ins[k].size();
            f[k] = i >= lead && ins[k][i - lead] != 1;
        }
        if (!extents.empty() && full.back() == f) {
            extents.back() *= out[i];
        } else {
            extents.push_back(out[i]);
            full.push_back(f);
        }
    }
    if (extents.empty()) {  // a single element
        extents = {1};
        full.push_back({});
    }
    plan.dims = extents;
    for (size_t k = 0; k < N; ++k) {
        auto& st = plan.strides[k];
        st.assign(extents.size(), 0);
        int64_t s = 1;
        for (size_t g = extents.size(); g-- > 0;) {
            if (full[g][k]) {
                st[g] = s;
                s *= extents[g];
            }
        }
    }
    return Status::Ok();
}

// Calls fn(outOffset, inOffsets, len) for rows [rowBegin, rowEnd): each row is
// `len` contiguous output elements; input k advances by innerStride(k).
template <size_t N, class Fn>
void forEachBroadcastRow(const BroadcastPlan<N>& p, int64_t rowBegin, int64_t rowEnd, Fn&& fn) {
    if (rowBegin >= rowEnd) return;
    const int outer = int(p.dims.size()) - 1;
    const int64_t len = p.rowLen();
    std::vector<int64_t> idx(size_t(std::max(outer, 0)), 0);
    std::array<int64_t, N> off{};
    int64_t r = rowBegin;
    for (int d = outer - 1; d >= 0; --d) {
        idx[d] = r % p.dims[d];
        r /= p.dims[d];
        for (size_t k = 0; k < N; ++k) off[k] += idx[d] * p.strides[k][d];
    }
    for (int64_t row = rowBegin; row < rowEnd; ++row) {
        fn(row * len, off, len);
        for (int d = outer - 1; d >= 0; --d) {  // odometer step
            for (size_t k = 0; k < N; ++k) off[k] += p.strides[k][d];
            if (++idx[d] < p.dims[d]) break;
            for (size_t k = 0; k < N; ++k) off[k] -= p.strides[k][d] * p.dims[d];
            idx[d] = 0;
        }
    }
}

// Runs fn (as for forEachBroadcastRow) over the whole output on the pool.
// Long rows are split into segments so one huge row still uses every thread.
template <size_t N, class Fn>
void parallelForEachBroadcastRow(ThreadPool& pool, const BroadcastPlan<N>& p, Fn&& fn) {
    if (p.numel == 0) return;
    const int64_t rows = p.numRows(), len = p.rowLen();
    const int64_t segs = std::max<int64_t>(1, len / kParallelGrain);
    if (segs == 1) {
        const int64_t grain = std::max<int64_t>(1, kParallelGrain / len);
        pool.parallelFor(
            rows, [&](int64_t b, int64_t e) { forEachBroadcastRow(p, b, e, fn); }, grain);
        return;
    }
    const int64_t segLen = (len + segs - 1) / segs;
    pool.parallelFor(rows * segs, [&](int64_t b, int64_t e) {
        for (int64_t t = b; t < e; ++t) {
            const int64_t row = t / segs, start = (t % segs) * segLen;
            if (start >= len) continue;
            forEachBroadcastRow(p, row, row + 1, [&](int64_t o, std::array<int64_t, N> off, int64_t) {
                for (size_t k = 0; k < N; ++k) off[k] += start * p.innerStride(k);
                fn(o + start, off, std::min(segLen, len - start));
            });
        }
    });
}

}  // namespace kiln::cpu::ref
