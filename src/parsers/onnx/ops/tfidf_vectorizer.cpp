// TfIdfVectorizer (opset 9) -> ITfIdfVectorizerLayer; integer pools only
// (kiln has no string tensors).
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertTfIdfVectorizer) {
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    for (const auto& a : node.attribute())
        if (a.name() == "pool_strings" && a.strings_size() > 0)
            return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "string pools (pool_strings) are not supported");
    const std::string mode = ctx.attrString("mode", "");
    TfIdfMode m;
    if (mode == "TF")
        m = TfIdfMode::kTF;
    else if (mode == "IDF")
        m = TfIdfMode::kIDF;
    else if (mode == "TFIDF")
        m = TfIdfMode::kTFIDF;
    else
        return ctx.fail(ErrorCode::kINVALID_VALUE, "unknown mode '" + mode + "'");
    const int64_t lo = ctx.attrInt("min_gram_length", -1), hi = ctx.attrInt("max_gram_length", -1);
    if (lo < 1 || hi < lo) return ctx.fail(ErrorCode::kINVALID_VALUE, "need 1 <= min_gram_length <= max_gram_length");
    const int64_t skip = ctx.attrInt("max_skip_count", -1);
    if (skip < 0) return ctx.fail(ErrorCode::kINVALID_VALUE, "max_skip_count must be >= 0");
    const auto pool = ctx.attrInts("pool_int64s"), starts = ctx.attrInts("ngram_counts");
    const auto indexes = ctx.attrInts("ngram_indexes");
    ITfIdfVectorizerLayer* layer = ctx.network().addTfIdfVectorizer(*x);
    if (!layer) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the TfIdfVectorizer layer");
    layer->setMode(m);
    layer->setGramLengths(lo, hi);
    layer->setMaxSkipCount(skip);
    if (!layer->setPool(pool.data(), static_cast<int64_t>(pool.size()), starts.data(),
                        static_cast<int64_t>(starts.size()), indexes.data(), static_cast<int64_t>(indexes.size())))
        return ctx.fail(ErrorCode::kINVALID_NODE, "invalid n-gram pool");
    const auto weights = ctx.attrFloats("weights");
    if (!weights.empty() && !layer->setWeights(weights.data(), static_cast<int64_t>(weights.size())))
        return ctx.fail(ErrorCode::kINVALID_NODE, "invalid weights");
    return pushLayer(ctx, layer, outputs);
}

}  // namespace kiln::onnx
