// The SSD plugins (PriorBox_TRT, Normalize_TRT, GridAnchor_TRT, NMS_TRT, BatchedNMS_TRT)
// against float64 implementations written here from the Caffe SSD fork's and TensorFlow's
// descriptions, on the MobileNet-SSD configuration and on crafted boxes.
#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>

#include "plugin_test_util.h"

using namespace kiln;
using namespace plugintest;

namespace {

// ---- a minimal reader of Caffe's prototxt (text protobuf): blocks and key: value ----
// Children keep their own name: std::vector<Block> may hold the incomplete type
// (C++17), a std::pair<std::string, Block> may not (clang with libstdc++ refuses it).
struct Block {
    std::string name;
    std::multimap<std::string, std::string> values;
    std::vector<Block> blocks;
    std::vector<std::string> all(const std::string& k) const {
        std::vector<std::string> r;
        for (auto [it, end] = values.equal_range(k); it != end; ++it) r.push_back(it->second);
        return r;
    }
    std::string one(const std::string& k, const std::string& dflt = "") const {
        auto v = all(k);
        return v.empty() ? dflt : v[0];
    }
    const Block* child(const std::string& k) const {
        for (const Block& b : blocks)
            if (b.name == k) return &b;
        return nullptr;
    }
};

void parseBlock(std::istream& in, Block& b) {
    std::string tok;
    while (in >> tok) {
        if (tok == "}") return;
        if (tok[0] == '#') {
            std::getline(in, tok);
            continue;
        }
        if (tok.back() == ':') {
            std::string v;
            in >> v;
            if (v.front() == '"') v = v.substr(1, v.size() - 2);
            b.values.emplace(tok.substr(0, tok.size() - 1), v);
        } else {
            std::string brace;
            if (tok.back() == '{')
                tok.pop_back();
            else
                in >> brace;  // "name {"
            Block c;
            c.name = tok;
            parseBlock(in, c);
            b.blocks.push_back(std::move(c));
        }
    }
}

Block readPrototxt(const std::string& path) {
    std::ifstream f(path);
    EXPECT_TRUE(f.good()) << path;
    Block root;
    parseBlock(f, root);
    return root;
}

std::vector<double> numbers(const std::vector<std::string>& v) {
    std::vector<double> r;
    for (const auto& s : v) r.push_back(std::stod(s));
    return r;
}

// ---- PriorBox reference (Caffe SSD's PriorBoxLayer, in float64) ----
struct PriorBoxSpec {
    std::string name, bottom;
    std::vector<double> minSizes, maxSizes, ratios, variance;
    bool flip = true, clip = false;
    double offset = 0.5;
};

std::vector<double> priorBoxReference(const PriorBoxSpec& s, int64_t layerH, int64_t layerW, double imgH, double imgW) {
    std::vector<double> ars{1.0};
    for (double r : s.ratios) {
        if (std::any_of(ars.begin(), ars.end(), [&](double e) { return std::fabs(e - r) < 1e-6; })) continue;
        ars.push_back(r);
        if (s.flip) ars.push_back(1.0 / r);
    }
    std::vector<double> boxes;
    const double stepH = imgH / double(layerH), stepW = imgW / double(layerW);
    for (int64_t y = 0; y < layerH; ++y)
        for (int64_t x = 0; x < layerW; ++x) {
            const double cx = (double(x) + s.offset) * stepW, cy = (double(y) + s.offset) * stepH;
            for (size_t m = 0; m < s.minSizes.size(); ++m) {
                std::vector<std::pair<double, double>> sizes{{s.minSizes[m], s.minSizes[m]}};
                if (!s.maxSizes.empty()) {
                    const double side = std::sqrt(s.minSizes[m] * s.maxSizes[m]);
                    sizes.push_back({side, side});
                }
                for (double ar : ars)
                    if (std::fabs(ar - 1.0) >= 1e-6)
                        sizes.push_back({s.minSizes[m] * std::sqrt(ar), s.minSizes[m] / std::sqrt(ar)});
                for (auto [w, h] : sizes)
                    for (double v :
                         {(cx - w / 2) / imgW, (cy - h / 2) / imgH, (cx + w / 2) / imgW, (cy + h / 2) / imgH})
                        boxes.push_back(s.clip ? std::clamp(v, 0.0, 1.0) : v);
            }
        }
    const size_t n = boxes.size();
    for (size_t i = 0; i < n; ++i) boxes.push_back(s.variance.size() == 1 ? s.variance[0] : s.variance[i % 4]);
    return boxes;
}

TEST(SsdPlugins, PriorBoxMatchesCaffeOnMobileNetSsd) {
    const Block net = readPrototxt(std::string(KILN_SHARED_DATA) + "/caffe/mobilenet_ssd_chuanqi305/deploy.prototxt");
    const std::vector<double> inputDims = numbers(net.child("input_shape")->all("dim"));
    ASSERT_EQ(inputDims.size(), 4u);
    const int64_t imgH = int64_t(inputDims[2]), imgW = int64_t(inputDims[3]);
    // Feature map sizes from the convolutions (other layers keep the size).
    std::map<std::string, int64_t> size{{net.one("input"), imgH}};
    std::vector<PriorBoxSpec> specs;
    for (const Block& layer : net.blocks) {
        if (layer.name != "layer") continue;
        const std::string type = layer.one("type");
        if (type == "Convolution") {
            const Block* p = layer.child("convolution_param");
            const int64_t k = std::stoll(p->one("kernel_size")), st = std::stoll(p->one("stride", "1")),
                          pad = std::stoll(p->one("pad", "0"));
            size[layer.one("top")] = (size.at(layer.one("bottom")) + 2 * pad - k) / st + 1;
        } else if (type == "PriorBox") {
            const Block* p = layer.child("prior_box_param");
            PriorBoxSpec s;
            s.name = layer.one("name");
            s.bottom = layer.all("bottom")[0];
            s.minSizes = numbers(p->all("min_size"));
            s.maxSizes = numbers(p->all("max_size"));
            s.ratios = numbers(p->all("aspect_ratio"));
            s.variance = numbers(p->all("variance"));
            s.flip = p->one("flip", "true") == "true";
            s.clip = p->one("clip", "false") == "true";
            s.offset = std::stod(p->one("offset", "0.5"));
            EXPECT_TRUE(p->all("step").empty() && p->all("img_size").empty()) << "the test assumes default steps";
            specs.push_back(s);
        }
    }
    ASSERT_EQ(specs.size(), 6u);
    int64_t totalPriors = 0;
    for (const PriorBoxSpec& s : specs) {
        SCOPED_TRACE(s.name);
        const int64_t f = size.at(s.bottom);
        Fields fields;
        fields.fs("minSize", std::vector<float>(s.minSizes.begin(), s.minSizes.end()))
            .fs("maxSize", std::vector<float>(s.maxSizes.begin(), s.maxSizes.end()))
            .fs("aspectRatios", std::vector<float>(s.ratios.begin(), s.ratios.end()))
            .i("flip", s.flip)
            .i("clip", s.clip)
            .fs("variance", std::vector<float>(s.variance.begin(), s.variance.end()))
            .f("offset", float(s.offset));
        Logger log;
        auto plugin = createBuiltin("PriorBox_TRT", fields, log);
        ASSERT_NE(plugin, nullptr) << log.errors;
        const Tensor feature = floats({1, 2, f, f}, std::vector<float>(size_t(2 * f * f), 0.f));
        const Tensor image = floats({1, 3, imgH, imgW}, std::vector<float>(size_t(3 * imgH * imgW), 0.f));
        const RunResult r = runPlugin(*plugin, {feature, image});
        ASSERT_TRUE(r.ok) << r.errors;
        const std::vector<double> want = priorBoxReference(s, f, f, double(imgH), double(imgW));
        ASSERT_EQ(r.outputs[0].dims, (std::vector<int64_t>{1, 2, int64_t(want.size() / 2)}));
        EXPECT_TRUE(near(r.outputs[0].floats(), want, 1e-6, 1e-6));
        totalPriors += int64_t(want.size() / 8);
        if (s.name == "conv11_mbox_priorbox") {
            // By hand: 19 x 19 cells of 300 / 19 pixels; the first prior of the first cell is
            // the 60-pixel square around (7.8947, 7.8947).
            EXPECT_EQ(f, 19);
            const std::vector<float> got = r.outputs[0].floats();
            EXPECT_NEAR(got[0], (150.0 / 19 - 30) / 300, 1e-6);
            EXPECT_NEAR(got[2], (150.0 / 19 + 30) / 300, 1e-6);
            EXPECT_NEAR(got[r.outputs[0].volume() / 2 + 2], 0.2, 1e-7);  // variance of the first xmax
        }
    }
    EXPECT_EQ(totalPriors, 1917);  // MobileNet-SSD's well-known prior count
}

TEST(SsdPlugins, PriorBoxOptions) {
    // Explicit image size and steps, clipping, a single variance, no flip, ratio 1 repeated.
    PriorBoxSpec s;
    s.minSizes = {30, 50};
    s.maxSizes = {45, 80};
    s.ratios = {1.0, 3.0, 3.0};
    s.flip = false;
    s.clip = true;
    s.variance = {0.3};
    s.offset = 0.25;
    Fields fields;
    fields.fs("minSize", {30, 50}).fs("maxSize", {45, 80}).fs("aspectRatios", {1, 3, 3}).i("flip", 0).i("clip", 1);
    fields.fs("variance", {0.3f}).f("offset", 0.25f).i("imgH", 120).i("imgW", 200).f("stepH", 40).f("stepW", 40);
    Logger log;
    auto plugin = createBuiltin("PriorBox_TRT", fields, log);
    ASSERT_NE(plugin, nullptr) << log.errors;
    const RunResult r = runPlugin(*plugin, {floats({1, 1, 3, 5}, std::vector<float>(15, 0.f))});
    ASSERT_TRUE(r.ok) << r.errors;
    // steps 40 = 120 / 3 = 200 / 5, so the default-step reference applies.
    EXPECT_TRUE(near(r.outputs[0].floats(), priorBoxReference(s, 3, 5, 120, 200), 1e-6, 1e-6));
    EXPECT_EQ(r.outputs[0].dims[2], 3 * 5 * (2 * 2 + 2) * 4);  // ratios {1, 3} per min size, plus the max boxes
}

TEST(SsdPlugins, PriorBoxRejectsBadFields) {
    Logger log;
    Fields noMin;
    EXPECT_EQ(createBuiltin("PriorBox_TRT", noMin, log), nullptr);
    Fields maxBelowMin;
    maxBelowMin.fs("minSize", {30}).fs("maxSize", {20});
    EXPECT_EQ(createBuiltin("PriorBox_TRT", maxBelowMin, log), nullptr);
    EXPECT_NE(log.errors.find("maxSize must exceed minSize"), std::string::npos) << log.errors;
}

// ---- Normalize ----
std::vector<double> normalizeReference(const std::vector<float>& x, int64_t n, int64_t c, int64_t hw,
                                       const std::vector<float>& w, bool across, bool shared, double eps) {
    std::vector<double> y(x.size());
    for (int64_t b = 0; b < n; ++b) {
        auto at = [&](int64_t ch, int64_t p) { return size_t((b * c + ch) * hw + p); };
        for (int64_t p = 0; p < hw; ++p) {
            double sum = 0;
            if (across) {
                for (int64_t ch = 0; ch < c; ++ch)
                    for (int64_t q = 0; q < hw; ++q) sum += double(x[at(ch, q)]) * x[at(ch, q)];
            } else {
                for (int64_t ch = 0; ch < c; ++ch) sum += double(x[at(ch, p)]) * x[at(ch, p)];
            }
            for (int64_t ch = 0; ch < c; ++ch)
                y[at(ch, p)] = x[at(ch, p)] / std::sqrt(sum + eps) * w[shared ? 0 : size_t(ch)];
        }
    }
    return y;
}

TEST(SsdPlugins, NormalizeAllModes) {
    const int64_t n = 2, c = 4, h = 3, w = 2;
    std::vector<float> x(size_t(n * c * h * w));
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(std::sin(double(i) * 1.7) * 3);
    x[5] = 0;
    for (bool across : {false, true})
        for (bool shared : {false, true}) {
            SCOPED_TRACE(std::string(across ? "across" : "per position") + (shared ? ", shared" : ", per channel"));
            const std::vector<float> weights =
                shared ? std::vector<float>{20.f} : std::vector<float>{1.f, 2.f, 0.5f, -3.f};
            Fields f;
            f.fs("weights", weights)
                .i("acrossSpatial", across)
                .i("channelShared", shared)
                .f("eps", 1e-4f)
                .i("nbWeights", int32_t(weights.size()));
            Logger log;
            auto plugin = createBuiltin("Normalize_TRT", f, log);
            ASSERT_NE(plugin, nullptr) << log.errors;
            const RunResult r = runPlugin(*plugin, {floats({n, c, h, w}, x)});
            ASSERT_TRUE(r.ok) << r.errors;
            EXPECT_TRUE(near(r.outputs[0].floats(), normalizeReference(x, n, c, h * w, weights, across, shared, 1e-4)));
        }
    // One weight per channel must match the channels.
    Fields f;
    f.fs("weights", {1.f, 2.f});
    Logger log;
    auto plugin = createBuiltin("Normalize_TRT", f, log);
    ASSERT_NE(plugin, nullptr);
    const RunResult r = runPlugin(*plugin, {floats({n, c, h, w}, x)});
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.errors.find("2 weights for 4 channels"), std::string::npos) << r.errors;
}

