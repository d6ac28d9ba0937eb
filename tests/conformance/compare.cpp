// Output comparison for the conformance runner.
//
// Tolerances (an element matches when |got - want| <= atol + rtol * |want|,
// numpy.testing.assert_allclose's rule, which ONNX's backend tests use):
//   float32/float64: rtol 1e-3, atol 1e-5. ONNX's defaults are rtol 1e-3,
//     atol 1e-7; atol is raised to 1e-5 because kiln's CPU kernels (oneDNN,
//     blocked GEMM) sum in a different order than numpy, and values that should
//     be ~0 (e.g. sin(pi)) then differ by a few ULPs of the larger addends.
//   float16: rtol 1e-2, atol 1e-3; bfloat16: rtol 2e-2, atol 1e-2 (8-bit mantissa).
//   integers, bool and the 8- and 4-bit float types: exact (their reference
//     values come from one rounding that kiln must reproduce).
// NaN must meet NaN at the same position, and an infinity the same infinity.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

#include "conformance.h"

namespace kiln::conformance {

using tool::ElemType;

Tolerance toleranceFor(ElemType expected) {
    switch (expected) {
        case ElemType::kF32:
        case ElemType::kF64: return {1e-3, 1e-5, false};
        case ElemType::kF16: return {1e-2, 1e-3, false};
        case ElemType::kBF16: return {2e-2, 1e-2, false};
        default: return {0, 0, true};
    }
}

static std::string shapeStr(const std::vector<int64_t>& s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) {
        if (i) r += ',';
        r += std::to_string(s[i]);
    }
    return r + "]";
}

std::string compareOutput(const std::string& name, const tool::TensorData& got, const tool::TensorData& want) {
    if (got.shape != want.shape)
        return "output " + name + ": shape " + shapeStr(got.shape) + ", expected " + shapeStr(want.shape);
    const std::vector<double> g = tool::toDoubles(got), w = tool::toDoubles(want);
    if (g.size() != w.size()) return "output " + name + ": element count differs (short buffer?)";
    const Tolerance tol = toleranceFor(want.type);
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < g.size(); ++i) {
        const double a = g[i], b = w[i];
        bool ok;
        if (std::isnan(b) || std::isnan(a)) ok = std::isnan(a) && std::isnan(b);
        else if (std::isinf(b) || std::isinf(a)) ok = a == b;
        else if (tol.exact) ok = a == b;
        else ok = std::fabs(a - b) <= tol.atol + tol.rtol * std::fabs(b);
        if (!ok && bad++ == 0) first = i;
    }
    if (bad == 0) return "";
    std::ostringstream os;
    os.precision(9);
    os << "output " << name << ": " << bad << "/" << g.size() << " elements differ; first at " << first << ": got "
       << g[first] << ", expected " << w[first];
    return os.str();
}

// IEEE half from float, round to nearest even (inputs only: the values come
// from test files and are exact in the source type anyway).
static uint16_t toHalf(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    const uint32_t sign = (x >> 16) & 0x8000;
    const int32_t exp = static_cast<int32_t>((x >> 23) & 0xff) - 127 + 15;
    uint32_t mant = x & 0x7fffff;
    if (((x >> 23) & 0xff) == 0xff) return static_cast<uint16_t>(sign | 0x7c00 | (mant ? 0x200 : 0));
    if (exp >= 31) return static_cast<uint16_t>(sign | 0x7c00);
    if (exp <= 0) {
        if (exp < -10) return static_cast<uint16_t>(sign);
        mant |= 0x800000;
        const int shift = 14 - exp;
        uint32_t h = mant >> shift;
        const uint32_t rem = mant & ((1u << shift) - 1), halfway = 1u << (shift - 1);
        if (rem > halfway || (rem == halfway && (h & 1))) ++h;
        return static_cast<uint16_t>(sign | h);
    }
    uint32_t h = (static_cast<uint32_t>(exp) << 10) | (mant >> 13);
    const uint32_t rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) ++h;  // may carry into the exponent: correct
    return static_cast<uint16_t>(sign | h);
}

static uint16_t toBf16(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    if ((x & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((x >> 16) | 0x40);
    x += 0x7fff + ((x >> 16) & 1);
    return static_cast<uint16_t>(x >> 16);
}

// Integers saturate: an int64 input such as Slice's INT64_MAX "to the end"
// becomes INT32_MAX for an int32 engine input (TensorRT's parser clamps the same
// way), and a double -> int cast out of range would be undefined behaviour.
template <typename T>
static T sat(double d) {
    if (std::isnan(d)) return T(0);
    if (d <= static_cast<double>(std::numeric_limits<T>::min())) return std::numeric_limits<T>::min();
    if (d >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(d);
}

template <typename T>
static void put(std::vector<uint8_t>& out, size_t i, T v) {
    std::memcpy(out.data() + i * sizeof(T), &v, sizeof(T));
}

bool convertTensor(const tool::TensorData& in, ElemType type, tool::TensorData& out, std::string& error) {
    const std::vector<double> v = tool::toDoubles(in);
    size_t n = 0;
    if (!tool::elementCount(in.shape, n) || v.size() != n) {
        error = "cannot read tensor " + in.name + " for conversion";
        return false;
    }
    out.type = type;
    out.shape = in.shape;
    out.name = in.name;
    out.bytes.assign(n * tool::elemSize(type), 0);
    for (size_t i = 0; i < n; ++i) {
        const double d = v[i];
        switch (type) {
            case ElemType::kF32: put(out.bytes, i, static_cast<float>(d)); break;
            case ElemType::kF64: put(out.bytes, i, d); break;
            case ElemType::kF16: put(out.bytes, i, toHalf(static_cast<float>(d))); break;
            case ElemType::kBF16: put(out.bytes, i, toBf16(static_cast<float>(d))); break;
            case ElemType::kI8: put(out.bytes, i, sat<int8_t>(d)); break;
            case ElemType::kU8: put(out.bytes, i, sat<uint8_t>(d)); break;
            case ElemType::kI16: put(out.bytes, i, sat<int16_t>(d)); break;
            case ElemType::kU16: put(out.bytes, i, sat<uint16_t>(d)); break;
            case ElemType::kI32: put(out.bytes, i, sat<int32_t>(d)); break;
            case ElemType::kU32: put(out.bytes, i, sat<uint32_t>(d)); break;
            // int64 through double loses precision past 2^53: only widening
            // int32 -> int64 (exact) should land here in practice.
            case ElemType::kI64: put(out.bytes, i, sat<int64_t>(d)); break;
            case ElemType::kU64: put(out.bytes, i, sat<uint64_t>(d)); break;
            case ElemType::kBool: put(out.bytes, i, static_cast<uint8_t>(d != 0)); break;
            case ElemType::kI4: put(out.bytes, i, sat<int8_t>(std::clamp(d, -8.0, 7.0))); break;
            case ElemType::kU4: put(out.bytes, i, sat<uint8_t>(std::clamp(d, 0.0, 15.0))); break;
            case ElemType::kI2: put(out.bytes, i, sat<int8_t>(std::clamp(d, -2.0, 1.0))); break;
            case ElemType::kU2: put(out.bytes, i, sat<uint8_t>(std::clamp(d, 0.0, 3.0))); break;
            case ElemType::kF8E4M3FN:
            case ElemType::kF8E4M3FNUZ:
            case ElemType::kF8E5M2:
            case ElemType::kF8E5M2FNUZ:
            case ElemType::kF8E8M0:
            case ElemType::kF4E2M1:
                error = std::string("no conversion to ") + tool::elemTypeName(type);
                return false;
        }
    }
    return true;
}

}  // namespace kiln::conformance
