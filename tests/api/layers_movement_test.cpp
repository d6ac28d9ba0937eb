// Layer tests, data movement: Concatenation, Shuffle, Gather (default,
// element, ND), Slice (strided, negative stride, clamp/wrap/fill), Padding
// (incl. cropping).
#include <cmath>
#include <tuple>

#include "layer_test_util.h"

namespace {

using namespace layertest;
using kiln::DataType;
using kiln::Dims;

Dims dimsOf(std::initializer_list<int64_t> v) {
    Dims d;
    for (int64_t x : v) d.d[d.nbDims++] = x;
    return d;
}

// ---- Concatenation ----------------------------------------------------------------

class LayerConcatenation : public LayerModeTest {};

TEST_P(LayerConcatenation, DefaultAxisIsTheChannel) {
    const auto av = detValues(kBatch * 2 * 2 * 3, 301), bv = detValues(kBatch * 3 * 2 * 3, 302);
    auto* a = h.input("a", {2, 2, 3});
    auto* b = h.input("b", {3, 2, 3});
    ASSERT_TRUE(a && b);
    kiln::ITensor* ins[] = {a, b};
    auto* cat = h.net().addConcatenation(ins, 2);
    ASSERT_NE(cat, nullptr) << h.logger().joined();
    EXPECT_EQ(cat->getType(), kiln::LayerType::kCONCATENATION);
    EXPECT_EQ(cat->getAxis(), h.axis(0));
    EXPECT_EQ(cat->getNbInputs(), 2);
    EXPECT_EQ(cat->getInput(1), b);
    std::vector<double> want;
    for (int n = 0; n < kBatch; ++n) {
        want.insert(want.end(), av.begin() + n * 12, av.begin() + (n + 1) * 12);
        want.insert(want.end(), bv.begin() + n * 18, bv.begin() + (n + 1) * 18);
    }
    h.output(cat->getOutput(0), "y");
    auto r = h.run({{"a", floatTensor(full({2, 2, 3}), av)}, {"b", floatTensor(full({3, 2, 3}), bv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({5, 2, 3}), want, 0, 0));
}

class LayerConcatenationAxis : public ::testing::TestWithParam<std::tuple<Mode, bool>> {};

TEST_P(LayerConcatenationAxis, ThreeInputsAlongTheLastAxis) {
    const bool negative = std::get<1>(GetParam());
    NetHarness h(std::get<0>(GetParam()));
    const int64_t widths[] = {1, 3, 2};
    std::vector<std::vector<double>> vals;
    kiln::ITensor* ins[3];
    std::map<std::string, HostTensor> feeds;
    for (int i = 0; i < 3; ++i) {
        const std::string name = "in" + std::to_string(i);
        vals.push_back(detValues(size_t(kBatch * 2 * widths[i]), 303 + uint32_t(i)));
        ins[i] = h.input(name.c_str(), {2, widths[i]});
        ASSERT_NE(ins[i], nullptr);
        feeds[name] = floatTensor({kBatch, 2, widths[i]}, vals.back());
    }
    auto* cat = h.net().addConcatenation(ins, 3);
    ASSERT_NE(cat, nullptr) << h.logger().joined();
    cat->setAxis(negative ? -1 : h.axis(1));
    EXPECT_EQ(cat->getAxis(), negative ? -1 : h.axis(1));
    std::vector<double> want;
    for (int row = 0; row < kBatch * 2; ++row)
        for (int i = 0; i < 3; ++i)
            for (int64_t j = 0; j < widths[i]; ++j) want.push_back(vals[size_t(i)][size_t(row * widths[i] + j)]);
    h.output(cat->getOutput(0), "y");
    auto r = h.run(feeds);
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), {kBatch, 2, 6}, want, 0, 0));
}
LAYER_INSTANTIATE_MODES(LayerConcatenation);

INSTANTIATE_TEST_SUITE_P(Layers, LayerConcatenationAxis,
                         ::testing::Combine(::testing::Values(Mode::kExplicit, Mode::kImplicit), ::testing::Bool()),
                         [](const ::testing::TestParamInfo<std::tuple<Mode, bool>>& i) {
                             return std::string(std::get<1>(i.param) ? "NegativeAxis_" : "PositiveAxis_") +
                                    modeName(std::get<0>(i.param));
                         });

// ---- Shuffle ---------------------------------------------------------------------------

class LayerShuffle : public LayerModeTest {};