// ---- GridAnchor (TensorFlow's SSD anchors) ----
TEST(SsdPlugins, GridAnchorMatchesTensorFlowSsdAnchors) {
    const std::vector<int32_t> fm = {19, 10, 5, 3, 2, 1};
    const std::vector<float> ratios = {1.0f, 2.0f, 0.5f, 3.0f, 0.33f};
    Fields f;
    f.f("minSize", 0.2f).f("maxSize", 0.95f).fs("aspectRatios", ratios).is("featureMapShapes", fm);
    f.fs("variance", {0.1f, 0.1f, 0.2f, 0.2f}).i("numLayers", 6);
    Logger log;
    auto plugin = createBuiltin("GridAnchor_TRT", f, log);
    ASSERT_NE(plugin, nullptr) << log.errors;
    const RunResult r = runPlugin(*plugin, {});
    ASSERT_TRUE(r.ok) << r.errors;
    ASSERT_EQ(r.outputs.size(), 6u);
    // TensorFlow: scales linear in [0.2, 0.95], then 1; layer 0 uses (0.1, 1), (s0, 2), (s0, 0.5);
    // the others every ratio at s_i plus ratio 1 at sqrt(s_i s_{i+1}).
    std::vector<double> scales;
    for (int i = 0; i < 6; ++i) scales.push_back(0.2 + (0.95 - 0.2) * i / 5.0);
    scales.push_back(1.0);
    int64_t total = 0;
    for (int layer = 0; layer < 6; ++layer) {
        std::vector<std::pair<double, double>> specs;  // (scale, ratio)
        if (layer == 0)
            specs = {{0.1, 1.0}, {scales[0], 2.0}, {scales[0], 0.5}};
        else {
            for (float ar : ratios) specs.push_back({scales[size_t(layer)], double(ar)});
            specs.push_back({std::sqrt(scales[size_t(layer)] * scales[size_t(layer) + 1]), 1.0});
        }
        std::vector<double> want;
        const int g = fm[size_t(layer)];
        for (int y = 0; y < g; ++y)
            for (int x = 0; x < g; ++x)
                for (auto [s, ar] : specs) {
                    const double cy = (y + 0.5) / g, cx = (x + 0.5) / g, hh = s / std::sqrt(ar) / 2,
                                 hw = s * std::sqrt(ar) / 2;
                    want.insert(want.end(), {cx - hw, cy - hh, cx + hw, cy + hh});
                }
        const size_t boxes = want.size();
        for (size_t i = 0; i < boxes; ++i) want.push_back(i % 4 < 2 ? 0.1 : 0.2);
        EXPECT_TRUE(near(r.outputs[size_t(layer)].floats(), want, 1e-6, 1e-6)) << "layer " << layer;
        total += int64_t(boxes / 4);
    }
    EXPECT_EQ(total, 1917);  // ssd_mobilenet_v1_coco's anchor count
    // By hand: the first anchor is the 0.1 square around (0.5/19, 0.5/19).
    EXPECT_NEAR(r.outputs[0].floats()[0], 0.5 / 19 - 0.05, 1e-7);
    EXPECT_NEAR(r.outputs[0].floats()[3], 0.5 / 19 + 0.05, 1e-7);
}

