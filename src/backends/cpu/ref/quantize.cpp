// Quantize / Dequantize reference kernels (docs/ops.md), with ONNX
// QuantizeLinear / DequantizeLinear's arithmetic: x / scale is rounded to the
// compute type before the rounding to integer (half to even), dequantization
// multiplies in float32 (float64 for int32 inputs) and rounds once more to the
// output type, as ONNX's reference does.
#include <cmath>
#include <cstring>
#include <string>

#include "broadcast.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

bool isNarrowFloat(ir::DType t) { return ir::dtypeIsFloat(t) && !ir::dtypeIsArithmeticFloat(t); }

double roundHalfEven(double v) {  // independent of the floating-point environment
    const double f = std::floor(v), d = v - f;
    if (d != 0.5) return d < 0.5 ? f : f + 1;
    return std::fmod(f, 2.0) == 0 ? f : f + 1;
}

// Maps a flat index of X to the index of its scale / zero point.
class ScaleIndex {
public:
    Status init(const ir::Node& n, const ir::Shape& x, const ir::Shape& s) {
        const int64_t rank = int64_t(x.size());
        const std::vector<int64_t> block = n.attrs.getInts("block_shape");
        dims_ = x;
        if (!block.empty()) {
            if (int64_t(block.size()) != rank || int64_t(s.size()) != rank)
                return Status::Error("block_shape, X and Scale ranks differ");
            block_ = block;
            const auto st = ir::stridesOf(s);
            for (int64_t d = 0; d < rank; ++d) {
                const int64_t b = block_[size_t(d)];
                if (b < 1 || x[size_t(d)] / b + (x[size_t(d)] % b != 0) != s[size_t(d)])  // ceil, without overflow
                    return Status::Error("Scale " + ir::shapeToString(s) + " does not match X " + ir::shapeToString(x) +
                                         " in blocks of " + ir::shapeToString(block_));
            }
            sstrides_ = st;
            mode_ = Mode::kBlocked;
            return Status::Ok();
        }
        if (ir::volume(s) == 1) {
            mode_ = Mode::kTensor;
            return Status::Ok();
        }
        int64_t axis = n.attrs.getInt("axis", 1);
        if (s.size() != 1 || !ir::normalizeAxis(axis, rank) || s[0] != x[size_t(axis)])
            return Status::Error("Scale " + ir::shapeToString(s) + " does not fit X " + ir::shapeToString(x) +
                                 " per tensor or along axis " + std::to_string(n.attrs.getInt("axis", 1)));
        inner_ = 1;
        for (int64_t d = axis + 1; d < rank; ++d) inner_ *= x[size_t(d)];
        axisDim_ = x[size_t(axis)];
        mode_ = Mode::kAxis;
        return Status::Ok();
    }

    int64_t operator()(int64_t i) const {
        switch (mode_) {
            case Mode::kTensor:
                return 0;
            case Mode::kAxis:
                return (i / inner_) % axisDim_;
            case Mode::kBlocked: {
                int64_t r = 0;
                for (size_t d = dims_.size(); d-- > 0;) {
                    const int64_t c = i % dims_[d];
                    i /= dims_[d];
                    r += c / block_[d] * sstrides_[d];
                }
                return r;
            }
        }
        return 0;
    }

private:
    enum class Mode { kTensor, kAxis, kBlocked } mode_ = Mode::kTensor;
    int64_t inner_ = 1, axisDim_ = 1;
    ir::Shape dims_;
    std::vector<int64_t> block_, sstrides_;
};

// Rounds v to float type t (float64 leaves it as is).
double roundTo(ir::DType t, double v) {
    switch (t) {
        case ir::DType::kF32:
            return double(float(v));
        case ir::DType::kF16:
        case ir::DType::kBF16:
            return ir::decodeNarrowFloat(t, ir::encodeNarrowFloat(t, v, false));
        default:
            return v;
    }
}

int floatRank(ir::DType t) {  // precision order of the compute float types
    switch (t) {
        case ir::DType::kF64:
            return 3;
        case ir::DType::kF32:
            return 2;
        default:
            return 1;  // float16, bfloat16
    }
}

