// Quantize, Dequantize and BitCast on CUDA, with the CPU reference's
// arithmetic (backends/cpu/ref/quantize.cpp, docs/ops.md): per-tensor,
// per-axis or blocked scales; x / scale rounded to the compute type before
// rounding half to even, NaN to the zero point, clamping to the output's
// range (sub-byte types one per byte, sign-extended); float8/float4 outputs
// through the narrow-float encoder; dequantization in float32 (float64 for
// int32 inputs or float64 scales) rounded once more to the output type.
// Elements are read and written through dtype_convert.cuh; the common
// (X, Y) dtype pairs get kernels with the dtypes fixed at compile time.
#include <string>

#include "device_common.cuh"
#include "dtype_convert.cuh"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;
using ir::DType;

bool isNarrowFloat(DType t) { return ir::dtypeIsFloat(t) && !ir::dtypeIsArithmeticFloat(t); }

// Maps a flat index of X to the index of its scale / zero point (the CPU's ScaleIndex).
struct ScaleMap {
    int mode = 0;  // 0 per tensor, 1 per axis, 2 blocked
    int rank = 0;
    int64_t inner = 1, axisDim = 1;
    int64_t dims[kMaxDims] = {}, block[kMaxDims] = {}, sstrides[kMaxDims] = {};

    __device__ int64_t operator()(int64_t i) const {
        if (mode == 0) return 0;
        if (mode == 1) return (i / inner) % axisDim;
        int64_t r = 0;
        for (int d = rank - 1; d >= 0; --d) {
            const int64_t c = i % dims[d];
            i /= dims[d];
            r += c / block[d] * sstrides[d];
        }
        return r;
    }
};

Status makeScaleMap(const ir::Node& n, const ir::Shape& x, const ir::Shape& s, ScaleMap& m) {
    const int64_t rank = int64_t(x.size());
    const std::vector<int64_t> block = n.attrs.getInts("block_shape");
    m = ScaleMap{};
    if (!block.empty()) {
        if (int64_t(block.size()) != rank || int64_t(s.size()) != rank)
            return Status::Error("block_shape, X and Scale ranks differ");
        if (rank > kMaxDims) return Status::Error("blocked scales over more than 8 dims");
        const auto st = ir::stridesOf(s);
        for (int64_t d = 0; d < rank; ++d) {
            const size_t u = size_t(d);
            if (block[u] < 1 || (x[u] + block[u] - 1) / block[u] != s[u])
                return Status::Error("Scale " + ir::shapeToString(s) + " does not match X " + ir::shapeToString(x) +
                                     " in blocks of " + ir::shapeToString(block));
            m.dims[d] = x[u];
            m.block[d] = block[u];
            m.sstrides[d] = st[u];
        }
        m.rank = int(rank);
        m.mode = 2;
        return Status::Ok();
    }
    if (ir::volume(s) == 1) return Status::Ok();
    int64_t axis = n.attrs.getInt("axis", 1);
    if (s.size() != 1 || !ir::normalizeAxis(axis, rank) || s[0] != x[size_t(axis)])
        return Status::Error("Scale " + ir::shapeToString(s) + " does not fit X " + ir::shapeToString(x) +
                             " per tensor or along axis " + std::to_string(n.attrs.getInt("axis", 1)));
    for (int64_t d = axis + 1; d < rank; ++d) m.inner *= x[size_t(d)];
    m.axisDim = x[size_t(axis)];
    m.mode = 1;
    return Status::Ok();
}

// Rounds v to float type t (float64 and others leave it as is).
__device__ __forceinline__ double roundTo(DType t, double v) {
    switch (t) {
        case DType::kF32:
            return double(float(v));
        case DType::kF16:
        case DType::kBF16:
            return conv::decodeNarrow(t, conv::encodeNarrow(t, v, false));
        default:
            return v;
    }
}

int floatRank(DType t) {
    switch (t) {
        case DType::kF64:
            return 3;
        case DType::kF32:
            return 2;
        default:
            return 1;
    }
}

