// RPROI_TRT (Faster R-CNN proposals + ROI pooling) on crafted anchors against a float64
// transcription of py-faster-rcnn's test-mode proposal layer and Caffe's ROI pooling, and
// ROIAlign_TRT against the ONNX backend tests' reference outputs and a float64 RoiAlign.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "plugin_test_util.h"
#include "tensor_file.h"

using namespace kiln;
using namespace plugintest;

namespace {

struct Roi {
    double x1, y1, x2, y2;
};

// py-faster-rcnn, test mode, one image; ties in score keep the lower index.
std::vector<Roi> proposalsReference(const std::vector<Roi>& anchors, int64_t h, int64_t w, int stride,
                                    const std::vector<float>& scores, const std::vector<float>& deltas,
                                    const double info[3], double minSize, int preTop, double thr, int postTop) {
    const int64_t a = int64_t(anchors.size());
    std::vector<Roi> boxes;
    std::vector<double> score;
    for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
            for (int64_t k = 0; k < a; ++k) {
                Roi an = anchors[size_t(k)];
                an = {an.x1 + double(x * stride), an.y1 + double(y * stride), an.x2 + double(x * stride),
                      an.y2 + double(y * stride)};
                auto d = [&](int64_t j) { return double(deltas[size_t(((k * 4 + j) * h + y) * w + x)]); };
                const double wd = an.x2 - an.x1 + 1, ht = an.y2 - an.y1 + 1;
                const double cx = an.x1 + 0.5 * wd + d(0) * wd, cy = an.y1 + 0.5 * ht + d(1) * ht;
                const double pw = std::exp(d(2)) * wd, ph = std::exp(d(3)) * ht;
                Roi b{cx - 0.5 * pw, cy - 0.5 * ph, cx + 0.5 * pw, cy + 0.5 * ph};
                b.x1 = std::clamp(b.x1, 0.0, info[1] - 1);
                b.x2 = std::clamp(b.x2, 0.0, info[1] - 1);
                b.y1 = std::clamp(b.y1, 0.0, info[0] - 1);
                b.y2 = std::clamp(b.y2, 0.0, info[0] - 1);
                if (b.x2 - b.x1 + 1 < minSize * info[2] || b.y2 - b.y1 + 1 < minSize * info[2]) continue;
                boxes.push_back(b);
                score.push_back(scores[size_t(((a + k) * h + y) * w + x)]);
            }
    std::vector<size_t> order(boxes.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) { return score[i] > score[j]; });
    if (order.size() > size_t(preTop)) order.resize(size_t(preTop));
    std::vector<Roi> kept;
    for (size_t i : order) {
        const Roi& b = boxes[i];
        bool keep = true;
        for (const Roi& k : kept) {
            const double iw = std::max(0.0, std::min(b.x2, k.x2) - std::max(b.x1, k.x1) + 1);
            const double ih = std::max(0.0, std::min(b.y2, k.y2) - std::max(b.y1, k.y1) + 1);
            const double inter = iw * ih;
            const double ovr =
                inter / ((b.x2 - b.x1 + 1) * (b.y2 - b.y1 + 1) + (k.x2 - k.x1 + 1) * (k.y2 - k.y1 + 1) - inter);
            keep = keep && ovr <= thr;
        }
        if (keep) kept.push_back(b);
    }
    if (kept.size() > size_t(postTop)) kept.resize(size_t(postTop));
    return kept;
}

// Caffe's ROIPoolingLayer on one ROI.
std::vector<double> roiPoolReference(const std::vector<float>& feat, int64_t c, int64_t h, int64_t w, const Roi& r,
                                     double scale, int ph, int pw) {
    const int64_t sw = std::lround(r.x1 * scale), sh = std::lround(r.y1 * scale);
    const int64_t ew = std::lround(r.x2 * scale), eh = std::lround(r.y2 * scale);
    const int64_t rh = std::max<int64_t>(eh - sh + 1, 1), rw = std::max<int64_t>(ew - sw + 1, 1);
    // Caffe's bins, in float: start floor(i * size / pooled), end ceil((i + 1) * size / pooled).
    const float binH = float(rh) / float(ph), binW = float(rw) / float(pw);
    std::vector<double> out;
    for (int64_t ch = 0; ch < c; ++ch)
        for (int y = 0; y < ph; ++y)
            for (int x = 0; x < pw; ++x) {
                const int64_t y0 = std::clamp<int64_t>(int64_t(std::floor(float(y) * binH)) + sh, 0, h);
                const int64_t y1 = std::clamp<int64_t>(int64_t(std::ceil(float(y + 1) * binH)) + sh, 0, h);
                const int64_t x0 = std::clamp<int64_t>(int64_t(std::floor(float(x) * binW)) + sw, 0, w);
                const int64_t x1 = std::clamp<int64_t>(int64_t(std::ceil(float(x + 1) * binW)) + sw, 0, w);
                double m = (y1 <= y0 || x1 <= x0) ? 0 : -INFINITY;
                for (int64_t yy = y0; yy < y1; ++yy)
                    for (int64_t xx = x0; xx < x1; ++xx) m = std::max(m, double(feat[size_t((ch * h + yy) * w + xx)]));
                out.push_back(m);
            }
    return out;
}