// The type x / scale is computed in: `precision` if set, else numpy's
// promotion of the two types (int32 X promotes to float64; float16 with
// bfloat16 to float32; e8m0 scales count as float32).
ir::DType computeType(const ir::Node& n, ir::DType x, ir::DType s) {
    const int64_t p = n.attrs.getInt("precision", -1);
    if (p >= 0) return ir::DType(p);
    if (x == ir::DType::kI32) return ir::DType::kF64;
    if (!ir::dtypeIsArithmeticFloat(s)) s = ir::DType::kF32;
    if (x == s) return x;
    if (floatRank(x) == floatRank(s)) return ir::DType::kF32;
    return floatRank(x) > floatRank(s) ? x : s;
}

bool zeroPointIsZero(const HostTensor& zp) {
    for (int64_t i = 0; i < zp.numel(); ++i)
        if (ir::loadAsDouble(zp.data, zp.dtype, i) != 0.0) return false;
    return true;
}

Status checkInputs(KernelArgs& args, const char* op, ScaleIndex& index) {
    if (args.inputs.size() < 2 || args.outputs.size() != 1)
        return Status::Error(std::string(op) + ": expects X and Scale");
    const HostTensor& x = args.inputs[0];
    const HostTensor& s = args.inputs[1];
    KILN_RETURN_IF_ERROR(index.init(args.node, x.shape, s.shape).withContext(std::string(op) + ": "));
    if (args.node.hasInput(2) && args.inputs.size() > 2 && args.inputs[2].numel() != s.numel())
        return Status::Error(std::string(op) + ": zero point " + ir::shapeToString(args.inputs[2].shape) +
                             " differs from the scale " + ir::shapeToString(s.shape));
    if (args.outputs[0].numel() != x.numel()) return Status::Error(std::string(op) + ": output size differs from X");
    return Status::Ok();
}

}  // namespace

// ---- Quantize ----

bool quantizeSupports(const ir::Node& n, const std::vector<ir::TensorDesc>& in,
                      const std::vector<ir::TensorDesc>& out) {
    return in.size() >= 2 && out.size() == 1 &&
           (ir::dtypeIsArithmeticFloat(in[0].dtype) || in[0].dtype == ir::DType::kI32) &&
           ir::dtypeIsFloat(in[1].dtype) && int64_t(out[0].dtype) == n.attrs.getInt("to", -1);
}

Status quantize(KernelArgs& args) {
    ScaleIndex index;
    KILN_RETURN_IF_ERROR(checkInputs(args, "Quantize", index));
    const HostTensor& x = args.inputs[0];
    const HostTensor& s = args.inputs[1];
    const HostTensor* zp = args.node.hasInput(2) && args.inputs.size() > 2 ? &args.inputs[2] : nullptr;
    HostTensor& y = args.outputs[0];
    const ir::DType to = y.dtype;
    const ir::DType ct = computeType(args.node, x.dtype, s.dtype);
    const bool saturate = args.node.attrs.getInt("saturate", 1) != 0;
    if (zp && zp->dtype != to) return Status::Error("Quantize: zero point dtype differs from the output's");
    if (isNarrowFloat(to) && zp && !zeroPointIsZero(*zp))
        return Status::Error("Quantize: the zero point of a " + std::string(ir::dtypeName(to)) + " output must be 0");
    const bool isInt = ir::dtypeIsInteger(to);
    double lo = 0, hi = 0;
    if (isInt) {
        const int bits = ir::dtypeBits(to);
        lo = ir::dtypeIsSigned(to) ? -std::ldexp(1.0, bits - 1) : 0.0;
        hi = ir::dtypeIsSigned(to) ? std::ldexp(1.0, bits - 1) - 1 : std::ldexp(1.0, bits) - 1;
    }
    args.pool.parallelFor(
        x.numel(),
        [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) {
                const int64_t k = index(i);
                const double xv = roundTo(ct, ir::loadAsDouble(x.data, x.dtype, i));
                const double sv = roundTo(ct, ir::loadAsDouble(s.data, s.dtype, k));
                const double q = roundTo(ct, xv / sv);
                if (isInt) {
                    const double z = zp ? ir::loadAsDouble(zp->data, zp->dtype, k) : 0.0;
                    // NaN quantizes to the zero point (ONNX leaves it undefined).
                    double r = std::isnan(q) ? z : roundHalfEven(q) + z;
                    r = r < lo ? lo : r > hi ? hi : r;
                    ir::storeFromDouble(y.data, to, i, r);
                } else if (to == ir::DType::kFP4) {
                    y.as<uint8_t>()[i] = uint8_t(ir::encodeNarrowFloat(to, q, true));
                } else {
                    y.as<uint8_t>()[i] = uint8_t(ir::encodeNarrowFloat(to, q, saturate));
                }
            }
        },
        kParallelGrain);
    return Status::Ok();
}