// The type x / scale is computed in (the CPU's computeType).
DType computeType(const ir::Node& n, DType x, DType s) {
    const int64_t p = n.attrs.getInt("precision", -1);
    if (p >= 0) return DType(p);
    if (x == DType::kI32) return DType::kF64;
    if (!ir::dtypeIsArithmeticFloat(s)) s = DType::kF32;
    if (x == s) return x;
    if (floatRank(x) == floatRank(s)) return DType::kF32;
    return floatRank(x) > floatRank(s) ? x : s;
}

// Any element of a build-time constant zero point that is not 0.
bool nonZero(const DeviceTensor& zp) {
    if (!zp.hostData) return false;
    for (int64_t i = 0; i < zp.numel(); ++i)
        if (ir::loadAsDouble(zp.hostData, zp.dtype, i) != 0.0) return true;
    return false;
}

constexpr int kRuntime = -1;  // dtype template argument: read from the parameters

struct QuantParams {
    const void* x;
    const void* s;
    const void* zp;  // nullptr: none
    void* y;
    DType xt, st, zt, yt, ct;
    bool isInt, saturate;
    double lo, hi;
    int64_t n;
    ScaleMap map;
};

template <int XT, int YT>
__global__ void quantizeKernel(QuantParams p) {
    const DType xt = XT == kRuntime ? p.xt : DType(XT);
    const DType yt = YT == kRuntime ? p.yt : DType(YT);
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < p.n; i += stride) {
        const int64_t k = p.map(i);
        const double xv = roundTo(p.ct, conv::loadAsDouble(p.x, xt, i));
        const double sv = roundTo(p.ct, conv::loadAsDouble(p.s, p.st, k));
        const double q = roundTo(p.ct, xv / sv);
        uint64_t raw;
        if (p.isInt) {
            const double z = p.zp ? conv::loadAsDouble(p.zp, p.zt, k) : 0.0;
            double r = conv::isNaN(q) ? z : conv::roundHalfEven(q) + z;
            r = r < p.lo ? p.lo : r > p.hi ? p.hi : r;
            raw = conv::doubleToRaw(yt, r);
        } else {
            raw = conv::encodeNarrow(yt, q, yt == DType::kFP4 ? true : p.saturate);
        }
        conv::storeRaw(p.y, yt, i, raw);
    }
}

struct DequantParams {
    const void* x;
    const void* s;
    const void* zp;  // nullptr: none (or a narrow float input, whose zero point is 0)
    void* y;
    DType xt, st, zt, yt;
    bool wide;
    int64_t n;
    ScaleMap map;
};

template <int XT, int YT>
__global__ void dequantizeKernel(DequantParams p) {
    const DType xt = XT == kRuntime ? p.xt : DType(XT);
    const DType yt = YT == kRuntime ? p.yt : DType(YT);
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < p.n; i += stride) {
        const int64_t k = p.map(i);
        double xv = conv::loadAsDouble(p.x, xt, i);
        if (xt == DType::kI32) xv = double(float(xv));  // ONNX's reference reads int32 as float32
        const double dx = xv - (p.zp ? conv::loadAsDouble(p.zp, p.zt, k) : 0.0);
        const double sv = conv::loadAsDouble(p.s, p.st, k);
        const double v = p.wide ? __dmul_rn(dx, sv) : double(__fmul_rn(float(dx), float(sv)));
        conv::storeRaw(p.y, yt, i, conv::doubleToRaw(yt, v));
    }
}

template <int XT, int YT>
void launchQ(const QuantParams& p, cudaStream_t stream) {
    quantizeKernel<XT, YT><<<gridFor(p.n), kBlock, 0, stream>>>(p);
}
template <int XT, int YT>
void launchQ(const DequantParams& p, cudaStream_t stream) {
    dequantizeKernel<XT, YT><<<gridFor(p.n), kBlock, 0, stream>>>(p);
}

