// Layer tests, pointwise family: ElementWise (every op, broadcasting, bool
// outputs, int32, empty tensors), Scale (uniform, channel, elementwise),
// ParametricReLU, Select, Cast, Identity, Constant.
#include <cmath>
#include <tuple>

#include "layer_test_util.h"

namespace {

using namespace layertest;
using kiln::DataType;
using kiln::ElementWiseOperation;

// ---- ElementWise ------------------------------------------------------------------

struct EwCase {
    ElementWiseOperation op;
    const char* name;
};
const EwCase kFloatEw[] = {
    {ElementWiseOperation::kSUM, "SUM"},   {ElementWiseOperation::kPROD, "PROD"},
    {ElementWiseOperation::kMAX, "MAX"},   {ElementWiseOperation::kMIN, "MIN"},
    {ElementWiseOperation::kSUB, "SUB"},   {ElementWiseOperation::kDIV, "DIV"},
    {ElementWiseOperation::kPOW, "POW"},   {ElementWiseOperation::kFLOOR_DIV, "FLOOR_DIV"},
    {ElementWiseOperation::kMOD, "MOD"},   {ElementWiseOperation::kFMOD, "FMOD"},
};

double refEw(ElementWiseOperation op, double a, double b) {
    switch (op) {
        case ElementWiseOperation::kSUM: return a + b;
        case ElementWiseOperation::kPROD: return a * b;
        case ElementWiseOperation::kMAX: return std::max(a, b);
        case ElementWiseOperation::kMIN: return std::min(a, b);
        case ElementWiseOperation::kSUB: return a - b;
        case ElementWiseOperation::kDIV: return a / b;
        case ElementWiseOperation::kPOW: return std::pow(a, b);
        case ElementWiseOperation::kFLOOR_DIV: return std::floor(a / b);
        case ElementWiseOperation::kAND: return double(a != 0 && b != 0);
        case ElementWiseOperation::kOR: return double(a != 0 || b != 0);
        case ElementWiseOperation::kXOR: return double((a != 0) != (b != 0));
        case ElementWiseOperation::kEQUAL: return double(a == b);
        case ElementWiseOperation::kGREATER: return double(a > b);
        case ElementWiseOperation::kLESS: return double(a < b);
        case ElementWiseOperation::kMOD: return a - std::floor(a / b) * b;
        case ElementWiseOperation::kFMOD: return std::fmod(a, b);
    }
    return NAN;
}

class LayerElementWiseFloat : public ::testing::TestWithParam<std::tuple<Mode, int>> {};

TEST_P(LayerElementWiseFloat, ConstantOfLowerRankBroadcasts) {
    // A: the input [N, 3, 4]; B: a constant of dims {3, 1} - rank 2 against
    // rank 3 in an explicit network, broadcast over the batch in an implicit one.
    const Mode mode = std::get<0>(GetParam());
    const EwCase& c = kFloatEw[std::get<1>(GetParam())];
    NetHarness h(mode);
    const auto av = detValues(size_t(kBatch * 12), 111, 0.25, 3.0);  // positive: pow with fractional exponents
    const std::vector<double> bv = {0.5, -1.25, 1.5};                 // non-zero: div
    auto* a = h.input("a", {3, 4});
    ASSERT_NE(a, nullptr);
    auto* bc = h.constant({3, 1}, bv);
    ASSERT_NE(bc, nullptr);
    auto* ew = h.net().addElementWise(*a, *bc->getOutput(0), ElementWiseOperation::kSUM);
    ASSERT_NE(ew, nullptr) << h.logger().joined();
    EXPECT_EQ(ew->getType(), kiln::LayerType::kELEMENTWISE);
    ew->setOperation(c.op);
    EXPECT_EQ(ew->getOperation(), c.op);
    std::vector<double> want;
    for (int n = 0; n < kBatch; ++n)
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 4; ++j) want.push_back(refEw(c.op, double(float(av[size_t((n * 3 + i) * 4 + j)])), bv[size_t(i)]));
    h.output(ew->getOutput(0), "y");
    auto r = h.run({{"a", floatTensor({kBatch, 3, 4}, av)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), {kBatch, 3, 4}, want, 1e-5, 1e-5)) << c.name;
}

INSTANTIATE_TEST_SUITE_P(Layers, LayerElementWiseFloat,
                         ::testing::Combine(::testing::Values(Mode::kExplicit, Mode::kImplicit),
                                            ::testing::Range(0, int(std::size(kFloatEw)))),
                         [](const ::testing::TestParamInfo<std::tuple<Mode, int>>& i) {
                             return std::string(kFloatEw[std::get<1>(i.param)].name) + "_" + modeName(std::get<0>(i.param));
                         });