// ---- Dequantize ----

bool dequantizeSupports(const ir::Node& n, const std::vector<ir::TensorDesc>& in,
                        const std::vector<ir::TensorDesc>& out) {
    return in.size() >= 2 && out.size() == 1 && ir::dtypeIsFloat(in[1].dtype) &&
           ir::dtypeIsArithmeticFloat(out[0].dtype) && int64_t(out[0].dtype) == n.attrs.getInt("to", -1);
}

Status dequantize(KernelArgs& args) {
    ScaleIndex index;
    KILN_RETURN_IF_ERROR(checkInputs(args, "Dequantize", index));
    const HostTensor& x = args.inputs[0];
    const HostTensor& s = args.inputs[1];
    const HostTensor* zp = args.node.hasInput(2) && args.inputs.size() > 2 ? &args.inputs[2] : nullptr;
    HostTensor& y = args.outputs[0];
    if (zp && zp->dtype != x.dtype) return Status::Error("Dequantize: zero point dtype differs from X's");
    if (isNarrowFloat(x.dtype) && zp && !zeroPointIsZero(*zp))
        return Status::Error("Dequantize: the zero point of a " + std::string(ir::dtypeName(x.dtype)) +
                             " input must be 0");
    const bool useZp = zp && !isNarrowFloat(x.dtype);
    // int32 inputs (and float64 scales) compute in float64, the rest in float32.
    const bool wide = x.dtype == ir::DType::kI32 || s.dtype == ir::DType::kF64;
    args.pool.parallelFor(
        x.numel(),
        [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) {
                const int64_t k = index(i);
                double xv = ir::loadAsDouble(x.data, x.dtype, i);
                if (x.dtype == ir::DType::kI32) xv = double(float(xv));  // ONNX's reference reads int32 as float32
                const double dx = xv - (useZp ? ir::loadAsDouble(zp->data, zp->dtype, k) : 0.0);
                const double sv = ir::loadAsDouble(s.data, s.dtype, k);
                const double v = wide ? dx * sv : double(float(float(dx) * float(sv)));
                ir::storeFromDouble(y.data, y.dtype, i, v);
            }
        },
        kParallelGrain);
    return Status::Ok();
}

// ---- BitCast ----

bool bitcastSupports(const ir::Node& n, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in.size() == 1 && out.size() == 1 && int64_t(out[0].dtype) == n.attrs.getInt("to", -1) &&
           ir::dtypeSize(in[0].dtype) == ir::dtypeSize(out[0].dtype);
}

Status bitcast(KernelArgs& args) {
    if (args.inputs.size() != 1 || args.outputs.size() != 1)
        return Status::Error("BitCast: expects 1 input and 1 output");
    const HostTensor& x = args.inputs[0];
    HostTensor& y = args.outputs[0];
    if (ir::dtypeSize(x.dtype) != ir::dtypeSize(y.dtype) || x.numel() != y.numel())
        return Status::Error("BitCast: input and output differ in element size or count");
    const bool subByte = ir::dtypeIsSubByte(y.dtype);
    if (!subByte) {
        if (x.bytes()) std::memcpy(y.data, x.data, x.bytes());
        return Status::Ok();
    }
    // Sub-byte: the low bits move; the output byte is made canonical for its type.
    const int bits = ir::dtypeBits(y.dtype);
    const bool sign = ir::dtypeIsInteger(y.dtype) && ir::dtypeIsSigned(y.dtype);
    const uint8_t* src = x.as<const uint8_t>();
    uint8_t* dst = y.as<uint8_t>();
    for (int64_t i = 0; i < x.numel(); ++i)
        dst[i] = sign ? uint8_t(ir::signExtendLowBits(src[i], bits)) : ir::zeroExtendLowBits(src[i], bits);
    return Status::Ok();
}

}  // namespace kiln::cpu::ref
