// kiln_onnx: the transformer converters (Attention, LinearAttention,
// TensorScatter, RotaryEmbedding) on combinations the ONNX backend suite does
// not cover, each checked against a plain float64 reference written here.
#include <limits>
#include <map>

#include "onnx_test_util.h"

using namespace onnx_test;

namespace {

// One graph input: float values, or int64 when `ints` is set.
struct In {
    std::string name;
    std::vector<int64_t> dims;
    std::vector<float> f;
    std::vector<int64_t> i;
    bool isInt = false;
    bool isBool = false;
};

std::string info(const std::string& name, const std::vector<int64_t>& dims, int elemType) {
    std::string shape, tensorType, type, vi;
    for (int64_t d : dims) {
        std::string dim;
        putInt(dim, 1, uint64_t(d));
        putBytes(shape, 1, dim);
    }
    putInt(tensorType, 1, uint64_t(elemType));
    putBytes(tensorType, 2, shape);
    putBytes(type, 1, tensorType);
    putBytes(vi, 1, name);
    putBytes(vi, 2, type);
    return vi;
}

Attr attrS(const std::string& name, const std::string& v) {
    Attr a;
    putBytes(a.bytes, 1, name);
    putBytes(a.bytes, 4, v);
    putInt(a.bytes, 20, 3);
    return a;
}

std::string multiNode(const std::vector<std::string>& in, const std::vector<std::string>& out, const std::string& op,
                      const std::vector<Attr>& attrs) {
    std::string n = node(in, out, "op0", op);
    for (const auto& a : attrs) putBytes(n, 5, a.bytes);
    return n;
}

// Builds and runs a one-node model; returns every output by name (float).
std::map<std::string, std::vector<float>> runGraph(const std::string& nodeBytes, const std::vector<In>& inputs,
                                                   const std::vector<std::string>& outputs, int64_t opset) {
    std::string graph, opsetBytes, m;
    putBytes(graph, 1, nodeBytes);
    putBytes(graph, 2, "g");
    for (const auto& in : inputs) putBytes(graph, 11, info(in.name, in.dims, in.isBool ? 9 : in.isInt ? 7 : 1));
    for (const auto& o : outputs) putBytes(graph, 12, info(o, {}, 1));
    putInt(m, 1, 8);
    putInt(opsetBytes, 2, uint64_t(opset));
    putBytes(m, 8, opsetBytes);
    putBytes(m, 7, graph);

    std::map<std::string, std::vector<float>> result;
    CapturingLogger log;
    auto builder = kiln::createInferBuilder(log);
    auto network = builder->createNetworkV2(0);
    auto parser = kiln::onnx::createParser(*network, log);
    if (!parser->parse(m.data(), m.size())) {
        ADD_FAILURE() << parser->getError(0)->desc();
        return result;
    }
    auto config = builder->createBuilderConfig();
    config->setBackend(kiln::BackendKind::kCPU);
    auto engine = builder->buildEngineWithConfig(*network, *config);
    if (!engine) {
        ADD_FAILURE() << (log.errors.empty() ? "build failed" : log.errors.back());
        return result;
    }
    auto ctx = engine->createExecutionContext();
    std::vector<std::vector<float>> fIn;
    std::vector<std::vector<int64_t>> iIn;
    std::vector<std::vector<uint8_t>> bIn;
    fIn.reserve(inputs.size());
    iIn.reserve(inputs.size());
    bIn.reserve(inputs.size());
    for (const auto& in : inputs) {
        if (in.isBool) {
            bIn.emplace_back(in.i.begin(), in.i.end());
            ctx->setTensorAddress(in.name.c_str(), bIn.back().data());
        } else if (in.isInt) {
            iIn.push_back(in.i);
            ctx->setTensorAddress(in.name.c_str(), iIn.back().data());
        } else {
            fIn.push_back(in.f);
            ctx->setTensorAddress(in.name.c_str(), fIn.back().data());
        }
    }
    for (const auto& o : outputs) {
        const kiln::Dims od = engine->getTensorShape(o.c_str());
        int64_t n = 1;
        for (int i = 0; i < od.nbDims; ++i) n *= od.d[i];
        result[o].assign(size_t(n), NAN);
        ctx->setTensorAddress(o.c_str(), result[o].data());
    }
    EXPECT_TRUE(ctx->enqueueV3(nullptr)) << (log.errors.empty() ? "" : log.errors.back());
    return result;
}

std::vector<float> pattern(size_t n, int seed) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = float(std::sin(double(i) * 0.37 + seed) * 1.5);
    return v;
}

