// Where FusedAttention's operands live (docs/ops.md), one description for the
// shape inference, the CPU reference and the CUDA kernel.
//  - Plain form: Q [b.., Sq, D], K [b.., Sk, D] (trans_k=1) or [b.., D, Sk],
//    V [b.., Sk, Dv], Y [b.., Sq, Dv], each contiguous; the batch dims b..
//    are flattened into B (H = 1).
//  - Strided form (attrs view_dims = [B, H, Sq, Sk, D], q_view, k_view,
//    v_view, y_view = [offset, batch, head, row] element strides, y_shape):
//    each operand is the 4-D view [B, H, S, D] of its input, D contiguous,
//    as the CUDA builder's attention layout pass makes it so that the heads
//    are read straight out of a projection's output (and written into the
//    next one's input) instead of through transposes. For engines with
//    dynamic shapes the numbers are view_terms instead, products of the
//    inputs' extents (fused_attention.cpp), so that they follow each run.
#pragma once
#include <vector>

#include "../op_schema.h"

namespace kiln::ir {

// Element (b, h, s, c) of an operand is at offset + b*batch + h*head + s*row + c*col.
struct AttentionOperand {
    int64_t offset = 0, batch = 0, head = 0, row = 0, col = 1;
};

struct AttentionLayout {
    int64_t B = 0, H = 1, Sq = 0, Sk = 0, D = 0, Dv = 0;
    AttentionOperand q, k, v, y;
    Shape batchDims;  // what the mask broadcasts over, before [Sq, Sk]: b.. or [B, H]
    Shape yShape;     // the output's shape
    bool strided = false;
};

inline bool isStridedAttention(const Node& n) { return n.attrs.has("view_dims") || n.attrs.has("view_terms"); }

// The strided form's numbers at these inputs: view_dims, the four views and
// y_shape, from the literal attrs or evaluated from view_terms (-1 for a
// number with an extent not known yet); yRank: y_shape's length.
Status stridedAttentionNumbers(const Node& node, const std::vector<TensorDesc>& in, std::vector<int64_t>& nums,
                               size_t& yRank);

// Reads the node's layout for these inputs, checking that every view stays
// inside its tensor and that Y's view writes each element once.
Status attentionLayout(const Node& node, const std::vector<TensorDesc>& in, AttentionLayout& l);

}  // namespace kiln::ir
