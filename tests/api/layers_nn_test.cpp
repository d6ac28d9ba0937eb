// Layer tests through the public API: Scatter, Cumulative, OneHot,
// ReverseSequence, Einsum and Determinant (explicit-batch networks; implicit batch is refused).
#include "layer_test_util.h"

namespace {

using namespace layertest;
using kiln::DataType;

TEST(LayerNN, ScatterElementsWithReduction) {
    NetHarness h(Mode::kExplicit);
    auto* data = h.input("data", {4});  // [2, 4]
    auto* idx = h.constant({2, 2}, {3, 0, 1, 1}, DataType::kINT32);
    auto* upd = h.constant({2, 2}, {10, 20, 30, 40});
    ASSERT_TRUE(data && idx && upd);
    auto* s = h.net().addScatter(*data, *idx->getOutput(0), *upd->getOutput(0), kiln::ScatterMode::kELEMENT);
    ASSERT_NE(s, nullptr) << h.logger().joined();
    EXPECT_EQ(s->getType(), kiln::LayerType::kSCATTER);
    s->setAxis(1);
    s->setReduction(kiln::ScatterReduction::kSUM);
    EXPECT_EQ(s->getAxis(), 1);
    EXPECT_EQ(s->getMode(), kiln::ScatterMode::kELEMENT);
    EXPECT_EQ(s->getReduction(), kiln::ScatterReduction::kSUM);
    h.output(s->getOutput(0), "y");
    const auto r = h.run({{"data", floatTensor({2, 4}, std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8})}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), {2, 4}, {21, 2, 3, 14, 5, 76, 7, 8}, 0, 0));
}

TEST(LayerNN, CumulativeExclusiveReverse) {
    NetHarness h(Mode::kExplicit);
    auto* x = h.input("x", {3});
    auto* axis = h.constant({}, {1}, DataType::kINT32);
    ASSERT_TRUE(x && axis);
    auto* c = h.net().addCumulative(*x, *axis->getOutput(0), kiln::CumulativeOperation::kSUM, true, true);
    ASSERT_NE(c, nullptr) << h.logger().joined();
    EXPECT_EQ(c->getType(), kiln::LayerType::kCUMULATIVE);
    EXPECT_TRUE(c->getExclusive());
    EXPECT_TRUE(c->getReverse());
    EXPECT_EQ(c->getOperation(), kiln::CumulativeOperation::kSUM);
    h.output(c->getOutput(0), "y");
    const auto r = h.run({{"x", floatTensor({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6})}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), {2, 3}, {5, 3, 0, 11, 6, 0}, 0, 0));
}

TEST(LayerNN, OneHotOnTheLastAxis) {
    NetHarness h(Mode::kExplicit);
    auto* idx = h.input("idx", {2}, DataType::kINT32);
    auto* values = h.constant({2}, {0.5, 9});
    auto* depth = h.constant({}, {3}, DataType::kINT32);
    ASSERT_TRUE(idx && values && depth);
    auto* o = h.net().addOneHot(*idx, *values->getOutput(0), *depth->getOutput(0), -1);
    ASSERT_NE(o, nullptr) << h.logger().joined();
    EXPECT_EQ(o->getType(), kiln::LayerType::kONE_HOT);
    EXPECT_EQ(o->getAxis(), -1);
    h.output(o->getOutput(0), "y");
    const auto r = h.run({{"idx", int32Tensor({2, 2}, {0, -1, 5, 1})}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), {2, 2, 3}, {9, 0.5, 0.5, 0.5, 0.5, 9, 0.5, 0.5, 0.5, 0.5, 9, 0.5}, 0, 0));
}

TEST(LayerNN, ReverseSequenceBatchMajor) {
    NetHarness h(Mode::kExplicit);
    auto* x = h.input("x", {3});  // [batch 2, time 3]
    auto* lens = h.constant({2}, {3, 2}, DataType::kINT32);
    ASSERT_TRUE(x && lens);
    auto* rs = h.net().addReverseSequence(*x, *lens->getOutput(0));
    ASSERT_NE(rs, nullptr) << h.logger().joined();
    EXPECT_EQ(rs->getType(), kiln::LayerType::kREVERSE_SEQUENCE);
    EXPECT_EQ(rs->getBatchAxis(), 1);
    EXPECT_EQ(rs->getSequenceAxis(), 0);
    rs->setBatchAxis(0);
    rs->setSequenceAxis(1);
    h.output(rs->getOutput(0), "y");
    const auto r = h.run({{"x", floatTensor({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6})}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), {2, 3}, {3, 2, 1, 5, 4, 6}, 0, 0));
}

TEST(LayerNN, EinsumMatMul) {
    NetHarness h(Mode::kExplicit);
    auto* a = h.input("a", {3});  // [2, 3]
    auto* b = h.constant({3, 2}, {1, 0, 0, 1, 1, 1});
    ASSERT_TRUE(a && b);
    kiln::ITensor* ins[] = {a, b->getOutput(0)};
    auto* e = h.net().addEinsum(ins, 2, "ij,jk->ik");
    ASSERT_NE(e, nullptr) << h.logger().joined();
    EXPECT_EQ(e->getType(), kiln::LayerType::kEINSUM);
    EXPECT_STREQ(e->getEquation(), "ij,jk->ik");
    EXPECT_EQ(e->getNbInputs(), 2);
    h.output(e->getOutput(0), "y");
    const auto r = h.run({{"a", floatTensor({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6})}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), {2, 2}, {4, 5, 10, 11}, 0, 0));
}

TEST(LayerNN, BadEquationFailsTheBuildWithItsReason) {
    NetHarness h(Mode::kExplicit);
    auto* a = h.input("a", {3});
    ASSERT_TRUE(a);
    kiln::ITensor* ins[] = {a};
    auto* e = h.net().addEinsum(ins, 1, "ijk->i");
    ASSERT_NE(e, nullptr);
    h.output(e->getOutput(0), "y");
    const auto r = h.run({{"a", floatTensor({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6})}});
    EXPECT_FALSE(r.built);
    EXPECT_NE(r.errorText().find("does not match term"), std::string::npos) << r.errorText();
}

TEST(LayerNN, DeterminantOfEachMatrix) {
    NetHarness h(Mode::kExplicit);
    auto* x = h.input("x", {2, 2});  // [2, 2, 2]
    ASSERT_TRUE(x);
    auto* d = h.net().addDeterminant(*x);
    ASSERT_NE(d, nullptr) << h.logger().joined();
    EXPECT_EQ(d->getType(), kiln::LayerType::kDETERMINANT);
    h.output(d->getOutput(0), "y");
    const auto r = h.run({{"x", floatTensor({2, 2, 2}, std::vector<float>{1, 2, 3, 4, 0, 2, 5, 1})}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), {2}, {-2, -10}, 1e-6, 0));
}

TEST(LayerNN, ImplicitBatchNetworksRefuseTheseLayers) {
    NetHarness h(Mode::kImplicit);
    auto* x = h.input("x", {3});
    auto* i = h.constant({3}, {0, 1, 2}, DataType::kINT32);
    ASSERT_TRUE(x && i);
    EXPECT_EQ(h.net().addScatter(*x, *i->getOutput(0), *x, kiln::ScatterMode::kELEMENT), nullptr);
    EXPECT_NE(h.logger().joined().find("explicit-batch"), std::string::npos) << h.logger().joined();
    EXPECT_EQ(h.net().addCumulative(*x, *i->getOutput(0), kiln::CumulativeOperation::kPROD, false, false), nullptr);
}

}  // namespace
