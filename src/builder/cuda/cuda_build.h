// The builder's CUDA steps (compiled only with the CUDA backend).
#pragma once
#include <initializer_list>
#include <string>
#include <string_view>

#include "builder/build.h"
#include "ir/op_schema.h"

namespace kiln::builder {

// As chooseTactics(), with the CUDA tactics timed on the device.
Status chooseCudaTactics(ir::Graph& g, const BuildOptions& options, const LogFn& log, size_t& workspaceBytes);

// As checkTactics(), for CUDA tactics.
Status checkCudaTactics(const ir::Graph& g, const BuildOptions& options, size_t& workspaceBytes);

// Whether one of the named CUDA tactics supports node n at g's build-time
// shapes: the fusion passes keep a rewrite only where a kernel that applies it
// runs (cuda_tactic_selection.cpp).
bool cudaTacticRuns(const ir::Graph& g, const ir::Node& n, std::initializer_list<std::string_view> tactics);

// Convolution (+ ElementWise sum) (+ relu) -> FusedConvolution (conv_fusion.cpp).
Status fuseConvolutions(ir::Graph& g, const LogFn& log);

// conv as a FusedConvolution, for the fusion passes to add to: a Convolution
// gets B's slot listed (-1 when absent, Z may follow) and activation "none";
// a FusedConvolution is returned as it is (conv_fusion.cpp).
ir::Node asFusedConvolution(ir::Node conv);

// Convolution / FusedConvolution + Activation clip -> FusedConvolution "clip",
// where kiln_depthwise or kiln_conv_small_k runs it (conv_clip_fusion.cpp); after
// reduced precision and cuda-channels-last.
Status fuseConvClips(ir::Graph& g, const LogFn& log);

// Activation clip (a range holding 0) read only as a depthwise convolution's X
// -> that convolution's input clip, where kiln_depthwise runs it
// (conv_input_clip_fusion.cpp); after fuseConvClips.
Status fuseConvInputClips(ir::Graph& g, const LogFn& log);

// MatMul (constant 2-D weights) + ElementWise sum of a bias vector -> FullyConnected (matmul_bias.cpp).
Status fuseMatMulBias(ir::Graph& g, const LogFn& log);

// MatMul -> [scale] -> [+ mask] -> Softmax -> MatMul on 16-bit tensors -> FusedAttention (attention_fusion.cpp).
Status fuseAttention(ir::Graph& g, const LogFn& log);

// FusedAttention operands cut out of a projection by Reshapes, Transposes and
// Gathers (and an output transposed back) read and written in place through
// the strided form (attention_layout.cpp). minShapes: the one profile's min
// shapes (the graph holds its max), which say which extents are dynamic.
Status layOutAttention(ir::Graph& g, const std::vector<ir::Shape>& minShapes, const LogFn& log);

// layOutAttention after moving row Shuffles (ViT's [B, S, E] <-> [S, B, E]
// transposes) across the projections next to the attentions, kept only when
// the layout then absorbs them (row_shuffle_motion.cpp).
Status layOutAttentionMovingRows(ir::Graph& g, const std::vector<ir::Shape>& minShapes, const LogFn& log);

// FullyConnected -> residual Add of its shape / GELU (16-bit) -> one
// FullyConnected with that epilogue (fc_epilogue.cpp).
Status fuseFcEpilogues(ir::Graph& g, const LogFn& log);

// BuilderFlag kFP16/kBF16 on CUDA: moves every float32 layer a CUDA tactic
// supports in the 16-bit type to it, with Casts at the boundaries.
Status applyReducedPrecision(ir::Graph& g, const BuildOptions& options, const LogFn& log);

// Tensor-core convolutions want NHWC: 16-bit Convolution/FusedConvolution
// layers (and the Pooling and pointwise layers between them) store their
// activations channels-last, with transposes inserted only at the borders of
// those regions (channels_last.cpp).
Status applyChannelsLast(ir::Graph& g, const LogFn& log);

// Whether some CUDA tactic supports the node with these descriptors.
bool anyCudaTactic(const ir::Node& n, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out);

// The GPU's name and SM version, for the engine header.
std::string cudaFingerprint();

}  // namespace kiln::builder
