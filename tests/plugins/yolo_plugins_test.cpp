// The YOLOv2 plugins (Reorg_TRT, Region_TRT) on the [reorg] and [region] settings of
// darknet's yolov2-voc.cfg, and the elementwise ones (LReLU_TRT, Clip_TRT), against
// float64 implementations written here.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>

#include "plugin_test_util.h"

using namespace kiln;
using namespace plugintest;

namespace {

struct Section {
    std::string type;
    std::map<std::string, std::string> kv;
    int64_t get(const std::string& k, int64_t dflt) const {
        auto it = kv.find(k);
        return it == kv.end() ? dflt : std::stoll(it->second);
    }
};

std::vector<Section> readCfg(const std::string& path) {
    std::ifstream f(path);
    EXPECT_TRUE(f.good()) << path;
    std::vector<Section> s;
    std::string line;
    while (std::getline(f, line)) {
        line = line.substr(0, line.find('#'));
        line.erase(std::remove_if(line.begin(), line.end(), [](char c) { return std::isspace(uint8_t(c)); }),
                   line.end());
        if (line.empty()) continue;
        if (line.front() == '[')
            s.push_back({line.substr(1, line.size() - 2), {}});
        else if (!s.empty() && line.find('=') != std::string::npos)
            s.back().kv[line.substr(0, line.find('='))] = line.substr(line.find('=') + 1);
    }
    return s;
}

// Darknet's shape arithmetic over the layers (after [net]): (channels, height, width) of
// each layer's output.
struct Chw {
    int64_t c, h, w;
};
std::vector<Chw> layerShapes(const std::vector<Section>& cfg) {
    Chw cur{cfg[0].get("channels", 3), cfg[0].get("height", 0), cfg[0].get("width", 0)};
    std::vector<Chw> out;
    for (size_t i = 1; i < cfg.size(); ++i) {
        const Section& s = cfg[i];
        if (s.type == "convolutional") {
            const int64_t size = s.get("size", 1), stride = s.get("stride", 1), pad = s.get("pad", 0) ? size / 2 : 0;
            cur = {s.get("filters", 1), (cur.h + 2 * pad - size) / stride + 1, (cur.w + 2 * pad - size) / stride + 1};
        } else if (s.type == "maxpool") {
            const int64_t size = s.get("size", 2), stride = s.get("stride", 2), pad = s.get("padding", size - 1);
            cur = {cur.c, (cur.h + pad - size) / stride + 1, (cur.w + pad - size) / stride + 1};
        } else if (s.type == "route") {
            std::string list = s.kv.at("layers");
            int64_t c = 0;
            Chw first{};
            for (size_t p = 0; p <= list.size();) {
                const size_t q = std::min(list.find(',', p), list.size());
                int64_t idx = std::stoll(list.substr(p, q - p));
                if (idx < 0) idx += int64_t(out.size());
                if (c == 0) first = out[size_t(idx)];
                c += out[size_t(idx)].c;
                p = q + 1;
            }
            cur = {c, first.h, first.w};
        } else if (s.type == "reorg") {
            const int64_t st = s.get("stride", 1);
            cur = {cur.c * st * st, cur.h / st, cur.w / st};
        }
        out.push_back(cur);
    }
    return out;
}

std::vector<float> pattern(size_t n, double scale) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = float(std::sin(double(i) * 0.37 + 0.1) * scale);
    return v;
}

// Darknet's reorg (forward = 0) read as a space-to-depth: the input's memory viewed as
// [C / s^2, H * s, W * s]; output channel (dy * s + dx) * C / s^2 + c takes rows dy, dx
// of each s x s block of that view's channel c.
std::vector<double> reorgReference(const std::vector<float>& x, int64_t n, int64_t c, int64_t h, int64_t w, int64_t s) {
    const int64_t oc = c / (s * s), vh = h * s, vw = w * s;  // the view
    std::vector<double> y(x.size());
    for (int64_t b = 0; b < n; ++b)
        for (int64_t dy = 0; dy < s; ++dy)
            for (int64_t dx = 0; dx < s; ++dx)
                for (int64_t ch = 0; ch < oc; ++ch)
                    for (int64_t yy = 0; yy < h; ++yy)
                        for (int64_t xx = 0; xx < w; ++xx) {
                            const int64_t outCh = (dy * s + dx) * oc + ch;
                            const int64_t src = ((b * oc + ch) * vh + yy * s + dy) * vw + xx * s + dx;
                            y[size_t(((b * c + outCh) * h + yy) * w + xx)] = x[size_t(src)];
                        }
    return y;
}

TEST(YoloPlugins, ReorgByHandOnATinyInput) {
    // C = 4, H = W = 2, stride 2: the input viewed as one 4 x 4 plane, split into its
    // even/odd rows and columns.
    Fields f;
    f.i("stride", 2);
    Logger log;
    auto plugin = createBuiltin("Reorg_TRT", f, log);
    ASSERT_NE(plugin, nullptr) << log.errors;
    std::vector<float> x(16);
    for (int i = 0; i < 16; ++i) x[size_t(i)] = float(i);
    const RunResult r = runPlugin(*plugin, {floats({1, 4, 2, 2}, x)});
    ASSERT_TRUE(r.ok) << r.errors;
    EXPECT_EQ(r.outputs[0].dims, (std::vector<int64_t>{1, 16, 1, 1}));
    EXPECT_EQ(r.outputs[0].floats(), (std::vector<float>{0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 12, 14, 5, 7, 13, 15}));
}