TEST_P(LayerShuffle, TransposeReshapeTranspose) {
    // Item [C=2, H=3, W=4] -> transpose to [H, W, C] -> reshape [H, W*C] -> transpose [W*C, H].
    const int64_t C = 2, H = 3, W = 4;
    const auto xv = detValues(size_t(kBatch * C * H * W), 311);
    auto* x = h.input("x", {C, H, W});
    ASSERT_NE(x, nullptr);
    auto* sh = h.net().addShuffle(*x);
    ASSERT_NE(sh, nullptr) << h.logger().joined();
    EXPECT_EQ(sh->getType(), kiln::LayerType::kSHUFFLE);
    kiln::Permutation p1, p2;
    if (h.implicit()) {
        p1.order[0] = 1, p1.order[1] = 2, p1.order[2] = 0;
        p2.order[0] = 1, p2.order[1] = 0;
        sh->setReshapeDimensions(dimsOf({0, -1}));
    } else {
        p1.order[0] = 0, p1.order[1] = 2, p1.order[2] = 3, p1.order[3] = 1;
        p2.order[0] = 0, p2.order[1] = 2, p2.order[2] = 1;
        sh->setReshapeDimensions(dimsOf({0, 0, -1}));
    }
    sh->setFirstTranspose(p1);
    sh->setSecondTranspose(p2);
    EXPECT_EQ(sh->getFirstTranspose().order[1], p1.order[1]);
    EXPECT_EQ(sh->getSecondTranspose().order[0], p2.order[0]);
    EXPECT_TRUE(dimsAre(sh->getReshapeDimensions(), h.implicit() ? std::vector<int64_t>{0, -1} : std::vector<int64_t>{0, 0, -1}));
    EXPECT_TRUE(sh->getZeroIsPlaceholder());
    EXPECT_TRUE(dimsAre(sh->getOutput(0)->getDimensions(),
                        h.implicit() ? std::vector<int64_t>{W * C, H} : std::vector<int64_t>{kBatch, W * C, H}))
        << h.logger().joined();
    std::vector<double> want(xv.size());
    for (int64_t n = 0; n < kBatch; ++n)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t y = 0; y < H; ++y)
                for (int64_t w = 0; w < W; ++w)
                    want[size_t((n * W * C + (w * C + c)) * H + y)] = xv[size_t(((n * C + c) * H + y) * W + w)];
    h.output(sh->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor(full({C, H, W}), xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({W * C, H}), want, 0, 0));
}

TEST_P(LayerShuffle, FlattenKeepsTheBatch) {
    // Implicit: reshape {-1} flattens each item; explicit: {0, -1} does the same.
    const auto xv = detValues(kBatch * 24, 312);
    auto* x = h.input("x", {2, 3, 4});
    ASSERT_NE(x, nullptr);
    auto* sh = h.net().addShuffle(*x);
    ASSERT_NE(sh, nullptr) << h.logger().joined();
    sh->setReshapeDimensions(h.implicit() ? dimsOf({-1}) : dimsOf({0, -1}));
    EXPECT_TRUE(dimsAre(sh->getOutput(0)->getDimensions(),
                        h.implicit() ? std::vector<int64_t>{24} : std::vector<int64_t>{kBatch, 24}));
    h.output(sh->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor(full({2, 3, 4}), xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({24}), xv, 0, 0));
}
LAYER_INSTANTIATE_MODES(LayerShuffle);

TEST(LayerShuffleExplicit, ReshapeFromASecondInput) {
    NetHarness h(Mode::kExplicit);
    const auto xv = detValues(2 * 3 * 4, 313);
    auto* x = h.net().addInput("x", DataType::kFLOAT, kiln::Dims3{2, 3, 4});
    ASSERT_NE(x, nullptr);
    auto* shape = h.constant({2}, {4, 6}, DataType::kINT32);
    ASSERT_NE(shape, nullptr);
    auto* sh = h.net().addShuffle(*x);
    ASSERT_NE(sh, nullptr);
    sh->setInput(1, *shape->getOutput(0));
    EXPECT_EQ(sh->getNbInputs(), 2);
    EXPECT_EQ(sh->getInput(1), shape->getOutput(0));
    EXPECT_TRUE(dimsAre(sh->getOutput(0)->getDimensions(), {4, 6})) << h.logger().joined();
    h.output(sh->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor({2, 3, 4}, xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), {4, 6}, xv, 0, 0));
}