// ---- DetectionOutput (NMS_TRT) ----
struct RefDetection {
    double score;
    int label;
    double box[4];
};

double iouRef(const double* a, const double* b) {
    const double ix = std::min(a[2], b[2]) - std::max(a[0], b[0]), iy = std::min(a[3], b[3]) - std::max(a[1], b[1]);
    if (ix < 0 || iy < 0) return 0;
    const double inter = ix * iy, ua = (a[2] - a[0]) * (a[3] - a[1]), ub = (b[2] - b[0]) * (b[3] - b[1]);
    return inter / (ua + ub - inter);
}

// Caffe's DetectionOutput on one image (shared locations, CENTER_SIZE, normalized boxes).
std::vector<RefDetection> detectionReference(const std::vector<float>& loc, const std::vector<float>& conf,
                                             const std::vector<float>& priors, int classes, int background,
                                             double confThr, double nmsThr, int topK, int keepTopK) {
    const size_t np = priors.size() / 8;
    std::vector<std::array<double, 4>> boxes(np);
    for (size_t i = 0; i < np; ++i) {
        const float* p = &priors[4 * i];
        const float* v = &priors[4 * np + 4 * i];
        const float* l = &loc[4 * i];
        const double pw = double(p[2]) - p[0], ph = double(p[3]) - p[1];
        const double pcx = (double(p[0]) + p[2]) / 2.0, pcy = (double(p[1]) + p[3]) / 2.0;
        const double cx = double(v[0]) * l[0] * pw + pcx, cy = double(v[1]) * l[1] * ph + pcy;
        const double w = std::exp(double(v[2]) * l[2]) * pw, h = std::exp(double(v[3]) * l[3]) * ph;
        boxes[i] = {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
    }
    std::vector<RefDetection> all;
    for (int c = 0; c < classes; ++c) {
        if (c == background) continue;
        std::vector<size_t> cand;
        for (size_t i = 0; i < np; ++i)
            if (conf[i * size_t(classes) + size_t(c)] > confThr) cand.push_back(i);
        std::stable_sort(cand.begin(), cand.end(), [&](size_t a, size_t b) {
            return conf[a * size_t(classes) + size_t(c)] > conf[b * size_t(classes) + size_t(c)];
        });
        if (topK >= 0 && cand.size() > size_t(topK)) cand.resize(size_t(topK));
        std::vector<size_t> kept;
        for (size_t i : cand) {
            bool ok = true;
            for (size_t k : kept) ok = ok && iouRef(boxes[i].data(), boxes[k].data()) <= nmsThr;
            if (ok) kept.push_back(i);
        }
        for (size_t i : kept)
            all.push_back(
                {conf[i * size_t(classes) + size_t(c)], c, {boxes[i][0], boxes[i][1], boxes[i][2], boxes[i][3]}});
    }
    std::stable_sort(all.begin(), all.end(), [](const RefDetection& a, const RefDetection& b) {
        return a.score != b.score ? a.score > b.score : a.label < b.label;
    });
    if (all.size() > size_t(keepTopK)) all.resize(size_t(keepTopK));
    return all;
}

// Five priors (corner form) around which the crafted cases are built.
const std::vector<float> kBoxes = {0.1f, 0.1f, 0.3f, 0.3f, 0.12f, 0.1f, 0.32f, 0.3f, 0.5f, 0.5f,
                                   0.7f, 0.7f, 0.5f, 0.5f, 0.7f,  0.7f, 0.2f,  0.1f, 0.4f, 0.3f};

std::vector<float> priorsOf(const std::vector<float>& boxes) {
    std::vector<float> p = boxes;
    for (size_t i = 0; i < boxes.size(); ++i) p.push_back(i % 4 < 2 ? 0.1f : 0.2f);
    return p;
}

std::unique_ptr<IPluginV2> makeNms(int keepTopK, int topK = -1, float conf = 0.2f) {
    Fields f;
    f.i("shareLocation", 1).i("backgroundLabelId", 0).i("numClasses", 3).i("topK", topK).i("keepTopK", keepTopK);
    f.f("confidenceThreshold", conf).f("nmsThreshold", 0.45f).i("codeType", 2);
    Logger log;
    auto p = createBuiltin("NMS_TRT", f, log);
    EXPECT_NE(p, nullptr) << log.errors;
    return p;
}

TEST(SsdPlugins, NmsOnCraftedOverlapsAndTies) {
    // Scores per prior: (background, class 1, class 2). IoU(b0, b1) = 0.82, IoU(b2, b3) = 1,
    // IoU(b0, b4) = 0.33, IoU(b1, b4) = 0.43, the rest 0.
    const std::vector<float> conf = {0.99f, 0.9f,  0.1f, 0.99f, 0.8f,  0.95f, 0.99f, 0.7f,
                                     0.3f,  0.99f, 0.7f, 0.9f,  0.99f, 0.6f,  0.7f};
    const std::vector<float> loc(20, 0.f);  // boxes are the priors
    auto plugin = makeNms(/*keepTopK=*/5);
    ASSERT_NE(plugin, nullptr);
    const RunResult r = runPlugin(
        *plugin, {floats({1, 20, 1, 1}, loc), floats({1, 15, 1, 1}, conf), floats({1, 2, 20}, priorsOf(kBoxes))});
    ASSERT_TRUE(r.ok) << r.errors;
    ASSERT_EQ(r.outputs[0].dims, (std::vector<int64_t>{1, 1, 5, 7}));
    ASSERT_EQ(r.outputs[1].type, DataType::kINT32);
    EXPECT_EQ(r.outputs[1].ints()[0], 5);
    // By hand. Class 1 keeps b0 (0.9), b2 (0.7; b3 ties it and goes second, then is suppressed),
    // b4 (0.6); b1 is suppressed by b0. Class 2 (b0 is under the threshold) keeps b1 (0.95),
    // b3 (0.9), b4 (0.7) and suppresses b2 (same box as b3). Ties across classes: class 1 first.
    const std::vector<std::pair<int, int>> want = {{2, 1}, {1, 0}, {2, 3}, {1, 2}, {2, 4}};  // (label, box)
    const std::vector<float> got = r.outputs[0].floats();
    for (size_t k = 0; k < want.size(); ++k) {
        SCOPED_TRACE("row " + std::to_string(k));
        EXPECT_EQ(got[k * 7 + 0], 0.f);
        EXPECT_EQ(got[k * 7 + 1], float(want[k].first));
        EXPECT_EQ(got[k * 7 + 2], conf[size_t(want[k].second) * 3 + size_t(want[k].first)]);
        for (int c = 0; c < 4; ++c)
            EXPECT_NEAR(got[k * 7 + 3 + size_t(c)], kBoxes[size_t(want[k].second) * 4 + size_t(c)], 1e-6);
    }
    // keepTopK 8: the sixth detection, then padding rows.
    auto wide = makeNms(8);
    const RunResult r8 = runPlugin(
        *wide, {floats({1, 20, 1, 1}, loc), floats({1, 15, 1, 1}, conf), floats({1, 2, 20}, priorsOf(kBoxes))});
    ASSERT_TRUE(r8.ok) << r8.errors;
    EXPECT_EQ(r8.outputs[1].ints()[0], 6);
    const std::vector<float> g8 = r8.outputs[0].floats();
    EXPECT_EQ(g8[5 * 7 + 1], 1.f);
    EXPECT_EQ(g8[5 * 7 + 2], 0.6f);
    for (int k = 6; k < 8; ++k)
        EXPECT_EQ(std::vector<float>(g8.begin() + k * 7, g8.begin() + k * 7 + 7),
                  (std::vector<float>{0, -1, 0, 0, 0, 0, 0}));
    // topK 1: one candidate per class.
    auto top1 = makeNms(8, 1);
    const RunResult r1 = runPlugin(
        *top1, {floats({1, 20, 1, 1}, loc), floats({1, 15, 1, 1}, conf), floats({1, 2, 20}, priorsOf(kBoxes))});
    ASSERT_TRUE(r1.ok);
    EXPECT_EQ(r1.outputs[1].ints()[0], 2);
}

TEST(SsdPlugins, NmsDecodesBoxesLikeCaffe) {
    // Random boxes and offsets, two images, against the float64 reference.
    const int np = 40, classes = 4;
    std::vector<float> boxes, loc, conf;
    uint32_t s = 12345;
    auto rnd = [&] {
        s = s * 1664525u + 1013904223u;
        return double(s >> 8) / double(1 << 24);
    };
    for (int i = 0; i < np; ++i) {
        const double x = rnd() * 0.8, y = rnd() * 0.8, w = 0.05 + rnd() * 0.2, h = 0.05 + rnd() * 0.2;
        boxes.insert(boxes.end(), {float(x), float(y), float(x + w), float(y + h)});
    }
    for (int i = 0; i < 2 * np * 4; ++i) loc.push_back(float(rnd() * 2 - 1));
    for (int i = 0; i < 2 * np * classes; ++i) conf.push_back(float(rnd()));
    Fields f;
    f.i("shareLocation", 1).i("backgroundLabelId", 0).i("numClasses", classes).i("topK", 20).i("keepTopK", 30);
    f.f("confidenceThreshold", 0.3f).f("nmsThreshold", 0.45f).i("codeType", 2);
    Logger log;
    auto plugin = createBuiltin("NMS_TRT", f, log);
    ASSERT_NE(plugin, nullptr) << log.errors;
    const std::vector<float> priors = priorsOf(boxes);
    const RunResult r = runPlugin(*plugin, {floats({2, np * 4, 1, 1}, loc), floats({2, np * classes, 1, 1}, conf),
                                            floats({1, 2, np * 4}, priors)});
    ASSERT_TRUE(r.ok) << r.errors;
    const std::vector<float> got = r.outputs[0].floats();
    for (int n = 0; n < 2; ++n) {
        SCOPED_TRACE("image " + std::to_string(n));
        const std::vector<float> l(loc.begin() + n * np * 4, loc.begin() + (n + 1) * np * 4);
        const std::vector<float> c(conf.begin() + n * np * classes, conf.begin() + (n + 1) * np * classes);
        const auto want = detectionReference(l, c, priors, classes, 0, 0.3, 0.45, 20, 30);
        ASSERT_EQ(r.outputs[1].ints()[size_t(n)], int32_t(want.size()));
        ASSERT_GT(want.size(), 5u);  // the case exercises NMS
        for (size_t k = 0; k < want.size(); ++k) {
            const float* row = &got[(size_t(n) * 30 + k) * 7];
            EXPECT_EQ(row[0], float(n));
            EXPECT_EQ(row[1], float(want[k].label));
            EXPECT_NEAR(row[2], want[k].score, 1e-7);
            for (int q = 0; q < 4; ++q) EXPECT_NEAR(row[3 + q], want[k].box[q], 1e-5);
        }
    }
}

// ---- BatchedNMS ----
TEST(SsdPlugins, BatchedNmsOnCraftedBoxes) {
    // Image 0: the five boxes of the NMS case with the same two class scores; image 1: one
    // box with a single score above the threshold, extending past the image (clipped).
    std::vector<float> boxes = kBoxes;
    const std::vector<float> b1 = {-0.1f, 0.5f, 0.4f, 1.2f};
    for (int i = 0; i < 5; ++i) boxes.insert(boxes.end(), b1.begin(), b1.end());
    std::vector<float> scores = {0.9f, 0.1f, 0.8f, 0.95f, 0.7f, 0.3f, 0.7f, 0.9f, 0.6f, 0.7f};
    const std::vector<float> s1 = {0.5f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
    scores.insert(scores.end(), s1.begin(), s1.end());
    Fields f;
    f.i("shareLocation", 1).i("backgroundLabelId", -1).i("numClasses", 2).i("topK", 10).i("keepTopK", 4);
    f.f("scoreThreshold", 0.2f).f("iouThreshold", 0.45f).i("isNormalized", 1).i("clipBoxes", 1);
    Logger log;
    auto plugin = createBuiltin("BatchedNMS_TRT", f, log);
    ASSERT_NE(plugin, nullptr) << log.errors;
    const RunResult r = runPlugin(*plugin, {floats({2, 5, 1, 4}, boxes), floats({2, 5, 2}, scores)});
    ASSERT_TRUE(r.ok) << r.errors;
    ASSERT_EQ(r.outputs.size(), 4u);
    EXPECT_EQ(r.outputs[0].ints(), (std::vector<int32_t>{4, 1}));
    const std::vector<float> ob = r.outputs[1].floats(), os = r.outputs[2].floats(), oc = r.outputs[3].floats();
    // Image 0 by hand (classes 0 and 1 here are the NMS case's classes 1 and 2).
    EXPECT_EQ(std::vector<float>(oc.begin(), oc.begin() + 4), (std::vector<float>{1, 0, 1, 0}));
    EXPECT_EQ(std::vector<float>(os.begin(), os.begin() + 4), (std::vector<float>{0.95f, 0.9f, 0.9f, 0.7f}));
    const int boxOf[4] = {1, 0, 3, 2};
    for (int k = 0; k < 4; ++k)
        for (int c = 0; c < 4; ++c) EXPECT_NEAR(ob[size_t(k * 4 + c)], kBoxes[size_t(boxOf[k] * 4 + c)], 1e-7);
    // Image 1: one detection, clipped, then padding (boxes 0, score 0, class -1).
    EXPECT_EQ(std::vector<float>(ob.begin() + 16, ob.begin() + 20), (std::vector<float>{0.f, 0.5f, 0.4f, 1.f}));
    EXPECT_EQ(std::vector<float>(ob.begin() + 20, ob.end()), std::vector<float>(12, 0.f));
    EXPECT_EQ(std::vector<float>(os.begin() + 4, os.end()), (std::vector<float>{0.5f, 0, 0, 0}));
    EXPECT_EQ(std::vector<float>(oc.begin() + 4, oc.end()), (std::vector<float>{0, -1, -1, -1}));
}

TEST(SsdPlugins, BatchedNmsPerClassBoxes) {
    // shareLocation off: class c uses its own box per anchor. Two boxes that coincide for
    // class 0 (one suppressed) and are far apart for class 1 (both kept).
    const std::vector<float> boxes = {0, 0, 1, 1, 0, 0, 1, 1,    // anchor 0: class 0, class 1
                                      0, 0, 1, 1, 5, 5, 6, 6};   // anchor 1
    const std::vector<float> scores = {0.9f, 0.8f, 0.7f, 0.6f};  // [anchor][class]
    Fields f;
    f.i("shareLocation", 0).i("numClasses", 2).i("keepTopK", 5).f("scoreThreshold", 0.f).f("iouThreshold", 0.5f);
    f.i("isNormalized", 0).i("clipBoxes", 0);
    Logger log;
    auto plugin = createBuiltin("BatchedNMS_TRT", f, log);
    ASSERT_NE(plugin, nullptr) << log.errors;
    const RunResult r = runPlugin(*plugin, {floats({1, 2, 2, 4}, boxes), floats({1, 2, 2}, scores)});
    ASSERT_TRUE(r.ok) << r.errors;
    EXPECT_EQ(r.outputs[0].ints()[0], 3);
    EXPECT_EQ(r.outputs[2].floats(), (std::vector<float>{0.9f, 0.8f, 0.6f, 0, 0}));
    EXPECT_EQ(r.outputs[3].floats(), (std::vector<float>{0, 1, 1, -1, -1}));
    const std::vector<float> ob = r.outputs[1].floats();
    EXPECT_EQ(std::vector<float>(ob.begin() + 8, ob.begin() + 12), (std::vector<float>{5, 5, 6, 6}));
}

}  // namespace
