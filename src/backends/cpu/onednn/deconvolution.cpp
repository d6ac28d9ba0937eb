// oneDNN Deconvolution (transposed convolution). It shares everything with
// Convolution (convolution.cpp): the geometry from ir::resolveConvGeometry,
// including output_shape / SAME pads and output_padding, becomes explicit left
// pads plus a right pad of s*(S-1) + d*(K-1)+1 - pad_begin - O, which oneDNN
// accepts while it is > -stride (it may be negative: trailing bias-only outputs).
// kiln's W [C, M/group, K..] is described to oneDNN as a strided view.
#include "onednn_tactics.h"

namespace kiln::cpu::onednn {

bool deconvolutionSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                           const std::vector<ir::TensorDesc>& out) {
    return node.op == "Deconvolution" && convFamilySupports(node, in, out, true);
}

size_t deconvolutionWorkspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                              const std::vector<ir::TensorDesc>&) {
    return convFamilyWorkspace(node, in, true);
}

Status deconvolutionCreate(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                           const std::vector<ir::TensorDesc>&, std::unique_ptr<Kernel>& kernel) {
    return convFamilyCreate(node, in, true, kernel);
}

}  // namespace kiln::cpu::onednn
