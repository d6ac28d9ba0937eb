// TfIdfVectorizer: n-gram counts of integer token sequences (ONNX
// TfIdfVectorizer-9, integer pools); docs/ops.md.
#include <algorithm>
#include <string>

#include "op_families.h"

namespace kiln::ir {

namespace {

Status inferTfIdf(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const Attrs& a = node.attrs;
    const TensorDesc& x = in[0];
    if (x.dtype != DType::kI32 && x.dtype != DType::kI64) return Status::Error("input must be int32 or int64");
    if (x.shape.size() != 1 && x.shape.size() != 2)
        return Status::Error("input must be [L] or [B, L], got " + shapeToString(x.shape));
    const std::string mode = a.getString("mode", "TF");
    if (mode != "TF" && mode != "IDF" && mode != "TFIDF") return Status::Error("unknown mode '" + mode + "'");
    const int64_t minN = a.getInt("min_gram_length", 1), maxN = a.getInt("max_gram_length", 1);
    if (minN < 1 || maxN < minN) return Status::Error("need 1 <= min_gram_length <= max_gram_length");
    if (a.getInt("max_skip_count", 0) < 0) return Status::Error("max_skip_count must be >= 0");
    const auto pool = a.getInts("pool"), starts = a.getInts("ngram_counts"), indexes = a.getInts("ngram_indexes");
    if (indexes.empty()) return Status::Error("ngram_indexes must not be empty");
    int64_t ngrams = 0;
    for (size_t i = 0; i < starts.size(); ++i) {
        const int64_t begin = starts[i], end = i + 1 < starts.size() ? starts[i + 1] : int64_t(pool.size());
        if (begin < 0 || end < begin || end > int64_t(pool.size()) || (end - begin) % int64_t(i + 1) != 0)
            return Status::Error("ngram_counts[" + std::to_string(i) + "] does not split the pool into " +
                                 std::to_string(i + 1) + "-grams");
        ngrams += (end - begin) / int64_t(i + 1);
    }
    if (ngrams != int64_t(indexes.size()))
        return Status::Error("ngram_indexes has " + std::to_string(indexes.size()) + " entries, the pool " +
                             std::to_string(ngrams) + " n-grams");
    for (int64_t v : indexes)
        if (v < 0 || v > (int64_t(1) << 31)) return Status::Error("ngram_indexes must be in [0, 2^31]");
    const int64_t K = *std::max_element(indexes.begin(), indexes.end()) + 1;
    const auto weights = a.getFloats("weights");
    if (!weights.empty() && int64_t(weights.size()) < K)
        return Status::Error("weights must have an entry per output column (" + std::to_string(K) + ")");
    out[0] = {DType::kF32, x.shape.size() == 1 ? Shape{K} : Shape{x.shape[0], K}, nullptr};
    return Status::Ok();
}

}  // namespace

void registerTfIdfVectorizerOp(std::vector<OpSchema>& t) { t.push_back({"TfIdfVectorizer", 1, 1, 1, 1, &inferTfIdf}); }

}  // namespace kiln::ir
