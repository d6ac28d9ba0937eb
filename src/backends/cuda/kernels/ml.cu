// TfIdfVectorizer and TreeEnsemble on CUDA, as the CPU references
// (backends/cpu/ref/tfidf_vectorizer.cpp, tree_ensemble.cpp) and docs/ops.md.
// Both carry their tables in attributes: the kernel made at create uploads
// them once (n-grams sorted per length for a binary search; the tree nodes,
// leaves and member sets as flat arrays).
// TfIdfVectorizer: one thread per (row, gap, start) builds its n-grams and
// counts the pool's hits into the float32 output (exact integer atomics up to
// 2^24), then IDF / TFIDF weight the counts per column.
// TreeEnsemble: one thread per (sample, tree) walks the tree to its leaf; one
// thread per sample then aggregates the leaves in tree order in float64 (the
// reference's order of additions) and applies the post-transform.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <string>

#include "../device_memory.h"
#include "device_common.cuh"
#include "kernels.h"
#include "value_io.cuh"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;

// ---------------------------------------------------------------- TfIdfVectorizer

constexpr int kMaxGram = 16;  // the longest n-gram with a column (pools list 1..k-grams)

struct TfIdfParams {
    int64_t minN, maxN, maxSkip, rows, L, K;
    int maxLen;                    // longest n-gram length with entries
    int64_t tokOff[kMaxGram + 1];  // per length n: first token of its grams in `tokens`
    int64_t colOff[kMaxGram + 1];  // per length n: first entry in `cols`
    int64_t count[kMaxGram + 1];   // per length n: how many grams
    const int64_t* tokens;         // grams of each length, sorted lexicographically
    const int64_t* cols;           // their output columns
    bool x64;
};

// Column of gram[0..n) among the pool's n-grams, or -1.
__device__ int64_t findGram(const TfIdfParams& p, const int64_t* gram, int n) {
    int64_t lo = 0, hi = p.count[n];
    const int64_t* base = p.tokens + p.tokOff[n];
    while (lo < hi) {
        const int64_t mid = (lo + hi) / 2;
        const int64_t* g = base + mid * n;
        int cmp = 0;
        for (int q = 0; q < n && cmp == 0; ++q) cmp = g[q] < gram[q] ? -1 : (g[q] > gram[q] ? 1 : 0);
        if (cmp == 0) return p.cols[p.colOff[n] + mid];
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

__global__ void tfidfCountKernel(const void* __restrict__ x, float* __restrict__ y, TfIdfParams p) {
    const int64_t gaps = p.maxSkip + 1, total = p.rows * gaps * p.L;
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
        const int64_t s = e % p.L, d = (e / p.L) % gaps + 1, r = e / (p.L * gaps);
        // 1-grams do not depend on the gap: counted with d = 1 only.
        const int64_t firstN = d == 1 ? p.minN : (p.minN > 2 ? p.minN : 2);
        int64_t gram[kMaxGram];
        for (int64_t n = 1; n <= p.maxN && s + (n - 1) * d < p.L; ++n) {
            if (n > p.maxLen) break;  // no longer n-grams in the pool
            const int64_t at = r * p.L + s + (n - 1) * d;
            // The reference reads tokens through double.
            gram[n - 1] = p.x64 ? int64_t(double(static_cast<const int64_t*>(x)[at]))
                                : int64_t(static_cast<const int32_t*>(x)[at]);
            if (n < firstN) continue;
            const int64_t col = findGram(p, gram, int(n));
            if (col >= 0 && col < p.K) atomicAdd(&y[r * p.K + col], 1.0f);
        }
    }
}

// IDF: weight where counted; TFIDF: count * weight (float64, then float32).
__global__ void tfidfWeightKernel(float* __restrict__ y, const double* __restrict__ weights, int64_t total, int64_t K,
                                  bool idf) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
        const double f = double(y[i]), w = weights ? weights[i % K] : 1.0;
        y[i] = float(idf ? (f > 0 ? w : 0.0) : f * w);
    }
}