class LayerElementWise : public LayerModeTest {};

TEST_P(LayerElementWise, TwoInputsBroadcastOnesBothWays) {
    // [N, 3, 1] - [N, 1, 4] -> [N, 3, 4]
    const auto av = detValues(kBatch * 3, 121), bv = detValues(kBatch * 4, 122);
    auto* a = h.input("a", {3, 1});
    auto* b = h.input("b", {1, 4});
    ASSERT_TRUE(a && b);
    auto* ew = h.net().addElementWise(*a, *b, ElementWiseOperation::kSUB);
    ASSERT_NE(ew, nullptr) << h.logger().joined();
    EXPECT_TRUE(dimsAre(ew->getOutput(0)->getDimensions(),
                        h.implicit() ? std::vector<int64_t>{3, 4} : std::vector<int64_t>{kBatch, 3, 4}));
    std::vector<double> want;
    for (int n = 0; n < kBatch; ++n)
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 4; ++j) want.push_back(av[size_t(n * 3 + i)] - bv[size_t(n * 4 + j)]);
    h.output(ew->getOutput(0), "y");
    auto r = h.run({{"a", floatTensor(full({3, 1}), av)}, {"b", floatTensor(full({1, 4}), bv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({3, 4}), want));
}

TEST_P(LayerElementWise, ComparisonsGiveBool) {
    const std::vector<double> av = {1, 2, 3, -1, 0.5, 7, 2, 2, -3, 4, 4, 0};
    const std::vector<double> bv = {1, 3, 2, -1, 0.25, 8, 2, 1, -2, 4, 5, 0};
    auto* a = h.input("a", {2, 3});
    auto* b = h.input("b", {2, 3});
    ASSERT_TRUE(a && b);
    const ElementWiseOperation ops[] = {ElementWiseOperation::kEQUAL, ElementWiseOperation::kGREATER,
                                        ElementWiseOperation::kLESS};
    const char* names[] = {"eq", "gt", "lt"};
    for (int k = 0; k < 3; ++k) {
        auto* ew = h.net().addElementWise(*a, *b, ops[k]);
        ASSERT_NE(ew, nullptr) << h.logger().joined();
        EXPECT_EQ(ew->getOutput(0)->getType(), DataType::kBOOL) << names[k];
        h.output(ew->getOutput(0), names[k]);
    }
    auto r = h.run({{"a", floatTensor(full({2, 3}), av)}, {"b", floatTensor(full({2, 3}), bv)}});
    ASSERT_RAN(r);
    for (int k = 0; k < 3; ++k) {
        std::vector<double> want;
        for (size_t i = 0; i < av.size(); ++i) want.push_back(refEw(ops[k], av[i], bv[i]));
        EXPECT_EQ(r.out(names[k]).type, DataType::kBOOL) << names[k];
        EXPECT_TRUE(allClose(r.out(names[k]), full({2, 3}), want, 0, 0)) << names[k];
    }
}

TEST_P(LayerElementWise, LogicalOpsOnBool) {
    const std::vector<int> av = {0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0, 1};
    const std::vector<int> bv = {0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 0};
    auto* a = h.input("a", {6}, DataType::kBOOL);
    auto* b = h.input("b", {6}, DataType::kBOOL);
    ASSERT_TRUE(a && b);
    const ElementWiseOperation ops[] = {ElementWiseOperation::kAND, ElementWiseOperation::kOR,
                                        ElementWiseOperation::kXOR};
    const char* names[] = {"and", "or", "xor"};
    for (int k = 0; k < 3; ++k) {
        auto* ew = h.net().addElementWise(*a, *b, ops[k]);
        ASSERT_NE(ew, nullptr) << h.logger().joined();
        h.output(ew->getOutput(0), names[k]);
    }
    auto r = h.run({{"a", boolTensor(full({6}), av)}, {"b", boolTensor(full({6}), bv)}});
    ASSERT_RAN(r);
    for (int k = 0; k < 3; ++k) {
        std::vector<double> want;
        for (size_t i = 0; i < av.size(); ++i) want.push_back(refEw(ops[k], av[i], bv[i]));
        EXPECT_EQ(r.out(names[k]).type, DataType::kBOOL);
        EXPECT_TRUE(allClose(r.out(names[k]), full({6}), want, 0, 0)) << names[k];
    }
}

TEST_P(LayerElementWise, Int32Arithmetic) {
    const std::vector<int32_t> av = {7, -7, 7, -7, 9, 0, 100, -3, 5, 6, -8, 1};
    const std::vector<int32_t> bv = {2, 2, -2, -2, 3, 5, -7, 4, 5, -4, 3, 1};
    auto* a = h.input("a", {2, 3}, DataType::kINT32);
    auto* b = h.input("b", {2, 3}, DataType::kINT32);
    ASSERT_TRUE(a && b);
    struct {
        ElementWiseOperation op;
        const char* name;
        int64_t (*f)(int64_t, int64_t);
    } ops[] = {
        {ElementWiseOperation::kSUM, "sum", [](int64_t x, int64_t y) { return x + y; }},
        {ElementWiseOperation::kSUB, "sub", [](int64_t x, int64_t y) { return x - y; }},
        {ElementWiseOperation::kPROD, "prod", [](int64_t x, int64_t y) { return x * y; }},
        {ElementWiseOperation::kDIV, "div", [](int64_t x, int64_t y) { return x / y; }},  // toward zero
        {ElementWiseOperation::kFLOOR_DIV, "floor_div",
         [](int64_t x, int64_t y) { return x / y - int64_t((x % y != 0) && ((x < 0) != (y < 0))); }},
        {ElementWiseOperation::kMAX, "max", [](int64_t x, int64_t y) { return std::max(x, y); }},
        {ElementWiseOperation::kMIN, "min", [](int64_t x, int64_t y) { return std::min(x, y); }},
        {ElementWiseOperation::kEQUAL, "equal", [](int64_t x, int64_t y) { return int64_t(x == y); }},
        {ElementWiseOperation::kMOD, "mod", [](int64_t x, int64_t y) { return ((x % y) + y) % y; }},
        {ElementWiseOperation::kFMOD, "fmod", [](int64_t x, int64_t y) { return x % y; }},
    };
    for (auto& o : ops) {
        auto* ew = h.net().addElementWise(*a, *b, o.op);
        ASSERT_NE(ew, nullptr) << h.logger().joined();
        EXPECT_EQ(ew->getOutput(0)->getType(), o.op == ElementWiseOperation::kEQUAL ? DataType::kBOOL : DataType::kINT32);
        h.output(ew->getOutput(0), o.name);
    }
    auto r = h.run({{"a", int32Tensor(full({2, 3}), av)}, {"b", int32Tensor(full({2, 3}), bv)}});
    ASSERT_RAN(r);
    for (auto& o : ops) {
        std::vector<double> want;
        for (size_t i = 0; i < av.size(); ++i) want.push_back(double(o.f(av[i], bv[i])));
        EXPECT_EQ(r.out(o.name).type, o.op == ElementWiseOperation::kEQUAL ? DataType::kBOOL : DataType::kINT32) << o.name;
        EXPECT_TRUE(allClose(r.out(o.name), full({2, 3}), want, 0, 0)) << o.name;
    }
}

TEST_P(LayerElementWise, EmptyTensorFlowsThrough) {
    // An input with a 0 extent: [N, 0, 3] + [N, 1, 3] -> [N, 0, 3].
    auto* a = h.input("a", {0, 3});
    auto* b = h.input("b", {1, 3});
    ASSERT_TRUE(a && b);
    auto* ew = h.net().addElementWise(*a, *b, ElementWiseOperation::kSUM);
    ASSERT_NE(ew, nullptr) << h.logger().joined();
    EXPECT_TRUE(dimsAre(ew->getOutput(0)->getDimensions(),
                        h.implicit() ? std::vector<int64_t>{0, 3} : std::vector<int64_t>{kBatch, 0, 3}));
    h.output(ew->getOutput(0), "y");
    auto r = h.run({{"a", floatTensor(full({0, 3}), std::vector<double>{})},
                    {"b", floatTensor(full({1, 3}), detValues(kBatch * 3, 131))}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({0, 3}), {}));
}
LAYER_INSTANTIATE_MODES(LayerElementWise);

// ---- Scale -------------------------------------------------------------------------------

class LayerScale : public LayerModeTest {
protected:
    static constexpr int64_t C = 3, H = 2, W = 2;
    std::vector<double> xv = detValues(size_t(kBatch * C * H * W), 151, 0.25, 2.0);
    kiln::Weights none{DataType::kFLOAT, nullptr, 0};
};

TEST_P(LayerScale, Uniform) {
    auto* x = h.input("x", {C, H, W});
    ASSERT_NE(x, nullptr);
    auto* s = h.net().addScale(*x, kiln::ScaleMode::kUNIFORM, h.weights({0.5}), h.weights({2.0}), h.weights({2.0}));
    ASSERT_NE(s, nullptr) << h.logger().joined();
    EXPECT_EQ(s->getType(), kiln::LayerType::kSCALE);
    EXPECT_EQ(s->getMode(), kiln::ScaleMode::kUNIFORM);
    EXPECT_EQ(s->getShift().count, 1);
    EXPECT_EQ(static_cast<const float*>(s->getScale().values)[0], 2.0f);
    std::vector<double> want;
    for (double v : xv) want.push_back(std::pow(v * 2.0 + 0.5, 2.0));
    h.output(s->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor(full({C, H, W}), xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({C, H, W}), want));
}

TEST_P(LayerScale, ChannelWithShiftScalePower) {
    const std::vector<double> shift = {0.5, -0.125, 1.0}, scale = {2.0, 0.5, -1.0}, power = {1.0, 0.5, 2.0};
    auto* x = h.input("x", {C, H, W});
    ASSERT_NE(x, nullptr);
    auto* s = h.net().addScale(*x, kiln::ScaleMode::kCHANNEL, h.weights(shift), h.weights(scale), h.weights(power));
    ASSERT_NE(s, nullptr) << h.logger().joined();
    EXPECT_EQ(s->getMode(), kiln::ScaleMode::kCHANNEL);
    EXPECT_EQ(s->getChannelAxis(), 0 + (h.implicit() ? 0 : 1));
    EXPECT_EQ(s->getPower().count, 3);
    std::vector<double> want;
    for (int64_t n = 0; n < kBatch; ++n)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t i = 0; i < H * W; ++i)
                want.push_back(std::pow(xv[size_t((n * C + c) * H * W + i)] * scale[size_t(c)] + shift[size_t(c)],
                                        power[size_t(c)]));
    h.output(s->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor(full({C, H, W}), xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({C, H, W}), want));
}