TEST(LayerShuffleExplicit, ZeroIsARealExtentWhenNotAPlaceholder) {
    // [2, 0, 4] reshaped to {0, 5}: with placeholders the 0 would copy the 2
    // (volume mismatch); without, it is an empty [0, 5].
    NetHarness h(Mode::kExplicit);
    auto* x = h.net().addInput("x", DataType::kFLOAT, kiln::Dims3{2, 0, 4});
    ASSERT_NE(x, nullptr);
    auto* sh = h.net().addShuffle(*x);
    ASSERT_NE(sh, nullptr);
    sh->setZeroIsPlaceholder(false);
    EXPECT_FALSE(sh->getZeroIsPlaceholder());
    sh->setReshapeDimensions(dimsOf({0, 5}));
    EXPECT_TRUE(dimsAre(sh->getOutput(0)->getDimensions(), {0, 5})) << h.logger().joined();
    h.output(sh->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor({2, 0, 4}, std::vector<double>{})}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), {0, 5}, {}));

    NetHarness h2(Mode::kExplicit);
    auto* x2 = h2.net().addInput("x", DataType::kFLOAT, kiln::Dims3{2, 0, 4});
    ASSERT_NE(x2, nullptr);
    auto* sh2 = h2.net().addShuffle(*x2);
    ASSERT_NE(sh2, nullptr);
    sh2->setReshapeDimensions(dimsOf({0, 5}));  // placeholder: [2, 5], 10 != 0 values
    EXPECT_EQ(sh2->getOutput(0)->getDimensions().nbDims, -1);
    EXPECT_FALSE(h2.logger().errors.empty());
}

// ---- Gather ----------------------------------------------------------------------------

class LayerGather : public LayerModeTest {};

TEST_P(LayerGather, DefaultModeConstantIndicesWithNegatives) {
    // Data item [4, 3]; int32 indices {-1, 1, 0} (a constant, no batch) along item axis 0:
    // output item [3, 3] as in TensorRT.
    const auto dv = detValues(kBatch * 12, 321);
    const std::vector<int32_t> idx = {-1, 1, 0};
    auto* d = h.input("d", {4, 3});
    ASSERT_NE(d, nullptr);
    auto* ic = h.constant({3}, {-1, 1, 0}, DataType::kINT32);
    ASSERT_NE(ic, nullptr);
    auto* g = h.net().addGather(*d, *ic->getOutput(0), h.axis(0));
    ASSERT_NE(g, nullptr) << h.logger().joined();
    EXPECT_EQ(g->getType(), kiln::LayerType::kGATHER);
    EXPECT_EQ(g->getGatherAxis(), h.axis(0));
    EXPECT_EQ(g->getMode(), kiln::GatherMode::kDEFAULT);
    EXPECT_TRUE(dimsAre(g->getOutput(0)->getDimensions(),
                        h.implicit() ? std::vector<int64_t>{3, 3} : std::vector<int64_t>{kBatch, 3, 3}))
        << h.logger().joined();
    std::vector<double> want;
    for (int n = 0; n < kBatch; ++n)
        for (int32_t i : idx)
            for (int j = 0; j < 3; ++j) want.push_back(dv[size_t((n * 4 + (i < 0 ? i + 4 : i)) * 3 + j)]);
    h.output(g->getOutput(0), "y");
    auto r = h.run({{"d", floatTensor(full({4, 3}), dv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({3, 3}), want, 0, 0));
}
LAYER_INSTANTIATE_MODES(LayerGather);

TEST(LayerGatherExplicit, DefaultModeNegativeAxisIndicesFromAnInput) {
    NetHarness h(Mode::kExplicit);
    const auto dv = detValues(2 * 4 * 3, 322);
    auto* d = h.net().addInput("d", DataType::kFLOAT, kiln::Dims3{2, 4, 3});
    auto* i = h.net().addInput("i", DataType::kINT32, dimsOf({2}));
    ASSERT_TRUE(d && i);
    auto* g = h.net().addGather(*d, *i, -1);
    ASSERT_NE(g, nullptr) << h.logger().joined();
    EXPECT_EQ(g->getGatherAxis(), -1);
    std::vector<double> want;
    for (int a = 0; a < 8; ++a)
        for (int k : {0, 2}) want.push_back(dv[size_t(a * 3 + k)]);  // indices {-3, 2} on extent 3
    h.output(g->getOutput(0), "y");
    auto r = h.run({{"d", floatTensor({2, 4, 3}, dv)}, {"i", int32Tensor({2}, {-3, 2})}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), {2, 4, 2}, want, 0, 0));
}

TEST(LayerGatherExplicit, ElementMode) {
    NetHarness h(Mode::kExplicit);
    const std::vector<double> dv = {10, 11, 12, 20, 21, 22};
    auto* d = h.net().addInput("d", DataType::kFLOAT, kiln::Dims2{2, 3});
    auto* i = h.net().addInput("i", DataType::kINT32, kiln::Dims2{2, 4});
    ASSERT_TRUE(d && i);
    auto* g = h.net().addGatherV2(*d, *i, kiln::GatherMode::kELEMENT);
    ASSERT_NE(g, nullptr) << h.logger().joined();
    g->setGatherAxis(1);
    EXPECT_EQ(g->getMode(), kiln::GatherMode::kELEMENT);
    EXPECT_EQ(g->getGatherAxis(), 1);
    h.output(g->getOutput(0), "y");
    auto r = h.run({{"d", floatTensor({2, 3}, dv)}, {"i", int32Tensor({2, 4}, {2, 0, -1, 1, 0, 0, 2, -2})}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), {2, 4}, {12, 10, 12, 11, 20, 20, 22, 21}, 0, 0));
}