class TfIdfKernel final : public Kernel {
public:
    DeviceBuffer tokens, cols, weights;
    TfIdfParams base{};
    std::string mode;
    bool hasWeights = false;

    Status enqueue(LaunchArgs& a) const override {
        const DeviceTensor& X = a.inputs[0];
        DeviceTensor& Y = a.outputs[0];
        if ((X.shape.size() != 1 && X.shape.size() != 2) || Y.dtype != ir::DType::kF32 ||
            Y.shape.size() != X.shape.size() || (X.shape.size() == 2 && Y.shape[0] != X.shape[0]) ||
            Y.shape.back() != base.K)
            return Status::Error("TfIdfVectorizer: input " + ir::shapeToString(X.shape) + " and output " +
                                 ir::shapeToString(Y.shape) + " do not fit");
        TfIdfParams p = base;
        p.rows = X.shape.size() == 2 ? X.shape[0] : 1;
        p.L = X.shape.back();
        p.x64 = X.dtype == ir::DType::kI64;
        const int64_t outN = Y.numel();
        if (outN <= 0) return Status::Ok();
        KILN_CUDA_CHECK(cudaMemsetAsync(Y.data, 0, size_t(outN) * sizeof(float), a.stream));
        const int64_t jobs = p.rows * (p.maxSkip + 1) * p.L;
        if (jobs > 0 && p.maxLen > 0) {
            tfidfCountKernel<<<gridFor(jobs), kBlock, 0, a.stream>>>(X.data, Y.as<float>(), p);
            KILN_CUDA_CHECK_LAUNCH();
        }
        if (mode != "TF") {
            tfidfWeightKernel<<<gridFor(outN), kBlock, 0, a.stream>>>(
                Y.as<float>(), hasWeights ? static_cast<const double*>(weights.get()) : nullptr, outN, p.K,
                mode == "IDF");
            KILN_CUDA_CHECK_LAUNCH();
        }
        return Status::Ok();
    }
};

// ---------------------------------------------------------------- TreeEnsemble

struct TreeTables {
    int64_t nodes, leaves, roots, targets, F;
    // per node
    const int64_t *feat, *mode, *tId, *fId, *tLeaf, *fLeaf, *missing, *setOff, *setLen;
    const double *split, *members;
    // per leaf
    const int64_t* leafTarget;
    const double* leafWeight;
    const int64_t* root;
    int agg, post;
};

__device__ bool treeGoesTrue(const TreeTables& t, int64_t i, double v) {
    if (isnan(v) && t.missing[i]) return true;
    const double s = t.split[i];
    switch (t.mode[i]) {
        case 0:
            return v <= s;
        case 1:
            return v < s;
        case 2:
            return v >= s;
        case 3:
            return v > s;
        case 4:
            return v == s;
        case 5:
            return v != s;
        default:
            for (int64_t k = 0; k < t.setLen[i]; ++k)
                if (t.members[t.setOff[i] + k] == v) return true;
            return false;
    }
}

// The leaf each (sample, tree) reaches, or -1 where the reference reports an error.
template <class S>
__global__ void treeWalkKernel(const S* __restrict__ x, int64_t* __restrict__ leafOf, int64_t N, TreeTables t) {
    const int64_t total = N * t.roots, stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
        const int64_t n = e / t.roots, root = t.root[e % t.roots];
        int64_t result = -1;
        if (root >= 0 && root < t.nodes) {
            // A tree that is a single leaf: both children of the root name the same leaf.
            bool leaf = t.tLeaf[root] && t.fLeaf[root] && t.tId[root] == t.fId[root];
            int64_t at = root;
            bool bad = false;
            for (int64_t steps = 0; !leaf; ++steps) {
                if (steps > t.nodes || at < 0 || at >= t.nodes) {  // a cycle, or a child outside the nodes
                    bad = true;
                    break;
                }
                const int64_t f = t.feat[at];
                const double v = f >= 0 && f < t.F ? double(Elem<S>::load(x[n * t.F + f])) : 0.0;
                const bool go = treeGoesTrue(t, at, v);
                leaf = go ? t.tLeaf[at] != 0 : t.fLeaf[at] != 0;
                at = go ? t.tId[at] : t.fId[at];
            }
            if (!bad && at >= 0 && at < t.leaves) result = at;
        }
        leafOf[e] = result;
    }
}