TEST_P(LayerScale, ElementwiseShiftAndScaleOnly) {
    const auto shift = detValues(size_t(C * H * W), 152), scale = detValues(size_t(C * H * W), 153);
    auto* x = h.input("x", {C, H, W});
    ASSERT_NE(x, nullptr);
    auto* s = h.net().addScale(*x, kiln::ScaleMode::kELEMENTWISE, h.weights(shift), h.weights(scale), none);
    ASSERT_NE(s, nullptr) << h.logger().joined();
    EXPECT_EQ(s->getMode(), kiln::ScaleMode::kELEMENTWISE);
    EXPECT_EQ(s->getPower().count, 0);
    std::vector<double> want;
    for (size_t i = 0; i < xv.size(); ++i) {
        const size_t e = i % size_t(C * H * W);
        want.push_back(xv[i] * scale[e] + shift[e]);
    }
    h.output(s->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor(full({C, H, W}), xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({C, H, W}), want));
}

TEST_P(LayerScale, ScaleNdOnTheLastAxis) {
    // Per-entry coefficients along W (item axis 2), set through addScaleNd.
    const std::vector<double> scale = {3.0, -0.5};
    auto* x = h.input("x", {C, H, W});
    ASSERT_NE(x, nullptr);
    auto* s = h.net().addScaleNd(*x, kiln::ScaleMode::kCHANNEL, none, h.weights(scale), none, h.axis(2));
    ASSERT_NE(s, nullptr) << h.logger().joined();
    EXPECT_EQ(s->getChannelAxis(), h.axis(2));
    std::vector<double> want;
    for (size_t i = 0; i < xv.size(); ++i) want.push_back(xv[i] * scale[i % W]);
    h.output(s->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor(full({C, H, W}), xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({C, H, W}), want));
}
LAYER_INSTANTIATE_MODES(LayerScale);