void expectClose(const std::vector<float>& got, const std::vector<double>& want, const char* what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < got.size(); ++i)
        EXPECT_NEAR(got[i], want[i], 1e-4 + 1e-4 * std::fabs(want[i])) << what << " " << i;
}

// Plain scaled-dot-product attention on [B, H, S, D] tensors (row-major), GQA
// by head groups, additive bias bias(b, h, i, j) (may be -inf), rows whose
// bias is all -inf give zeros.
template <class Bias>
std::vector<double> refAttention(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
                                 int64_t b, int64_t hq, int64_t hkv, int64_t sq, int64_t skv, int64_t d, int64_t dv,
                                 double scale, Bias bias) {
    std::vector<double> y(size_t(b * hq * sq * dv), 0.0);
    const int64_t g = hq / hkv;
    for (int64_t bb = 0; bb < b; ++bb)
        for (int64_t h = 0; h < hq; ++h)
            for (int64_t i = 0; i < sq; ++i) {
                const int64_t kh = h / g;
                std::vector<double> s(static_cast<size_t>(skv));
                double mx = -std::numeric_limits<double>::infinity();
                bool any = false;
                for (int64_t j = 0; j < skv; ++j) {
                    double dot = 0;
                    for (int64_t c = 0; c < d; ++c)
                        dot += double(q[size_t(((bb * hq + h) * sq + i) * d + c)]) *
                               double(k[size_t(((bb * hkv + kh) * skv + j) * d + c)]);
                    const double bj = bias(bb, h, i, j);
                    any |= !std::isinf(bj);
                    s[size_t(j)] = dot * scale + bj;
                    mx = std::max(mx, s[size_t(j)]);
                }
                if (!any) continue;
                double sum = 0;
                for (auto& x : s) sum += (x = std::exp(x - mx));
                for (int64_t c = 0; c < dv; ++c) {
                    double acc = 0;
                    for (int64_t j = 0; j < skv; ++j)
                        acc += s[size_t(j)] / sum * double(v[size_t(((bb * hkv + kh) * skv + j) * dv + c)]);
                    y[size_t(((bb * hq + h) * sq + i) * dv + c)] = acc;
                }
            }
    return y;
}

// concat(past, new) along the sequence axis of [B, H, S, D].
std::vector<float> concatSeq(const std::vector<float>& past, const std::vector<float>& cur, int64_t bh, int64_t sp,
                             int64_t sn, int64_t d) {
    std::vector<float> out;
    for (int64_t i = 0; i < bh; ++i) {
        out.insert(out.end(), past.begin() + i * sp * d, past.begin() + (i + 1) * sp * d);
        out.insert(out.end(), cur.begin() + i * sn * d, cur.begin() + (i + 1) * sn * d);
    }
    return out;
}