// Fixed-dtype kernels for the float <-> 8-bit integer pairs of INT8 networks.
template <class P>
void dispatchQ(const P& p, DType wide, DType narrow, cudaStream_t stream) {
    constexpr int F32 = int(DType::kF32), F16 = int(DType::kF16), I8 = int(DType::kI8), U8 = int(DType::kU8);
    constexpr bool q = std::is_same_v<P, QuantParams>;
    // Quantize's kernel is <X = wide, Y = narrow>; Dequantize's <X = narrow, Y = wide>.
    auto go = [&](auto w, auto nn) {
        constexpr int W = decltype(w)::value, N = decltype(nn)::value;
        if constexpr (q)
            launchQ<W, N>(p, stream);
        else
            launchQ<N, W>(p, stream);
    };
    using IF32 = std::integral_constant<int, F32>;
    using IF16 = std::integral_constant<int, F16>;
    using II8 = std::integral_constant<int, I8>;
    using IU8 = std::integral_constant<int, U8>;
    using IRT = std::integral_constant<int, kRuntime>;
    if (wide == DType::kF32 && narrow == DType::kI8) return go(IF32{}, II8{});
    if (wide == DType::kF32 && narrow == DType::kU8) return go(IF32{}, IU8{});
    if (wide == DType::kF16 && narrow == DType::kI8) return go(IF16{}, II8{});
    if (wide == DType::kF16 && narrow == DType::kU8) return go(IF16{}, IU8{});
    go(IRT{}, IRT{});
}

// The checks both ops share (the CPU's checkInputs).
Status checkInputs(LaunchArgs& a, const char* op, ScaleMap& map, const DeviceTensor*& zp) {
    if (a.inputs.size() < 2 || a.outputs.size() != 1) return Status::Error(std::string(op) + ": expects X and Scale");
    const DeviceTensor& x = a.inputs[0];
    const DeviceTensor& s = a.inputs[1];
    KILN_RETURN_IF_ERROR(makeScaleMap(a.node, x.shape, s.shape, map).withContext(std::string(op) + ": "));
    zp = a.node.hasInput(2) && a.inputs.size() > 2 && a.inputs[2].data ? &a.inputs[2] : nullptr;
    if (zp && zp->numel() != s.numel())
        return Status::Error(std::string(op) + ": zero point " + ir::shapeToString(zp->shape) +
                             " differs from the scale " + ir::shapeToString(s.shape));
    if (a.outputs[0].numel() != x.numel()) return Status::Error(std::string(op) + ": output size differs from X");
    return Status::Ok();
}

bool scaleLayoutOk(const ir::Node& n, const std::vector<ir::TensorDesc>& in) {
    // Blocked scales are decomposed over at most kMaxDims dims.
    return n.attrs.getInts("block_shape").empty() || in[0].shape.size() <= size_t(kMaxDims);
}

}  // namespace

// ---- Quantize ----

bool quantizeSupports(const ir::Node& n, const std::vector<ir::TensorDesc>& in,
                      const std::vector<ir::TensorDesc>& out) {
    return in.size() >= 2 && out.size() == 1 &&
           (ir::dtypeIsArithmeticFloat(in[0].dtype) || in[0].dtype == DType::kI32) && ir::dtypeIsFloat(in[1].dtype) &&
           int64_t(out[0].dtype) == n.attrs.getInt("to", -1) &&
           (ir::dtypeIsInteger(out[0].dtype) || isNarrowFloat(out[0].dtype)) && scaleLayoutOk(n, in);
}

