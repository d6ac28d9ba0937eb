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
void registerQuantizeOps(std::vector<OpSchema>& t);      // Quantize, Dequantize, BitCast
void registerFusedConvolutionOps(std::vector<OpSchema>& t);  // FusedConvolution (made by the CUDA fusion pass)
void registerFusedAttentionOp(std::vector<OpSchema>& t);     // FusedAttention (made by the CUDA attention fusion)
void registerNNOps(std::vector<OpSchema>& t);            // Scatter, Cumulative, OneHot, ReverseSequence, Einsum, Det
void registerGridSampleOp(std::vector<OpSchema>& t);     // GridSample (grid_sample.cpp)
void registerRNNOp(std::vector<OpSchema>& t);  // RNN (rnn.cpp)
void registerDFTOp(std::vector<OpSchema>& t);  // DFT (dft.cpp)
void registerSTFTOp(std::vector<OpSchema>& t);  // STFT (stft.cpp)
void registerWindowOp(std::vector<OpSchema>& t);  // Window (window.cpp)
void registerMelWeightMatrixOp(std::vector<OpSchema>& t);  // MelWeightMatrix (mel_weight_matrix.cpp)
void registerRoiAlignOp(std::vector<OpSchema>& t);  // RoiAlign (roi_align.cpp)
void registerCol2ImOp(std::vector<OpSchema>& t);  // Col2Im (col2im.cpp)
void registerMaxUnpoolOp(std::vector<OpSchema>& t);  // MaxUnpool (max_unpool.cpp)
void registerAffineGridOp(std::vector<OpSchema>& t);  // AffineGrid (affine_grid.cpp)
void registerDeformConvOp(std::vector<OpSchema>& t);  // DeformConv (deform_conv.cpp)
void registerTfIdfVectorizerOp(std::vector<OpSchema>& t);  // TfIdfVectorizer (tfidf_vectorizer.cpp)
void registerImageDecoderOp(std::vector<OpSchema>& t);  // ImageDecoder (image_decoder.cpp)
void registerTreeEnsembleOp(std::vector<OpSchema>& t);  // TreeEnsemble (tree_ensemble.cpp)
void registerPluginOp(std::vector<OpSchema>& t);        // Plugin (ops/plugin.h)

}  // namespace kiln::ir
