// DeformConv: 2-D convolution whose taps are shifted by learned offsets
// (ONNX DeformConv-19); docs/ops.md.
#include <string>

#include "op_families.h"

namespace kiln::ir {

namespace {

bool isFloatType(DType t) { return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16; }

Status inferDeformConv(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const Attrs& a = node.attrs;
    for (size_t i = 0; i < 3; ++i)
        if (i >= node.inputs.size() || node.inputs[i] < 0) return Status::Error("inputs X, W and offset are required");
    const TensorDesc &x = in[0], &w = in[1], &off = in[2];
    if (x.shape.size() != 4) return Status::Error("X must be [N, C, H, W] (2-D only), got " + shapeToString(x.shape));
    if (w.shape.size() != 4) return Status::Error("W must be [M, C/group, kH, kW], got " + shapeToString(w.shape));
    if (!isFloatType(x.dtype)) return Status::Error("unsupported dtype " + std::string(dtypeName(x.dtype)));
    for (size_t i = 1; i < in.size(); ++i)
        if (i < node.inputs.size() && node.inputs[i] >= 0 && in[i].dtype != x.dtype)
            return Status::Error("input " + std::to_string(i) + " must have X's dtype");
    const int64_t group = a.getInt("group", 1), og = a.getInt("offset_group", 1);
    const auto strides = a.getInts("strides", {1, 1}), dil = a.getInts("dilations", {1, 1});
    const auto pb = a.getInts("pads_begin", {0, 0}), pe = a.getInts("pads_end", {0, 0});
    if (strides.size() != 2 || dil.size() != 2 || pb.size() != 2 || pe.size() != 2)
        return Status::Error("strides, dilations and pads need 2 entries");
    for (int i = 0; i < 2; ++i)
        if (strides[size_t(i)] < 1 || dil[size_t(i)] < 1 || pb[size_t(i)] < 0 || pe[size_t(i)] < 0)
            return Status::Error("strides and dilations must be >= 1, pads >= 0");
    const int64_t N = x.shape[0], C = x.shape[1], M = w.shape[0], kH = w.shape[2], kW = w.shape[3];
    if (group < 1 || og < 1) return Status::Error("group and offset_group must be >= 1");
    if (C >= 0 && (C % group != 0 || C % og != 0 || (w.shape[1] >= 0 && w.shape[1] * group != C)))
        return Status::Error("channels " + std::to_string(C) +
                             " must equal W's dim 1 times group and divide by offset_group");
    if (M >= 0 && M % group != 0) return Status::Error("output channels must be a multiple of group");
    Shape y = {N, M};
    for (int i = 0; i < 2; ++i) {
        const int64_t S = x.shape[size_t(2 + i)], K = w.shape[size_t(2 + i)];
        const int64_t span = S + pb[size_t(i)] + pe[size_t(i)] - (dil[size_t(i)] * (K - 1) + 1);
        if (S >= 0 && K >= 0 && span < 0) return Status::Error("the dilated kernel is larger than the padded input");
        y.push_back(S < 0 || K < 0 ? -1 : span / strides[size_t(i)] + 1);
    }
    const Shape wantOff = {N, og * 2 * kH * kW, y[2], y[3]};
    bool ok = off.shape.size() == 4;
    for (size_t d = 0; ok && d < 4; ++d) ok = off.shape[d] < 0 || wantOff[d] < 0 || off.shape[d] == wantOff[d];
    if (!ok) return Status::Error("offset must be " + shapeToString(wantOff) + ", got " + shapeToString(off.shape));
    if (in.size() > 3 && node.inputs.size() > 3 && node.inputs[3] >= 0 && in[3].shape != Shape{M})
        return Status::Error("B must be [" + std::to_string(M) + "], got " + shapeToString(in[3].shape));
    if (in.size() > 4 && node.inputs.size() > 4 && node.inputs[4] >= 0) {
        const Shape wantMask = {N, og * kH * kW, y[2], y[3]};
        if (in[4].shape != wantMask)
            return Status::Error("mask must be " + shapeToString(wantMask) + ", got " + shapeToString(in[4].shape));
    }
    out[0] = {x.dtype, y, nullptr};
    return Status::Ok();
}

}  // namespace

void registerDeformConvOp(std::vector<OpSchema>& t) { t.push_back({"DeformConv", 3, 5, 1, 1, &inferDeformConv}); }

}  // namespace kiln::ir
