// DFT: discrete Fourier transform along one axis (ONNX DFT-17/20); docs/ops.md.
// Also the value-input helpers of the signal ops (signal.h).
#include <string>

#include "op_families.h"
#include "signal.h"

namespace kiln::ir::signal {

Status readIntScalar(const TensorDesc& t, const char* what, int64_t& v) {
    if (t.dtype != DType::kI32 && t.dtype != DType::kI64)
        return Status::Error(std::string(what) + " must be int32 or int64, got " + std::string(dtypeName(t.dtype)));
    if (volume(t.shape) != 1 || t.shape.size() > 1)
        return Status::Error(std::string(what) + " must be a scalar (or [1]), got shape " + shapeToString(t.shape));
    if (!t.data)
        return Status::Error(std::string("the output shape needs the value of ") + what +
                             ", which is known only at run time");
    v = t.dtype == DType::kI32 ? *static_cast<const int32_t*>(t.data) : *static_cast<const int64_t*>(t.data);
    return Status::Ok();
}

namespace {
bool isFloatType(DType t) { return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16; }
}  // namespace

Status resolveDFT(const Node& node, const std::vector<TensorDesc>& in, DFTParams& p) {
    const Attrs& a = node.attrs;
    const TensorDesc& x = in[0];
    const int64_t rank = int64_t(x.shape.size());
    if (rank < 2) return Status::Error("X must have rank >= 2 ([..., 1 or 2]), got " + shapeToString(x.shape));
    if (!isFloatType(x.dtype))
        return Status::Error("unsupported dtype " + std::string(dtypeName(x.dtype)) + " (float types only)");
    const int64_t c = x.shape.back();
    if (c != 1 && c != 2 && c >= 0)
        return Status::Error("the last dim of X " + shapeToString(x.shape) + " must be 1 (real) or 2 (complex)");
    p.complexInput = c == 2;
    p.inverse = a.getInt("inverse", 0) != 0;
    p.onesided = a.getInt("onesided", 0) != 0;
    if (p.onesided && !p.inverse && c == 2) return Status::Error("onesided forward DFT needs real input (last dim 1)");
    if (p.onesided && p.inverse && c == 1)
        return Status::Error("onesided inverse DFT needs complex input (last dim 2)");

    const bool axisInput = hasInput(node, in, 2);
    const bool lengthGiven = hasInput(node, in, 1) || a.has("dft_length");
    bool axisKnown = true;
    if (axisInput) {
        if (!in[2].data) {
            axisKnown = false;  // read by the kernel; which extent changes is known at run time only
        } else {
            KILN_RETURN_IF_ERROR(readIntScalar(in[2], "input 2 (axis)", p.axis));
        }
    } else {
        if (!a.has("axis")) return Status::Error("attribute 'axis' or input 2 (axis) is required");
        p.axis = a.getInt("axis", 1);
    }
    if (axisKnown) {
        const int64_t raw = p.axis;
        if (p.axis < 0) p.axis += rank;
        if (p.axis < 0 || p.axis > rank - 2)
            return Status::Error("axis " + std::to_string(raw) + " is out of range for X " + shapeToString(x.shape) +
                                 " (the last dim holds the complex parts)");
    }
    p.outShape = x.shape;
    p.outShape.back() = p.onesided && p.inverse ? 1 : 2;
    if (!axisKnown) {
        if (p.onesided || lengthGiven)  // some transformed extent changes
            for (size_t d = 0; d + 1 < p.outShape.size(); ++d) p.outShape[d] = -1;
        return Status::Ok();
    }

    const int64_t inLen = x.shape[size_t(p.axis)];
    if (valueUnknown(node, in, 1)) {
        p.length = -1;  // known at run time only
    } else if (hasInput(node, in, 1)) {
        KILN_RETURN_IF_ERROR(readIntScalar(in[1], "input 1 (dft_length)", p.length));
    } else if (a.has("dft_length")) {
        p.length = a.getInt("dft_length", 0);
    } else if (inLen < 0) {
        p.length = -1;
    } else {
        // An inverse one-sided transform rebuilds the full even-length signal.
        p.length = p.onesided && p.inverse ? 2 * (inLen - 1) : inLen;
    }
    if (p.length == 0 || p.length < -1 || p.length > (int64_t(1) << 31))
        return Status::Error("dft_length must be in [1, 2^31], got " + std::to_string(p.length));
    if (p.length < 0)
        p.outShape[size_t(p.axis)] = -1;
    else
        p.outShape[size_t(p.axis)] = p.onesided && !p.inverse ? p.length / 2 + 1 : p.length;
    return Status::Ok();
}

}  // namespace kiln::ir::signal

namespace kiln::ir {

namespace {

Status inferDFT(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    if (!hasInput(node, in, 0)) return Status::Error("input 0 (X) is required");
    signal::DFTParams p;
    KILN_RETURN_IF_ERROR(signal::resolveDFT(node, in, p));
    out[0] = {in[0].dtype, p.outShape, nullptr};
    return Status::Ok();
}

}  // namespace

void registerDFTOp(std::vector<OpSchema>& t) { t.push_back({"DFT", 1, 3, 1, 1, &inferDFT}); }

}  // namespace kiln::ir
