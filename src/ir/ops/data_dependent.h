// Ops whose output size depends on the input values (NonZero, Unique,
// NonMaxSuppression): shape inference gives -1 for those extents unless the
// inputs are constants. Parameters resolved here are shared with the kernels.
#pragma once
#include <vector>

#include "../op_schema.h"

namespace kiln::ir {

// Unique: `axis` absent (flattened input) or normalized; `sorted` [1].
struct UniqueParams {
    bool hasAxis = false;
    int64_t axis = 0;
    bool sorted = true;
};
Status resolveUnique(const Node& node, const TensorDesc& x, UniqueParams& p);

// The unique elements (or slices along the axis) of x: `first[k]` is the
// flat/slice index of unique item k's first occurrence, `inverse[i]` the item
// of element/slice i, `counts[k]` its count; items in ascending order
// (sorted) or in order of first occurrence.
struct UniqueResult {
    std::vector<int64_t> first, inverse, counts;
};
UniqueResult computeUnique(const TensorDesc& x, const UniqueParams& p);

// NonMaxSuppression (ONNX semantics): selected (batch, class, box) triples.
struct NmsParams {
    bool centerPointBox = false;
    int64_t maxPerClass = 0;
    double iouThreshold = 0.0;
    bool hasScoreThreshold = false;
    double scoreThreshold = 0.0;
    int64_t topKLimit = 0;  // only this many best boxes per class are considered (0: all)
};
Status resolveNms(const Node& node, const std::vector<TensorDesc>& in, NmsParams& p, bool& known);
std::vector<int64_t> computeNms(const TensorDesc& boxes, const TensorDesc& scores, const NmsParams& p);

}  // namespace kiln::ir