// Inverse of erf by Newton steps from a rational first guess (the reference's).
__device__ double treeErfInv(double y) {
    if (y <= -1) return -INFINITY;
    if (y >= 1) return INFINITY;
    // Winitzki's approximation with a = 0.147: 2 / (pi a) = 4.3307, w = -ln(1 - y^2).
    const double w = -log((1 - y) * (1 + y)), t = 4.3307 - w / 2;
    double x = copysign(sqrt(sqrt(t * t + w / 0.147) - t), y);
    for (int i = 0; i < 4; ++i) x -= (erf(x) - y) / (2 / sqrt(M_PI) * exp(-x * x));
    return x;
}

template <class S>
__global__ void treeAggregateKernel(const int64_t* __restrict__ leafOf, double* __restrict__ accAll, S* __restrict__ y,
                                    int64_t N, TreeTables t) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    const int64_t T = t.targets;
    for (int64_t n = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; n < N; n += stride) {
        double* acc = accAll + n * T;
        const double init = t.agg == 2   ? double(std::numeric_limits<float>::max())
                            : t.agg == 3 ? double(std::numeric_limits<float>::lowest())
                                         : 0.0;
        for (int64_t k = 0; k < T; ++k) acc[k] = init;
        for (int64_t r = 0; r < t.roots; ++r) {
            const int64_t leaf = leafOf[n * t.roots + r];
            if (leaf < 0) continue;
            const int64_t target = t.leafTarget[leaf];
            if (target < 0 || target >= T) continue;
            const double w = t.leafWeight[leaf];
            double& slot = acc[target];
            if (t.agg == 0)
                slot += w / double(t.roots);
            else if (t.agg == 1)
                slot += w;
            else if (t.agg == 2)
                slot = w < slot ? w : slot;  // std::min(slot, w)
            else
                slot = slot < w ? w : slot;  // std::max(slot, w)
        }
        if (t.post == 1 || t.post == 3) {  // softmax; softmax_zero leaves zeros at 0
            double mx = -INFINITY, sum = 0;
            for (int64_t k = 0; k < T; ++k)
                if (t.post == 1 || acc[k] != 0) mx = mx < acc[k] ? acc[k] : mx;
            for (int64_t k = 0; k < T; ++k) {
                if (t.post == 3 && acc[k] == 0) continue;
                acc[k] = exp(acc[k] - mx);
                sum += acc[k];
            }
            for (int64_t k = 0; k < T; ++k)
                if (sum > 0 && !(t.post == 3 && acc[k] == 0)) acc[k] /= sum;
        } else if (t.post == 2) {
            for (int64_t k = 0; k < T; ++k) acc[k] = 1 / (1 + exp(-acc[k]));
        } else if (t.post == 4) {
            for (int64_t k = 0; k < T; ++k) acc[k] = sqrt(2.0) * treeErfInv(2 * acc[k] - 1);
        }
        for (int64_t k = 0; k < T; ++k) y[n * T + k] = storeFromDoubleAs<S>(acc[k]);
    }
}

bool treeFloat(ir::DType t) {
    return t == ir::DType::kF32 || t == ir::DType::kF16 || t == ir::DType::kBF16 || t == ir::DType::kF64;
}

size_t treeWorkspaceBytes(int64_t N, int64_t roots, int64_t targets) {
    return size_t(N) * size_t(roots) * sizeof(int64_t) + size_t(N) * size_t(targets) * sizeof(double);
}

class TreeKernel final : public Kernel {
public:
    DeviceBuffer tables;
    TreeTables base{};