// ---- ParametricReLU, Select, Cast, Identity, Constant -------------------------------------------

class LayerSmall : public LayerModeTest {};

TEST_P(LayerSmall, ParametricReLUPerChannelSlope) {
    const int64_t C = 3, H = 2, W = 2;
    const auto xv = detValues(size_t(kBatch * C * H * W), 161, -2.0, 2.0);
    const std::vector<double> slope = {0.1, -0.5, 2.0};
    auto* x = h.input("x", {C, H, W});
    ASSERT_NE(x, nullptr);
    auto* s = h.batchConstant({C, 1, 1}, slope);
    ASSERT_NE(s, nullptr);
    auto* p = h.net().addParametricReLU(*x, *s);
    ASSERT_NE(p, nullptr) << h.logger().joined();
    EXPECT_EQ(p->getType(), kiln::LayerType::kPARAMETRIC_RELU);
    EXPECT_EQ(p->getNbInputs(), 2);
    EXPECT_EQ(p->getInput(1), s);
    std::vector<double> want;
    for (size_t i = 0; i < xv.size(); ++i) {
        const size_t c = (i / size_t(H * W)) % size_t(C);
        want.push_back(xv[i] >= 0 ? xv[i] : slope[c] * xv[i]);
    }
    h.output(p->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor(full({C, H, W}), xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({C, H, W}), want));
}

