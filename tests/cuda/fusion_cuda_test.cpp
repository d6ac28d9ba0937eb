// The CUDA builder's fusions of transformer layers, checked end to end
// through the public API against the CPU engine: MatMul by constant weights
// followed by a bias Add becomes one FullyConnected (bias in the cuBLASLt
// epilogue), GELU written with Erf becomes one Activation, which in FP16 goes
// into the GEMM's epilogue as a residual Add does in both; FP32 and FP16.
// Scaled dot-product attention (MatMul, scale, mask, Softmax, MatMul) becomes
// one FusedAttention in FP16, which reads ViT's heads straight out of the
// in-projection and writes its output in the out-projection's layout. A
// ViT's patch convolution runs as a patch cut and a GEMM in FP16.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "device_test_util.h"
#include "kiln/kiln.h"

namespace {

using namespace kiln;

struct Logger : ILogger {
    std::string errors;
    void log(Severity s, const char* msg) noexcept override {
        if (s <= Severity::kERROR) errors += std::string(msg) + "\n";
    }
};

std::vector<float> randomFloats(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-1.f, 1.f);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

constexpr int64_t kB = 2, kS = 5, kIn = 24, kHidden = 32, kOut = 8;

// x[B, S, 24] -> MatMul W1[24, 32] -> + b1[32] -> GELU (Div, Erf, Add, Mul, Mul)
// -> MatMul W2ᵀ ([8, 32], transB) -> b2[1, 1, 8] + (bias first).
struct Mlp {
    std::vector<float> w1 = randomFloats(kIn * kHidden, 1), b1 = randomFloats(kHidden, 2);
    std::vector<float> w2 = randomFloats(kOut * kHidden, 3), b2 = randomFloats(kOut, 4);
    float sqrt2 = float(std::sqrt(2.0)), one = 1.f, half = 0.5f;
    bool residual = false;  // + an input r [B, S, 8] after the second layer