    Status enqueue(LaunchArgs& a) const override {
        const DeviceTensor& X = a.inputs[0];
        DeviceTensor& Y = a.outputs[0];
        if (X.shape.size() != 2 || X.shape[1] != base.F || Y.shape != ir::Shape{X.shape[0], base.targets} ||
            Y.dtype != X.dtype)
            return Status::Error("TreeEnsemble: X " + ir::shapeToString(X.shape) + " and the output " +
                                 ir::shapeToString(Y.shape) + " do not fit");
        const int64_t N = X.shape[0];
        if (N <= 0) return Status::Ok();
        const size_t need = treeWorkspaceBytes(N, base.roots, base.targets);
        if (a.workspaceBytes < need)
            return Status::Error("TreeEnsemble: the workspace holds " + std::to_string(a.workspaceBytes) + " bytes, " +
                                 std::to_string(need) + " needed");
        auto* leafOf = static_cast<int64_t*>(a.workspace);
        auto* acc = reinterpret_cast<double*>(leafOf + N * base.roots);
        auto go = [&](auto tag) -> Status {
            using S = typename decltype(tag)::type;
            treeWalkKernel<S><<<gridFor(N * base.roots), kBlock, 0, a.stream>>>(X.as<const S>(), leafOf, N, base);
            KILN_CUDA_CHECK_LAUNCH();
            treeAggregateKernel<S><<<gridFor(N, 128), 128, 0, a.stream>>>(leafOf, acc, Y.as<S>(), N, base);
            KILN_CUDA_CHECK_LAUNCH();
            return Status::Ok();
        };
        switch (X.dtype) {
            case ir::DType::kF32:
                return go(Tag<float>{});
            case ir::DType::kF16:
                return go(Tag<__half>{});
            case ir::DType::kBF16:
                return go(Tag<__nv_bfloat16>{});
            case ir::DType::kF64:
                return go(Tag<double>{});
            default:
                return Status::Error("TreeEnsemble: unsupported dtype");
        }
    }
};

// Packs 8-byte arrays into one buffer; offsets in elements.
struct Packer {
    std::vector<uint64_t> words;
    template <class T>
    size_t add(const std::vector<T>& v) {
        static_assert(sizeof(T) == 8);
        const size_t at = words.size();
        words.resize(at + v.size());
        if (!v.empty()) std::memcpy(words.data() + at, v.data(), v.size() * 8);
        return at;
    }
};

}  // namespace

// ---------------------------------------------------------------- TfIdfVectorizer

bool tfidfVectorizerSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                             const std::vector<ir::TensorDesc>& out) {
    if (in.size() != 1 || out.size() != 1 || out[0].dtype != ir::DType::kF32 ||
        (in[0].dtype != ir::DType::kI32 && in[0].dtype != ir::DType::kI64))
        return false;
    const ir::Attrs& a = node.attrs;
    const std::string mode = a.getString("mode", "TF");
    // n-grams with a column are at most as long as the pool's list of lengths.
    const int64_t lengths = int64_t(a.getInts("ngram_counts").size());
    return (mode == "TF" || mode == "IDF" || mode == "TFIDF") && a.getInt("max_skip_count", 0) >= 0 &&
           std::min<int64_t>(a.getInt("max_gram_length", 1), lengths) <= kMaxGram;
}

