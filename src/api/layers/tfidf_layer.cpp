// ITfIdfVectorizerLayer and INetworkDefinition::addTfIdfVectorizer: the
// TfIdfVectorizer IR op.
#include "layer_util.h"

namespace kiln::api {

namespace {

class TfIdfLayer final : public LayerBase<ITfIdfVectorizerLayer> {
public:
    TfIdfLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kTFIDF_VECTORIZER, node, 1) {}
    void setMode(TfIdfMode m) noexcept override {
        const char* name = m == TfIdfMode::kTF      ? "TF"
                           : m == TfIdfMode::kIDF   ? "IDF"
                           : m == TfIdfMode::kTFIDF ? "TFIDF"
                                                    : nullptr;
        if (!name) return error("setMode", "invalid mode");
        node().attrs.set("mode", name);
    }
    TfIdfMode getMode() const noexcept override {
        const std::string m = node().attrs.getString("mode", "TF");
        return m == "IDF" ? TfIdfMode::kIDF : m == "TFIDF" ? TfIdfMode::kTFIDF : TfIdfMode::kTF;
    }
    void setGramLengths(int64_t lo, int64_t hi) noexcept override {
        if (lo < 1 || hi < lo) return error("setGramLengths", "need 1 <= min <= max");
        node().attrs.set("min_gram_length", lo);
        node().attrs.set("max_gram_length", hi);
    }
    void setMaxSkipCount(int64_t s) noexcept override {
        if (s < 0) return error("setMaxSkipCount", "must be >= 0");
        node().attrs.set("max_skip_count", s);
    }
    bool setPool(const int64_t* pool, int64_t poolCount, const int64_t* starts, int64_t nbStarts,
                 const int64_t* indexes, int64_t nbIndexes) noexcept override {
        if (poolCount < 0 || nbStarts < 0 || nbIndexes < 1 || (poolCount && !pool) || (nbStarts && !starts) ||
            !indexes) {
            error("setPool", "null or negative-length arrays");
            return false;
        }
        node().attrs.set("pool", std::vector<int64_t>(pool, pool + poolCount));
        node().attrs.set("ngram_counts", std::vector<int64_t>(starts, starts + nbStarts));
        node().attrs.set("ngram_indexes", std::vector<int64_t>(indexes, indexes + nbIndexes));
        touch();
        return true;
    }
    bool setWeights(const float* w, int64_t count) noexcept override {
        if (count < 0 || (count && !w)) {
            error("setWeights", "null or negative-length array");
            return false;
        }
        node().attrs.set("weights", std::vector<double>(w, w + count));
        touch();
        return true;
    }

private:
    void error(const char* call, const char* what) const {
        logError(net().logger(),
                 std::string("ITfIdfVectorizerLayer::") + call + ": layer '" + node().name + "': " + what);
    }
};

}  // namespace

ITfIdfVectorizerLayer* NetworkImpl::addTfIdfVectorizer(ITensor& input) noexcept {
    if (!checkInput(&input, "addTfIdfVectorizer", 0)) return nullptr;
    if (implicitBatch_) {
        logError(logger_, "INetworkDefinition::addTfIdfVectorizer: needs an explicit-batch network (createNetworkV2)");
        return nullptr;
    }
    const int n = newNode("TfIdfVectorizer", "TfIdfVectorizer", {valueOf(input)}, 1);
    return adopt(std::make_unique<TfIdfLayer>(*this, n));
}

}  // namespace kiln::api