TEST(LayerGatherExplicit, NDModeWithAndWithoutElementWiseDims) {
    NetHarness h(Mode::kExplicit);
    std::vector<double> dv(12);
    for (size_t k = 0; k < dv.size(); ++k) dv[k] = double(k);  // data [2, 3, 2]: value = flat index
    auto* d = h.net().addInput("d", DataType::kFLOAT, kiln::Dims3{2, 3, 2});
    auto* i0 = h.net().addInput("i0", DataType::kINT32, kiln::Dims2{2, 2});
    auto* i1 = h.net().addInput("i1", DataType::kINT32, kiln::Dims2{2, 1});
    ASSERT_TRUE(d && i0 && i1);
    auto* g0 = h.net().addGatherV2(*d, *i0, kiln::GatherMode::kND);
    auto* g1 = h.net().addGatherV2(*d, *i1, kiln::GatherMode::kND);
    ASSERT_TRUE(g0 && g1) << h.logger().joined();
    g1->setNbElementWiseDims(1);
    EXPECT_EQ(g1->getNbElementWiseDims(), 1);
    EXPECT_EQ(g0->getNbElementWiseDims(), 0);
    EXPECT_EQ(g0->getMode(), kiln::GatherMode::kND);
    h.output(g0->getOutput(0), "y0");
    h.output(g1->getOutput(0), "y1");
    auto r = h.run({{"d", floatTensor({2, 3, 2}, dv)},
                    {"i0", int32Tensor({2, 2}, {1, 2, 0, 1})},
                    {"i1", int32Tensor({2, 1}, {2, 0})}});
    ASSERT_RAN(r);
    // y0[k] = d[i0[k][0], i0[k][1], :]: d[1,2,:] = {10, 11}, d[0,1,:] = {2, 3}.
    EXPECT_TRUE(allClose(r.out("y0"), {2, 2}, {10, 11, 2, 3}, 0, 0));
    // y1[b] = d[b, i1[b][0], :]: d[0,2,:] = {4, 5}, d[1,0,:] = {6, 7}.
    EXPECT_TRUE(allClose(r.out("y1"), {2, 2}, {4, 5, 6, 7}, 0, 0));
}

// ---- Slice -------------------------------------------------------------------------------

class LayerSlice : public LayerModeTest {
protected:
    static constexpr int64_t R = 4, C = 6;
    std::vector<double> xv = detValues(size_t(kBatch * R * C), 331);