Status createTfidfVectorizer(const ir::Node& node, const std::vector<ir::TensorDesc>&,
                             const std::vector<ir::TensorDesc>& out, std::unique_ptr<Kernel>& kernel) {
    const ir::Attrs& a = node.attrs;
    auto k = std::make_unique<TfIdfKernel>();
    TfIdfParams& p = k->base;
    p.minN = a.getInt("min_gram_length", 1);
    p.maxN = a.getInt("max_gram_length", 1);
    p.maxSkip = a.getInt("max_skip_count", 0);
    k->mode = a.getString("mode", "TF");
    const auto pool = a.getInts("pool"), starts = a.getInts("ngram_counts"), indexes = a.getInts("ngram_indexes");
    const auto weights = a.getFloats("weights");
    if (out.size() != 1 || out[0].shape.empty()) return Status::Error("TfIdfVectorizer: bad output");
    p.K = out[0].shape.back();
    // n-gram -> output column, as the reference: later duplicates win.
    std::map<std::vector<int64_t>, int64_t> columns;
    for (size_t i = 0, id = 0; i < starts.size(); ++i) {
        const int64_t n = int64_t(i + 1), end = i + 1 < starts.size() ? starts[i + 1] : int64_t(pool.size());
        if (starts[i] < 0 || end > int64_t(pool.size()))
            return Status::Error("TfIdfVectorizer: ngram_counts does not split the pool");
        for (int64_t at = starts[i]; at + n <= end; at += n, ++id) {
            if (id >= indexes.size()) return Status::Error("TfIdfVectorizer: too few ngram_indexes");
            if (n >= p.minN && n <= p.maxN)
                columns[std::vector<int64_t>(pool.begin() + at, pool.begin() + at + n)] = indexes[id];
        }
    }
    // Per length, in the map's (lexicographic) order.
    std::vector<std::vector<int64_t>> toks(kMaxGram + 1);
    std::vector<std::vector<int64_t>> cols(kMaxGram + 1);
    p.maxLen = 0;
    for (const auto& [gram, col] : columns) {
        const size_t n = gram.size();
        if (n > size_t(kMaxGram)) return Status::Error("TfIdfVectorizer: n-grams longer than 16 are not supported");
        toks[n].insert(toks[n].end(), gram.begin(), gram.end());
        cols[n].push_back(col);
        p.maxLen = std::max(p.maxLen, int(n));
    }
    std::vector<int64_t> allTok;
    std::vector<int64_t> allCol;
    for (int n = 0; n <= kMaxGram; ++n) {
        p.tokOff[n] = int64_t(allTok.size());
        p.colOff[n] = int64_t(allCol.size());
        p.count[n] = int64_t(cols[size_t(n)].size());
        allTok.insert(allTok.end(), toks[size_t(n)].begin(), toks[size_t(n)].end());
        allCol.insert(allCol.end(), cols[size_t(n)].begin(), cols[size_t(n)].end());
    }
    if (!allTok.empty()) {
        KILN_RETURN_IF_ERROR(DeviceBuffer::allocate(allTok.size() * 8, "TfIdfVectorizer pool", k->tokens));
        KILN_RETURN_IF_ERROR(copyToDevice(k->tokens.get(), allTok.data(), allTok.size() * 8));
        KILN_RETURN_IF_ERROR(DeviceBuffer::allocate(allCol.size() * 8, "TfIdfVectorizer columns", k->cols));
        KILN_RETURN_IF_ERROR(copyToDevice(k->cols.get(), allCol.data(), allCol.size() * 8));
    }
    p.tokens = static_cast<const int64_t*>(k->tokens.get());
    p.cols = static_cast<const int64_t*>(k->cols.get());
    if (!weights.empty()) {
        if (int64_t(weights.size()) < p.K) return Status::Error("TfIdfVectorizer: too few weights");
        KILN_RETURN_IF_ERROR(DeviceBuffer::allocate(weights.size() * 8, "TfIdfVectorizer weights", k->weights));
        KILN_RETURN_IF_ERROR(copyToDevice(k->weights.get(), weights.data(), weights.size() * 8));
        k->hasWeights = true;
    }
    kernel = std::move(k);
    return Status::Ok();
}

// ---------------------------------------------------------------- TreeEnsemble

bool treeEnsembleSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                          const std::vector<ir::TensorDesc>& out) {
    return in.size() == 1 && out.size() == 1 && treeFloat(in[0].dtype) && out[0].dtype == in[0].dtype &&
           in[0].shape.size() == 2 && !node.attrs.getInts("tree_roots").empty();
}

size_t treeEnsembleWorkspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                             const std::vector<ir::TensorDesc>&) {
    if (in.empty() || in[0].shape.size() != 2 || in[0].shape[0] < 0) return 0;
    return treeWorkspaceBytes(in[0].shape[0], int64_t(node.attrs.getInts("tree_roots").size()),
                              std::max<int64_t>(node.attrs.getInt("n_targets", 0), 0));
}

