// The oneDNN tactics ("onednn") for Convolution, Deconvolution, Pooling,
// MatMul and FullyConnected, float32 only. registry.cpp lists them when kiln
// is built with oneDNN (KILN_HAVE_ONEDNN).
#pragma once
#include "../kernel.h"

namespace kiln::cpu::onednn {

#define KILN_ONEDNN_DECLARE(Name)                                                                       \
    bool Name##Supports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,                    \
                        const std::vector<ir::TensorDesc>& out);                                        \
    size_t Name##Workspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in,                 \
                           const std::vector<ir::TensorDesc>& out);                                     \
    Status Name##Create(const ir::Node& node, const std::vector<ir::TensorDesc>& in,                    \
                        const std::vector<ir::TensorDesc>& out, std::unique_ptr<Kernel>& kernel);

KILN_ONEDNN_DECLARE(convolution)    // convolution.cpp
KILN_ONEDNN_DECLARE(deconvolution)  // deconvolution.cpp
KILN_ONEDNN_DECLARE(pooling)        // pooling.cpp
KILN_ONEDNN_DECLARE(matmul)         // matmul.cpp
KILN_ONEDNN_DECLARE(fullyConnected) // fully_connected.cpp

#undef KILN_ONEDNN_DECLARE

// Shared by convolution.cpp and deconvolution.cpp: the whole tactic for either
// op (transposed = Deconvolution).
bool convFamilySupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                        const std::vector<ir::TensorDesc>& out, bool transposed);
size_t convFamilyWorkspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in, bool transposed);
Status convFamilyCreate(const ir::Node& node, const std::vector<ir::TensorDesc>& in, bool transposed,
                        std::unique_ptr<Kernel>& kernel);

}  // namespace kiln::cpu::onednn

// One entry of registry.cpp's table.
#define KILN_ONEDNN_TACTIC(op, Name)                                                                    \
    ::kiln::cpu::Tactic {                                                                               \
        "onednn", op, &::kiln::cpu::onednn::Name##Supports, &::kiln::cpu::onednn::Name##Workspace,      \
            &::kiln::cpu::onednn::Name##Create                                                          \
    }
