// Layer tests, quantization family through the public API: IQuantizeLayer /
// IDequantizeLayer (per-tensor in both network modes, per-axis and blocked in
// explicit networks, zero points via setInput(2, ...)), IBitCastLayer, and the
// ICastLayer float8 options.
#include <cmath>

#include "layer_test_util.h"

namespace {

using namespace layertest;
using kiln::DataType;

class LayerQuantize : public LayerModeTest {};

TEST_P(LayerQuantize, PerTensorRoundTrip) {
    // y = saturate(round_half_even(x / 0.5) + 10) as uint8, then (y - 10) * 0.5.
    const std::vector<double> xv = {-6, -0.25, 0, 0.25, 0.75, 1.25, 60, 200};
    auto* x = h.input("x", {4});
    ASSERT_NE(x, nullptr);
    auto* scale = h.batchConstant({1}, {0.5});
    auto* zp = h.batchConstant({1}, {10}, DataType::kUINT8);
    kiln::IQuantizeLayer* q = h.net().addQuantize(*x, *scale, DataType::kUINT8);
    ASSERT_NE(q, nullptr) << h.logger().joined();
    q->setInput(2, *zp);
    EXPECT_EQ(q->getToType(), DataType::kUINT8);
    EXPECT_EQ(q->getNbInputs(), 3);
    kiln::IDequantizeLayer* dq = h.net().addDequantize(*q->getOutput(0), *scale, DataType::kFLOAT);
    ASSERT_NE(dq, nullptr) << h.logger().joined();
    dq->setInput(2, *zp);
    h.output(q->getOutput(0), "q");
    h.output(dq->getOutput(0), "dq");
    const RunResult r = h.run({{"x", floatTensor(full({4}), xv)}});
    ASSERT_RAN(r);
    std::vector<double> wantQ, wantDq;
    for (double v : xv) {
        const double t = std::min(std::max(std::nearbyint(v / 0.5) + 10, 0.0), 255.0);
        wantQ.push_back(t);
        wantDq.push_back((t - 10) * 0.5);
    }
    EXPECT_EQ(r.out("q").type, DataType::kUINT8);
    EXPECT_TRUE(allClose(r.out("q"), full({4}), wantQ, 0, 0));
    EXPECT_TRUE(allClose(r.out("dq"), full({4}), wantDq, 0, 0));
}

LAYER_INSTANTIATE_MODES(LayerQuantize);

TEST(LayerQuantizeExplicit, PerAxisAndBlocked) {
    NetHarness h(Mode::kExplicit);
    auto* x = h.input("x", {2, 4});  // [2, 2, 4]
    ASSERT_NE(x, nullptr);
    // Per-axis along dim 1 (2 channels), int8 with zero points.
    auto* s1 = h.constant({2}, {0.25, 2})->getOutput(0);
    auto* z1 = h.constant({2}, {-3, 4}, DataType::kINT8)->getOutput(0);
    kiln::IQuantizeLayer* q = h.net().addQuantize(*x, *s1, DataType::kINT8);
    ASSERT_NE(q, nullptr);
    q->setAxis(1);
    q->setInput(2, *z1);
    EXPECT_EQ(q->getAxis(), 1);
    h.output(q->getOutput(0), "axis");
    // Blocked along the last dim in blocks of 2: scale [2, 2, 2].
    std::vector<double> sb;
    for (int i = 0; i < 8; ++i) sb.push_back(0.5 + 0.25 * i);
    auto* s2 = h.constant({2, 2, 2}, sb)->getOutput(0);
    kiln::IQuantizeLayer* b = h.net().addQuantize(*x, *s2, DataType::kUINT8);
    ASSERT_NE(b, nullptr);
    EXPECT_TRUE(b->setBlockShape(kiln::Dims3(1, 1, 2)));
    EXPECT_TRUE(dimsAre(b->getBlockShape(), {1, 1, 2}));
    EXPECT_FALSE(b->setBlockShape(kiln::Dims3(1, 0, 2)));  // extents must be >= 1
    h.output(b->getOutput(0), "blocked");

    const auto xv = detValues(16, 5, -20, 20);
    const RunResult r = h.run({{"x", floatTensor({2, 2, 4}, xv)}});
    ASSERT_RAN(r);
    std::vector<double> wantAxis, wantBlocked;
    for (int i = 0; i < 16; ++i) {
        const int c = (i / 4) % 2, last = i % 4, n = i / 8;
        const double s = c == 0 ? 0.25 : 2, z = c == 0 ? -3 : 4;
        wantAxis.push_back(std::min(std::max(std::nearbyint(double(float(xv[size_t(i)]) / float(s))) + z, -128.0), 127.0));
        const float sbv = float(sb[size_t((n * 2 + c) * 2 + last / 2)]);
        wantBlocked.push_back(std::min(std::max(std::nearbyint(double(float(xv[size_t(i)]) / sbv)), 0.0), 255.0));
    }
    EXPECT_TRUE(allClose(r.out("axis"), {2, 2, 4}, wantAxis, 0, 0));
    EXPECT_TRUE(allClose(r.out("blocked"), {2, 2, 4}, wantBlocked, 0, 0));
}

TEST(LayerQuantizeExplicit, OptionsAndErrors) {
    NetHarness h(Mode::kExplicit);
    auto* x = h.input("x", {3});  // [2, 3]
    auto* s = h.constant({}, {1})->getOutput(0);
    kiln::IQuantizeLayer* q = h.net().addQuantize(*x, *s, DataType::kFP8);
    ASSERT_NE(q, nullptr);
    EXPECT_TRUE(q->getSaturate());
    q->setSaturate(false);
    EXPECT_FALSE(q->getSaturate());
    EXPECT_FALSE(q->computeTypeIsSet());
    q->setComputeType(DataType::kHALF);
    EXPECT_TRUE(q->computeTypeIsSet());
    EXPECT_EQ(q->getComputeType(), DataType::kHALF);
    q->setComputeType(DataType::kINT8);  // refused, logged
    EXPECT_EQ(q->getComputeType(), DataType::kHALF);
    EXPECT_FALSE(h.logger().errors.empty());
    h.logger().errors.clear();
    // A float8 cast without saturation: 1000 overflows to NaN (0x7F).
    kiln::ICastLayer* c = h.net().addCast(*x, DataType::kFP8);
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(c->getSaturate());
    c->setSaturate(false);
    c->setRoundingMode(kiln::RoundingMode::kNEAREST);
    EXPECT_EQ(c->getRoundingMode(), kiln::RoundingMode::kNEAREST);
    kiln::IBitCastLayer* bits = h.net().addBitCast(*c->getOutput(0), DataType::kUINT8);
    ASSERT_NE(bits, nullptr);
    EXPECT_EQ(bits->getToType(), DataType::kUINT8);
    h.output(bits->getOutput(0), "bits");
    kiln::IBitCastLayer* qbits = h.net().addBitCast(*q->getOutput(0), DataType::kUINT8);
    h.output(qbits->getOutput(0), "qbits");
    // x is [2, 3]: 1, -2, 0.5 exact; 1000 and -1e4 overflow to NaN (sign kept);
    // 464 is the tie between 448 and the first value past the range: 448.
    const RunResult r = h.run({{"x", floatTensor({2, 3}, std::vector<double>{1, -2, 1000, 0.5, 464, -1e4})}});
    ASSERT_RAN(r);
    const std::vector<uint8_t> want = {0x38, 0xc0, 0x7f, 0x30, 0x7e, 0xff};
    EXPECT_EQ(r.out("bits").as<uint8_t>(), want);
    EXPECT_EQ(r.out("qbits").as<uint8_t>(), want);
    // A bit-cast between widths is refused at build time.
    NetHarness bad(Mode::kExplicit);
    auto* y = bad.input("y", {2});
    kiln::IBitCastLayer* wide = bad.net().addBitCast(*y, DataType::kINT64);
    ASSERT_NE(wide, nullptr);
    bad.output(wide->getOutput(0), "wide");
    const RunResult rb = bad.run({{"y", floatTensor({2, 2}, std::vector<double>{1, 2, 3, 4})}});
    EXPECT_FALSE(rb.built);
}

}  // namespace