std::vector<double> toDouble(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

// 4-D GQA (4 query heads on 2 kv heads) with a kv cache and a causal mask: the
// causal diagonal is offset by the past length; present = concat(past, new).
TEST(OnnxTransformerOps, AttentionGqaCausalWithPast) {
    const int64_t b = 2, hq = 4, hkv = 2, sq = 3, sp = 2, d = 4, dv = 3, skv = sp + sq;
    const auto q = pattern(size_t(b * hq * sq * d), 1), k = pattern(size_t(b * hkv * sq * d), 2),
               v = pattern(size_t(b * hkv * sq * dv), 3), pk = pattern(size_t(b * hkv * sp * d), 4),
               pv = pattern(size_t(b * hkv * sp * dv), 5);
    auto n = multiNode({"Q", "K", "V", "", "past_key", "past_value"}, {"Y", "present_key", "present_value"},
                       "Attention", {attrI("is_causal", 1)});
    auto r = runGraph(n,
                      {{"Q", {b, hq, sq, d}, q},
                       {"K", {b, hkv, sq, d}, k},
                       {"V", {b, hkv, sq, dv}, v},
                       {"past_key", {b, hkv, sp, d}, pk},
                       {"past_value", {b, hkv, sp, dv}, pv}},
                      {"Y", "present_key", "present_value"}, 23);
    const auto kAll = concatSeq(pk, k, b * hkv, sp, sq, d), vAll = concatSeq(pv, v, b * hkv, sp, sq, dv);
    const auto want = refAttention(q, kAll, vAll, b, hq, hkv, sq, skv, d, dv, 1.0 / std::sqrt(double(d)),
                                   [&](int64_t, int64_t, int64_t i, int64_t j) { return j > i + sp ? -kInf : 0.0; });
    expectClose(r["Y"], want, "Y");
    expectClose(r["present_key"], toDouble(kAll), "present_key");
    expectClose(r["present_value"], toDouble(vAll), "present_value");
}

// 3-D inputs with GQA, a past cache, causal masking, a bool mask shorter than
// the total kv length (padded as masked) that hides a whole row, an explicit
// scale, and the softmax output (qk_matmul_output_mode 3): the hidden row is 0.
TEST(OnnxTransformerOps, Attention3dShortBoolMaskMaskedRowAndProbsOutput) {
    const int64_t b = 1, hq = 2, hkv = 1, sq = 2, sp = 1, d = 4, skv = sp + sq, maskLen = 2;
    const auto q = pattern(size_t(b * sq * hq * d), 6), k = pattern(size_t(b * sq * hkv * d), 7),
               v = pattern(size_t(b * sq * hkv * d), 8), pk = pattern(size_t(b * hkv * sp * d), 9),
               pv = pattern(size_t(b * hkv * sp * d), 10);
    const std::vector<int64_t> mask = {0, 0, 1, 1};  // [Sq, 2]: row 0 sees nothing, row 1 keys 0-1
    auto n = multiNode({"Q", "K", "V", "M", "past_key", "past_value"}, {"Y", "", "", "P"}, "Attention",
                       {attrI("is_causal", 1), attrI("q_num_heads", hq), attrI("kv_num_heads", hkv),
                        attrF("scale", 0.3f), attrI("qk_matmul_output_mode", 3)});
    In m{"M", {sq, maskLen}, {}, mask, false, true};
    auto r = runGraph(n,
                      {{"Q", {b, sq, hq * d}, q},
                       {"K", {b, sq, hkv * d}, k},
                       {"V", {b, sq, hkv * d}, v},
                       m,
                       {"past_key", {b, hkv, sp, d}, pk},
                       {"past_value", {b, hkv, sp, d}, pv}},
                      {"Y", "P"}, 23);
    // To [B, H, S, D].
    auto heads = [](const std::vector<float>& x, int64_t s, int64_t h, int64_t dd) {
        std::vector<float> o(x.size());
        for (int64_t i = 0; i < s; ++i)
            for (int64_t hh = 0; hh < h; ++hh)
                for (int64_t c = 0; c < dd; ++c) o[size_t((hh * s + i) * dd + c)] = x[size_t((i * h + hh) * dd + c)];
        return o;
    };
    const auto kAll = concatSeq(pk, heads(k, sq, hkv, d), hkv, sp, sq, d);
    const auto vAll = concatSeq(pv, heads(v, sq, hkv, d), hkv, sp, sq, d);
    auto bias = [&](int64_t, int64_t, int64_t i, int64_t j) {
        const bool keep = j < maskLen && mask[size_t(i * maskLen + j)] != 0 && j <= i + sp;
        return keep ? 0.0 : -kInf;
    };
    const auto y4 = refAttention(heads(q, sq, hq, d), kAll, vAll, b, hq, hkv, sq, skv, d, d, 0.3, bias);
    std::vector<double> want(y4.size());  // back to [B, S, H*D]
    for (int64_t i = 0; i < sq; ++i)
        for (int64_t h = 0; h < hq; ++h)
            for (int64_t c = 0; c < d; ++c) want[size_t((i * hq + h) * d + c)] = y4[size_t((h * sq + i) * d + c)];
    expectClose(r["Y"], want, "Y");
    // Probabilities: row 0 all zero; row 1 only keys 0 and 1.
    ASSERT_EQ(r["P"].size(), size_t(hq * sq * skv));
    for (int64_t h = 0; h < hq; ++h) {
        for (int64_t j = 0; j < skv; ++j) EXPECT_EQ(r["P"][size_t((h * sq + 0) * skv + j)], 0.f) << h << " " << j;
        EXPECT_EQ(r["P"][size_t((h * sq + 1) * skv + 2)], 0.f);
        EXPECT_NEAR(r["P"][size_t((h * sq + 1) * skv + 0)] + r["P"][size_t((h * sq + 1) * skv + 1)], 1.f, 1e-5f);
    }
}

// External (static) kv cache: nonpad_kv_seqlen per batch with causal masking,
// GQA: query i of batch b sees keys j <= i + len[b] - Sq and j < len[b].
TEST(OnnxTransformerOps, AttentionNonpadCausalGqa) {
    const int64_t b = 2, hq = 2, hkv = 1, sq = 2, skv = 5, d = 3;
    const std::vector<int64_t> lens = {3, 5};
    const auto q = pattern(size_t(b * hq * sq * d), 11), k = pattern(size_t(b * hkv * skv * d), 12),
               v = pattern(size_t(b * hkv * skv * d), 13);
    auto n = multiNode({"Q", "K", "V", "", "", "", "L"}, {"Y"}, "Attention", {attrI("is_causal", 1)});
    In l{"L", {b}, {}, lens, true};
    auto r =
        runGraph(n, {{"Q", {b, hq, sq, d}, q}, {"K", {b, hkv, skv, d}, k}, {"V", {b, hkv, skv, d}, v}, l}, {"Y"}, 24);
    auto bias = [&](int64_t bb, int64_t, int64_t i, int64_t j) {
        const int64_t len = lens[size_t(bb)];
        return (j <= i + len - sq && j < len) ? 0.0 : -kInf;
    };
    expectClose(r["Y"], refAttention(q, k, v, b, hq, hkv, sq, skv, d, d, 1.0 / std::sqrt(double(d)), bias), "Y");
}

// Gated delta rule with GQA, a past state and per-head decay, against a plain recurrence.
TEST(OnnxTransformerOps, LinearAttentionGatedDeltaGqaWithPastPerHeadDecay) {
    const int64_t b = 1, t = 3, hq = 4, hkv = 2, dk = 2, dv = 3;
    const auto q = pattern(size_t(b * t * hq * dk), 14), k = pattern(size_t(b * t * hkv * dk), 15),
               v = pattern(size_t(b * t * hkv * dv), 16), past = pattern(size_t(b * hkv * dk * dv), 17);
    std::vector<float> decay = pattern(size_t(b * t * hkv), 18), beta = pattern(size_t(b * t * hkv), 19);
    for (auto& x : decay) x = -std::fabs(x);
    for (auto& x : beta) x = 0.5f + 0.3f * x;
    auto n = multiNode({"q", "k", "v", "s", "g", "beta"}, {"o", "state"}, "LinearAttention",
                       {attrI("q_num_heads", hq), attrI("kv_num_heads", hkv)});
    auto r = runGraph(n,
                      {{"q", {b, t, hq * dk}, q},
                       {"k", {b, t, hkv * dk}, k},
                       {"v", {b, t, hkv * dv}, v},
                       {"s", {b, hkv, dk, dv}, past},
                       {"g", {b, t, hkv}, decay},
                       {"beta", {b, t, hkv}, beta}},
                      {"o", "state"}, 27);
    std::vector<double> s = toDouble(past), out(size_t(b * t * hq * dv));
    const double scale = 1.0 / std::sqrt(double(dk));
    for (int64_t step = 0; step < t; ++step)
        for (int64_t h = 0; h < hkv; ++h) {
            double* st = &s[size_t(h * dk * dv)];
            const double gate = std::exp(double(decay[size_t(step * hkv + h)]));
            const float* kt = &k[size_t((step * hkv + h) * dk)];
            const float* vt = &v[size_t((step * hkv + h) * dv)];
            for (int64_t i = 0; i < dk * dv; ++i) st[i] *= gate;
            for (int64_t c = 0; c < dv; ++c) {
                double retrieved = 0;
                for (int64_t i = 0; i < dk; ++i) retrieved += st[i * dv + c] * kt[i];
                const double w = double(beta[size_t(step * hkv + h)]) * (vt[c] - retrieved);
                for (int64_t i = 0; i < dk; ++i) st[i * dv + c] += kt[i] * w;
            }
            for (int64_t g = 0; g < hq / hkv; ++g) {
                const int64_t qh = h * (hq / hkv) + g;
                for (int64_t c = 0; c < dv; ++c) {
                    double acc = 0;
                    for (int64_t i = 0; i < dk; ++i) acc += q[size_t((step * hq + qh) * dk + i)] * st[i * dv + c];
                    out[size_t((step * hq + qh) * dv + c)] = scale * acc;
                }
            }
        }
    expectClose(r["o"], out, "output");
    expectClose(r["state"], s, "present_state");
}

// Circular TensorScatter on axis 2 of a 4-D cache: a write at index 3 of a
// length-4 cache wraps to positions 3 and 0.
TEST(OnnxTransformerOps, TensorScatterCircularWraps) {
    const int64_t b = 2, h = 1, maxLen = 4, len = 2, d = 2;
    const auto past = pattern(size_t(b * h * maxLen * d), 20), upd = pattern(size_t(b * h * len * d), 21);
    const std::vector<int64_t> w = {3, 1};
    auto n = multiNode({"past", "upd", "w"}, {"y"}, "TensorScatter", {attrS("mode", "circular"), attrI("axis", 2)});
    In wi{"w", {b}, {}, w, true};
    auto r = runGraph(n, {{"past", {b, h, maxLen, d}, past}, {"upd", {b, h, len, d}, upd}, wi}, {"y"}, 24);
    std::vector<double> want = toDouble(past);
    for (int64_t bb = 0; bb < b; ++bb)
        for (int64_t s = 0; s < len; ++s)
            for (int64_t c = 0; c < d; ++c)
                want[size_t((bb * maxLen + (w[size_t(bb)] + s) % maxLen) * d + c)] =
                    upd[size_t((bb * len + s) * d + c)];
    expectClose(r["y"], want, "present_cache");
}

// 3-D RotaryEmbedding, interleaved, rotating only the first half of each head.
TEST(OnnxTransformerOps, RotaryEmbedding3dInterleavedPartial) {
    const int64_t b = 1, s = 2, h = 2, d = 4, rot = 2, maxPos = 5;
    const auto x = pattern(size_t(b * s * h * d), 22), cosC = pattern(size_t(maxPos * 3), 23),
               sinC = pattern(size_t(maxPos * 3), 24);  // caches wider than rot/2: only column 0 is used
    const std::vector<int64_t> pos = {4, 1};
    auto n = multiNode({"x", "c", "s", "p"}, {"y"}, "RotaryEmbedding",
                       {attrI("interleaved", 1), attrI("num_heads", h), attrI("rotary_embedding_dim", rot)});
    In p{"p", {b, s}, {}, pos, true};
    auto r = runGraph(n, {{"x", {b, s, h * d}, x}, {"c", {maxPos, 3}, cosC}, {"s", {maxPos, 3}, sinC}, p}, {"y"}, 23);
    std::vector<double> want = toDouble(x);
    for (int64_t i = 0; i < s; ++i)
        for (int64_t hh = 0; hh < h; ++hh) {
            const size_t base = size_t((i * h + hh) * d);
            const double c = cosC[size_t(pos[size_t(i)] * 3)], sn = sinC[size_t(pos[size_t(i)] * 3)];
            const double x1 = x[base], x2 = x[base + 1];
            want[base] = c * x1 - sn * x2;
            want[base + 1] = sn * x1 + c * x2;
        }
    expectClose(r["y"], want, "output");
}

// FlexAttention (ai.onnx.preview) with the element-wise modifier forms:
// score_mod(score, b, h, q_idx, kv_idx) adds 0.5 * h, mask_mod(b, h, q_idx,
// kv_idx) keeps kv_idx <= q_idx, and a whole-tensor prob_mod doubles the
// probabilities; GQA (2 query heads on 1 kv head).
TEST(OnnxTransformerOps, FlexAttentionElementwiseModifiers) {
    const int64_t b = 1, hq = 2, hkv = 1, s = 3, d = 2;
    const auto q = pattern(size_t(b * hq * s * d), 25), k = pattern(size_t(b * hkv * s * d), 26),
               v = pattern(size_t(b * hkv * s * d), 27);
    auto graph = [](const std::vector<std::string>& nodes, const std::vector<std::string>& inits,
                    const std::vector<std::string>& ins, const std::string& out) {
        std::string g;
        for (const auto& n : nodes) putBytes(g, 1, n);
        putBytes(g, 2, "mod");
        for (const auto& i : inits) putBytes(g, 5, i);
        for (const auto& i : ins) putBytes(g, 11, i);
        putBytes(g, 12, out);
        return g;
    };
    auto attrG = [](const std::string& name, const std::string& g) {
        Attr a;
        putBytes(a.bytes, 1, name);
        putBytes(a.bytes, 6, g);
        putInt(a.bytes, 20, 5);
        return a;
    };
    const std::string scoreMod =
        graph({chainNode({"hi"}, "hf", "Cast", {attrI("to", 1)}), chainNode({"hf", "half"}, "hb", "Mul"),
               chainNode({"sc", "hb"}, "sc_out", "Add")},
              {floatInit("half", {}, {0.5f})},
              {info("sc", {}, 1), info("bi", {}, 7), info("hi", {}, 7), info("qi", {}, 7), info("ki", {}, 7)},
              info("sc_out", {}, 1));
    const std::string maskMod =
        graph({chainNode({"q2", "k2"}, "keep", "GreaterOrEqual")}, {},
              {info("b2", {}, 7), info("h2", {}, 7), info("q2", {}, 7), info("k2", {}, 7)}, info("keep", {}, 9));
    const std::string probMod = graph({chainNode({"pr", "two"}, "pr_out", "Mul")}, {floatInit("two", {}, {2.f})},
                                      {info("pr", {}, 1)}, info("pr_out", {}, 1));
    std::string n = multiNode({"Q", "K", "V"}, {"Y"}, "FlexAttention",
                              {attrG("score_mod", scoreMod), attrG("mask_mod", maskMod), attrG("prob_mod", probMod)});
    putBytes(n, 7, "ai.onnx.preview");
    auto r = runGraph(n, {{"Q", {b, hq, s, d}, q}, {"K", {b, hkv, s, d}, k}, {"V", {b, hkv, s, d}, v}}, {"Y"}, 26);
    auto want = refAttention(q, k, v, b, hq, hkv, s, s, d, d, 1.0 / std::sqrt(double(d)),
                             [](int64_t, int64_t h, int64_t i, int64_t j) { return j > i ? -kInf : 0.5 * double(h); });
    for (auto& x : want) x *= 2.0;
    expectClose(r["Y"], want, "Y");
}