std::unique_ptr<IPluginV2> makeRproi(Fields& f) {
    Logger log;
    auto p = createBuiltin("RPROI_TRT", f, log);
    EXPECT_NE(p, nullptr) << log.errors;
    return p;
}

TEST(RcnnPlugins, AnchorsAreFasterRcnnsDefaults) {
    // One cell scores high; zero deltas make each proposal its anchor (plus py-faster-rcnn's
    // one pixel on x2, y2), far from the image edges so nothing is clipped.
    const int64_t h = 40, w = 40, a = 9;
    std::vector<float> scores(size_t(2 * a * h * w), 0.f), deltas(size_t(4 * a * h * w), 0.f);
    for (int64_t k = 0; k < a; ++k) scores[size_t(((a + k) * h + 25) * w + 25)] = 0.9f - 0.01f * float(k);
    Fields f;
    f.i("featureStride", 16).i("preNmsTop", 100).i("nmsMaxOut", 9).f("iouThreshold", 1.f).f("minBoxSize", 0.f);
    f.i("poolingH", 1).i("poolingW", 1).f("spatialScale", 0.0625f);
    f.fs("anchorsRatios", {0.5f, 1.f, 2.f}).fs("anchorsScales", {8.f, 16.f, 32.f});
    auto plugin = makeRproi(f);
    ASSERT_NE(plugin, nullptr);
    const RunResult r = runPlugin(*plugin, {floats({1, 2 * a, h, w}, scores), floats({1, 4 * a, h, w}, deltas),
                                            floats({1, 1, 4, 4}, std::vector<float>(16, 1.f)),
                                            floats({1, 3}, std::vector<float>{1000, 1000, 1})});
    ASSERT_TRUE(r.ok) << r.errors;
    // What py-faster-rcnn's generate_anchors() returns (its docstring shows the MATLAB
    // original's table, one pixel larger on every side).
    const double table[9][4] = {{-84, -40, 99, 55}, {-176, -88, 191, 103},  {-360, -184, 375, 199},
                                {-56, -56, 71, 71}, {-120, -120, 135, 135}, {-248, -248, 263, 263},
                                {-36, -80, 51, 95}, {-80, -168, 95, 183},   {-168, -344, 183, 359}};
    std::vector<double> want;
    for (auto& t : table) want.insert(want.end(), {t[0] + 400, t[1] + 400, t[2] + 401, t[3] + 401});
    EXPECT_EQ(r.outputs[0].dims, (std::vector<int64_t>{1, 9, 4}));
    EXPECT_TRUE(near(r.outputs[0].floats(), want, 1e-4, 0));
}

