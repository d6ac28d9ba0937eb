// OneHot: Y has the shape of Indices with a new dim of extent Depth inserted at
// `axis`; Y[.., j, ..] = Values[1] where j == index (negative indices count
// from the end), else Values[0]. An unknown Depth gives a -1 (data-dependent) extent.
#include <cmath>

#include "nn_ops.h"

namespace kiln::ir::nn {

Status resolveOneHot(const Node& node, const std::vector<TensorDesc>& in, OneHotParams& p) {
    if (in.size() != 3) return Status::Error("needs Indices, Values and Depth");
    const TensorDesc &idx = in[0], &values = in[1], &depth = in[2];
    if (idx.dtype == DType::kBool || depth.dtype == DType::kBool)
        return Status::Error("indices and depth must be numeric");
    if (values.shape.size() != 1 || values.shape[0] != 2)
        return Status::Error("values must be [2] (off, on), got " + shapeToString(values.shape));
    if (depth.shape.size() > 1 || volume(depth.shape) != 1)
        return Status::Error("depth must be a scalar (or one element), got " + shapeToString(depth.shape));
    const int64_t outRank = int64_t(idx.shape.size()) + 1;
    if (outRank > kMaxRank) return Status::Error("output rank exceeds the maximum rank");
    p.axis = node.attrs.getInt("axis", -1);
    if (!normalizeAxis(p.axis, outRank))
        return Status::Error("axis " + std::to_string(node.attrs.getInt("axis", -1)) +
                             " out of range for output rank " + std::to_string(outRank));
    if (!depth.data) {  // known at run time only: a data-dependent extent
        p.depth = -1;
        return Status::Ok();
    }
    const double d = loadAsDouble(depth.data, depth.dtype, 0);
    if (!(d >= 1) || d > double(int64_t(1) << 40))  // ONNX casts a float depth to int64
        return Status::Error("depth must be positive, got " + std::to_string(d));
    p.depth = int64_t(d);
    return Status::Ok();
}

Status inferOneHot(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    OneHotParams p;
    KILN_RETURN_IF_ERROR(resolveOneHot(node, in, p));
    Shape s = in[0].shape;
    s.insert(s.begin() + p.axis, p.depth);
    out[0] = {in[1].dtype, s, nullptr};
    return Status::Ok();
}

}  // namespace kiln::ir::nn
