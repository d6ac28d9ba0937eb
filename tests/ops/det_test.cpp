// Det against cofactor (Laplace) expansion written in the test: a different
// algorithm from the kernel's LU elimination.
#include <gtest/gtest.h>

#include "ops/op_test_util.h"

namespace kiln::test {
namespace {

using ir::DType;

double laplace(const std::vector<double>& a, int64_t m) {
    if (m == 1) return a[0];
    double sum = 0;
    for (int64_t c = 0; c < m; ++c) {
        std::vector<double> minor;
        for (int64_t r = 1; r < m; ++r)
            for (int64_t j = 0; j < m; ++j)
                if (j != c) minor.push_back(a[size_t(r * m + j)]);
        sum += (c % 2 ? -1 : 1) * a[size_t(c)] * laplace(minor, m - 1);
    }
    return sum;
}

TEST(DetOp, BatchedMatricesOfSeveralSizes) {
    for (int64_t m : {1, 2, 3, 5}) {
        SCOPED_TRACE(m);
        const TestTensor x = TestTensor::random(DType::kF32, {2, 3, m, m}, uint32_t(30 + m), -2, 2);
        const OpResult r = runOp("Det", {}, {x});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        ASSERT_EQ(r.outputs[0].shape, (ir::Shape{2, 3}));
        const auto xv = x.toDoubles();
        std::vector<double> want;
        for (int64_t k = 0; k < 6; ++k)
            want.push_back(laplace(std::vector<double>(xv.begin() + k * m * m, xv.begin() + (k + 1) * m * m), m));
        EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-4, 1e-5);
    }
}

TEST(DetOp, PivotingAndSingularMatrices) {
    // A zero leading pivot needs a row swap (det = -1); a singular matrix gives 0.
    OpResult r = runOp("Det", {}, {TestTensor::f32({2, 2, 2}, {0, 1, 1, 0, 1, 2, 2, 4})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{-1, 0}), 0, 1e-12);
    r = runOp("Det", {}, {TestTensor::f32({3, 3}, {2, 0, 0, 0, 3, 0, 0, 0, 4})});
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].shape, ir::Shape{});
    EXPECT_CLOSE(r.outputs[0].toDoubles(), std::vector<double>{24}, 0, 0);
}

TEST(DetOp, Errors) {
    EXPECT_FALSE(runOp("Det", {}, {TestTensor::f32({2, 3}, {1, 2, 3, 4, 5, 6})}).status.ok());
    EXPECT_FALSE(runOp("Det", {}, {TestTensor::f32({2}, {1, 2})}).status.ok());
    EXPECT_FALSE(runOp("Det", {}, {TestTensor::i32({1, 1}, {1})}).status.ok());
}

}  // namespace
}  // namespace kiln::test