Status quantize(LaunchArgs& a) {
    ScaleMap map;
    const DeviceTensor* zp = nullptr;
    KILN_RETURN_IF_ERROR(checkInputs(a, "Quantize", map, zp));
    const DeviceTensor& x = a.inputs[0];
    const DeviceTensor& s = a.inputs[1];
    DeviceTensor& y = a.outputs[0];
    const DType to = y.dtype;
    if (zp && zp->dtype != to) return Status::Error("Quantize: zero point dtype differs from the output's");
    if (isNarrowFloat(to) && zp && nonZero(*zp))
        return Status::Error("Quantize: the zero point of a " + std::string(ir::dtypeName(to)) + " output must be 0");
    QuantParams p{};
    p.x = x.data;
    p.s = s.data;
    p.zp = zp && ir::dtypeIsInteger(to) ? zp->data : nullptr;
    p.y = y.data;
    p.xt = x.dtype;
    p.st = s.dtype;
    p.zt = zp ? zp->dtype : to;
    p.yt = to;
    p.ct = computeType(a.node, x.dtype, s.dtype);
    p.saturate = a.node.attrs.getInt("saturate", 1) != 0;
    p.isInt = ir::dtypeIsInteger(to);
    if (p.isInt) {
        const int bits = ir::dtypeBits(to);
        p.lo = ir::dtypeIsSigned(to) ? -std::ldexp(1.0, bits - 1) : 0.0;
        p.hi = ir::dtypeIsSigned(to) ? std::ldexp(1.0, bits - 1) - 1 : std::ldexp(1.0, bits) - 1;
    }
    p.n = x.numel();
    p.map = map;
    if (p.n <= 0) return Status::Ok();
    dispatchQ(p, x.dtype, to, a.stream);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

// ---- Dequantize ----

bool dequantizeSupports(const ir::Node& n, const std::vector<ir::TensorDesc>& in,
                        const std::vector<ir::TensorDesc>& out) {
    return in.size() >= 2 && out.size() == 1 && ir::dtypeIsFloat(in[1].dtype) &&
           ir::dtypeIsArithmeticFloat(out[0].dtype) && int64_t(out[0].dtype) == n.attrs.getInt("to", -1) &&
           scaleLayoutOk(n, in);
}

Status dequantize(LaunchArgs& a) {
    ScaleMap map;
    const DeviceTensor* zp = nullptr;
    KILN_RETURN_IF_ERROR(checkInputs(a, "Dequantize", map, zp));
    const DeviceTensor& x = a.inputs[0];
    const DeviceTensor& s = a.inputs[1];
    DeviceTensor& y = a.outputs[0];
    if (zp && zp->dtype != x.dtype) return Status::Error("Dequantize: zero point dtype differs from X's");
    if (isNarrowFloat(x.dtype) && zp && nonZero(*zp))
        return Status::Error("Dequantize: the zero point of a " + std::string(ir::dtypeName(x.dtype)) +
                             " input must be 0");
    DequantParams p{};
    p.x = x.data;
    p.s = s.data;
    p.zp = zp && !isNarrowFloat(x.dtype) ? zp->data : nullptr;
    p.y = y.data;
    p.xt = x.dtype;
    p.st = s.dtype;
    p.zt = zp ? zp->dtype : x.dtype;
    p.yt = y.dtype;
    p.wide = x.dtype == DType::kI32 || s.dtype == DType::kF64;
    p.n = x.numel();
    p.map = map;
    if (p.n <= 0) return Status::Ok();
    dispatchQ(p, y.dtype, x.dtype, a.stream);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

// ---- BitCast ----

namespace {

__global__ void bitcastSubByteKernel(const uint8_t* __restrict__ x, uint8_t* __restrict__ y, int64_t n, int bits,
                                     bool sign) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
        y[i] = sign ? uint8_t(conv::signExtendLow(x[i], bits)) : uint8_t(x[i] & ((1u << bits) - 1u));
}

}  // namespace

bool bitcastSupports(const ir::Node& n, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in.size() == 1 && out.size() == 1 && int64_t(out[0].dtype) == n.attrs.getInt("to", -1) &&
           ir::dtypeSize(in[0].dtype) == ir::dtypeSize(out[0].dtype);
}

Status bitcast(LaunchArgs& a) {
    if (a.inputs.size() != 1 || a.outputs.size() != 1) return Status::Error("BitCast: expects 1 input and 1 output");
    const DeviceTensor& x = a.inputs[0];
    DeviceTensor& y = a.outputs[0];
    if (ir::dtypeSize(x.dtype) != ir::dtypeSize(y.dtype) || x.numel() != y.numel())
        return Status::Error("BitCast: input and output differ in element size or count");
    if (!ir::dtypeIsSubByte(y.dtype)) {
        if (x.bytes() && x.data != y.data)
            KILN_CUDA_CHECK(cudaMemcpyAsync(y.data, x.data, x.bytes(), cudaMemcpyDeviceToDevice, a.stream));
        return Status::Ok();
    }
    // Sub-byte: the low bits move; the output byte is made canonical for its type.
    const int64_t n = x.numel();
    if (n <= 0) return Status::Ok();
    const bool sign = ir::dtypeIsInteger(y.dtype) && ir::dtypeIsSigned(y.dtype);
    bitcastSubByteKernel<<<gridFor(n), kBlock, 0, a.stream>>>(x.as<const uint8_t>(), y.as<uint8_t>(), n,
                                                              ir::dtypeBits(y.dtype), sign);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

}  // namespace kiln::cuda::kernels
