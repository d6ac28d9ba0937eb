// The scaled-dot-product attention core shared by Attention and FlexAttention
// (attention.cpp): bias construction and scores -> softmax -> weighted sum.
#pragma once
#include "layer_chain.h"

namespace kiln::onnx {

//! What makes up the additive attention bias (all float32 internally).
struct AttentionBiasSpec {
    int64_t batch = 0, qLen = 0, kvLen = 0;  //!< kvLen: total (past + new) keys
    ITensor* mask = nullptr;                 //!< attn_mask: bool (true = attend) or float (added)
    bool causal = false;
    ITensor* pastKey = nullptr;  //!< set when a past cache was concatenated
    int64_t pastLen = 0;
    ITensor* nonpadKvSeqlen = nullptr;  //!< int64 [batch]
};

//! The bias broadcastable to [B, H, Sq, Skv] in float32, or null when there is none.
ITensor* attentionBias(LayerChain& c, const AttentionBiasSpec& spec);

struct AttentionCoreSpec {
    ITensor *q = nullptr, *k = nullptr, *v = nullptr;  //!< [B, H, S, D]; K/V with Hkv heads
    ITensor* bias = nullptr;                           //!< from attentionBias (or null)
    bool guardMaskedRows = false;                      //!< zero the probabilities of rows whose bias is all -inf
    bool hasScale = false;
    float scale = 1.f;
    float softcap = 0.f;
    DataType softmaxType = DataType::kFLOAT;
};

//! The intermediate tensors the qk_matmul_output output can expose.
struct AttentionCoreOutputs {
    ITensor* qk = nullptr;            //!< Q K^T scaled
    ITensor* qkSoftcapped = nullptr;  //!< after softcap
    ITensor* qkBiased = nullptr;      //!< after the bias
    ITensor* probs = nullptr;         //!< softmax
};

//! a [B, Hq, M, X] times b [B, Hkv, ., .] (transposed when transB) per head,
//! kv head h serving query heads h*g .. h*g+g-1 (g = Hq / Hkv).
ITensor* headMatmul(LayerChain& c, ITensor* a, ITensor* b, bool transB);

//! Y [B, Hq, Sq, Dv]; null after an error.
ITensor* attentionCore(LayerChain& c, const AttentionCoreSpec& spec, AttentionCoreOutputs& out);

}  // namespace kiln::onnx