TEST(RcnnPlugins, ProposalsAndPoolingOnCraftedAnchors) {
    // One 16-pixel anchor per cell of a 2 x 3 grid over a 48 x 32 image.
    const int64_t h = 2, w = 3, c = 2, fh = 2, fw = 3;
    const std::vector<float> fg = {0.9f, 0.8f, 0.3f, 0.5f, 0.5f, 0.1f};
    std::vector<float> scores(12, 0.f), deltas(24, 0.f);
    for (int i = 0; i < 6; ++i) scores[size_t(6 + i)] = fg[size_t(i)];
    deltas[0 * 6 + 1] = -1.f;            // cell (0, 1) moves one width left, onto cell (0, 0)
    deltas[2 * 6 + 5] = std::log(0.1f);  // cell (1, 2) shrinks below the minimum size
    deltas[3 * 6 + 5] = std::log(0.1f);
    std::vector<float> feat(size_t(c * fh * fw));
    for (size_t i = 0; i < feat.size(); ++i) feat[i] = float((i * 7) % 11) - 3.f;
    Fields f;
    f.i("featureStride", 16).i("preNmsTop", 10).i("nmsMaxOut", 6).f("iouThreshold", 0.7f).f("minBoxSize", 4.f);
    f.i("poolingH", 2)
        .i("poolingW", 2)
        .f("spatialScale", 0.0625f)
        .fs("anchorsRatios", {1.f})
        .fs("anchorsScales", {1.f});
    f.i("anchorsRatioCount", 1).i("anchorsScaleCount", 1);
    auto plugin = makeRproi(f);
    ASSERT_NE(plugin, nullptr);
    const double info[3] = {32, 48, 1};
    const RunResult r =
        runPlugin(*plugin, {floats({1, 2, h, w}, scores), floats({1, 4, h, w}, deltas), floats({1, c, fh, fw}, feat),
                            floats({1, 3}, std::vector<float>{32, 48, 1})});
    ASSERT_TRUE(r.ok) << r.errors;
    // By hand: (0, 1) lands on (0, 0)'s box and is suppressed, (1, 2) is too small, (1, 0) and
    // (1, 1) tie and keep their order, (0, 2) is clipped at x = 47; two padding rows.
    const std::vector<double> hand = {0,  0, 16, 16, 0, 16, 16, 31, 16, 16, 32, 31,
                                      32, 0, 47, 16, 0, 0,  0,  0,  0,  0,  0,  0};
    EXPECT_TRUE(near(r.outputs[0].floats(), hand, 1e-5, 0));
    const auto ref = proposalsReference({{0, 0, 15, 15}}, h, w, 16, scores, deltas, info, 4, 10, 0.7, 6);
    ASSERT_EQ(ref.size(), 4u);
    std::vector<double> pooled;
    for (const Roi& roi : ref) {
        const auto p = roiPoolReference(feat, c, fh, fw, roi, 0.0625, 2, 2);
        pooled.insert(pooled.end(), p.begin(), p.end());
    }
    pooled.resize(size_t(6 * c * 4), 0.0);  // padding rows pool to zero
    EXPECT_EQ(r.outputs[1].dims, (std::vector<int64_t>{1, 6, c, 2, 2}));
    EXPECT_TRUE(near(r.outputs[1].floats(), pooled, 0, 0));
}

TEST(RcnnPlugins, ProposalsMatchTheReferenceOnRandomDeltas) {
    const int64_t h = 6, w = 7, a = 6, c = 3, batch = 2;
    uint32_t s = 7;
    auto rnd = [&] {
        s = s * 1664525u + 1013904223u;
        return double(s >> 8) / double(1 << 24);
    };
    std::vector<float> scores(size_t(batch * 2 * a * h * w)), deltas(size_t(batch * 4 * a * h * w)),
        feat(size_t(batch * c * 12 * 14));
    for (float& v : scores) v = float(rnd());
    for (float& v : deltas) v = float(rnd() * 0.6 - 0.3);
    for (float& v : feat) v = float(rnd() * 10 - 5);
    const std::vector<float> ratios = {0.5f, 1.f, 2.f}, scales = {2.f, 4.f};
    Fields f;
    f.i("featureStride", 8).i("preNmsTop", 60).i("nmsMaxOut", 20).f("iouThreshold", 0.6f).f("minBoxSize", 6.f);
    f.i("poolingH", 3)
        .i("poolingW", 2)
        .f("spatialScale", 0.25f)
        .fs("anchorsRatios", ratios)
        .fs("anchorsScales", scales);
    auto plugin = makeRproi(f);
    ASSERT_NE(plugin, nullptr);
    const std::vector<float> info = {48, 56, 1.2f, 40, 50, 0.8f};
    const RunResult r = runPlugin(*plugin, {floats({batch, 2 * a, h, w}, scores), floats({batch, 4 * a, h, w}, deltas),
                                            floats({batch, c, 12, 14}, feat), floats({batch, 3}, info)});
    ASSERT_TRUE(r.ok) << r.errors;
    // Anchors of stride 8, ratios (0.5, 1, 2), scales (2, 4), worked out by hand from
    // generate_anchors: base [0, 0, 7, 7] centred at 3.5; ratio 0.5 -> 11 x 6 (5.5 rounds to
    // even), 1 -> 8 x 8, 2 -> 6 x 12; then twice and four times those sizes.
    const std::vector<Roi> anchors = {{-7, -2, 14, 9},    {-18, -8, 25, 15}, {-4, -4, 11, 11},
                                      {-12, -12, 19, 19}, {-2, -8, 9, 15},   {-8, -20, 15, 27}};
    for (int64_t n = 0; n < batch; ++n) {
        SCOPED_TRACE("image " + std::to_string(n));
        const std::vector<float> sc(scores.begin() + n * 2 * a * h * w, scores.begin() + (n + 1) * 2 * a * h * w);
        const std::vector<float> de(deltas.begin() + n * 4 * a * h * w, deltas.begin() + (n + 1) * 4 * a * h * w);
        const double inf[3] = {info[size_t(3 * n)], info[size_t(3 * n + 1)], info[size_t(3 * n + 2)]};
        const auto ref = proposalsReference(anchors, h, w, 8, sc, de, inf, 6, 60, 0.6, 20);
        ASSERT_GT(ref.size(), 10u);
        std::vector<double> want, pooled;
        const std::vector<float> fm(feat.begin() + n * c * 12 * 14, feat.begin() + (n + 1) * c * 12 * 14);
        for (const Roi& roi : ref) {
            want.insert(want.end(), {roi.x1, roi.y1, roi.x2, roi.y2});
            const auto p = roiPoolReference(fm, c, 12, 14, roi, 0.25, 3, 2);
            pooled.insert(pooled.end(), p.begin(), p.end());
        }
        want.resize(20 * 4, 0.0);
        pooled.resize(size_t(20 * c * 6), 0.0);
        const std::vector<float> got = r.outputs[0].floats(), gotPool = r.outputs[1].floats();
        EXPECT_TRUE(near(std::vector<float>(got.begin() + n * 80, got.begin() + (n + 1) * 80), want, 1e-4, 1e-6));
        EXPECT_TRUE(near(std::vector<float>(gotPool.begin() + n * 20 * c * 6, gotPool.begin() + (n + 1) * 20 * c * 6),
                         pooled, 0, 0));
    }
}

