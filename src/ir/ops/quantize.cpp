// Quantization family schemas: Quantize, Dequantize, BitCast (docs/ops.md).
#include <string>

#include "op_families.h"

namespace kiln::ir {

namespace {

std::string dt(DType t) { return std::string(dtypeName(t)); }

// The types a Quantize produces and a Dequantize reads (besides int32).
bool isQuantizedType(DType t) {
    switch (t) {
        case DType::kI8:
        case DType::kU8:
        case DType::kI16:
        case DType::kU16:
        case DType::kI4:
        case DType::kU4:
        case DType::kI2:
        case DType::kU2:
        case DType::kFP8:
        case DType::kFP8E5M2:
        case DType::kFP8E4M3FNUZ:
        case DType::kFP8E5M2FNUZ:
        case DType::kFP4:
            return true;
        default:
            return false;
    }
}

Status readTo(const Node& n, DType& to) {
    if (!n.attrs.has("to")) return Status::Error("attribute 'to' is required");
    const int64_t raw = n.attrs.getInt("to");
    if (!dtypeValid(int(raw))) return Status::Error("attribute 'to' = " + std::to_string(raw) + " is not a dtype");
    to = DType(raw);
    return Status::Ok();
}

// Checks the scale (and zero point) layout against X: per-tensor (one value),
// per-axis (1-D, X's extent along `axis`) or blocked (X's rank, extents
// ceil(X extent / block extent)). Unknown extents (-1) pass.
Status checkScaleLayout(const Node& n, const TensorDesc& x, const TensorDesc& scale, const char* what) {
    const int64_t rank = int64_t(x.shape.size());
    const std::vector<int64_t> block = n.attrs.getInts("block_shape");
    const Shape& s = scale.shape;
    const int64_t count = volume(s);
    if (!block.empty()) {
        if (int64_t(block.size()) != rank)
            return Status::Error("block_shape has " + std::to_string(block.size()) + " entries; X has rank " +
                                 std::to_string(rank));
        if (int64_t(s.size()) != rank)
            return Status::Error(std::string(what) + " " + shapeToString(s) + " must have X's rank " +
                                 std::to_string(rank) + " for blocked quantization");
        for (int64_t i = 0; i < rank; ++i) {
            if (block[size_t(i)] < 1) return Status::Error("block_shape entries must be >= 1");
            const int64_t xd = x.shape[size_t(i)], sd = s[size_t(i)];
            if (xd < 0 || sd < 0) continue;
            const int64_t b = block[size_t(i)], want = xd / b + (xd % b != 0);  // ceil, without xd + b overflowing
            if (sd != want)
                return Status::Error(std::string(what) + " " + shapeToString(s) + " does not match X " +
                                     shapeToString(x.shape) + " in blocks of " + shapeToString(block) + " (dim " +
                                     std::to_string(i) + " needs " + std::to_string(want) + ")");
        }
        return Status::Ok();
    }
    if (s.empty() || count == 1) return Status::Ok();  // per-tensor
    if (s.size() != 1)
        return Status::Error(std::string(what) + " " + shapeToString(s) +
                             " must be a scalar or 1-D (or set block_shape for blocked quantization)");
    int64_t axis = n.attrs.getInt("axis", 1);
    if (!normalizeAxis(axis, rank))
        return Status::Error("axis " + std::to_string(n.attrs.getInt("axis", 1)) + " out of range for X of rank " +
                             std::to_string(rank));
    const int64_t xd = x.shape[size_t(axis)];
    if (xd >= 0 && s[0] >= 0 && s[0] != xd)
        return Status::Error(std::string(what) + " has " + std::to_string(s[0]) + " values; X " +
                             shapeToString(x.shape) + " has " + std::to_string(xd) + " along axis " +
                             std::to_string(axis));
    return Status::Ok();
}

Status checkZeroPoint(const Node& n, const std::vector<TensorDesc>& in, DType want) {
    if (!n.hasInput(2)) return Status::Ok();
    const TensorDesc& zp = in[2];
    if (zp.dtype != want) return Status::Error("zero point dtype " + dt(zp.dtype) + " must be " + dt(want));
    if (zp.shape != in[1].shape && !(volume(zp.shape) == 1 && volume(in[1].shape) == 1))
        return Status::Error("zero point shape " + shapeToString(zp.shape) + " differs from the scale's " +
                             shapeToString(in[1].shape));
    return Status::Ok();
}

Status checkCommon(const Node& n, const std::vector<TensorDesc>& in) {
    if (!n.hasInput(0) || !n.hasInput(1)) return Status::Error("inputs X and Scale are required");
    if (!dtypeIsFloat(in[1].dtype)) return Status::Error("Scale must be a float type, got " + dt(in[1].dtype));
    KILN_RETURN_IF_ERROR(checkScaleLayout(n, in[0], in[1], "Scale"));
    return Status::Ok();
}

// ---- Quantize ----

Status inferQuantize(const Node& n, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    DType to;
    KILN_RETURN_IF_ERROR(readTo(n, to));
    if (!isQuantizedType(to)) return Status::Error("cannot quantize to " + dt(to));
    KILN_RETURN_IF_ERROR(checkCommon(n, in));
    const DType x = in[0].dtype;
    if (!dtypeIsArithmeticFloat(x) && x != DType::kI32)
        return Status::Error("X must be float32, float16, bfloat16, float64 or int32, got " + dt(x));
    const int64_t precision = n.attrs.getInt("precision", -1);
    if (precision != -1 && !(dtypeValid(int(precision)) && dtypeIsArithmeticFloat(DType(precision))))
        return Status::Error("attribute 'precision' = " + std::to_string(precision) + " is not a float type");
    KILN_RETURN_IF_ERROR(checkZeroPoint(n, in, to));
    out[0] = {to, in[0].shape, nullptr};
    return Status::Ok();
}

// ---- Dequantize ----

Status inferDequantize(const Node& n, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    DType to;
    KILN_RETURN_IF_ERROR(readTo(n, to));
    if (!dtypeIsArithmeticFloat(to)) return Status::Error("cannot dequantize to " + dt(to));
    KILN_RETURN_IF_ERROR(checkCommon(n, in));
    const DType x = in[0].dtype;
    if (!isQuantizedType(x) && x != DType::kI32) return Status::Error("cannot dequantize X of dtype " + dt(x));
    KILN_RETURN_IF_ERROR(checkZeroPoint(n, in, x));
    out[0] = {to, in[0].shape, nullptr};
    return Status::Ok();
}

// ---- BitCast ----

Status inferBitCast(const Node& n, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    if (!n.hasInput(0)) return Status::Error("input X is required");
    DType to;
    KILN_RETURN_IF_ERROR(readTo(n, to));
    const DType x = in[0].dtype;
    // bool counts as 8 bits here, as ONNX stores it in a byte.
    auto bits = [](DType t) { return t == DType::kBool ? 8 : dtypeBits(t); };
    if (bits(x) != bits(to))
        return Status::Error("cannot bit-cast " + dt(x) + " (" + std::to_string(bits(x)) + " bits) to " + dt(to) +
                             " (" + std::to_string(bits(to)) + " bits)");
    out[0] = {to, in[0].shape, nullptr};
    return Status::Ok();
}

}  // namespace

void registerQuantizeOps(std::vector<OpSchema>& t) {
    t.push_back({"Quantize", 2, 3, 1, 1, &inferQuantize});
    t.push_back({"Dequantize", 2, 3, 1, 1, &inferDequantize});
    t.push_back({"BitCast", 1, 1, 1, 1, &inferBitCast});
}

}  // namespace kiln::ir
