// Fill's parameters, resolved the same way by shape inference and the kernel.
#pragma once
#include <vector>

#include "../op_schema.h"

namespace kiln::ir {

struct FillParams {
    enum Op { kLinspace, kRandomUniform, kRandomNormal } op = kLinspace;
    uint64_t seed = 0;  // random ops: the same seed gives the same tensor
    DType dtype = DType::kF32;
    Shape shape;               // -1 where input 0's values are not known yet
    double alpha = 0.0;        // start value
    int64_t alphaInt = 0;      // the same, exact for integer outputs
    std::vector<double> beta;  // per-dim delta
    double betaFirst = 0.0;    // the first given beta (random ops: high bound / deviation)
    std::vector<int64_t> betaInt;
    bool alphaKnown = true, betaKnown = true;
};
Status resolveFill(const Node& node, const std::vector<TensorDesc>& in, FillParams& p);

}  // namespace kiln::ir
