// Reference kernels: the simple CPU implementation of every op, against which
// every other tactic is checked. One file per op family under ref/. Each
// function handles the dtypes its Supports twin accepts and returns an error
// naming the dtype for anything else.
#pragma once
#include "../kernel.h"

namespace kiln::cpu::ref {

#define KILN_REF_OP(Name)                                                               \
    Status Name(KernelArgs& args);                                                      \
    bool Name##Supports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,   \
                        const std::vector<ir::TensorDesc>& out);

// convolution.cpp
KILN_REF_OP(convolution)
KILN_REF_OP(deconvolution)
// pooling.cpp
KILN_REF_OP(pooling)
KILN_REF_OP(lrn)
// matmul.cpp
KILN_REF_OP(matmul)
KILN_REF_OP(fullyConnected)
// pointwise files
KILN_REF_OP(elementwise)
KILN_REF_OP(unary)
KILN_REF_OP(activation)
KILN_REF_OP(prelu)
KILN_REF_OP(select)
KILN_REF_OP(cast)
KILN_REF_OP(scale)
// reduction files
KILN_REF_OP(softmax)
KILN_REF_OP(reduce)
KILN_REF_OP(normalization)
KILN_REF_OP(topk)
// data movement files
KILN_REF_OP(concat)
KILN_REF_OP(shuffle)
KILN_REF_OP(gather)
KILN_REF_OP(slice)
KILN_REF_OP(pad)
KILN_REF_OP(resize)
KILN_REF_OP(shape)
KILN_REF_OP(identity)
// fill.cpp
KILN_REF_OP(fill)
// data-dependent output sizes: nonzero.cpp, unique.cpp, nms.cpp
KILN_REF_OP(nonzero)
KILN_REF_OP(unique)
KILN_REF_OP(nms)
// conditional.cpp (IfCondition and IfInput share ifPass)
KILN_REF_OP(ifPass)
KILN_REF_OP(ifOutput)
// quantize.cpp
KILN_REF_OP(quantize)
KILN_REF_OP(dequantize)
KILN_REF_OP(bitcast)
// fused ops (made by builder passes)
KILN_REF_OP(fusedConvolution)
KILN_REF_OP(fusedAttention)
// nn files (scatter.cpp, cumulative.cpp, onehot.cpp, reverse_sequence.cpp, einsum.cpp, det.cpp)
KILN_REF_OP(scatter)
KILN_REF_OP(cumulative)
KILN_REF_OP(onehot)
KILN_REF_OP(reverseSequence)
KILN_REF_OP(einsum)
KILN_REF_OP(det)
// grid_sample.cpp
KILN_REF_OP(gridSample)
// rnn.cpp
KILN_REF_OP(rnn)
// dft.cpp
KILN_REF_OP(dft)
// stft.cpp
KILN_REF_OP(stft)
// window.cpp
KILN_REF_OP(window)
// mel_weight_matrix.cpp
KILN_REF_OP(melWeightMatrix)
// roi_align.cpp
KILN_REF_OP(roiAlign)
// col2im.cpp
KILN_REF_OP(col2im)
// max_unpool.cpp
KILN_REF_OP(maxUnpool)
// affine_grid.cpp
KILN_REF_OP(affineGrid)
// deform_conv.cpp
KILN_REF_OP(deformConv)
// tfidf_vectorizer.cpp
KILN_REF_OP(tfidfVectorizer)
// image_decoder.cpp
KILN_REF_OP(imageDecoder)
// tree_ensemble.cpp
KILN_REF_OP(treeEnsemble)

#undef KILN_REF_OP

}  // namespace kiln::cpu::ref