TEST_P(LayerSmall, SelectPicksByCondition) {
    const std::vector<int> cv = {1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0};
    const auto av = detValues(12, 171), bv = detValues(12, 172);
    auto* c = h.input("c", {2, 3}, DataType::kBOOL);
    auto* a = h.input("a", {2, 3});
    auto* b = h.input("b", {2, 3});
    ASSERT_TRUE(c && a && b);
    auto* s = h.net().addSelect(*c, *a, *b);
    ASSERT_NE(s, nullptr) << h.logger().joined();
    EXPECT_EQ(s->getType(), kiln::LayerType::kSELECT);
    EXPECT_EQ(s->getNbInputs(), 3);
    std::vector<double> want;
    for (size_t i = 0; i < cv.size(); ++i) want.push_back(cv[i] ? av[i] : bv[i]);
    h.output(s->getOutput(0), "y");
    auto r = h.run({{"c", boolTensor(full({2, 3}), cv)}, {"a", floatTensor(full({2, 3}), av)}, {"b", floatTensor(full({2, 3}), bv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({2, 3}), want, 0, 0));
}

TEST_P(LayerSmall, CastBetweenFloatInt32AndBool) {
    const std::vector<double> fv = {2.75, -2.75, 0.0, 0.5, -0.5, 100.0, 1.0, -1.0, 3.25, -7.5, 0.25, 8.0};
    const std::vector<int32_t> iv = {-3, 0, 7, 1, -100000, 2, 0, 5, -1, 16777217, 4, 0};
    auto* f = h.input("f", {6});
    auto* i = h.input("i", {6}, DataType::kINT32);
    ASSERT_TRUE(f && i);
    auto* f2i = h.net().addCast(*f, DataType::kINT32);
    auto* i2f = h.net().addCast(*i, DataType::kFLOAT);
    auto* f2b = h.net().addCast(*f, DataType::kBOOL);
    auto* i2b = h.net().addCast(*i, DataType::kFLOAT);
    ASSERT_TRUE(f2i && i2f && f2b && i2b) << h.logger().joined();
    i2b->setToType(DataType::kBOOL);
    EXPECT_EQ(i2b->getToType(), DataType::kBOOL);
    EXPECT_EQ(f2i->getType(), kiln::LayerType::kCAST);
    EXPECT_EQ(f2i->getToType(), DataType::kINT32);
    EXPECT_EQ(f2i->getOutput(0)->getType(), DataType::kINT32);
    EXPECT_EQ(i2f->getOutput(0)->getType(), DataType::kFLOAT);
    EXPECT_EQ(f2b->getOutput(0)->getType(), DataType::kBOOL);
    EXPECT_EQ(i2b->getOutput(0)->getType(), DataType::kBOOL);
    h.output(f2i->getOutput(0), "f2i");
    h.output(i2f->getOutput(0), "i2f");
    h.output(f2b->getOutput(0), "f2b");
    h.output(i2b->getOutput(0), "i2b");
    auto r = h.run({{"f", floatTensor(full({6}), fv)}, {"i", int32Tensor(full({6}), iv)}});
    ASSERT_RAN(r);
    std::vector<double> wf2i, wi2f, wf2b, wi2b;
    for (double v : fv) {
        wf2i.push_back(std::trunc(v));
        wf2b.push_back(v != 0);
    }
    for (int32_t v : iv) {
        wi2f.push_back(double(float(v)));  // 16777217 is not a float32
        wi2b.push_back(v != 0);
    }
    EXPECT_EQ(r.out("f2i").type, DataType::kINT32);
    EXPECT_EQ(r.out("f2b").type, DataType::kBOOL);
    EXPECT_EQ(r.out("i2b").type, DataType::kBOOL);
    EXPECT_EQ(r.out("i2f").type, DataType::kFLOAT);
    EXPECT_TRUE(allClose(r.out("f2i"), full({6}), wf2i, 0, 0));
    EXPECT_TRUE(allClose(r.out("i2f"), full({6}), wi2f, 0, 0));
    EXPECT_TRUE(allClose(r.out("f2b"), full({6}), wf2b, 0, 0));
    EXPECT_TRUE(allClose(r.out("i2b"), full({6}), wi2b, 0, 0));
}

TEST_P(LayerSmall, IdentityCopies) {
    const auto xv = detValues(kBatch * 5, 181);
    auto* x = h.input("x", {5});
    ASSERT_NE(x, nullptr);
    auto* id = h.net().addIdentity(*x);
    ASSERT_NE(id, nullptr) << h.logger().joined();
    EXPECT_EQ(id->getType(), kiln::LayerType::kIDENTITY);
    EXPECT_EQ(id->getInput(0), x);
    h.output(id->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor(full({5}), xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({5}), xv, 0, 0));
}

TEST_P(LayerSmall, ConstantBroadcastsOverTheBatch) {
    const auto xv = detValues(kBatch * 2 * 3, 191);
    const std::vector<double> cv = {1, 2, 3, 4, 5, 6};
    auto* x = h.input("x", {2, 3});
    ASSERT_NE(x, nullptr);
    // addConstant dims are the item dims in implicit mode, the full dims in explicit mode.
    auto* c = h.constant(h.implicit() ? std::vector<int64_t>{2, 3} : std::vector<int64_t>{1, 2, 3}, cv);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->getType(), kiln::LayerType::kCONSTANT);
    EXPECT_EQ(c->getNbInputs(), 0);
    EXPECT_EQ(c->getNbOutputs(), 1);
    EXPECT_TRUE(dimsAre(c->getDimensions(), h.implicit() ? std::vector<int64_t>{2, 3} : std::vector<int64_t>{1, 2, 3}));
    EXPECT_TRUE(dimsAre(c->getOutput(0)->getDimensions(),
                        h.implicit() ? std::vector<int64_t>{2, 3} : std::vector<int64_t>{1, 2, 3}));
    EXPECT_EQ(c->getWeights().count, 6);
    auto* ew = h.net().addElementWise(*x, *c->getOutput(0), ElementWiseOperation::kPROD);
    ASSERT_NE(ew, nullptr) << h.logger().joined();
    std::vector<double> want;
    for (size_t i = 0; i < xv.size(); ++i) want.push_back(xv[i] * cv[i % 6]);
    h.output(ew->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor(full({2, 3}), xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({2, 3}), want));
}
LAYER_INSTANTIATE_MODES(LayerSmall);

TEST(LayerConstantExplicit, SetWeightsSetDimensionsAndDirectOutput) {
    NetHarness h(Mode::kExplicit);
    auto* c = h.constant({6}, {1, 2, 3, 4, 5, 6});
    ASSERT_NE(c, nullptr);
    c->setDimensions(kiln::Dims2{2, 3});
    EXPECT_TRUE(dimsAre(c->getDimensions(), {2, 3}));
    c->setWeights(h.weights({6, 5, 4, 3, 2, 1}));
    EXPECT_EQ(static_cast<const float*>(c->getWeights().values)[0], 6.0f);
    // Wrong counts are refused and leave the layer as it was.
    const size_t before = h.logger().errors.size();
    c->setDimensions(kiln::Dims2{4, 2});
    c->setWeights(h.weights({1, 2}));
    EXPECT_EQ(h.logger().errors.size(), before + 2);
    EXPECT_TRUE(dimsAre(c->getDimensions(), {2, 3}));
    EXPECT_EQ(c->getWeights().count, 6);
    // int32 constant straight to an output.
    auto* ci = h.constant({3}, {-1, 0, 7}, DataType::kINT32);
    ASSERT_NE(ci, nullptr);
    EXPECT_EQ(ci->getOutput(0)->getType(), DataType::kINT32);
    h.output(c->getOutput(0), "c");
    h.output(ci->getOutput(0), "ci");
    auto r = h.run({});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("c"), {2, 3}, {6, 5, 4, 3, 2, 1}, 0, 0));
    EXPECT_EQ(r.out("ci").type, DataType::kINT32);
    EXPECT_TRUE(allClose(r.out("ci"), {3}, {-1, 0, 7}, 0, 0));
}

}  // namespace
