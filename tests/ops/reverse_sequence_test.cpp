// ReverseSequence against index arithmetic written in the test.
#include <gtest/gtest.h>

#include "ops/op_test_util.h"

namespace kiln::test {
namespace {

using ir::DType;

ir::Attrs axes(int64_t batch, int64_t time) {
    ir::Attrs a;
    a.set("batch_axis", batch);
    a.set("time_axis", time);
    return a;
}

TEST(ReverseSequenceOp, TimeMajorAndBatchMajor) {
    // [T=4, B=3, F=2] with time axis 0, and its transpose [B, T, F] with batch axis 0.
    const TestTensor x = TestTensor::random(DType::kF32, {4, 3, 2}, 9);
    const std::vector<int64_t> lens = {4, 0, 2};
    const auto xv = x.toDoubles();
    OpResult r = runOp("ReverseSequence", axes(1, 0), {x, TestTensor::i64({3}, lens)});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    std::vector<double> want(xv.size());
    for (int t = 0; t < 4; ++t)
        for (int b = 0; b < 3; ++b)
            for (int f = 0; f < 2; ++f) {
                const int64_t src = t < lens[size_t(b)] ? lens[size_t(b)] - 1 - t : t;
                want[size_t((t * 3 + b) * 2 + f)] = xv[size_t((src * 3 + b) * 2 + f)];
            }
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 0, 0);

    const TestTensor y = TestTensor::i32({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    r = runOp("ReverseSequence", axes(0, 1), {y, TestTensor::i32({3}, {1, 3, 4})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0, 1, 2, 3, 6, 5, 4, 7, 11, 10, 9, 8}));
}

TEST(ReverseSequenceOp, Errors) {
    const TestTensor x = TestTensor::random(DType::kF32, {4, 3}, 10);
    OpResult r = runOp("ReverseSequence", axes(1, 0), {x, TestTensor::i64({3}, {5, 1, 1})});
    ASSERT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("sequence length 5"), std::string::npos) << r.status.message();
    EXPECT_FALSE(runOp("ReverseSequence", axes(1, 0), {x, TestTensor::i64({4}, {1, 1, 1, 1})}).status.ok());
    EXPECT_FALSE(runOp("ReverseSequence", axes(0, 0), {x, TestTensor::i64({4}, {1, 1, 1, 1})}).status.ok());
    EXPECT_FALSE(runOp("ReverseSequence", axes(1, 0), {x, TestTensor::f32({3}, {1, 1, 1})}).status.ok());
}

}  // namespace
}  // namespace kiln::test