    std::unique_ptr<IEngine> build(IBuilder& b, BackendKind backend, bool fp16, const char* disabled = nullptr) {
        auto net = b.createNetworkV2(0);
        auto constant = [&](Dims d, std::vector<float>& v) {
            return net->addConstant(d, {DataType::kFLOAT, v.data(), int64_t(v.size())})->getOutput(0);
        };
        auto scalar = [&](float& v) {
            return net->addConstant(Dims3{1, 1, 1}, {DataType::kFLOAT, &v, 1})->getOutput(0);
        };
        auto ew = [&](ITensor* p, ITensor* q, ElementWiseOperation op) {
            return net->addElementWise(*p, *q, op)->getOutput(0);
        };
        ITensor* x = net->addInput("x", DataType::kFLOAT, Dims3{kB, kS, kIn});
        ITensor* h = net->addMatrixMultiply(*x, MatrixOperation::kNONE, *constant(Dims2{kIn, kHidden}, w1),
                                            MatrixOperation::kNONE)
                         ->getOutput(0);
        h = ew(h, constant(Dims{1, {kHidden}}, b1), ElementWiseOperation::kSUM);
        ITensor* e =
            net->addUnary(*ew(h, scalar(sqrt2), ElementWiseOperation::kDIV), UnaryOperation::kERF)->getOutput(0);
        h = ew(ew(h, ew(e, scalar(one), ElementWiseOperation::kSUM), ElementWiseOperation::kPROD), scalar(half),
               ElementWiseOperation::kPROD);
        ITensor* y = net->addMatrixMultiply(*h, MatrixOperation::kNONE, *constant(Dims2{kOut, kHidden}, w2),
                                            MatrixOperation::kTRANSPOSE)
                         ->getOutput(0);
        y = ew(constant(Dims3{1, 1, kOut}, b2), y, ElementWiseOperation::kSUM);
        if (residual) y = ew(y, net->addInput("r", DataType::kFLOAT, Dims3{kB, kS, kOut}), ElementWiseOperation::kSUM);
        y->setName("y");
        net->markOutput(*y);
        auto cfg = b.createBuilderConfig();
        cfg->setBackend(backend);
        if (fp16) cfg->setFlag(BuilderFlag::kFP16);
        if (disabled) cfg->setPassEnabled(disabled, false);
        return b.buildEngineWithConfig(*net, *cfg);
    }
};

std::string info(IEngine& e) {
    auto m = e.getEngineInformation(false);
    return std::string(static_cast<const char*>(m->data()), m->size());
}

// Runs an engine on host (CPU) or device (CUDA) copies of the inputs; the one output back on the host.
std::vector<float> run(IEngine& e, const std::vector<std::vector<float>>& in, size_t outCount, bool device) {
    auto ctx = e.createExecutionContext();
    std::vector<float> y(outCount, NAN);
    std::vector<void*> bindings;
    for (const auto& x : in) {
        void* p = const_cast<float*>(x.data());
        if (device) {
            EXPECT_EQ(cudaMalloc(&p, x.size() * 4), cudaSuccess);
            EXPECT_EQ(cudaMemcpy(p, x.data(), x.size() * 4, cudaMemcpyHostToDevice), cudaSuccess);
        }
        bindings.push_back(p);
    }
    void* out = y.data();
    if (device) {
        EXPECT_EQ(cudaMalloc(&out, y.size() * 4), cudaSuccess);
    }
    bindings.push_back(out);
    EXPECT_TRUE(ctx->executeV2(bindings.data()));
    if (device) {
        EXPECT_EQ(cudaMemcpy(y.data(), out, y.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
        for (void* p : bindings) cudaFree(p);
    }
    return y;
}

int count(const std::string& text, const std::string& what) {
    int n = 0;
    for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
    return n;
}

// The largest |got - want| over two outputs, and the largest |want|.
double maxDiff(const std::vector<float>& got, const std::vector<float>& want) {
    EXPECT_EQ(got.size(), want.size());
    double worst = 0;
    for (size_t i = 0; i < std::min(got.size(), want.size()); ++i)
        worst = std::max(worst, std::fabs(double(got[i]) - want[i]));
    return worst;
}

double maxAbs(const std::vector<float>& v) {
    double m = 0;
    for (float x : v) m = std::max(m, double(std::fabs(x)));
    return m;
}

TEST(CudaFusion, LinearLayersAndGeluMatchTheCpu) {
    SKIP_WITHOUT_DEVICE();
    Logger log;
    auto b = createInferBuilder(log);
    for (bool residual : {false, true}) {
        Mlp mlp;
        mlp.residual = residual;
        auto cpu = mlp.build(*b, BackendKind::kCPU, false);
        ASSERT_TRUE(cpu) << log.errors;
        std::vector<std::vector<float>> in = {randomFloats(size_t(kB * kS * kIn), 9)};
        if (residual) in.push_back(randomFloats(size_t(kB * kS * kOut), 10));
        const auto want = run(*cpu, in, size_t(kB * kS * kOut), false);
        for (bool fp16 : {false, true}) {
            const std::string what = std::string(fp16 ? "fp16" : "fp32") + (residual ? " + residual" : "");
            auto gpu = mlp.build(*b, BackendKind::kCUDA, fp16);
            auto unfused = mlp.build(*b, BackendKind::kCUDA, fp16, "cuda-matmul-bias");
            auto noEpilogue = mlp.build(*b, BackendKind::kCUDA, fp16, "cuda-fc-epilogue");
            ASSERT_TRUE(gpu && unfused && noEpilogue) << log.errors;
            const std::string text = info(*gpu);
            EXPECT_EQ(count(text, "[FullyConnected,"), 2) << what << text;
            EXPECT_EQ(count(text, "[MatMul,"), 0) << what << text;
            // The GELU goes into the first layer's epilogue in 16-bit only; the residual in both.
            EXPECT_EQ(count(text, "[Activation,"), fp16 ? 0 : 1) << what << text;
            EXPECT_EQ(count(text, "[ElementWise,"), 0) << what << text;
            EXPECT_EQ(count(text, "[Unary,"), 0) << what << text;
            EXPECT_EQ(count(info(*noEpilogue), "[Activation,"), 1) << what;
            EXPECT_EQ(count(info(*noEpilogue), "[ElementWise,"), residual ? 1 : 0) << what;
            EXPECT_EQ(count(info(*unfused), "[FullyConnected,"), 0) << what << info(*unfused);
            const double tol = fp16 ? 2e-2 : 1e-5;
            const double scale = maxAbs(want);
            for (auto* e : {gpu.get(), unfused.get(), noEpilogue.get()}) {
                const auto got = run(*e, in, size_t(kB * kS * kOut), true);
                for (size_t i = 0; i < want.size(); ++i)
                    EXPECT_NEAR(got[i], want[i], tol * (1 + scale)) << what << " at " << i;
            }
        }
    }
}

// softmax(Q Kᵀ * 0.125 + M) V over [2, 3, Sq, D] heads, with K given as
// [.., Sk, D] (transposed by the MatMul) or as Kᵀ [.., D, Sk], an optional
// mask [2, 1, 1, Sk] of 0 and -10000; the scale on the scores or on Q and K.
struct AttentionCase {
    int64_t sq, sk, d;
    bool transK, mask;
    bool preScale = false;  // Q and K each times sqrt(0.125) instead (how SDPA exports)
    // Batch 1's keys all masked (-inf) and the probabilities guarded by
    // Where(IsNaN(P), 0, P), as transformers' SDPA export writes: zeros, not NaN.
    bool nanGuard = false;
    bool kFromTranspose = false;  // Kᵀ made by a Transpose of a K input (the pass makes it K again)
};

std::unique_ptr<IEngine> buildAttention(IBuilder& b, const AttentionCase& c, BackendKind backend, bool fp16, bool fuse,
                                        float& scale) {
    auto net = b.createNetworkV2(0);
    const Dims4 qd{2, 3, c.sq, c.d},
        kd = c.transK || c.kFromTranspose ? Dims4{2, 3, c.sk, c.d} : Dims4{2, 3, c.d, c.sk}, vd{2, 3, c.sk, c.d};
    ITensor* q = net->addInput("q", DataType::kFLOAT, qd);
    ITensor* k = net->addInput("k", DataType::kFLOAT, kd);
    if (c.kFromTranspose) {
        IShuffleLayer* t = net->addShuffle(*k);
        t->setFirstTranspose(Permutation{{0, 1, 3, 2}});
        k = t->getOutput(0);
    }
    ITensor* v = net->addInput("v", DataType::kFLOAT, vd);
    ITensor* k0 = net->addConstant(Dims4{1, 1, 1, 1}, {DataType::kFLOAT, &scale, 1})->getOutput(0);
    if (c.preScale) {
        q = net->addElementWise(*q, *k0, ElementWiseOperation::kPROD)->getOutput(0);
        k = net->addElementWise(*k0, *k, ElementWiseOperation::kPROD)->getOutput(0);
    }
    ITensor* s = net->addMatrixMultiply(*q, MatrixOperation::kNONE, *k,
                                        c.transK ? MatrixOperation::kTRANSPOSE : MatrixOperation::kNONE)
                     ->getOutput(0);
    if (!c.preScale) s = net->addElementWise(*s, *k0, ElementWiseOperation::kPROD)->getOutput(0);
    if (c.mask) {
        ITensor* m = net->addInput("m", DataType::kFLOAT, Dims4{2, 1, 1, c.sk});
        s = net->addElementWise(*s, *m, ElementWiseOperation::kSUM)->getOutput(0);
    }
    auto* sm = net->addSoftMax(*s);
    sm->setAxes(1u << 3);
    ITensor* p = sm->getOutput(0);
    static const float zero = 0.f;
    if (c.nanGuard)
        p = net->addSelect(*net->addUnary(*p, UnaryOperation::kISNAN)->getOutput(0),
                           *net->addConstant(Dims4{1, 1, 1, 1}, {DataType::kFLOAT, &zero, 1})->getOutput(0), *p)
                ->getOutput(0);
    ITensor* y = net->addMatrixMultiply(*p, MatrixOperation::kNONE, *v, MatrixOperation::kNONE)->getOutput(0);
    y->setName("y");
    net->markOutput(*y);
    auto cfg = b.createBuilderConfig();
    cfg->setBackend(backend);
    if (fp16) cfg->setFlag(BuilderFlag::kFP16);
    cfg->setPassEnabled("cuda-attention-fusion", fuse);
    return b.buildEngineWithConfig(*net, *cfg);
}

TEST(CudaFusion, AttentionMatchesTheCpu) {
    SKIP_WITHOUT_DEVICE();
    Logger log;
    auto b = createInferBuilder(log);
    float scale = 0;
    // Partial tiles of queries and keys, both K layouts, both head sizes, with and without a mask.
    for (const AttentionCase c :
         {AttentionCase{70, 90, 64, false, true}, AttentionCase{64, 128, 128, true, false},
          AttentionCase{5, 197, 64, true, true}, AttentionCase{197, 197, 64, false, false, true},
          AttentionCase{70, 96, 64, false, true, false, true},
          AttentionCase{64, 90, 64, false, false, false, false, true}}) {
        scale = c.preScale ? float(std::sqrt(0.125)) : 0.125f;
        const std::string what = "Sq " + std::to_string(c.sq) + " Sk " + std::to_string(c.sk) + " D " +
                                 std::to_string(c.d) + (c.transK ? " K" : " Kt") + (c.mask ? " masked" : "") +
                                 (c.nanGuard ? " nan-guarded" : "") + (c.kFromTranspose ? " K transposed" : "");
        std::vector<std::vector<float>> in = {randomFloats(size_t(6 * c.sq * c.d), 11),
                                              randomFloats(size_t(6 * c.sk * c.d), 12),
                                              randomFloats(size_t(6 * c.sk * c.d), 13)};
        for (auto& x : in[0]) x *= 4;  // peaked softmax rows
        if (c.mask) {
            std::vector<float> m(size_t(2 * c.sk), 0.f);
            for (size_t j = 0; j < m.size(); j += 3) m[j] = -10000.f;
            if (c.nanGuard)
                for (size_t j = size_t(c.sk); j < m.size(); ++j) m[j] = -INFINITY;
            in.push_back(m);
        }
        const size_t outCount = size_t(6 * c.sq * c.d);
        auto cpu = buildAttention(*b, c, BackendKind::kCPU, false, true, scale);
        auto fused = buildAttention(*b, c, BackendKind::kCUDA, true, true, scale);
        auto plain = buildAttention(*b, c, BackendKind::kCUDA, true, false, scale);
        ASSERT_TRUE(cpu && fused && plain) << log.errors;
        EXPECT_EQ(count(info(*fused), "[FusedAttention,"), 1) << what << info(*fused);
        EXPECT_EQ(count(info(*fused), "[Softmax,"), 0) << what << info(*fused);
        EXPECT_EQ(count(info(*fused), "[ElementWise,"), 0) << what << info(*fused);  // the scale folded in
        EXPECT_EQ(count(info(*fused), "[Select,"), 0) << what << info(*fused);
        EXPECT_EQ(count(info(*plain), "[FusedAttention,"), 0) << what;
        const auto want = run(*cpu, in, outCount, false);
        const auto got = run(*fused, in, outCount, true), unfused = run(*plain, in, outCount, true);
        EXPECT_LT(maxDiff(got, want), 1e-2) << what;  // V in [-1, 1]; FP16 probabilities
        EXPECT_LT(maxDiff(unfused, want), 1e-2) << what;
    }
}

// ViT's self-attention as torch exports it, on an in-projection P [S, B, 3·H·64]
// (here an input): Reshape, Unsqueeze, Transpose, Squeeze, a Gather each for
// Q, K and V, heads split by Reshape -> Transpose -> Reshape; the output
// transposed back to [S, B, H, 64] and reshaped to rows.
constexpr int32_t kVitS = 197, kVitB = 2, kVitH = 2, kVitD = 64;

// With batchFirst, the whole block of nn.MultiheadAttention(batch_first=True):
// x [B, S, H·64] transposed to [S, B, H·64], the in-projection making P, and
// after the rows the out-projection, a reshape to [S, B, H·64], the transpose
// back and the residual + x.
struct VitProjections {
    std::vector<float> w1 = randomFloats(size_t(kVitH * kVitD * 3 * kVitH * kVitD), 41);
    std::vector<float> b1 = randomFloats(size_t(3 * kVitH * kVitD), 42);
    std::vector<float> w2 = randomFloats(size_t(kVitH * kVitD * kVitH * kVitD), 43);
    std::vector<float> b2 = randomFloats(size_t(kVitH * kVitD), 44);
    VitProjections() {
        for (auto* w : {&w1, &w2})
            for (float& v : *w) v *= 0.08f;  // about 1/sqrt(128): activations stay near 1
    }
};

std::unique_ptr<IEngine> buildVitAttention(IBuilder& b, BackendKind backend, bool fp16, bool layout,
                                           VitProjections* batchFirst = nullptr, bool motion = true) {
    auto net = b.createNetworkV2(0);
    auto reshape = [&](ITensor* x, Dims d) {
        IShuffleLayer* l = net->addShuffle(*x);
        l->setReshapeDimensions(d);
        return l->getOutput(0);
    };
    auto transpose = [&](ITensor* x, Permutation p) {
        IShuffleLayer* l = net->addShuffle(*x);
        l->setFirstTranspose(p);
        return l->getOutput(0);
    };
    const int32_t hd = kVitH * kVitD;
    auto linear = [&](ITensor* x, std::vector<float>& w, std::vector<float>& bias, int32_t in, int32_t out) {
        ITensor* wt = net->addConstant(Dims2{in, out}, {DataType::kFLOAT, w.data(), int64_t(w.size())})->getOutput(0);
        Dims bd;
        bd.nbDims = x->getDimensions().nbDims;
        for (int32_t k = 0; k < bd.nbDims; ++k) bd.d[k] = 1;
        bd.d[bd.nbDims - 1] = out;
        ITensor* bt = net->addConstant(bd, {DataType::kFLOAT, bias.data(), int64_t(bias.size())})->getOutput(0);
        ITensor* y = net->addMatrixMultiply(*x, MatrixOperation::kNONE, *wt, MatrixOperation::kNONE)->getOutput(0);
        return net->addElementWise(*y, *bt, ElementWiseOperation::kSUM)->getOutput(0);
    };
    ITensor* block = nullptr;
    ITensor* x;
    if (batchFirst) {
        block = net->addInput("x", DataType::kFLOAT, Dims3{kVitB, kVitS, hd});
        x = linear(transpose(block, Permutation{{1, 0, 2}}), batchFirst->w1, batchFirst->b1, hd, 3 * hd);
    } else {
        x = net->addInput("p", DataType::kFLOAT, Dims3{kVitS, kVitB, 3 * hd});
    }
    x = reshape(x, Dims4{kVitS, kVitB, 3, hd});
    x = reshape(x, Dims{5, {1, kVitS, kVitB, 3, hd}});
    x = transpose(x, Permutation{{3, 1, 2, 0, 4}});
    x = reshape(x, Dims4{3, kVitS, kVitB, hd});
    static const int32_t index[3] = {0, 1, 2};
    ITensor* heads[3];
    for (int i = 0; i < 3; ++i) {
        ITensor* at = net->addConstant(Dims{0, {}}, {DataType::kINT32, &index[i], 1})->getOutput(0);
        ITensor* h = net->addGather(*x, *at, 0)->getOutput(0);
        h = reshape(h, Dims3{kVitS, kVitB * kVitH, kVitD});
        h = transpose(h, Permutation{{1, 0, 2}});
        heads[i] = reshape(h, Dims4{kVitB, kVitH, kVitS, kVitD});
    }
    static const float scale = 0.125f;
    ITensor* s =
        net->addMatrixMultiply(*heads[0], MatrixOperation::kNONE, *heads[1], MatrixOperation::kTRANSPOSE)->getOutput(0);
    s = net->addElementWise(*s, *net->addConstant(Dims4{1, 1, 1, 1}, {DataType::kFLOAT, &scale, 1})->getOutput(0),
                            ElementWiseOperation::kPROD)
            ->getOutput(0);
    auto* sm = net->addSoftMax(*s);
    sm->setAxes(1u << 3);
    ITensor* y = net->addMatrixMultiply(*sm->getOutput(0), MatrixOperation::kNONE, *heads[2], MatrixOperation::kNONE)
                     ->getOutput(0);
    y = transpose(y, Permutation{{2, 0, 1, 3}});
    y = reshape(y, Dims2{kVitS * kVitB, hd});
    if (batchFirst) {
        y = reshape(linear(y, batchFirst->w2, batchFirst->b2, hd, hd), Dims3{kVitS, kVitB, hd});
        y = net->addElementWise(*transpose(y, Permutation{{1, 0, 2}}), *block, ElementWiseOperation::kSUM)
                ->getOutput(0);
    }
    y->setName("y");
    net->markOutput(*y);
    auto cfg = b.createBuilderConfig();
    cfg->setBackend(backend);
    if (fp16) cfg->setFlag(BuilderFlag::kFP16);
    cfg->setPassEnabled("cuda-attention-layout", layout);
    cfg->setPassEnabled("cuda-row-shuffle-motion", motion);
    return b.buildEngineWithConfig(*net, *cfg);
}

TEST(CudaFusion, AttentionReadsViTHeadsInPlace) {
    SKIP_WITHOUT_DEVICE();
    Logger log;
    auto b = createInferBuilder(log);
    auto cpu = buildVitAttention(*b, BackendKind::kCPU, false, true);
    auto inPlace = buildVitAttention(*b, BackendKind::kCUDA, true, true);
    auto copies = buildVitAttention(*b, BackendKind::kCUDA, true, false);
    ASSERT_TRUE(cpu && inPlace && copies) << log.errors;
    EXPECT_EQ(count(info(*inPlace), "[FusedAttention,"), 1) << info(*inPlace);
    EXPECT_EQ(count(info(*inPlace), "[Shuffle,"), 0) << info(*inPlace);  // every copy gone
    EXPECT_EQ(count(info(*inPlace), "[Gather,"), 0) << info(*inPlace);
    EXPECT_GT(count(info(*copies), "[Shuffle,"), 0) << info(*copies);
    const std::vector<std::vector<float>> in = {randomFloats(size_t(kVitS * kVitB * 3 * kVitH * kVitD), 21)};
    const size_t outCount = size_t(kVitS * kVitB * kVitH * kVitD);
    const auto want = run(*cpu, in, outCount, false);
    const auto got = run(*inPlace, in, outCount, true), before = run(*copies, in, outCount, true);
    EXPECT_LT(maxDiff(got, want), 1e-2);  // V in [-1, 1]; FP16
    EXPECT_LT(maxDiff(before, want), 1e-2);
}

TEST(CudaFusion, BatchFirstTransposesBecomeAttentionViews) {
    SKIP_WITHOUT_DEVICE();
    Logger log;
    auto b = createInferBuilder(log);
    VitProjections proj;
    auto cpu = buildVitAttention(*b, BackendKind::kCPU, false, true, &proj);
    auto moved = buildVitAttention(*b, BackendKind::kCUDA, true, true, &proj);
    auto kept = buildVitAttention(*b, BackendKind::kCUDA, true, true, &proj, false);
    ASSERT_TRUE(cpu && moved && kept) << log.errors;
    EXPECT_EQ(count(info(*moved), "[Shuffle,"), 0) << info(*moved);  // both transposes absorbed
    EXPECT_EQ(count(info(*moved), "[ElementWise,"), 0) << info(*moved);  // the residual in the epilogue
    EXPECT_GE(count(info(*kept), "[Shuffle,"), 2) << info(*kept);  // the transposes (and a reshape)
    const std::vector<std::vector<float>> in = {randomFloats(size_t(kVitB * kVitS * kVitH * kVitD), 45)};
    const size_t outCount = size_t(kVitS * kVitB * kVitH * kVitD);
    const auto want = run(*cpu, in, outCount, false);
    const auto got = run(*moved, in, outCount, true), before = run(*kept, in, outCount, true);
    const double scale = maxAbs(want);
    EXPECT_GT(scale, 0.5);
    EXPECT_LT(maxDiff(got, want), 1e-2 * scale);
    EXPECT_LT(maxDiff(before, want), 1e-2 * scale);
}

// x [2, 3, 64, 64] -> 16x16 convolution, stride 16, 64 maps -> [2, 64, 16]
// -> [2, 16, 64]: ViT's patch embedding and token sequence.
constexpr int64_t kPatchOut = 64, kTokens = 16;
std::unique_ptr<IEngine> buildPatchEmbedding(IBuilder& b, BackendKind backend, bool fp16, bool pass,
                                             std::vector<float>& w, std::vector<float>& bias) {
    auto net = b.createNetworkV2(0);
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims4{2, 3, 64, 64});
    auto* conv = net->addConvolutionNd(*x, kPatchOut, Dims2{16, 16}, {DataType::kFLOAT, w.data(), int64_t(w.size())},
                                       {DataType::kFLOAT, bias.data(), int64_t(bias.size())});
    conv->setStrideNd(Dims2{16, 16});
    auto* flat = net->addShuffle(*conv->getOutput(0));
    flat->setReshapeDimensions(Dims3{2, kPatchOut, kTokens});
    auto* tokens = net->addShuffle(*flat->getOutput(0));
    Permutation swap;
    swap.order[1] = 2;
    swap.order[2] = 1;
    tokens->setFirstTranspose(swap);
    tokens->getOutput(0)->setName("y");
    net->markOutput(*tokens->getOutput(0));
    auto cfg = b.createBuilderConfig();
    cfg->setBackend(backend);
    if (fp16) cfg->setFlag(BuilderFlag::kFP16);
    if (!pass) cfg->setPassEnabled("patch-embedding", false);
    return b.buildEngineWithConfig(*net, *cfg);
}

TEST(CudaFusion, PatchConvolutionRunsAsAGemm) {
    SKIP_WITHOUT_DEVICE();
    Logger log;
    auto b = createInferBuilder(log);
    std::vector<float> w = randomFloats(size_t(kPatchOut * 3 * 16 * 16), 31), bias = randomFloats(kPatchOut, 32);
    for (float& v : w) v *= 0.05f;  // sums of 768 products stay near 1
    auto cpu = buildPatchEmbedding(*b, BackendKind::kCPU, false, false, w, bias);
    auto gemm = buildPatchEmbedding(*b, BackendKind::kCUDA, true, true, w, bias);
    auto conv = buildPatchEmbedding(*b, BackendKind::kCUDA, true, false, w, bias);
    ASSERT_TRUE(cpu && gemm && conv) << log.errors;
    EXPECT_EQ(count(info(*gemm), "[Convolution,"), 0) << info(*gemm);
    EXPECT_EQ(count(info(*gemm), "[FullyConnected,"), 1) << info(*gemm);
    EXPECT_EQ(count(info(*conv), "[Convolution,"), 1) << info(*conv);
    const std::vector<std::vector<float>> in = {randomFloats(2 * 3 * 64 * 64, 33)};
    const size_t outCount = size_t(2 * kTokens * kPatchOut);
    const auto want = run(*cpu, in, outCount, false);
    const auto got = run(*gemm, in, outCount, true), before = run(*conv, in, outCount, true);
    const double scale = maxAbs(want);
    EXPECT_GT(scale, 0.1);
    EXPECT_LT(maxDiff(got, want), 1e-2 * scale);
    EXPECT_LT(maxDiff(before, want), 1e-2 * scale);
}

}  // namespace
