// Col2Im's geometry, resolved once for shape inference and the kernel.
#pragma once
#include <vector>

#include "../op_schema.h"

namespace kiln::ir {

struct Col2ImParams {
    std::vector<int64_t> image, block, strides, dilations, padsBegin, padsEnd;
    std::vector<int64_t> blocks;  // sliding positions per spatial dim
    int64_t channels = 0;         // C of the output
    Shape outShape;
};

// Image and block shapes come from inputs 1 and 2 (when given; their values
// must be known) or from the attributes image_shape and block_shape.
Status resolveCol2Im(const Node& node, const std::vector<TensorDesc>& in, Col2ImParams& p);

}  // namespace kiln::ir
