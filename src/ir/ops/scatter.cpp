// Scatter: a copy of Data with Updates written (or combined) at Indices;
// ONNX ScatterElements (mode "elements") and ScatterND (mode "nd"). Index
// values are checked by the kernel at run time.
#include <algorithm>

#include "nn_ops.h"

namespace kiln::ir::nn {

namespace {

bool parseReduction(const std::string& s, ScatterReduction& r) {
    if (s == "none")
        r = ScatterReduction::kNone;
    else if (s == "add")
        r = ScatterReduction::kAdd;
    else if (s == "mul")
        r = ScatterReduction::kMul;
    else if (s == "max")
        r = ScatterReduction::kMax;
    else if (s == "min")
        r = ScatterReduction::kMin;
    else
        return false;
    return true;
}

// Equal shapes, where -1 (an extent known at run time only) matches anything.
bool sameDims(const Shape& a, const Shape& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i] >= 0 && b[i] >= 0 && a[i] != b[i]) return false;
    return true;
}

}  // namespace

Status resolveScatter(const Node& node, const std::vector<TensorDesc>& in, ScatterParams& p) {
    if (in.size() != 3) return Status::Error("needs Data, Indices and Updates");
    const TensorDesc &data = in[0], &idx = in[1], &upd = in[2];
    if (idx.dtype != DType::kI32 && idx.dtype != DType::kI64)
        return Status::Error("indices must be int32 or int64, got " + std::string(dtypeName(idx.dtype)));
    if (upd.dtype != data.dtype)
        return Status::Error("updates (" + std::string(dtypeName(upd.dtype)) + ") must have the dtype of data (" +
                             std::string(dtypeName(data.dtype)) + ")");
    const std::string mode = node.attrs.getString("mode", "elements");
    if (mode == "elements")
        p.mode = ScatterMode::kElements;
    else if (mode == "nd")
        p.mode = ScatterMode::kND;
    else
        return Status::Error("unknown mode '" + mode + "' (expected elements or nd)");
    const std::string red = node.attrs.getString("reduction", "none");
    if (!parseReduction(red, p.reduction))
        return Status::Error("unknown reduction '" + red + "' (expected none, add, mul, max or min)");
    if (p.reduction != ScatterReduction::kNone && data.dtype == DType::kBool)
        return Status::Error("reduction '" + red + "' needs a numeric dtype, got bool");

    const Shape &ds = data.shape, &is = idx.shape, &us = upd.shape;
    const int64_t r = int64_t(ds.size());
    if (r < 1) return Status::Error("data must have rank >= 1");
    auto mismatch = [&](const char* what) {
        return Status::Error(std::string(what) + ": data " + shapeToString(ds) + ", indices " + shapeToString(is) +
                             ", updates " + shapeToString(us));
    };
    if (p.mode == ScatterMode::kElements) {
        p.axis = node.attrs.getInt("axis", 0);
        if (!normalizeAxis(p.axis, r))
            return Status::Error("axis " + std::to_string(node.attrs.getInt("axis", 0)) + " out of range for data " +
                                 shapeToString(ds));
        if (int64_t(is.size()) != r) return mismatch("indices must have the rank of data");
        if (!sameDims(us, is)) return mismatch("updates must have the shape of indices");
        for (int64_t d = 0; d < r; ++d)
            if (d != p.axis && ds[size_t(d)] >= 0 && is[size_t(d)] > ds[size_t(d)])
                return mismatch("indices must not exceed data off the axis");
        return Status::Ok();
    }
    const int64_t q = int64_t(is.size());
    if (q < 1) return mismatch("indices must have rank >= 1");
    const int64_t k = is.back();
    if (k < 0) return mismatch("the last dim of indices must be known at build time");
    if (k < 1 || k > r) return mismatch("the last dim of indices must be in [1, rank(data)]");
    Shape want(is.begin(), is.end() - 1);
    want.insert(want.end(), ds.begin() + k, ds.end());
    if (!sameDims(us, want)) return mismatch("updates must be indices.shape[:-1] + data.shape[k:]");
    return Status::Ok();
}

Status inferScatter(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    ScatterParams p;
    KILN_RETURN_IF_ERROR(resolveScatter(node, in, p));
    out[0] = {in[0].dtype, in[0].shape, nullptr};
    return Status::Ok();
}

}  // namespace kiln::ir::nn
