// Geometry of Convolution / Deconvolution nodes (docs/ops.md), shared by shape
// inference and the kernels so that both resolve auto_pad, ceil_mode and
// output_shape the same way.
#pragma once
#include <cstdint>
#include <vector>

#include "../graph.h"

namespace kiln::ir {

struct ConvGeometry {
    int spatialRank = 0;  // k, 1..3
    int64_t group = 1;
    int64_t inChannels = -1;   // C
    int64_t outChannels = -1;  // M
    std::vector<int64_t> kernel;     // K per spatial axis (-1 if unknown)
    std::vector<int64_t> strides;
    std::vector<int64_t> dilations;
    // Effective pads after auto_pad/output_shape; exact whenever the input's
    // spatial dims and W's kernel dims are known (always at run time), 0 when
    // not. Deconvolution: padsEnd is negative when output_shape (or SAME_*)
    // asks for more outputs than the natural size; those trailing outputs get
    // only the bias. Always O = s*(S-1) + output_padding + d*(K-1)+1 - pb - pe.
    std::vector<int64_t> padsBegin;
    std::vector<int64_t> padsEnd;
    std::vector<int64_t> outputPadding;  // Deconvolution only; zeros otherwise
    Shape outShape;  // [N, M, O1..Ok], -1 where not known yet
};

// Validates a Convolution (transposed = false) or Deconvolution node's
// attributes against the shapes of X and W, then computes the geometry.
// Unknown dims (-1) propagate; errors name the attribute, axis or dim.
Status resolveConvGeometry(const Node& node, const Shape& x, const Shape& w, bool transposed,
                           ConvGeometry& g);

}  // namespace kiln::ir
