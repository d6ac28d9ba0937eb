// Reference TfIdfVectorizer (docs/ops.md), as ONNX's reference counts: for
// every gap d = 1 .. max_skip_count + 1 and start position, the tokens at
// start, start + d, start + 2d, ... form n-grams of each length in
// [min, max]; an n-gram of the pool adds 1 to its output column. 1-grams do
// not depend on d and are counted with d = 1 only. IDF / TFIDF weight by
// output column.
#include <map>
#include <string>

#include "ref_kernels.h"

namespace kiln::cpu::ref {

Status tfidfVectorizer(KernelArgs& args) {
    const ir::Attrs& a = args.node.attrs;
    const HostTensor& x = args.inputs[0];
    HostTensor& y = args.outputs[0];
    const int64_t minN = a.getInt("min_gram_length", 1), maxN = a.getInt("max_gram_length", 1);
    const int64_t maxSkip = a.getInt("max_skip_count", 0);
    const std::string mode = a.getString("mode", "TF");
    const auto pool = a.getInts("pool"), starts = a.getInts("ngram_counts"), indexes = a.getInts("ngram_indexes");
    const auto weights = a.getFloats("weights");
    // n-gram (of a length in [min, max]) -> output column; later duplicates win.
    std::map<std::vector<int64_t>, int64_t> columns;
    for (size_t i = 0, id = 0; i < starts.size(); ++i) {
        const int64_t n = int64_t(i + 1), end = i + 1 < starts.size() ? starts[i + 1] : int64_t(pool.size());
        for (int64_t at = starts[i]; at + n <= end; at += n, ++id)
            if (n >= minN && n <= maxN)
                columns[std::vector<int64_t>(pool.begin() + at, pool.begin() + at + n)] = indexes[id];
    }
    const int64_t rows = x.shape.size() == 2 ? x.shape[0] : 1, L = x.shape.back(), K = y.shape.back();
    std::vector<int64_t> freq(size_t(rows * K), 0);
    std::vector<int64_t> gram;
    for (int64_t r = 0; r < rows; ++r) {
        auto token = [&](int64_t i) { return int64_t(ir::loadAsDouble(x.data, x.dtype, r * L + i)); };
        for (int64_t d = 1; d <= maxSkip + 1; ++d) {
            const int64_t firstN = d == 1 ? minN : std::max<int64_t>(minN, 2);
            for (int64_t s = 0; s < L; ++s) {
                gram.clear();
                for (int64_t n = 1; n <= maxN && s + (n - 1) * d < L; ++n) {
                    gram.push_back(token(s + (n - 1) * d));
                    if (n < firstN) continue;
                    auto it = columns.find(gram);
                    if (it != columns.end()) ++freq[size_t(r * K + it->second)];
                }
            }
        }
    }
    for (int64_t i = 0; i < rows * K; ++i) {
        const double f = double(freq[size_t(i)]), w = weights.empty() ? 1.0 : weights[size_t(i % K)];
        const double v = mode == "TF" ? f : mode == "IDF" ? (f > 0 ? w : 0.0) : f * w;
        y.as<float>()[i] = float(v);
    }
    return Status::Ok();
}

bool tfidfVectorizerSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in,
                             const std::vector<ir::TensorDesc>& out) {
    return in.size() == 1 && out.size() == 1 && out[0].dtype == ir::DType::kF32;
}

}  // namespace kiln::cpu::ref
