// Scatter against element-by-element loops written in the test (float64),
// for both modes, every reduction, negative and duplicate indices.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/op_test_util.h"

namespace kiln::test {
namespace {

using ir::DType;

ir::Attrs scatterAttrs(const std::string& mode, const std::string& reduction, int64_t axis = 0) {
    ir::Attrs a;
    a.set("mode", mode);
    a.set("reduction", reduction);
    a.set("axis", axis);
    return a;
}

double combineRef(const std::string& r, double a, double b) {
    if (r == "add") return a + b;
    if (r == "mul") return a * b;
    if (r == "max") return std::max(a, b);
    if (r == "min") return std::min(a, b);
    return b;
}

// ScatterElements on a rank-3 tensor, written with three nested loops.
std::vector<double> elementsRef(const TestTensor& data, const TestTensor& idx, const TestTensor& upd, int axis,
                                const std::string& r) {
    std::vector<double> out = data.toDoubles();
    const auto iv = idx.toInts();
    const auto uv = upd.toDoubles();
    const auto& ds = data.shape;
    const auto& is = idx.shape;
    for (int64_t i = 0; i < is[0]; ++i)
        for (int64_t j = 0; j < is[1]; ++j)
            for (int64_t k = 0; k < is[2]; ++k) {
                const size_t at = size_t((i * is[1] + j) * is[2] + k);
                int64_t c[3] = {i, j, k};
                int64_t v = iv[at];
                if (v < 0) v += ds[size_t(axis)];
                c[axis] = v;
                const size_t dst = size_t((c[0] * ds[1] + c[1]) * ds[2] + c[2]);
                out[dst] = combineRef(r, out[dst], uv[at]);
            }
    return out;
}

TEST(ScatterOp, ElementsEveryAxisAndReduction) {
    const TestTensor data = TestTensor::random(DType::kF32, {3, 4, 5}, 1);
    for (int axis = 0; axis < 3; ++axis)
        for (const char* r : {"none", "add", "mul", "max", "min"}) {
            SCOPED_TRACE(std::string(r) + " axis " + std::to_string(axis));
            ir::Shape is = {3, 3, 4};
            is[size_t(axis)] = 6;  // more updates than the extent: duplicates
            const int64_t n = data.shape[size_t(axis)];
            TestTensor idx = TestTensor::random(DType::kI64, is, 10 + uint32_t(axis), double(-n), double(n));
            // With "none" and duplicates the result depends on the order; keep indices distinct there.
            if (std::string(r) == "none") {
                is[size_t(axis)] = n;
                std::vector<int64_t> v(size_t(ir::volume(is)));
                for (size_t i = 0; i < v.size(); ++i) {
                    int64_t c[3] = {int64_t(i) / (is[1] * is[2]), int64_t(i) / is[2] % is[1], int64_t(i) % is[2]};
                    v[i] = (n - 1 - c[axis]) - (c[axis] % 2 ? n : 0);  // a permutation, some negative
                }
                idx = TestTensor::i64(is, v);
            }
            const TestTensor upd = TestTensor::random(DType::kF32, is, 20 + uint32_t(axis));
            const OpResult res = runOp("Scatter", scatterAttrs("elements", r, axis - 3), {data, idx, upd});
            ASSERT_TRUE(res.status.ok()) << res.status.message();
            EXPECT_EQ(res.outputs[0].shape, data.shape);
            EXPECT_CLOSE(res.outputs[0].toDoubles(), elementsRef(data, idx, upd, axis, r), 1e-6, 1e-6);
        }
}

TEST(ScatterOp, DuplicateIndicesLastUpdateWinsWithoutReduction) {
    const TestTensor data = TestTensor::f32({1, 5}, {1, 2, 3, 4, 5});
    const TestTensor idx = TestTensor::i32({1, 3}, {1, 1, 3});
    const TestTensor upd = TestTensor::f32({1, 3}, {10, 20, 30});
    OpResult r = runOp("Scatter", scatterAttrs("elements", "none", 1), {data, idx, upd});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 20, 3, 30, 5}), 0, 0);
    r = runOp("Scatter", scatterAttrs("elements", "add", 1), {data, idx, upd});
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 32, 3, 34, 5}), 0, 0);
}