TEST(YoloPlugins, ReorgOnYolov2Voc) {
    const auto cfg = readCfg(std::string(KILN_SHARED_DATA) + "/darknet/yolov2-voc.cfg");
    const auto shapes = layerShapes(cfg);
    size_t at = 0;
    while (at < cfg.size() && cfg[at].type != "reorg") ++at;
    ASSERT_LT(at, cfg.size());
    const Chw in = shapes[at - 2];  // the layer before [reorg] (shapes skip [net])
    const int64_t stride = cfg[at].get("stride", 1);
    EXPECT_EQ(in.c, 64);  // by hand: a 1x1 convolution to 64 channels at 416 / 16 = 26
    EXPECT_EQ(in.h, 26);
    Fields f;
    f.i("stride", int32_t(stride));
    Logger log;
    auto plugin = createBuiltin("Reorg_TRT", f, log);
    ASSERT_NE(plugin, nullptr) << log.errors;
    const std::vector<float> x = pattern(size_t(2 * in.c * in.h * in.w), 1.0);
    const RunResult r = runPlugin(*plugin, {floats({2, in.c, in.h, in.w}, x)});
    ASSERT_TRUE(r.ok) << r.errors;
    const Chw out = shapes[at - 1];
    EXPECT_EQ(r.outputs[0].dims, (std::vector<int64_t>{2, out.c, out.h, out.w}));
    EXPECT_TRUE(near(r.outputs[0].floats(), reorgReference(x, 2, in.c, in.h, in.w, stride), 0, 0));
}

TEST(YoloPlugins, ReorgRejectsIndivisibleShapes) {
    Fields f;
    f.i("stride", 2);
    Logger log;
    auto plugin = createBuiltin("Reorg_TRT", f, log);
    ASSERT_NE(plugin, nullptr);
    const RunResult r = runPlugin(*plugin, {floats({1, 6, 4, 4}, pattern(96, 1))});
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.errors.find("channels divisible by 4"), std::string::npos) << r.errors;
}

TEST(YoloPlugins, RegionOnYolov2Voc) {
    const auto cfg = readCfg(std::string(KILN_SHARED_DATA) + "/darknet/yolov2-voc.cfg");
    const auto shapes = layerShapes(cfg);
    const Section& region = cfg.back();
    ASSERT_EQ(region.type, "region");
    const int64_t num = region.get("num", 1), coords = region.get("coords", 4), classes = region.get("classes", 20);
    ASSERT_EQ(region.get("softmax", 0), 1);
    const Chw in = shapes[shapes.size() - 2];
    ASSERT_EQ(in.c, num * (coords + 1 + classes));  // 125 by hand: 5 * (4 + 1 + 20)
    Fields f;
    f.i("num", int32_t(num)).i("coords", int32_t(coords)).i("classes", int32_t(classes));
    Logger log;
    auto plugin = createBuiltin("Region_TRT", f, log);
    ASSERT_NE(plugin, nullptr) << log.errors;
    const std::vector<float> x = pattern(size_t(in.c * in.h * in.w), 6.0);
    const RunResult r = runPlugin(*plugin, {floats({1, in.c, in.h, in.w}, x)});
    ASSERT_TRUE(r.ok) << r.errors;
    // Per anchor: logistic(x), logistic(y), w, h as they are, logistic(objectness), softmax over
    // the class channels at each position.
    const int64_t hw = in.h * in.w, per = coords + 1 + classes;
    std::vector<double> want(x.size());
    for (int64_t a = 0; a < num; ++a)
        for (int64_t p = 0; p < hw; ++p) {
            auto at = [&](int64_t ch) { return size_t((a * per + ch) * hw + p); };
            for (int64_t ch = 0; ch <= coords; ++ch) {
                const double v = x[at(ch)];
                want[at(ch)] = (ch == 0 || ch == 1 || ch == coords) ? 1 / (1 + std::exp(-v)) : v;
            }
            double sum = 0;
            for (int64_t k = 0; k < classes; ++k) sum += std::exp(double(x[at(coords + 1 + k)]));
            for (int64_t k = 0; k < classes; ++k)
                want[at(coords + 1 + k)] = std::exp(double(x[at(coords + 1 + k)])) / sum;
        }
    EXPECT_TRUE(near(r.outputs[0].floats(), want, 1e-6, 1e-5));
}

TEST(YoloPlugins, LeakyReluAndClip) {
    const std::vector<float> x = {-3.f, -0.5f, 0.f, 0.25f, 2.f, NAN};
    Logger log;
    Fields lf;
    lf.f("negSlope", 0.1f);
    auto lrelu = createBuiltin("LReLU_TRT", lf, log);
    ASSERT_NE(lrelu, nullptr) << log.errors;
    const RunResult r = runPlugin(*lrelu, {floats({2, 3}, x)});
    ASSERT_TRUE(r.ok) << r.errors;
    EXPECT_TRUE(near(r.outputs[0].floats(), {-0.3, -0.05, 0, 0.25, 2, NAN}, 1e-7, 1e-6));
    Fields cf;
    cf.f("clipMin", -1.f).f("clipMax", 0.5f);
    auto clip = createBuiltin("Clip_TRT", cf, log);
    ASSERT_NE(clip, nullptr) << log.errors;
    const RunResult c = runPlugin(*clip, {floats({6}, x)});
    ASSERT_TRUE(c.ok) << c.errors;
    EXPECT_TRUE(near(c.outputs[0].floats(), {-1, -0.5, 0, 0.25, 0.5, NAN}, 0, 0));
    Fields bad;
    bad.f("clipMin", 1.f).f("clipMax", 0.f);
    EXPECT_EQ(createBuiltin("Clip_TRT", bad, log), nullptr);
}

}  // namespace
