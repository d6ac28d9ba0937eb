// Declarations of every op converter (one family per .cpp in this directory)
// and small helpers they share.
#pragma once
#include "converter.h"

namespace kiln::onnx {

#define KILN_ONNX_CONVERTER(name) \
    bool name(ConverterContext& ctx, const pb::NodeProto& node, std::vector<ITensor*>& inputs, \
              std::vector<ITensor*>& outputs)

// conv.cpp
KILN_ONNX_CONVERTER(convertConv);
KILN_ONNX_CONVERTER(convertConvTranspose);
// pool.cpp
KILN_ONNX_CONVERTER(convertMaxPool);
KILN_ONNX_CONVERTER(convertAveragePool);
KILN_ONNX_CONVERTER(convertGlobalAveragePool);
KILN_ONNX_CONVERTER(convertGlobalMaxPool);
// elementwise.cpp
KILN_ONNX_CONVERTER(convertElementWise);
// activation.cpp
KILN_ONNX_CONVERTER(convertActivation);
KILN_ONNX_CONVERTER(convertClip);
KILN_ONNX_CONVERTER(convertPRelu);
// unary.cpp
KILN_ONNX_CONVERTER(convertUnary);
// matmul_gemm.cpp
KILN_ONNX_CONVERTER(convertMatMul);
KILN_ONNX_CONVERTER(convertGemm);
// shape_ops.cpp
KILN_ONNX_CONVERTER(convertReshape);
KILN_ONNX_CONVERTER(convertFlatten);
KILN_ONNX_CONVERTER(convertSqueeze);
KILN_ONNX_CONVERTER(convertUnsqueeze);
KILN_ONNX_CONVERTER(convertTranspose);
// data_ops.cpp
KILN_ONNX_CONVERTER(convertIdentity);
KILN_ONNX_CONVERTER(convertConcat);
KILN_ONNX_CONVERTER(convertSlice);
KILN_ONNX_CONVERTER(convertGather);
KILN_ONNX_CONVERTER(convertShape);
KILN_ONNX_CONVERTER(convertCast);
KILN_ONNX_CONVERTER(convertWhere);
KILN_ONNX_CONVERTER(convertSize);
KILN_ONNX_CONVERTER(convertCastLike);
KILN_ONNX_CONVERTER(convertGatherElements);
// reduce_softmax.cpp
KILN_ONNX_CONVERTER(convertSoftmax);
KILN_ONNX_CONVERTER(convertReduce);
// normalization.cpp
KILN_ONNX_CONVERTER(convertBatchNormalization);
KILN_ONNX_CONVERTER(convertInstanceNormalization);
KILN_ONNX_CONVERTER(convertLayerNormalization);
// pad_resize.cpp
KILN_ONNX_CONVERTER(convertPad);
KILN_ONNX_CONVERTER(convertResize);
// topk_split.cpp
KILN_ONNX_CONVERTER(convertTopK);
KILN_ONNX_CONVERTER(convertArgMinMax);
KILN_ONNX_CONVERTER(convertSplit);
// generate_ops.cpp
KILN_ONNX_CONVERTER(convertConstantOfShape);
KILN_ONNX_CONVERTER(convertRange);
KILN_ONNX_CONVERTER(convertExpand);
KILN_ONNX_CONVERTER(convertTile);
// constant.cpp
KILN_ONNX_CONVERTER(convertConstant);
// data-dependent output sizes: nonzero.cpp, unique.cpp, nms.cpp, compress.cpp
KILN_ONNX_CONVERTER(convertNonZero);
KILN_ONNX_CONVERTER(convertUnique);
KILN_ONNX_CONVERTER(convertNonMaxSuppression);
KILN_ONNX_CONVERTER(convertCompress);
// control_flow.cpp
KILN_ONNX_CONVERTER(convertIf);
KILN_ONNX_CONVERTER(convertLoop);
KILN_ONNX_CONVERTER(convertScan);
// cast.cpp: convertCast, convertCastLike (declared above)
// quantize.cpp
KILN_ONNX_CONVERTER(convertQuantizeLinear);
KILN_ONNX_CONVERTER(convertDequantizeLinear);
KILN_ONNX_CONVERTER(convertDynamicQuantizeLinear);
KILN_ONNX_CONVERTER(convertMatMulInteger);
KILN_ONNX_CONVERTER(convertQLinearMatMul);
KILN_ONNX_CONVERTER(convertConvInteger);
KILN_ONNX_CONVERTER(convertQLinearConv);
// bitwise.cpp
KILN_ONNX_CONVERTER(convertBitShift);
KILN_ONNX_CONVERTER(convertBitwiseBinary);
KILN_ONNX_CONVERTER(convertBitwiseNot);
KILN_ONNX_CONVERTER(convertBitCast);
// mod.cpp
KILN_ONNX_CONVERTER(convertMod);
// attention.cpp
KILN_ONNX_CONVERTER(convertAttention);
// rotary_embedding.cpp
KILN_ONNX_CONVERTER(convertRotaryEmbedding);
// tensor_scatter.cpp
KILN_ONNX_CONVERTER(convertTensorScatter);
// causal_conv_with_state.cpp
KILN_ONNX_CONVERTER(convertCausalConvWithState);
// flex_attention.cpp
KILN_ONNX_CONVERTER(convertFlexAttention);
// linear_attention.cpp
KILN_ONNX_CONVERTER(convertLinearAttention);
// swiglu.cpp
KILN_ONNX_CONVERTER(convertSwiGLU);
// rms_normalization.cpp
KILN_ONNX_CONVERTER(convertRMSNormalization);
//! LayerNormalization when its Mean/InvStdDev outputs are used.
bool convertLayerNormalizationStats(ConverterContext& ctx, const pb::NodeProto& node, ITensor& x, ITensor& scale,
                                    ITensor& bias, std::vector<ITensor*>& outputs);
// pool.cpp (LpPool)
KILN_ONNX_CONVERTER(convertLpPool);
// grid_sample.cpp
KILN_ONNX_CONVERTER(convertGridSample);
// rnn.cpp
KILN_ONNX_CONVERTER(convertRNN);
KILN_ONNX_CONVERTER(convertGRU);
KILN_ONNX_CONVERTER(convertLSTM);
// dft.cpp, stft.cpp, window.cpp, mel_weight_matrix.cpp
KILN_ONNX_CONVERTER(convertDFT);
KILN_ONNX_CONVERTER(convertSTFT);
KILN_ONNX_CONVERTER(convertWindow);
KILN_ONNX_CONVERTER(convertMelWeightMatrix);
// roi_align.cpp
KILN_ONNX_CONVERTER(convertRoiAlign);
// col2im.cpp
KILN_ONNX_CONVERTER(convertCol2Im);
// max_unpool.cpp, affine_grid.cpp, deform_conv.cpp, tfidf_vectorizer.cpp,
// image_decoder.cpp, center_crop_pad.cpp
KILN_ONNX_CONVERTER(convertMaxUnpool);
KILN_ONNX_CONVERTER(convertAffineGrid);
KILN_ONNX_CONVERTER(convertDeformConv);
KILN_ONNX_CONVERTER(convertTfIdfVectorizer);
KILN_ONNX_CONVERTER(convertImageDecoder);
KILN_ONNX_CONVERTER(convertCenterCropPad);
// ai.onnx.ml: ml_binarizer.cpp, ml_array_feature_extractor.cpp
KILN_ONNX_CONVERTER(convertBinarizer);
KILN_ONNX_CONVERTER(convertArrayFeatureExtractor);
KILN_ONNX_CONVERTER(convertTreeEnsemble);  // ml_tree_ensemble.cpp

// Shared helpers (op_helpers.cpp).
//! Normalizes a possibly negative axis against `rank`; false if out of range.
bool normalizeAxis(int64_t& axis, int32_t rank);
Dims toDims(const std::vector<int64_t>& v);
//! Shuffle-reshape of `input` to `dims`; null on failure.
IShuffleLayer* addReshape(ConverterContext& ctx, ITensor& input, const Dims& dims, const char* suffix);
//! A float constant of rank `rank` with all extents 1 (broadcasts against anything of that rank).
ITensor* addScalar(ConverterContext& ctx, float value, int32_t rank);
//! Pushes the layer's output (or fails naming the node when the layer is null).
bool pushLayer(ConverterContext& ctx, ILayer* layer, std::vector<ITensor*>& outputs);
//! Conv's strides, dilations, group and padding attributes applied to `conv` (conv.cpp).
bool configureConvolution(ConverterContext& ctx, IConvolutionLayer* conv, int32_t spatialDims);
//! Reads an ONNX element-type attribute (default FLOAT) as a kiln type. Fails
//! (naming the node) for types kiln has no tensors of.
bool outputDataType(ConverterContext& ctx, const char* attr, DataType& type);

// ---- NN ops (one converter per file; decompositions use layer_helpers.cpp) ----
// losses.cpp
KILN_ONNX_CONVERTER(convertNegativeLogLikelihoodLoss);
KILN_ONNX_CONVERTER(convertSoftmaxCrossEntropyLoss);
// lrn.cpp, gather_nd.cpp, trilu.cpp, hardmax.cpp, argminmax_last.cpp, eyelike.cpp, onehot.cpp
KILN_ONNX_CONVERTER(convertLRN);
KILN_ONNX_CONVERTER(convertGatherND);
KILN_ONNX_CONVERTER(convertTrilu);
KILN_ONNX_CONVERTER(convertHardmax);
KILN_ONNX_CONVERTER(convertArgMinMaxLastIndex);
KILN_ONNX_CONVERTER(convertEyeLike);
KILN_ONNX_CONVERTER(convertOneHot);
// celu.cpp, mish.cpp, shrink.cpp
KILN_ONNX_CONVERTER(convertCelu);
KILN_ONNX_CONVERTER(convertMish);
KILN_ONNX_CONVERTER(convertShrink);
// mvn.cpp, group_norm.cpp, lp_norm.cpp, dropout.cpp, depth_space.cpp
KILN_ONNX_CONVERTER(convertMeanVarianceNormalization);
KILN_ONNX_CONVERTER(convertGroupNormalization);
KILN_ONNX_CONVERTER(convertLpNormalization);
KILN_ONNX_CONVERTER(convertDropout);
KILN_ONNX_CONVERTER(convertDepthToSpace);
KILN_ONNX_CONVERTER(convertSpaceToDepth);
// scatter.cpp, cumulative.cpp, reverse_sequence.cpp, einsum.cpp, det.cpp
KILN_ONNX_CONVERTER(convertScatter);
KILN_ONNX_CONVERTER(convertCumulative);
KILN_ONNX_CONVERTER(convertReverseSequence);
KILN_ONNX_CONVERTER(convertEinsum);
KILN_ONNX_CONVERTER(convertDet);

// Helpers for decompositions (layer_helpers.cpp). Each returns null after
// ctx.fail(...) naming the helper layer by `suffix`.
std::vector<int64_t> dimsOf(const ITensor& t);
//! Whether a constant table of rows x cols elements, made at parse time from
//! the input's dims (Trilu's mask, EyeLike, Hardmax's range), stays within
//! 2^25 elements; fails the node naming the dims when not (absurd dims must
//! be an error, not gigabytes of allocation).
bool tableFits(ConverterContext& ctx, int64_t rows, int64_t cols);
bool isIntegerType(DataType t);
//! `t` cast to `type` (t itself when it already has that type).
ITensor* castTo(ConverterContext& ctx, ITensor& t, DataType type, const char* suffix);
//! A constant of `type` with all `rank` extents 1 holding `value`.
ITensor* scalarOfType(ConverterContext& ctx, double value, int32_t rank, DataType type);
//! The layer's output 0, naming the layer after the node plus `suffix`.
ITensor* layerOutput(ConverterContext& ctx, ILayer* layer, const char* suffix);
ITensor* binary(ConverterContext& ctx, ITensor& a, ITensor& b, ElementWiseOperation op, const char* suffix);
ITensor* unary(ConverterContext& ctx, ITensor& x, UnaryOperation op, const char* suffix);
ITensor* select(ConverterContext& ctx, ITensor& cond, ITensor& a, ITensor& b, const char* suffix);
//! Reshape to explicit dims (at most one -1; 0 means an empty dim).
ITensor* reshapeTo(ConverterContext& ctx, ITensor& x, const std::vector<int64_t>& dims, const char* suffix);
ITensor* reduceAll(ConverterContext& ctx, ITensor& x, ReduceOperation op, uint32_t axes, bool keep,
                   const char* suffix);

// random.cpp
KILN_ONNX_CONVERTER(convertRandom);
KILN_ONNX_CONVERTER(convertRandomLike);
KILN_ONNX_CONVERTER(convertBernoulli);
KILN_ONNX_CONVERTER(convertMultinomial);

}  // namespace kiln::onnx
