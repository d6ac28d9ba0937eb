// Each op family registers its schemas here; the list of families is in
// op_schema.cpp. Ops and their attributes are specified in docs/ops.md.
#pragma once
#include <vector>

#include "../op_schema.h"

namespace kiln::ir {

void registerConvolutionOps(std::vector<OpSchema>& t);   // Convolution, Deconvolution
void registerPoolingOps(std::vector<OpSchema>& t);       // Pooling, LRN
void registerMatMulOps(std::vector<OpSchema>& t);        // MatMul, FullyConnected
void registerPointwiseOps(std::vector<OpSchema>& t);     // ElementWise, Unary, Activation, PRelu, Select, Cast, Scale
void registerReductionOps(std::vector<OpSchema>& t);     // Softmax, Reduce, Normalization, TopK
void registerDataMovementOps(std::vector<OpSchema>& t);  // Concat, Shuffle, Gather, Slice, Pad, Resize, Shape, Identity
void registerGeneratorOps(std::vector<OpSchema>& t);     // Fill
// Ops of data-dependent output size, one file each.
void registerNonZero(std::vector<OpSchema>& t);
void registerUnique(std::vector<OpSchema>& t);
void registerNms(std::vector<OpSchema>& t);
void registerControlFlowOps(std::vector<OpSchema>& t);  // Loop*, If* (src/ir/control_flow.h)
void registerPluginOp(std::vector<OpSchema>& t);        // Plugin (ops/plugin.h)

}  // namespace kiln::ir
