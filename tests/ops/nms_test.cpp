// NonMaxSuppression on crafted boxes: overlaps above/at the threshold, score
// ties, the score threshold, per-class limits and both box formats; the
// expectations are worked out by hand.
#include <gtest/gtest.h>

#include "ops/op_test_util.h"

namespace kiln::test {
namespace {

// Three boxes: 0 and 1 overlap with IoU 0.5 (two 2x1 boxes sharing one unit
// square... see below), 2 is far away.
// Box 0: [0,0]-[2,2] (area 4); box 1: [0,1]-[2,3] (area 4, intersection 2,
// union 6, IoU 1/3); box 2: [10,10]-[11,11].
TestTensor boxes() { return TestTensor::f32({1, 3, 4}, {0, 0, 2, 2, 0, 1, 2, 3, 10, 10, 11, 11}); }

OpResult nms(const TestTensor& scores, int64_t maxOut, float iou, float scoreThreshold, bool withScore = true) {
    std::vector<TestTensor> in = {boxes(), scores, TestTensor::i64({1}, {maxOut}), TestTensor::f32({1}, {iou})};
    if (withScore) in.push_back(TestTensor::f32({1}, {scoreThreshold}));
    return runOp("NMS", {}, in);
}

TEST(NmsOp, SuppressesAboveTheIouThresholdOnly) {
    const auto scores = TestTensor::f32({1, 1, 3}, {0.9f, 0.8f, 0.7f});
    auto strict = nms(scores, 10, 0.3f, 0.f);  // IoU 1/3 > 0.3: box 1 goes
    ASSERT_TRUE(strict.status.ok()) << strict.status.message();
    EXPECT_EQ(strict.outputs[0].toInts(), (std::vector<int64_t>{0, 0, 0, 0, 0, 2}));
    auto loose = nms(scores, 10, 0.34f, 0.f);  // IoU 1/3 <= 0.34: kept
    ASSERT_TRUE(loose.status.ok()) << loose.status.message();
    EXPECT_EQ(loose.outputs[0].toInts(), (std::vector<int64_t>{0, 0, 0, 0, 0, 1, 0, 0, 2}));
}

TEST(NmsOp, TiesScoreThresholdAndLimit) {
    // Equal scores: the lower index first. Box 2 is below the score threshold (strictly).
    auto r = nms(TestTensor::f32({1, 1, 3}, {0.5f, 0.5f, 0.2f}), 10, 0.0f, 0.2f);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0, 0, 0})) << "box 1 overlaps box 0 (IoU > 0)";
    auto one = nms(TestTensor::f32({1, 1, 3}, {0.1f, 0.2f, 0.9f}), 1, 0.5f, 0.f, false);
    ASSERT_TRUE(one.status.ok()) << one.status.message();
    EXPECT_EQ(one.outputs[0].toInts(), (std::vector<int64_t>{0, 0, 2}));
    auto none = nms(TestTensor::f32({1, 1, 3}, {0.1f, 0.2f, 0.9f}), 0, 0.5f, 0.f);
    ASSERT_TRUE(none.status.ok()) << none.status.message();
    EXPECT_EQ(none.outputs[0].shape, (ir::Shape{0, 3}));
}

TEST(NmsOp, TwoClassesCenterFormatAndCount) {
    // Centre format: (x, y, w, h); boxes 0 and 1 coincide.
    ir::Attrs a;
    a.set("center_point_box", int64_t(1));
    a.set("index_dtype", int64_t(ir::DType::kI32));
    auto r = runOp(
        "NMS", a,
        {TestTensor::f32({1, 2, 4}, {1, 1, 2, 2, 1, 1, 2, 2}), TestTensor::f32({1, 2, 2}, {0.3f, 0.4f, 0.9f, 0.1f}),
         TestTensor::i64({}, {5}), TestTensor::f32({}, {0.5f})},
        2);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].dtype, ir::DType::kI32);
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0, 0, 1, 0, 1, 0}));
    EXPECT_EQ(r.outputs[1].toInts(), (std::vector<int64_t>{2}));
}

TEST(NmsOp, BadInputsAreErrors) {
    EXPECT_FALSE(
        runOp("NMS", {}, {TestTensor::f32({1, 3, 3}, std::vector<float>(9, 0)), TestTensor::f32({1, 1, 3}, {1, 2, 3})})
            .status.ok());
    EXPECT_FALSE(runOp("NMS", {}, {boxes(), TestTensor::f32({1, 1, 4}, {1, 2, 3, 4})}).status.ok())
        << "4 scores, 3 boxes";
    EXPECT_FALSE(nms(TestTensor::f32({1, 1, 3}, {1, 2, 3}), 2, 1.5f, 0.f).status.ok()) << "IoU threshold above 1";
}

}  // namespace
}  // namespace kiln::test