TEST(ScatterOp, NDSlicesAndElements) {
    // data [4, 3, 2]; k = 1 scatters [3, 2] slices, k = 3 single elements.
    const TestTensor data = TestTensor::random(DType::kF32, {4, 3, 2}, 3);
    for (const char* r : {"none", "add", "mul", "max", "min"}) {
        SCOPED_TRACE(r);
        const TestTensor idx1 = TestTensor::i64({2, 1}, {-1, 1});
        const TestTensor upd1 = TestTensor::random(DType::kF32, {2, 3, 2}, 4);
        OpResult res = runOp("Scatter", scatterAttrs("nd", r), {data, idx1, upd1});
        ASSERT_TRUE(res.status.ok()) << res.status.message();
        std::vector<double> want = data.toDoubles();
        const auto u1 = upd1.toDoubles();
        for (int t = 0; t < 2; ++t) {
            const int64_t row = t == 0 ? 3 : 1;
            for (int e = 0; e < 6; ++e)
                want[size_t(row * 6 + e)] = combineRef(r, want[size_t(row * 6 + e)], u1[size_t(t * 6 + e)]);
        }
        EXPECT_CLOSE(res.outputs[0].toDoubles(), want, 1e-6, 1e-6);

        const TestTensor idx3 = TestTensor::i32({3, 3}, {0, 0, 0, 3, 2, 1, 1, 1, -1});
        const TestTensor upd3 = TestTensor::f32({3}, {7, -8, 9});
        res = runOp("Scatter", scatterAttrs("nd", r), {data, idx3, upd3});
        ASSERT_TRUE(res.status.ok()) << res.status.message();
        want = data.toDoubles();
        const int64_t at[3] = {0, 3 * 6 + 2 * 2 + 1, 1 * 6 + 1 * 2 + 1};
        const double uv[3] = {7, -8, 9};
        for (int t = 0; t < 3; ++t) want[size_t(at[t])] = combineRef(r, want[size_t(at[t])], uv[t]);
        EXPECT_CLOSE(res.outputs[0].toDoubles(), want, 1e-6, 1e-6);
    }
}

TEST(ScatterOp, IntegerAndHalfData) {
    const TestTensor data = TestTensor::i32({2, 3}, {1, 2, 3, 4, 5, 6});
    const TestTensor idx = TestTensor::i64({2, 1}, {2, 0});
    const TestTensor upd = TestTensor::i32({2, 1}, {10, 20});
    OpResult r = runOp("Scatter", scatterAttrs("elements", "mul", 1), {data, idx, upd});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{1, 2, 30, 80, 5, 6}));
    const TestTensor h = TestTensor::fromDoubles(DType::kF16, {2, 3}, {1, 2, 3, 4, 5, 6});
    const TestTensor hu = TestTensor::fromDoubles(DType::kF16, {2, 1}, {0.5, -1});
    r = runOp("Scatter", scatterAttrs("elements", "max", 1), {h, idx, hu});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 2, 3, 4, 5, 6}), 0, 0);
}

TEST(ScatterOp, ErrorsNameTheProblem) {
    const TestTensor data = TestTensor::random(DType::kF32, {2, 3}, 5);
    OpResult r = runOp("Scatter", scatterAttrs("elements", "none", 1),
                       {data, TestTensor::i64({2, 1}, {3, 0}), TestTensor::f32({2, 1}, {1, 2})});
    ASSERT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("out of range"), std::string::npos) << r.status.message();
    r = runOp("Scatter", scatterAttrs("elements", "none", 1),
              {data, TestTensor::i64({2, 1}, {1, 0}), TestTensor::f32({1, 2}, {1, 2})});
    ASSERT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("updates"), std::string::npos) << r.status.message();
    r = runOp("Scatter", scatterAttrs("nd", "none"),
              {data, TestTensor::i64({1, 3}, {0, 0, 0}), TestTensor::f32({1}, {1})});
    ASSERT_FALSE(r.status.ok());
    r = runOp("Scatter", scatterAttrs("elements", "avg", 0),
              {data, TestTensor::i64({1, 1}, {0}), TestTensor::f32({1, 1}, {1})});
    ASSERT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("reduction"), std::string::npos);
}

}  // namespace
}  // namespace kiln::test
