// DeformConv: 2-D convolution whose taps are shifted by learned offsets
// (ONNX DeformConv-19); docs/ops.md.
#include <initializer_list>
#include <limits>
#include <string>

#include "op_families.h"

namespace kiln::ir {

namespace {

bool isFloatType(DType t) { return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16; }

// Attributes are bounded (as Convolution's are) and the extent arithmetic is
// done in 128 bits, so hostile values give an error, not an overflow.
constexpr int64_t kMaxAttrValue = int64_t(1) << 31;
using Wide = __int128;

// a * b * ..., or -1 when any factor is unknown; false when it overflows int64.
bool product(std::initializer_list<int64_t> factors, int64_t& out) {
    Wide p = 1;
    for (int64_t f : factors) {
        if (f < 0) return out = -1, true;
        p *= f;
        if (p > Wide(std::numeric_limits<int64_t>::max())) return false;
    }
    out = int64_t(p);
    return true;
}

Status inferDeformConv(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const Attrs& a = node.attrs;
    for (size_t i = 0; i < 3; ++i)
        if (i >= node.inputs.size() || node.inputs[i] < 0) return Status::Error("inputs X, W and offset are required");
    const TensorDesc &x = in[0], &w = in[1], &off = in[2];
    if (x.shape.size() != 4) return Status::Error("X must be [N, C, H, W] (2-D only), got " + shapeToString(x.shape));
    if (w.shape.size() != 4) return Status::Error("W must be [M, C/group, kH, kW], got " + shapeToString(w.shape));
    if (!isFloatType(x.dtype)) return Status::Error("unsupported dtype " + std::string(dtypeName(x.dtype)));
    for (size_t i = 1; i < in.size(); ++i)
        if (node.hasInput(i) && in[i].dtype != x.dtype)
            return Status::Error("input " + std::to_string(i) + " must have X's dtype");
    const int64_t group = a.getInt("group", 1), og = a.getInt("offset_group", 1);
    const auto strides = a.getInts("strides", {1, 1}), dil = a.getInts("dilations", {1, 1});
    const auto pb = a.getInts("pads_begin", {0, 0}), pe = a.getInts("pads_end", {0, 0});
    if (strides.size() != 2 || dil.size() != 2 || pb.size() != 2 || pe.size() != 2)
        return Status::Error("strides, dilations and pads need 2 entries");
    for (int i = 0; i < 2; ++i)
        if (strides[size_t(i)] < 1 || dil[size_t(i)] < 1 || pb[size_t(i)] < 0 || pe[size_t(i)] < 0 ||
            strides[size_t(i)] > kMaxAttrValue || dil[size_t(i)] > kMaxAttrValue || pb[size_t(i)] > kMaxAttrValue ||
            pe[size_t(i)] > kMaxAttrValue)
            return Status::Error("strides and dilations must be in [1, 2^31], pads in [0, 2^31]");
    const int64_t N = x.shape[0], C = x.shape[1], M = w.shape[0], kH = w.shape[2], kW = w.shape[3];
    if (group < 1 || og < 1 || group > kMaxAttrValue || og > kMaxAttrValue)
        return Status::Error("group and offset_group must be in [1, 2^31]");
    if (C >= 0 && (C % group != 0 || C % og != 0 || (w.shape[1] >= 0 && Wide(w.shape[1]) * group != C)))
        return Status::Error("channels " + std::to_string(C) +
                             " must equal W's dim 1 times group and divide by offset_group");
    if (M >= 0 && M % group != 0) return Status::Error("output channels must be a multiple of group");
    Shape y = {N, M};
    for (int i = 0; i < 2; ++i) {
        const int64_t S = x.shape[size_t(2 + i)], K = w.shape[size_t(2 + i)];
        const Wide span = Wide(S) + pb[size_t(i)] + pe[size_t(i)] - (Wide(dil[size_t(i)]) * (K - 1) + 1);
        if (S >= 0 && K >= 0 && span < 0) return Status::Error("the dilated kernel is larger than the padded input");
        const Wide o = span / strides[size_t(i)] + 1;
        if (o > Wide(std::numeric_limits<int64_t>::max())) return Status::Error("the output extent overflows int64");
        y.push_back(S < 0 || K < 0 ? -1 : int64_t(o));
    }
    int64_t offChannels = -1, maskChannels = -1;
    if (!product({og, 2, kH, kW}, offChannels) || !product({og, kH, kW}, maskChannels))
        return Status::Error("offset_group * 2 * kH * kW overflows int64");
    const Shape wantOff = {N, offChannels, y[2], y[3]};
    bool ok = off.shape.size() == 4;
    for (size_t d = 0; ok && d < 4; ++d) ok = off.shape[d] < 0 || wantOff[d] < 0 || off.shape[d] == wantOff[d];
    if (!ok) return Status::Error("offset must be " + shapeToString(wantOff) + ", got " + shapeToString(off.shape));
    if (in.size() > 3 && node.inputs.size() > 3 && node.inputs[3] >= 0 && in[3].shape != Shape{M})
        return Status::Error("B must be [" + std::to_string(M) + "], got " + shapeToString(in[3].shape));
    if (in.size() > 4 && node.inputs.size() > 4 && node.inputs[4] >= 0) {
        const Shape wantMask = {N, maskChannels, y[2], y[3]};
        if (in[4].shape != wantMask)
            return Status::Error("mask must be " + shapeToString(wantMask) + ", got " + shapeToString(in[4].shape));
    }
    out[0] = {x.dtype, y, nullptr};
    return Status::Ok();
}

}  // namespace

void registerDeformConvOp(std::vector<OpSchema>& t) { t.push_back({"DeformConv", 3, 5, 1, 1, &inferDeformConv}); }

}  // namespace kiln::ir