// ---- ROIAlign ----
std::vector<double> roiAlignReference(const std::vector<float>& x, int64_t c, int64_t h, int64_t w,
                                      const std::vector<float>& rois, const std::vector<int64_t>& batch, int oh, int ow,
                                      int ratio, double scale, bool halfPixel, bool avg) {
    std::vector<double> out;
    auto value = [&](int64_t b, int64_t ch, double y, double xx, double weight) {
        return weight * x[size_t(((b * c + ch) * h + int64_t(y)) * w + int64_t(xx))];
    };
    for (size_t r = 0; r < batch.size(); ++r) {
        const double off = halfPixel ? 0.5 : 0;
        const double x0 = rois[4 * r] * scale - off, y0 = rois[4 * r + 1] * scale - off;
        double rw = rois[4 * r + 2] * scale - off - x0, rh = rois[4 * r + 3] * scale - off - y0;
        if (!halfPixel) rw = std::max(rw, 1.0), rh = std::max(rh, 1.0);
        const int gy = ratio > 0 ? ratio : int(std::ceil(rh / oh)), gx = ratio > 0 ? ratio : int(std::ceil(rw / ow));
        for (int64_t ch = 0; ch < c; ++ch)
            for (int py = 0; py < oh; ++py)
                for (int px = 0; px < ow; ++px) {
                    double acc = 0;
                    bool first = true;
                    for (int iy = 0; iy < gy; ++iy)
                        for (int ix = 0; ix < gx; ++ix) {
                            double y = y0 + (py + (iy + 0.5) / gy) * rh / oh,
                                   xx = x0 + (px + (ix + 0.5) / gx) * rw / ow;
                            double terms[4] = {0, 0, 0, 0};
                            if (y >= -1 && y <= double(h) && xx >= -1 && xx <= double(w)) {
                                y = std::clamp(y, 0.0, double(h - 1));
                                xx = std::clamp(xx, 0.0, double(w - 1));
                                const double yl = std::floor(y), xl = std::floor(xx);
                                const double yh = std::min(yl + 1, double(h - 1)), xh = std::min(xl + 1, double(w - 1));
                                const double ly = y - yl, lx = xx - xl;
                                terms[0] = value(batch[r], ch, yl, xl, (1 - ly) * (1 - lx));
                                terms[1] = value(batch[r], ch, yl, xh, (1 - ly) * lx);
                                terms[2] = value(batch[r], ch, yh, xl, ly * (1 - lx));
                                terms[3] = value(batch[r], ch, yh, xh, ly * lx);
                            }
                            for (double t : terms) {
                                if (avg)
                                    acc += t;
                                else
                                    acc = first ? t : std::max(acc, t);
                                first = false;
                            }
                        }
                    out.push_back(avg ? acc / std::max(gy * gx, 1) : acc);
                }
    }
    return out;
}