Status createTreeEnsemble(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                          const std::vector<ir::TensorDesc>&, std::unique_ptr<Kernel>& kernel) {
    const ir::Attrs& a = node.attrs;
    const auto feat = a.getInts("nodes_featureids"), modes = a.getInts("nodes_modes");
    const auto tIds = a.getInts("nodes_truenodeids"), fIds = a.getInts("nodes_falsenodeids");
    const auto tLeaf = a.getInts("nodes_trueleafs"), fLeaf = a.getInts("nodes_falseleafs");
    const auto splits = a.getFloats("nodes_splits");
    auto missing = a.getInts("nodes_missing_value_tracks_true");
    const auto leafTargets = a.getInts("leaf_targetids");
    const auto leafWeights = a.getFloats("leaf_weights");
    const auto roots = a.getInts("tree_roots");
    const auto members = a.getFloats("membership_values");
    const size_t n = feat.size();
    if (modes.size() != n || tIds.size() != n || fIds.size() != n || tLeaf.size() != n || fLeaf.size() != n ||
        splits.size() != n || (!missing.empty() && missing.size() != n) || leafTargets.size() != leafWeights.size() ||
        roots.empty() || in.empty() || in[0].shape.size() != 2)
        return Status::Error("TreeEnsemble: inconsistent node, leaf or root attributes");
    if (missing.empty()) missing.assign(n, 0);
    // The member sets, in the order the member nodes appear in the node list.
    std::vector<int64_t> setOff(n, 0), setLen(n, 0);
    for (size_t i = 0, at = 0; i < n; ++i) {
        if (modes[i] != 6) continue;
        setOff[i] = int64_t(at);
        while (at < members.size() && !std::isnan(members[at])) ++at, ++setLen[i];
        ++at;  // the NaN delimiter
    }
    auto k = std::make_unique<TreeKernel>();
    TreeTables& t = k->base;
    t.nodes = int64_t(n);
    t.leaves = int64_t(leafTargets.size());
    t.roots = int64_t(roots.size());
    t.targets = a.getInt("n_targets", 0);
    t.F = in[0].shape[1];
    t.agg = int(a.getInt("aggregate_function", 1));
    t.post = int(a.getInt("post_transform", 0));
    if (t.targets < 1 || t.agg < 0 || t.agg > 3 || t.post < 0 || t.post > 4)
        return Status::Error("TreeEnsemble: n_targets, aggregate_function or post_transform out of range");
    Packer pk;
    const size_t oFeat = pk.add(feat), oMode = pk.add(modes), oT = pk.add(tIds), oF = pk.add(fIds), oTL = pk.add(tLeaf),
                 oFL = pk.add(fLeaf), oMiss = pk.add(missing), oSetOff = pk.add(setOff), oSetLen = pk.add(setLen),
                 oSplit = pk.add(splits), oMem = pk.add(members), oLT = pk.add(leafTargets), oLW = pk.add(leafWeights),
                 oRoot = pk.add(roots);
    const size_t bytes = std::max<size_t>(pk.words.size(), 1) * 8;
    KILN_RETURN_IF_ERROR(DeviceBuffer::allocate(bytes, "TreeEnsemble tables", k->tables));
    if (!pk.words.empty()) KILN_RETURN_IF_ERROR(copyToDevice(k->tables.get(), pk.words.data(), pk.words.size() * 8));
    const auto* w = static_cast<const uint64_t*>(k->tables.get());
    auto i64 = [&](size_t o) { return reinterpret_cast<const int64_t*>(w + o); };
    auto f64 = [&](size_t o) { return reinterpret_cast<const double*>(w + o); };
    t.feat = i64(oFeat), t.mode = i64(oMode), t.tId = i64(oT), t.fId = i64(oF), t.tLeaf = i64(oTL);
    t.fLeaf = i64(oFL), t.missing = i64(oMiss), t.setOff = i64(oSetOff), t.setLen = i64(oSetLen);
    t.split = f64(oSplit), t.members = f64(oMem), t.leafTarget = i64(oLT), t.leafWeight = f64(oLW);
    t.root = i64(oRoot);
    kernel = std::move(k);
    return Status::Ok();
}

}  // namespace kiln::cuda::kernels
