// Einsum against loops written out per equation in the test (float64).
#include <gtest/gtest.h>

#include "ops/op_test_util.h"

namespace kiln::test {
namespace {

using ir::DType;

OpResult einsum(const std::string& eq, const std::vector<TestTensor>& ins) {
    ir::Attrs a;
    a.set("equation", eq);
    return runOp("Einsum", a, ins);
}

TEST(EinsumOp, MatMulExplicitAndImplicit) {
    const TestTensor a = TestTensor::random(DType::kF32, {3, 4}, 1), b = TestTensor::random(DType::kF32, {4, 5}, 2);
    const auto av = a.toDoubles(), bv = b.toDoubles();
    std::vector<double> want(15, 0.0);
    for (int i = 0; i < 3; ++i)
        for (int k = 0; k < 5; ++k)
            for (int j = 0; j < 4; ++j) want[size_t(i * 5 + k)] += av[size_t(i * 4 + j)] * bv[size_t(j * 5 + k)];
    for (const char* eq : {"ij,jk->ik", "ij,jk", " ij , jk -> ik "}) {
        const OpResult r = einsum(eq, {a, b});
        ASSERT_TRUE(r.status.ok()) << eq << ": " << r.status.message();
        EXPECT_EQ(r.outputs[0].shape, (ir::Shape{3, 5}));
        EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-5, 1e-6);
    }
    // Implicit output lists the labels used once in ASCII order: i, k.
    const OpResult r = einsum("jk,ij", {b, a});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{3, 5}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-5, 1e-6);
}

TEST(EinsumOp, TransposeSumTraceDiagonalOuter) {
    const TestTensor x = TestTensor::random(DType::kF32, {4, 4}, 3);
    const auto xv = x.toDoubles();
    OpResult r = einsum("ij->ji", {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    std::vector<double> t(16), rowSum(4, 0.0), diag(4);
    double trace = 0;
    for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 4; ++j) {
            t[size_t(j * 4 + i)] = xv[size_t(i * 4 + j)];
            rowSum[size_t(i)] += xv[size_t(i * 4 + j)];
        }
        diag[size_t(i)] = xv[size_t(i * 5)];
        trace += xv[size_t(i * 5)];
    }
    EXPECT_CLOSE(r.outputs[0].toDoubles(), t, 0, 0);
    r = einsum("ij->i", {x});
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), rowSum, 1e-6, 1e-6);
    r = einsum("ii", {x});
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].shape, ir::Shape{});
    EXPECT_CLOSE(r.outputs[0].toDoubles(), std::vector<double>{trace}, 1e-6, 1e-6);
    r = einsum("ii->i", {x});
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), diag, 0, 0);
    const TestTensor u = TestTensor::f32({2}, {2, 3}), v = TestTensor::f32({3}, {1, -1, 4});
    r = einsum("i,j->ij", {u, v});
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{2, -2, 8, 3, -3, 12}), 0, 0);
    r = einsum("i,i", {v, v});
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), std::vector<double>{18}, 0, 0);
}

TEST(EinsumOp, EllipsisBroadcastsAndBatchDiagonal) {
    // [2, 1, 3, 4] x [5, 4, 2] over "...ij,...jk->...ik" -> [2, 5, 3, 2].
    const TestTensor a = TestTensor::random(DType::kF32, {2, 1, 3, 4}, 4),
                     b = TestTensor::random(DType::kF32, {5, 4, 2}, 5);
    const auto av = a.toDoubles(), bv = b.toDoubles();
    OpResult r = einsum("...ij,...jk->...ik", {a, b});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (ir::Shape{2, 5, 3, 2}));
    std::vector<double> want(60, 0.0);
    for (int p = 0; p < 2; ++p)
        for (int q = 0; q < 5; ++q)
            for (int i = 0; i < 3; ++i)
                for (int k = 0; k < 2; ++k)
                    for (int j = 0; j < 4; ++j)
                        want[size_t(((p * 5 + q) * 3 + i) * 2 + k)] +=
                            av[size_t((p * 3 + i) * 4 + j)] * bv[size_t((q * 4 + j) * 2 + k)];
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-5, 1e-6);

    const TestTensor x = TestTensor::random(DType::kF32, {3, 5, 5}, 6);
    const auto xv = x.toDoubles();
    r = einsum("...ii->...i", {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    std::vector<double> d(15);
    for (int n = 0; n < 3; ++n)
        for (int i = 0; i < 5; ++i) d[size_t(n * 5 + i)] = xv[size_t((n * 5 + i) * 5 + i)];
    EXPECT_CLOSE(r.outputs[0].toDoubles(), d, 0, 0);
}

TEST(EinsumOp, IntegerBatchMatMul) {
    const TestTensor a = TestTensor::i32({2, 1, 2}, {1, 2, 3, 4}), b = TestTensor::i32({2, 2, 1}, {5, 6, 7, 8});
    const OpResult r = einsum("bij,bjk->bik", {a, b});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{17, 53}));
}

TEST(EinsumOp, ErrorsNameTheProblem) {
    const TestTensor a = TestTensor::random(DType::kF32, {3, 4}, 7);
    OpResult r = einsum("ij,jk->ik", {a, a});
    ASSERT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("label 'j'"), std::string::npos) << r.status.message();
    EXPECT_FALSE(einsum("ijk->i", {a}).status.ok());
    EXPECT_FALSE(einsum("ij->iz", {a}).status.ok());
    EXPECT_FALSE(einsum("ij,k", {a}).status.ok());
    EXPECT_FALSE(einsum("i1->i", {a}).status.ok());
    EXPECT_FALSE(einsum("ij->ii", {a}).status.ok());
}

}  // namespace
}  // namespace kiln::test