std::unique_ptr<IPluginV2> makeRoiAlign(int mode, int ctm, int oh, int ow, int ratio, float scale) {
    Fields f;
    f.i("mode", mode).i("coordinateTransformationMode", ctm).i("outputHeight", oh).i("outputWidth", ow);
    f.i("samplingRatio", ratio).f("spatialScale", scale);
    Logger log;
    auto p = createBuiltin("ROIAlign_TRT", f, log);
    EXPECT_NE(p, nullptr) << log.errors;
    return p;
}

Tensor readPb(const std::string& path) {
    kiln::tool::TensorData t;
    std::string err;
    EXPECT_TRUE(kiln::tool::readTensorFile(path, t, err)) << err;
    Tensor out;
    out.dims = t.shape;
    out.bytes = t.bytes;
    out.type = t.type == kiln::tool::ElemType::kI64 ? DataType::kINT64 : DataType::kFLOAT;
    return out;
}

TEST(RcnnPlugins, RoiAlignMatchesTheOnnxBackendTests) {
    // The ONNX tests' attributes: output 5 x 5, sampling ratio 2, spatial scale 1.
    struct Case {
        const char* name;
        int mode, ctm;
    };
    for (const Case& k : {Case{"test_roialign_aligned_false", 1, 0}, Case{"test_roialign_aligned_true", 1, 1},
                          Case{"test_roialign_mode_max", 0, 0}}) {
        SCOPED_TRACE(k.name);
        const std::string dir = std::string(KILN_SHARED_DATA) + "/onnx-backend/node/" + k.name + "/test_data_set_0/";
        const Tensor x = readPb(dir + "input_0.pb"), rois = readPb(dir + "input_1.pb"),
                     idx = readPb(dir + "input_2.pb");
        const Tensor want = readPb(dir + "output_0.pb");
        ASSERT_EQ(idx.type, DataType::kINT64);
        auto plugin = makeRoiAlign(k.mode, k.ctm, 5, 5, 2, 1.f);
        ASSERT_NE(plugin, nullptr);
        const RunResult r = runPlugin(*plugin, {x, rois, idx});
        ASSERT_TRUE(r.ok) << r.errors;
        EXPECT_EQ(r.outputs[0].dims, want.dims);
        const std::vector<float> w = want.floats();
        // The tests' outputs are printed to 4 decimals.
        EXPECT_TRUE(near(r.outputs[0].floats(), std::vector<double>(w.begin(), w.end()), 1e-4, 0));
    }
}

TEST(RcnnPlugins, RoiAlignAdaptiveSamplingAndBatches) {
    const int64_t n = 2, c = 3, h = 7, w = 9;
    std::vector<float> x(size_t(n * c * h * w));
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(std::cos(double(i) * 0.31) * 4);
    // Inside, partly outside, tiny and inverted ROIs, on both images.
    const std::vector<float> rois = {1, 1, 6, 5, -2, -3, 4, 3, 7.5f, 5.5f, 7.6f, 5.6f, 6, 4, 2, 1, 0, 0, 20, 14};
    const std::vector<int32_t> batch32 = {0, 1, 1, 0, 1};
    const std::vector<int64_t> batch(batch32.begin(), batch32.end());
    for (int mode : {0, 1})
        for (int ctm : {0, 1})
            for (int ratio : {0, 2}) {
                SCOPED_TRACE("mode " + std::to_string(mode) + " ctm " + std::to_string(ctm) + " ratio " +
                             std::to_string(ratio));
                auto plugin = makeRoiAlign(mode, ctm, 3, 4, ratio, 0.5f);
                ASSERT_NE(plugin, nullptr);
                const RunResult r =
                    runPlugin(*plugin, {floats({n, c, h, w}, x), floats({5, 4}, rois), int32s({5}, batch32)});
                ASSERT_TRUE(r.ok) << r.errors;
                EXPECT_TRUE(near(r.outputs[0].floats(),
                                 roiAlignReference(x, c, h, w, rois, batch, 3, 4, ratio, 0.5, ctm == 1, mode == 1),
                                 1e-5, 1e-5));
            }
    // A batch index outside the batch is an error, not a read out of bounds.
    auto plugin = makeRoiAlign(1, 1, 2, 2, 1, 1.f);
    const RunResult bad = runPlugin(
        *plugin, {floats({n, c, h, w}, x), floats({1, 4}, std::vector<float>{0.f, 0.f, 1.f, 1.f}), int32s({1}, {2})});
    EXPECT_FALSE(bad.ok);
    EXPECT_NE(bad.errors.find("batch index 2 of ROI 0"), std::string::npos) << bad.errors;
}

}  // namespace
