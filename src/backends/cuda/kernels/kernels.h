// The project's own CUDA kernels: one supports/launch pair per op (or family).
// The registry (../registry.cpp) lists them; docs/ops.md is the contract.
#pragma once
#include "../tactic.h"

namespace kiln::cuda::kernels {

#define KILN_CUDA_KERNEL(fn)                                                                                    \
    bool fn##Supports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&); \
    Status fn(LaunchArgs& args)

KILN_CUDA_KERNEL(elementwise);
KILN_CUDA_KERNEL(activation);
KILN_CUDA_KERNEL(unary);
KILN_CUDA_KERNEL(cast);
KILN_CUDA_KERNEL(softmax);
KILN_CUDA_KERNEL(reduce);
KILN_CUDA_KERNEL(shuffle);
KILN_CUDA_KERNEL(identity);
KILN_CUDA_KERNEL(shape);
KILN_CUDA_KERNEL(concat);
KILN_CUDA_KERNEL(slice);
KILN_CUDA_KERNEL(pad);
KILN_CUDA_KERNEL(gather);
KILN_CUDA_KERNEL(pooling);
KILN_CUDA_KERNEL(matmul);
KILN_CUDA_KERNEL(fullyConnected);
KILN_CUDA_KERNEL(select);
KILN_CUDA_KERNEL(prelu);
KILN_CUDA_KERNEL(scale);
KILN_CUDA_KERNEL(normalization);
KILN_CUDA_KERNEL(topk);
KILN_CUDA_KERNEL(resize);
KILN_CUDA_KERNEL(lrn);
KILN_CUDA_KERNEL(convolution);
KILN_CUDA_KERNEL(deconvolution);
KILN_CUDA_KERNEL(fusedConvolution);
KILN_CUDA_KERNEL(depthwiseConvolution);  // tactic kiln_depthwise: Convolution and FusedConvolution
KILN_CUDA_KERNEL(smallKConvolution);     // tactic kiln_conv_small_k: Convolution and FusedConvolution
KILN_CUDA_KERNEL(fusedAttention);
KILN_CUDA_KERNEL(gridSample);
KILN_CUDA_KERNEL(affineGrid);
KILN_CUDA_KERNEL(roiAlign);
KILN_CUDA_KERNEL(deformConv);
KILN_CUDA_KERNEL(rnn);
KILN_CUDA_KERNEL(dft);
KILN_CUDA_KERNEL(stft);
KILN_CUDA_KERNEL(window);
KILN_CUDA_KERNEL(quantize);
KILN_CUDA_KERNEL(dequantize);
KILN_CUDA_KERNEL(bitcast);
KILN_CUDA_KERNEL(fill);
KILN_CUDA_KERNEL(onehot);
KILN_CUDA_KERNEL(cumulative);
KILN_CUDA_KERNEL(reverseSequence);
KILN_CUDA_KERNEL(scatter);
KILN_CUDA_KERNEL(maxUnpool);
KILN_CUDA_KERNEL(col2im);
KILN_CUDA_KERNEL(det);
KILN_CUDA_KERNEL(einsum);

#undef KILN_CUDA_KERNEL

size_t shuffleWorkspace(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&);
size_t rnnWorkspace(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&);
size_t dftWorkspace(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&);
size_t stftWorkspace(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&);

// Kernels made from the node's attributes or build-time constants: create()
// uploads their tables (signal.cu, ml.cu).
using TensorDescs = std::vector<ir::TensorDesc>;
bool melWeightMatrixSupports(const ir::Node&, const TensorDescs&, const TensorDescs&);
Status createMelWeightMatrix(const ir::Node&, const TensorDescs&, const TensorDescs&, std::unique_ptr<Kernel>&);
bool tfidfVectorizerSupports(const ir::Node&, const TensorDescs&, const TensorDescs&);
Status createTfidfVectorizer(const ir::Node&, const TensorDescs&, const TensorDescs&, std::unique_ptr<Kernel>&);
bool treeEnsembleSupports(const ir::Node&, const TensorDescs&, const TensorDescs&);
Status createTreeEnsemble(const ir::Node&, const TensorDescs&, const TensorDescs&, std::unique_ptr<Kernel>&);
size_t treeEnsembleWorkspace(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&);
size_t scatterWorkspace(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&);
size_t maxUnpoolWorkspace(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&);
size_t detWorkspace(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&);

// Data-dependent output sizes (LaunchArgs::outputExtent): nonzero.cu, unique.cu, nms.cu.
bool nonzeroSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&);
Status nonzero(LaunchArgs& args);
size_t nonzeroWorkspace(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&);
bool uniqueSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&);
Status unique(LaunchArgs& args);
size_t uniqueWorkspace(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&);
bool nmsSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&);
Status nms(LaunchArgs& args);
size_t nmsWorkspace(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&);

}  // namespace kiln::cuda::kernels
