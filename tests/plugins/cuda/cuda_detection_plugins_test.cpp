// The detection plugins' CUDA paths (NMS_TRT, BatchedNMS_TRT, RPROI_TRT, ROIAlign_TRT)
// against their CPU paths, bit for bit: the same boxes in the same order, the same counts
// and the same scores and pooled values. The cases are the CPU tests' (ssd_plugins_test.cpp,
// rcnn_plugins_test.cpp) and random ones over every option, with scores drawn from a few
// values so that ties (within a class and across classes) are everywhere, sizes past one
// sorting tile (1024 candidates) and runs that find nothing. Every test skips with a
// message on a machine without a CUDA device.
#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "cuda_test_util.h"

using namespace kiln;
using namespace plugintest;

namespace {

class CudaDetectionPlugins : public ::testing::Test {
protected:
    void SetUp() override {
        if (!haveDevice()) GTEST_SKIP() << "no CUDA device: the plugins' CUDA tests are skipped";
    }
    std::unique_ptr<IPluginV2> make(const char* name, Fields& f) {
        Logger log;
        auto p = createBuiltin(name, f, log);
        EXPECT_NE(p, nullptr) << name << ": " << log.errors;
        return p;
    }
    // Both backends on `inputs`, bit for bit; `minFound`: the least detections (first output's
    // count, `countOutput`) the CPU must report, so that a case cannot pass by finding nothing.
    void check(IPluginV2& plugin, const std::vector<Tensor>& inputs, int countOutput = -1, int32_t minFound = 0) {
        const RunResult cpu = runPlugin(plugin, inputs);
        ASSERT_TRUE(cpu.ok) << cpu.errors;
        if (countOutput >= 0) {
            int64_t found = 0;
            for (int32_t c : cpu.outputs[size_t(countOutput)].ints()) found += c;
            EXPECT_GE(found, minFound) << "the case finds too little to test";
        }
        const RunResult gpu = runPluginCuda(plugin, inputs);
        ASSERT_TRUE(gpu.ok) << gpu.errors;
        expectIdentical(cpu, gpu);
    }
};

struct Rng {
    std::mt19937 g;
    explicit Rng(uint32_t seed) : g(seed) {}
    double uniform(double lo = 0, double hi = 1) { return std::uniform_real_distribution<double>(lo, hi)(g); }
    // One of `levels` evenly spaced values in [0, 1): many exact ties.
    float level(int levels) { return float(std::uniform_int_distribution<int>(0, levels - 1)(g)) / float(levels); }
};

// `count` random boxes (xmin, ymin, xmax, ymax) in [0, scale], extents 5% to 35% of it.
std::vector<float> randomBoxes(Rng& r, int64_t count, double scale) {
    std::vector<float> b;
    for (int64_t i = 0; i < count; ++i) {
        const double x = r.uniform(0, 0.8), y = r.uniform(0, 0.8), w = r.uniform(0.05, 0.35), h = r.uniform(0.05, 0.35);
        b.insert(b.end(), {float(x * scale), float(y * scale), float((x + w) * scale), float((y + h) * scale)});
    }
    return b;
}

// ---- NMS_TRT ----

// The boxes and the variances, as PriorBox writes them.
std::vector<float> priorsOf(const std::vector<float>& boxes) {
    std::vector<float> p = boxes;
    for (size_t i = 0; i < boxes.size(); ++i) p.push_back(i % 4 < 2 ? 0.1f : 0.2f);
    return p;
}

struct NmsCase {
    int32_t shareLocation = 1, varianceEncodedInTarget = 0, confSigmoid = 0, isNormalized = 1, codeType = 2;
    int32_t backgroundLabelId = 0, numClasses = 3, topK = -1, keepTopK = 10;
    float confidenceThreshold = 0.2f, nmsThreshold = 0.45f;
    std::vector<int32_t> inputOrder = {0, 1, 2};
    Fields fields() const {
        Fields f;
        f.i("shareLocation", shareLocation).i("varianceEncodedInTarget", varianceEncodedInTarget);
        f.i("confSigmoid", confSigmoid).i("isNormalized", isNormalized).i("codeType", codeType);
        f.i("backgroundLabelId", backgroundLabelId).i("numClasses", numClasses).i("topK", topK);
        f.i("keepTopK", keepTopK).f("confidenceThreshold", confidenceThreshold).f("nmsThreshold", nmsThreshold);
        f.is("inputOrder", inputOrder);
        return f;
    }
    std::string name() const {
        return "share " + std::to_string(shareLocation) + " varInTarget " + std::to_string(varianceEncodedInTarget) +
               " sigmoid " + std::to_string(confSigmoid) + " normalized " + std::to_string(isNormalized) + " code " +
               std::to_string(codeType) + " bg " + std::to_string(backgroundLabelId) + " topK " + std::to_string(topK) +
               " keepTopK " + std::to_string(keepTopK);
    }
};

// Random loc, conf (from `levels` values, or uniform when levels is 0) and priors for `c`,
// in the order inputOrder asks for.
std::vector<Tensor> nmsInputs(const NmsCase& c, Rng& r, int64_t batch, int64_t numPriors, int levels) {
    const int64_t locClasses = c.shareLocation ? 1 : c.numClasses;
    const double scale = c.isNormalized ? 1.0 : 300.0;
    std::vector<float> loc, conf;
    for (int64_t i = 0; i < batch * numPriors * locClasses * 4; ++i) loc.push_back(float(r.uniform(-0.6, 0.6)));
    for (int64_t i = 0; i < batch * numPriors * c.numClasses; ++i)
        conf.push_back(levels > 0 ? r.level(levels) : float(r.uniform()));
    if (c.confSigmoid)
        for (float& v : conf) v = (v - 0.5f) * 8.f;  // logits around 0
    const Tensor t[3] = {floats({batch, numPriors * locClasses * 4, 1, 1}, loc),
                         floats({batch, numPriors * c.numClasses, 1, 1}, conf),
                         floats({1, 2, numPriors * 4}, priorsOf(randomBoxes(r, numPriors, scale)))};
    std::vector<Tensor> in(3);
    for (int k = 0; k < 3; ++k) in[size_t(c.inputOrder[size_t(k)])] = t[k];
    return in;
}

// The CPU test's five priors and scores (NmsOnCraftedOverlapsAndTies): overlaps, a tie within
// a class and ties across classes.
TEST_F(CudaDetectionPlugins, NmsOnTheCpuTestsCraftedCases) {
    const std::vector<float> boxes = {0.1f, 0.1f, 0.3f, 0.3f, 0.12f, 0.1f, 0.32f, 0.3f, 0.5f, 0.5f,
                                      0.7f, 0.7f, 0.5f, 0.5f, 0.7f,  0.7f, 0.2f,  0.1f, 0.4f, 0.3f};
    const std::vector<float> conf = {0.99f, 0.9f,  0.1f, 0.99f, 0.8f,  0.95f, 0.99f, 0.7f,
                                     0.3f,  0.99f, 0.7f, 0.9f,  0.99f, 0.6f,  0.7f};
    const std::vector<Tensor> in = {floats({1, 20, 1, 1}, std::vector<float>(20, 0.f)), floats({1, 15, 1, 1}, conf),
                                    floats({1, 2, 20}, priorsOf(boxes))};
    for (auto [keepTopK, topK] : {std::pair{5, -1}, std::pair{8, -1}, std::pair{8, 1}, std::pair{1, -1}}) {
        NmsCase c;
        c.keepTopK = keepTopK;
        c.topK = topK;
        SCOPED_TRACE(c.name());
        Fields f = c.fields();
        auto p = make("NMS_TRT", f);
        ASSERT_TRUE(p);
        check(*p, in, 1, 1);
    }
}

TEST_F(CudaDetectionPlugins, NmsOnTheCpuTestsRandomDecodeCase) {
    NmsCase c;
    c.numClasses = 4;
    c.topK = 20;
    c.keepTopK = 30;
    c.confidenceThreshold = 0.3f;
    Rng r(12345);
    Fields f = c.fields();
    auto p = make("NMS_TRT", f);
    ASSERT_TRUE(p);
    check(*p, nmsInputs(c, r, 2, 40, 0), 1, 10);
}

TEST_F(CudaDetectionPlugins, NmsOverEveryOption) {
    Rng r(7);
    int k = 0;
    for (int code = 1; code <= 4; ++code)
        for (int share = 0; share <= 1; ++share)
            for (int varInTarget = 0; varInTarget <= 1; ++varInTarget)
                for (int sigmoid = 0; sigmoid <= 1; ++sigmoid)
                    for (int normalized = 0; normalized <= 1; ++normalized, ++k) {
                        NmsCase c;
                        c.codeType = code;
                        c.shareLocation = share;
                        c.varianceEncodedInTarget = varInTarget;
                        c.confSigmoid = sigmoid;
                        c.isNormalized = normalized;
                        c.numClasses = 5;
                        c.backgroundLabelId = (k % 3 == 0) ? -1 : (k % 3 == 1 ? 0 : 2);
                        c.topK = k % 2 ? 50 : -1;
                        c.keepTopK = k % 4 < 2 ? 40 : 300;
                        c.nmsThreshold = k % 5 == 0 ? 0.f : (k % 5 == 1 ? 1.f : 0.45f);
                        if (k % 6 == 0) c.inputOrder = {2, 0, 1};
                        SCOPED_TRACE(c.name());
                        Fields f = c.fields();
                        auto p = make("NMS_TRT", f);
                        ASSERT_TRUE(p);
                        check(*p, nmsInputs(c, r, 2, 300, 16), 1, 10);
                    }
}

// Past one sorting tile: candidates merged across tiles, with ties everywhere.
TEST_F(CudaDetectionPlugins, NmsOnManyPriors) {
    struct Size {
        int64_t batch, priors;
        int32_t classes, topK, keepTopK;
    };
    Rng r(99);
    for (const Size& s : {Size{2, 3000, 21, -1, 500}, Size{1, 1917, 21, 100, 100}, Size{3, 5000, 4, 400, 200},
                          Size{1, 8732, 2, -1, 2000}}) {
        NmsCase c;
        c.numClasses = s.classes;
        c.topK = s.topK;
        c.keepTopK = s.keepTopK;
        c.confidenceThreshold = 0.01f;
        SCOPED_TRACE(c.name() + " priors " + std::to_string(s.priors));
        Fields f = c.fields();
        auto p = make("NMS_TRT", f);
        ASSERT_TRUE(p);
        check(*p, nmsInputs(c, r, s.batch, s.priors, 64), 1, 50);
    }
}

TEST_F(CudaDetectionPlugins, NmsFindingNothingAndOddScores) {
    Rng r(5);
    NmsCase none;
    none.confidenceThreshold = 0.999f;  // every score below: padding rows only
    Fields f = none.fields();
    auto p = make("NMS_TRT", f);
    ASSERT_TRUE(p);
    check(*p, nmsInputs(none, r, 2, 200, 16));
    // Only the background class: nothing either.
    NmsCase bgOnly;
    bgOnly.numClasses = 1;
    bgOnly.backgroundLabelId = 0;
    Fields fb = bgOnly.fields();
    auto pb = make("NMS_TRT", fb);
    ASSERT_TRUE(pb);
    check(*pb, nmsInputs(bgOnly, r, 1, 50, 16));
    // NaN and infinite scores, and +0 and -0 tying above a negative threshold.
    NmsCase odd;
    odd.confidenceThreshold = -0.5f;
    odd.keepTopK = 100;
    Fields fo = odd.fields();
    auto po = make("NMS_TRT", fo);
    ASSERT_TRUE(po);
    std::vector<Tensor> in = nmsInputs(odd, r, 1, 100, 16);
    std::vector<float> conf = in[1].floats();
    for (size_t i = 0; i < conf.size(); i += 7) conf[i] = (i / 7) % 4 == 0 ? NAN : (i / 7) % 4 == 1 ? INFINITY : 0.f;
    for (size_t i = 3; i < conf.size(); i += 11) conf[i] = -0.f;
    in[1] = floats(in[1].dims, conf);
    check(*po, in, 1, 10);
}

// ---- BatchedNMS_TRT ----

struct BatchedCase {
    int32_t shareLocation = 1, backgroundLabelId = -1, numClasses = 2, topK = -1, keepTopK = 10;
    int32_t isNormalized = 1, clipBoxes = 1, caffeSemantics = 1;
    float scoreThreshold = 0.2f, iouThreshold = 0.45f;
    Fields fields() const {
        Fields f;
        f.i("shareLocation", shareLocation).i("backgroundLabelId", backgroundLabelId).i("numClasses", numClasses);
        f.i("topK", topK).i("keepTopK", keepTopK).f("scoreThreshold", scoreThreshold);
        f.f("iouThreshold", iouThreshold).i("isNormalized", isNormalized).i("clipBoxes", clipBoxes);
        f.i("caffeSemantics", caffeSemantics);
        return f;
    }
    std::string name() const {
        return "share " + std::to_string(shareLocation) + " bg " + std::to_string(backgroundLabelId) + " topK " +
               std::to_string(topK) + " keepTopK " + std::to_string(keepTopK) + " normalized " +
               std::to_string(isNormalized) + " clip " + std::to_string(clipBoxes) + " caffe " +
               std::to_string(caffeSemantics);
    }
};

std::vector<Tensor> batchedInputs(const BatchedCase& c, Rng& r, int64_t batch, int64_t numBoxes, int levels) {
    const int64_t q = c.shareLocation ? 1 : c.numClasses;
    // Normalized boxes reach a little past [0, 1] so that clipping matters.
    std::vector<float> boxes = randomBoxes(r, batch * numBoxes * q, c.isNormalized ? 1.0 : 100.0);
    if (c.isNormalized)
        for (float& v : boxes) v = v * 1.2f - 0.1f;
    std::vector<float> scores;
    for (int64_t i = 0; i < batch * numBoxes * c.numClasses; ++i) scores.push_back(r.level(levels));
    return {floats({batch, numBoxes, q, 4}, boxes), floats({batch, numBoxes, c.numClasses}, scores)};
}

TEST_F(CudaDetectionPlugins, BatchedNmsOnTheCpuTestsCraftedCases) {
    const std::vector<float> five = {0.1f, 0.1f, 0.3f, 0.3f, 0.12f, 0.1f, 0.32f, 0.3f, 0.5f, 0.5f,
                                     0.7f, 0.7f, 0.5f, 0.5f, 0.7f,  0.7f, 0.2f,  0.1f, 0.4f, 0.3f};
    std::vector<float> boxes = five;
    for (int i = 0; i < 5; ++i) boxes.insert(boxes.end(), {-0.1f, 0.5f, 0.4f, 1.2f});
    std::vector<float> scores = {0.9f, 0.1f, 0.8f, 0.95f, 0.7f, 0.3f, 0.7f, 0.9f, 0.6f, 0.7f};
    scores.insert(scores.end(), {0.5f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f});
    BatchedCase c;
    c.topK = 10;
    c.keepTopK = 4;
    Fields f = c.fields();
    auto p = make("BatchedNMS_TRT", f);
    ASSERT_TRUE(p);
    check(*p, {floats({2, 5, 1, 4}, boxes), floats({2, 5, 2}, scores)}, 0, 5);
    // Per-class boxes (BatchedNmsPerClassBoxes).
    BatchedCase pc;
    pc.shareLocation = 0;
    pc.keepTopK = 5;
    pc.scoreThreshold = 0.f;
    pc.iouThreshold = 0.5f;
    pc.isNormalized = 0;
    pc.clipBoxes = 0;
    Fields fp = pc.fields();
    auto pp = make("BatchedNMS_TRT", fp);
    ASSERT_TRUE(pp);
    check(*pp,
          {floats({1, 2, 2, 4}, std::vector<float>{0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 5, 5, 6, 6}),
           floats({1, 2, 2}, std::vector<float>{0.9f, 0.8f, 0.7f, 0.6f})},
          0, 3);
}

TEST_F(CudaDetectionPlugins, BatchedNmsOverEveryOption) {
    Rng r(11);
    int k = 0;
    for (int share = 0; share <= 1; ++share)
        for (int clip = 0; clip <= 1; ++clip)
            for (int normalized = 0; normalized <= 1; ++normalized)
                for (int caffe = 0; caffe <= 1; ++caffe)
                    for (int bg : {-1, 1}) {
                        BatchedCase c;
                        c.shareLocation = share;
                        c.clipBoxes = clip;
                        c.isNormalized = normalized;
                        c.caffeSemantics = caffe;
                        c.backgroundLabelId = bg;
                        c.numClasses = 4;
                        c.topK = k % 2 ? 100 : -1;
                        c.keepTopK = k % 3 == 0 ? 50 : 300;
                        c.iouThreshold = k % 4 == 0 ? 0.3f : 0.6f;
                        ++k;
                        SCOPED_TRACE(c.name());
                        Fields f = c.fields();
                        auto p = make("BatchedNMS_TRT", f);
                        ASSERT_TRUE(p);
                        check(*p, batchedInputs(c, r, 3, 700, 16), 0, 10);
                    }
}

TEST_F(CudaDetectionPlugins, BatchedNmsOnManyBoxesAndFindingNothing) {
    Rng r(3);
    BatchedCase big;
    big.numClasses = 3;
    big.topK = 2000;
    big.keepTopK = 1000;
    big.scoreThreshold = 0.05f;
    Fields f = big.fields();
    auto p = make("BatchedNMS_TRT", f);
    ASSERT_TRUE(p);
    check(*p, batchedInputs(big, r, 2, 5000, 128), 0, 100);
    BatchedCase none;
    none.scoreThreshold = 1.f;  // scores lie in [0, 1)
    Fields fn = none.fields();
    auto pn = make("BatchedNMS_TRT", fn);
    ASSERT_TRUE(pn);
    check(*pn, batchedInputs(none, r, 2, 100, 16));
}

// ---- RPROI_TRT ----

struct RproiCase {
    int32_t featureStride = 16, preNmsTop = 6000, nmsMaxOut = 300, poolingH = 7, poolingW = 7;
    float iouThreshold = 0.7f, minBoxSize = 16.f, spatialScale = 0.0625f;
    std::vector<float> ratios = {0.5f, 1.f, 2.f}, scales = {8.f, 16.f, 32.f};
    Fields fields() const {
        Fields f;
        f.i("featureStride", featureStride).i("preNmsTop", preNmsTop).i("nmsMaxOut", nmsMaxOut);
        f.i("poolingH", poolingH).i("poolingW", poolingW).f("iouThreshold", iouThreshold);
        f.f("minBoxSize", minBoxSize).f("spatialScale", spatialScale).fs("anchorsRatios", ratios);
        f.fs("anchorsScales", scales);
        return f;
    }
    int64_t anchors() const { return int64_t(ratios.size() * scales.size()); }
};

// Random scores (from `levels` values), deltas and features for images of imH x imW pixels.
std::vector<Tensor> rproiInputs(const RproiCase& c, Rng& r, int64_t batch, int64_t h, int64_t w, int64_t channels,
                                int64_t fh, int64_t fw, int levels, float imH, float imW) {
    const int64_t a = c.anchors();
    std::vector<float> scores, deltas, feat, info;
    for (int64_t i = 0; i < batch * 2 * a * h * w; ++i) scores.push_back(r.level(levels));
    for (int64_t i = 0; i < batch * 4 * a * h * w; ++i) deltas.push_back(float(r.uniform(-0.3, 0.3)));
    for (int64_t i = 0; i < batch * channels * fh * fw; ++i) feat.push_back(float(r.uniform(-5, 5)));
    for (int64_t n = 0; n < batch; ++n) info.insert(info.end(), {imH, imW, float(0.8 + 0.2 * double(n))});
    return {floats({batch, 2 * a, h, w}, scores), floats({batch, 4 * a, h, w}, deltas),
            floats({batch, channels, fh, fw}, feat), floats({batch, 3}, info)};
}

TEST_F(CudaDetectionPlugins, RproiOnTheCpuTestsCases) {
    // AnchorsAreFasterRcnnsDefaults: 40 x 40 cells of 9 anchors (14,400 proposals).
    const int64_t h = 40, w = 40, a = 9;
    std::vector<float> scores(size_t(2 * a * h * w), 0.f), deltas(size_t(4 * a * h * w), 0.f);
    for (int64_t k = 0; k < a; ++k) scores[size_t(((a + k) * h + 25) * w + 25)] = 0.9f - 0.01f * float(k);
    RproiCase d;
    d.preNmsTop = 100;
    d.nmsMaxOut = 9;
    d.iouThreshold = 1.f;
    d.minBoxSize = 0.f;
    d.poolingH = d.poolingW = 1;
    Fields fd = d.fields();
    auto pd = make("RPROI_TRT", fd);
    ASSERT_TRUE(pd);
    check(*pd, {floats({1, 2 * a, h, w}, scores), floats({1, 4 * a, h, w}, deltas),
                floats({1, 1, 4, 4}, std::vector<float>(16, 1.f)), floats({1, 3}, std::vector<float>{1000, 1000, 1})});
    // ProposalsAndPoolingOnCraftedAnchors: suppression, a tie, a box too small, clipping.
    std::vector<float> s2(12, 0.f), d2(24, 0.f), feat(12);
    const std::vector<float> fg = {0.9f, 0.8f, 0.3f, 0.5f, 0.5f, 0.1f};
    for (int i = 0; i < 6; ++i) s2[size_t(6 + i)] = fg[size_t(i)];
    d2[1] = -1.f;
    d2[2 * 6 + 5] = std::log(0.1f);
    d2[3 * 6 + 5] = std::log(0.1f);
    for (size_t i = 0; i < feat.size(); ++i) feat[i] = float((i * 7) % 11) - 3.f;
    RproiCase c;
    c.preNmsTop = 10;
    c.nmsMaxOut = 6;
    c.minBoxSize = 4.f;
    c.poolingH = c.poolingW = 2;
    c.ratios = {1.f};
    c.scales = {1.f};
    Fields fc = c.fields();
    auto pc = make("RPROI_TRT", fc);
    ASSERT_TRUE(pc);
    check(*pc, {floats({1, 2, 2, 3}, s2), floats({1, 4, 2, 3}, d2), floats({1, 2, 2, 3}, feat),
                floats({1, 3}, std::vector<float>{32, 48, 1})});
    // ProposalsMatchTheReferenceOnRandomDeltas's configuration, on this test's random data.
    RproiCase rc;
    rc.featureStride = 8;
    rc.preNmsTop = 60;
    rc.nmsMaxOut = 20;
    rc.iouThreshold = 0.6f;
    rc.minBoxSize = 6.f;
    rc.poolingH = 3;
    rc.poolingW = 2;
    rc.spatialScale = 0.25f;
    rc.scales = {2.f, 4.f};
    Fields fr = rc.fields();
    auto pr = make("RPROI_TRT", fr);
    ASSERT_TRUE(pr);
    Rng r(7);
    check(*pr, rproiInputs(rc, r, 2, 6, 7, 3, 12, 14, 1000, 48, 56));
}

// Faster R-CNN's sizes: 38 x 50 cells of 9 anchors (17,100 proposals, many tiles), the best
// 6,000 through NMS, 300 kept and pooled 7 x 7 over 16 channels; scores with ties.
TEST_F(CudaDetectionPlugins, RproiOnFasterRcnnSizes) {
    RproiCase c;
    Fields f = c.fields();
    auto p = make("RPROI_TRT", f);
    ASSERT_TRUE(p);
    Rng r(21);
    check(*p, rproiInputs(c, r, 2, 38, 50, 16, 38, 50, 256, 600, 800));
    // Tighter NMS and fewer candidates than proposals; a larger spatial scale.
    RproiCase t;
    t.preNmsTop = 500;
    t.nmsMaxOut = 100;
    t.iouThreshold = 0.3f;
    t.spatialScale = 0.125f;
    t.poolingH = 3;
    t.poolingW = 5;
    Fields ft = t.fields();
    auto pt = make("RPROI_TRT", ft);
    ASSERT_TRUE(pt);
    check(*pt, rproiInputs(t, r, 1, 30, 40, 4, 60, 80, 32, 480, 640));
}

TEST_F(CudaDetectionPlugins, RproiFindingNothing) {
    RproiCase c;
    c.minBoxSize = 5000.f;  // every proposal is too small: zero rows and zero pooled values
    c.nmsMaxOut = 10;
    Fields f = c.fields();
    auto p = make("RPROI_TRT", f);
    ASSERT_TRUE(p);
    Rng r(8);
    check(*p, rproiInputs(c, r, 2, 5, 6, 3, 5, 6, 16, 80, 96));
}

// ---- ROIAlign_TRT ----

TEST_F(CudaDetectionPlugins, RoiAlignOverEveryOption) {
    // The CPU test's map and ROIs (inside, partly outside, tiny, inverted), then random ones.
    const int64_t n = 2, c = 3, h = 7, w = 9;
    std::vector<float> x(size_t(n * c * h * w));
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(std::cos(double(i) * 0.31) * 4);
    const std::vector<float> rois = {1, 1, 6, 5, -2, -3, 4, 3, 7.5f, 5.5f, 7.6f, 5.6f, 6, 4, 2, 1, 0, 0, 20, 14};
    const std::vector<int32_t> batch32 = {0, 1, 1, 0, 1};
    Rng r(13);
    const int64_t bn = 2, bc = 16, bh = 30, bw = 26, nr = 60;
    const std::vector<float> bx = randomFloats(size_t(bn * bc * bh * bw), 14);
    std::vector<float> brois;
    std::vector<int32_t> bidx32;
    for (int64_t i = 0; i < nr; ++i) {
        // Mostly inside the map (in input pixels, scale 0.25), some past its edges or inverted.
        const double x1 = r.uniform(-10, 100), y1 = r.uniform(-10, 110);
        const double x2 = x1 + r.uniform(-8, 60), y2 = y1 + r.uniform(-8, 60);
        brois.insert(brois.end(), {float(x1), float(y1), float(x2), float(y2)});
        bidx32.push_back(int32_t(i % bn));
    }
    std::vector<int64_t> bidx64(bidx32.begin(), bidx32.end());
    Tensor idx64;
    idx64.type = DataType::kINT64;
    idx64.dims = {nr};
    idx64.bytes.resize(size_t(nr) * 8);
    std::memcpy(idx64.bytes.data(), bidx64.data(), idx64.bytes.size());
    for (int mode : {0, 1})
        for (int ctm : {0, 1})
            for (int ratio : {0, 2}) {
                SCOPED_TRACE("mode " + std::to_string(mode) + " ctm " + std::to_string(ctm) + " ratio " +
                             std::to_string(ratio));
                Fields f;
                f.i("mode", mode).i("coordinateTransformationMode", ctm).i("outputHeight", 3).i("outputWidth", 4);
                f.i("samplingRatio", ratio).f("spatialScale", 0.5f);
                auto p = make("ROIAlign_TRT", f);
                ASSERT_TRUE(p);
                check(*p, {floats({n, c, h, w}, x), floats({5, 4}, rois), int32s({5}, batch32)});
                Fields g;
                g.i("mode", mode).i("coordinateTransformationMode", ctm).i("outputHeight", 7).i("outputWidth", 5);
                g.i("samplingRatio", ratio).f("spatialScale", 0.25f);
                auto q = make("ROIAlign_TRT", g);
                ASSERT_TRUE(q);
                check(*q, {floats({bn, bc, bh, bw}, bx), floats({nr, 4}, brois), idx64});
            }
}

}  // namespace
