// Parameter resolution for Scatter, Cumulative, OneHot, ReverseSequence,
// Einsum and Det (docs/ops.md), shared by shape inference and the CPU reference
// kernels so both read attributes and inputs the same way.
#pragma once
#include <string>
#include <vector>

#include "../op_schema.h"

namespace kiln::ir::nn {

// Scatter (scatter.cpp): ONNX ScatterElements ("elements") / ScatterND ("nd").
enum class ScatterMode { kElements, kND };
enum class ScatterReduction { kNone, kAdd, kMul, kMax, kMin };
struct ScatterParams {
    ScatterMode mode = ScatterMode::kElements;
    ScatterReduction reduction = ScatterReduction::kNone;
    int64_t axis = 0;  // normalized (elements)
};
Status resolveScatter(const Node& node, const std::vector<TensorDesc>& in, ScatterParams& p);
Status inferScatter(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out);

// Cumulative (cumulative.cpp): running sum/product along the axis given by
// input 1. The axis value is read by the kernel; shape inference checks it
// when known.
struct CumulativeParams {
    bool product = false, exclusive = false, reverse = false;
};
Status resolveCumulative(const Node& node, const std::vector<TensorDesc>& in, CumulativeParams& p);
Status inferCumulative(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out);
// Reads the Axis input (int32/int64, one element) and normalizes it for `rank`.
Status readAxisInput(const TensorDesc& t, int64_t rank, int64_t& axis);

// OneHot (onehot.cpp): inputs Indices, Values [off, on], Depth (TensorRT's order).
struct OneHotParams {
    int64_t axis = 0;  // normalized against rank(indices) + 1
    int64_t depth = 0;
};
Status resolveOneHot(const Node& node, const std::vector<TensorDesc>& in, OneHotParams& p);
Status inferOneHot(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out);

// ReverseSequence (reverse_sequence.cpp).
struct ReverseSequenceParams {
    int64_t batchAxis = 1, timeAxis = 0;
};
Status resolveReverseSequence(const Node& node, const std::vector<TensorDesc>& in, ReverseSequenceParams& p);
Status inferReverseSequence(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out);

// Einsum (einsum.cpp). Labels are numbered: one per letter, plus one per
// broadcast ("...") dim.
struct EinsumPlan {
    std::vector<int64_t> labelSize;             // extent of every label
    std::vector<std::vector<int>> inputLabels;  // per input, the label of each axis
    std::vector<int> outputLabels;              // label of each output axis
    std::vector<int> sumLabels;                 // labels summed over (not in the output)
    Shape outShape;
};
Status planEinsum(const std::string& equation, const std::vector<Shape>& shapes, EinsumPlan& plan);
Status inferEinsum(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out);

// Det (det.cpp): [..., M, M] -> [...].
Status inferDet(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out);

}  // namespace kiln::ir::nn
