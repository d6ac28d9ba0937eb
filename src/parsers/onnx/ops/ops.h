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
//! Reads an ONNX element-type attribute (default FLOAT) as a kiln type; DOUBLE
//! becomes FLOAT. Fails (naming the node) for types kiln has no tensors of.
bool outputDataType(ConverterContext& ctx, const char* attr, DataType& type);

}  // namespace kiln::onnx
