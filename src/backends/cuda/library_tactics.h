// Tactics backed by NVIDIA's libraries: cuBLASLt (MatMul, FullyConnected, 1x1 convolutions)
// and cuDNN 9 (Convolution, Deconvolution, Pooling). cuDNN convolution
// algorithms are separate tactics so the builder times each on the real shapes.
#pragma once
#include <vector>

#include "tactic.h"

namespace kiln::cuda::lib {

using Descs = std::vector<ir::TensorDesc>;

// cublaslt_gemm.cpp
bool gemmMatMulSupports(const ir::Node&, const Descs& in, const Descs& out);
bool gemmFcSupports(const ir::Node&, const Descs& in, const Descs& out);
size_t gemmWorkspace(const ir::Node&, const Descs& in, const Descs& out);
Status createGemmMatMul(const ir::Node&, const Descs& in, const Descs& out, std::unique_ptr<Kernel>& k);
Status createGemmFc(const ir::Node&, const Descs& in, const Descs& out, std::unique_ptr<Kernel>& k);

// cublaslt_conv1x1.cpp: Convolution and FusedConvolution (bias, relu,
// residual) with a 1x1 kernel, unit strides, no padding, one group, channels last.
bool conv1x1Supports(const ir::Node&, const Descs& in, const Descs& out);
size_t conv1x1Workspace(const ir::Node&, const Descs& in, const Descs& out);
Status createConv1x1(const ir::Node&, const Descs& in, const Descs& out, std::unique_ptr<Kernel>& k);

// cudnn_conv.cpp: Algo is a cudnnConvolutionFwdAlgo_t (Convolution) or a
// cudnnConvolutionBwdDataAlgo_t (Deconvolution).
template <int Algo>
bool convSupports(const ir::Node&, const Descs& in, const Descs& out);
template <int Algo>
size_t convWorkspace(const ir::Node&, const Descs& in, const Descs& out);
template <int Algo>
Status createConv(const ir::Node&, const Descs& in, const Descs& out, std::unique_ptr<Kernel>& k);
// FusedConvolution through cudnnConvolutionBiasActivationForward.
template <int Algo>
bool fusedConvSupports(const ir::Node&, const Descs& in, const Descs& out);
template <int Algo>
size_t fusedConvWorkspace(const ir::Node&, const Descs& in, const Descs& out);
template <int Algo>
Status createFusedConv(const ir::Node&, const Descs& in, const Descs& out, std::unique_ptr<Kernel>& k);
template <int Algo>
bool deconvSupports(const ir::Node&, const Descs& in, const Descs& out);
template <int Algo>
size_t deconvWorkspace(const ir::Node&, const Descs& in, const Descs& out);
template <int Algo>
Status createDeconv(const ir::Node&, const Descs& in, const Descs& out, std::unique_ptr<Kernel>& k);

// cudnn_pool.cpp
bool poolSupports(const ir::Node&, const Descs& in, const Descs& out);
Status createPool(const ir::Node&, const Descs& in, const Descs& out, std::unique_ptr<Kernel>& k);

}  // namespace kiln::cuda::lib