    // Slices item [R, C] with (start, size, stride) over the item dims; `map`
    // turns a (possibly out-of-range) coordinate into an index or -1 (fill).
    template <class Map>
    void runSlice(std::vector<int64_t> start, std::vector<int64_t> size, std::vector<int64_t> stride,
                  kiln::SampleMode mode, Map map) {
        auto* x = h.input("x", {R, C});
        ASSERT_NE(x, nullptr);
        const Dims ds = h.dims(start, 0), dn = h.dims(size, kBatch), dt = h.dims(stride, 1);
        auto* s = h.net().addSlice(*x, ds, dn, dt);
        ASSERT_NE(s, nullptr) << h.logger().joined();
        EXPECT_EQ(s->getType(), kiln::LayerType::kSLICE);
        EXPECT_EQ(s->getMode(), kiln::SampleMode::kSTRICT_BOUNDS);
        s->setMode(mode);
        EXPECT_EQ(s->getMode(), mode);
        EXPECT_TRUE(dimsAre(s->getStart(), std::vector<int64_t>(ds.d, ds.d + ds.nbDims)));
        EXPECT_TRUE(dimsAre(s->getSize(), std::vector<int64_t>(dn.d, dn.d + dn.nbDims)));
        EXPECT_TRUE(dimsAre(s->getStride(), std::vector<int64_t>(dt.d, dt.d + dt.nbDims)));
        EXPECT_TRUE(dimsAre(s->getOutput(0)->getDimensions(), h.implicit() ? size : full(size))) << h.logger().joined();
        std::vector<double> want;
        for (int64_t n = 0; n < kBatch; ++n)
            for (int64_t i = 0; i < size[0]; ++i)
                for (int64_t j = 0; j < size[1]; ++j) {
                    const int64_t a = map(start[0] + i * stride[0], R), b = map(start[1] + j * stride[1], C);
                    want.push_back(a < 0 || b < 0 ? 0.0 : xv[size_t((n * R + a) * C + b)]);
                }
        h.output(s->getOutput(0), "y");
        auto r = h.run({{"x", floatTensor(full({R, C}), xv)}});
        ASSERT_RAN(r);
        EXPECT_TRUE(allClose(r.out("y"), full({size[0], size[1]}), want, 0, 0));
    }
};

TEST_P(LayerSlice, Strided) {
    runSlice({1, 0}, {2, 3}, {2, 2}, kiln::SampleMode::kSTRICT_BOUNDS, [](int64_t v, int64_t) { return v; });
}
TEST_P(LayerSlice, NegativeStride) {
    runSlice({3, 5}, {2, 3}, {-1, -2}, kiln::SampleMode::kSTRICT_BOUNDS, [](int64_t v, int64_t) { return v; });
}
TEST_P(LayerSlice, Clamp) {
    runSlice({-1, 4}, {3, 4}, {2, 1}, kiln::SampleMode::kCLAMP,
             [](int64_t v, int64_t n) { return std::min(std::max<int64_t>(v, 0), n - 1); });
}
TEST_P(LayerSlice, Wrap) {
    runSlice({-1, 4}, {3, 4}, {2, 1}, kiln::SampleMode::kWRAP, [](int64_t v, int64_t n) { return ((v % n) + n) % n; });
}
TEST_P(LayerSlice, FillWithZero) {
    runSlice({-1, 4}, {3, 4}, {2, 1}, kiln::SampleMode::kFILL,
             [](int64_t v, int64_t n) { return v < 0 || v >= n ? int64_t(-1) : v; });
}
LAYER_INSTANTIATE_MODES(LayerSlice);

// ---- Padding -------------------------------------------------------------------------------

class LayerPadding : public LayerModeTest {
protected:
    static constexpr int64_t C = 2, H = 2, W = 3;
    std::vector<double> xv = detValues(size_t(kBatch * C * H * W), 341);

    void runPad(int64_t pt, int64_t pl, int64_t pb, int64_t pr) {
        auto* x = h.input("x", {C, H, W});
        ASSERT_NE(x, nullptr);
        auto* p = h.net().addPaddingNd(*x, kiln::Dims2{pt, pl}, kiln::Dims2{pb, pr});
        ASSERT_NE(p, nullptr) << h.logger().joined();
        EXPECT_EQ(p->getType(), kiln::LayerType::kPADDING);
        EXPECT_TRUE(dimsAre(p->getPrePaddingNd(), {pt, pl}));
        EXPECT_TRUE(dimsAre(p->getPostPaddingNd(), {pb, pr}));
        const int64_t OH = H + pt + pb, OW = W + pl + pr;
        std::vector<double> want;
        for (int64_t nc = 0; nc < kBatch * C; ++nc)
            for (int64_t i = 0; i < OH; ++i)
                for (int64_t j = 0; j < OW; ++j) {
                    const int64_t a = i - pt, b = j - pl;
                    want.push_back(a < 0 || a >= H || b < 0 || b >= W ? 0.0 : xv[size_t((nc * H + a) * W + b)]);
                }
        h.output(p->getOutput(0), "y");
        auto r = h.run({{"x", floatTensor(full({C, H, W}), xv)}});
        ASSERT_RAN(r);
        EXPECT_TRUE(allClose(r.out("y"), full({C, OH, OW}), want, 0, 0));
    }
};

TEST_P(LayerPadding, PadsTheInnermostDims) { runPad(1, 0, 0, 2); }
TEST_P(LayerPadding, NegativePaddingCrops) { runPad(0, -1, -1, 1); }
LAYER_INSTANTIATE_MODES(LayerPadding);

}  // namespace
