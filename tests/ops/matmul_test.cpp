// MatMul op tests: hand values and a per-element float64 numpy-matmul written here.
#include <gtest/gtest.h>

#include <algorithm>

#include "op_test_util.h"

namespace kiln {
namespace {

using ir::DType;
using test::runOp;
using test::TestTensor;

ir::Attrs transAttrs(bool ta, bool tb) {
    ir::Attrs a;
    a.set("transA", int64_t(ta));
    a.set("transB", int64_t(tb));
    return a;
}

// numpy matmul in float64, one output element at a time. Shapes are the
// stored ones; ta/tb swap the last two dims of rank >= 2 operands.
std::vector<double> naiveMatMul(const TestTensor& a, const TestTensor& b, bool ta, bool tb, ir::Shape& yShape) {
    const std::vector<double> av = a.toDoubles(), bv = b.toDoubles();
    ir::Shape as = a.shape, bs = b.shape;
    const bool vecA = as.size() == 1, vecB = bs.size() == 1;
    if (vecA) as.insert(as.begin(), 1), ta = false;
    if (vecB) bs.push_back(1), tb = false;
    const size_t ra = as.size(), rb = bs.size(), rank = std::max(ra, rb);
    const int64_t M = ta ? as[ra - 1] : as[ra - 2], K = ta ? as[ra - 2] : as[ra - 1];
    const int64_t N = tb ? bs[rb - 2] : bs[rb - 1];
    // Batch dims, right-aligned; 1 broadcasts.
    ir::Shape batch(rank - 2);
    auto dimOf = [&](const ir::Shape& s, size_t i) {  // i indexes the broadcast batch
        const size_t off = rank - s.size();
        return i < off ? int64_t(1) : s[i - off];
    };
    for (size_t i = 0; i + 2 < rank; ++i) batch[i] = std::max(dimOf(as, i), dimOf(bs, i));
    yShape = batch;
    if (!vecA) yShape.push_back(M);
    if (!vecB) yShape.push_back(N);
    int64_t batches = 1;
    for (int64_t d : batch) batches *= d;

    std::vector<double> y;
    for (int64_t ob = 0; ob < batches; ++ob) {
        // Flat offsets of this batch's A and B matrices.
        int64_t rem = ob, offA = 0, offB = 0, strideA = M * K, strideB = K * N;
        for (size_t i = batch.size(); i-- > 0;) {
            const int64_t coord = rem % batch[i];
            rem /= batch[i];
            const int64_t da = dimOf(as, i), db = dimOf(bs, i);
            offA += (da == 1 ? 0 : coord) * strideA;
            offB += (db == 1 ? 0 : coord) * strideB;
            strideA *= da;
            strideB *= db;
        }
        for (int64_t i = 0; i < M; ++i)
            for (int64_t j = 0; j < N; ++j) {
                double s = 0;
                for (int64_t k = 0; k < K; ++k)
                    s += av[size_t(offA + (ta ? k * M + i : i * K + k))] * bv[size_t(offB + (tb ? j * K + k : k * N + j))];
                y.push_back(s);
            }
    }
    return y;
}

void checkRandom(const ir::Shape& as, const ir::Shape& bs, bool ta, bool tb, const ir::Shape& want, uint32_t seed,
                 DType t = DType::kF32, double rtol = 1e-5, double atol = 1e-5) {
    const double range = ir::dtypeIsInteger(t) ? 50 : 1;  // integers: values in [-50, 50)
    const TestTensor a = TestTensor::random(t, as, seed, -range, range);
    const TestTensor b = TestTensor::random(t, bs, seed + 100, -range, range);
    const auto r = runOp("MatMul", transAttrs(ta, tb), {a, b});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, want);
    EXPECT_EQ(r.outputs[0].dtype, t);
    ir::Shape ys;
    const auto ref = naiveMatMul(a, b, ta, tb, ys);
    ASSERT_EQ(ys, want);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), ref, rtol, atol);
}

TEST(MatMulTest, HandValues2D) {
    const TestTensor a = TestTensor::f32({2, 3}, {1, 2, 3, 4, 5, 6});
    const TestTensor b = TestTensor::f32({3, 2}, {7, 8, 9, 10, 11, 12});
    const auto r = runOp("MatMul", {}, {a, b});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 2}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{58, 64, 139, 154}), 0, 0);
}

TEST(MatMulTest, TransposeCombinations) {
    for (int ta = 0; ta < 2; ++ta)
        for (int tb = 0; tb < 2; ++tb) {
            const ir::Shape as = ta ? ir::Shape{5, 4} : ir::Shape{4, 5};
            const ir::Shape bs = tb ? ir::Shape{3, 5} : ir::Shape{5, 3};
            checkRandom(as, bs, ta, tb, {4, 3}, 20 + 2 * ta + tb);
        }
    // Hand check: A^T with A = [[1, 2], [3, 4]] times I.
    const TestTensor a = TestTensor::f32({2, 2}, {1, 2, 3, 4});
    const TestTensor eye = TestTensor::f32({2, 2}, {1, 0, 0, 1});
    const auto r = runOp("MatMul", transAttrs(true, false), {a, eye});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 3, 2, 4}), 0, 0);
}

TEST(MatMulTest, RankOneOperands) {
    checkRandom({3}, {3, 2}, false, false, {2}, 30);
    checkRandom({2, 3}, {3}, false, false, {2}, 31);
    checkRandom({3}, {3}, false, false, {}, 32);
    checkRandom({3}, {2, 3, 4}, false, false, {2, 4}, 33);
    checkRandom({2, 3, 4}, {4}, false, false, {2, 3}, 34);
    // Transposes are ignored for rank-1 operands but still apply to the other.
    checkRandom({3}, {2, 3}, true, true, {2}, 35);
    checkRandom({3, 2}, {3}, true, true, {2}, 36);
    const TestTensor v = TestTensor::f32({3}, {1, 2, 3});
    const auto r = runOp("MatMul", {}, {v, v});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{14}), 0, 0);
}

TEST(MatMulTest, BatchBroadcast) {
    checkRandom({2, 1, 3, 4}, {5, 4, 2}, false, false, {2, 5, 3, 2}, 40);
    checkRandom({3, 4}, {2, 2, 4, 5}, false, false, {2, 2, 3, 5}, 41);
    checkRandom({1, 3, 4, 6}, {2, 1, 5, 4}, true, true, {2, 3, 6, 5}, 42);
    checkRandom({2, 3, 4}, {2, 4, 3}, false, false, {2, 3, 3}, 43);
}

TEST(MatMulTest, LargeTiledAndThreaded) {
    // Several row blocks, column blocks and batches.
    checkRandom({3, 37, 300}, {300, 290}, false, false, {3, 37, 290}, 50, DType::kF32, 1e-4, 1e-4);
    checkRandom({9, 513}, {700, 513}, false, true, {9, 700}, 51, DType::kF32, 1e-4, 1e-4);
}

TEST(MatMulTest, Integers) {
    const TestTensor a = TestTensor::i32({2, 2}, {1, -2, 3, 4});
    const TestTensor b = TestTensor::i32({2, 3}, {5, 6, -7, 8, 9, 10});
    auto r = runOp("MatMul", {}, {a, b});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].dtype, DType::kI32);
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-11, -12, -27, 47, 54, 19}));

    // int64 products beyond float precision stay exact.
    const TestTensor a64 = TestTensor::i64({1, 2}, {int64_t(1) << 40, 3});
    const TestTensor b64 = TestTensor::i64({2, 1}, {int64_t(1) << 20, 5});
    r = runOp("MatMul", {}, {a64, b64});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{(int64_t(1) << 60) + 15}));

    // Narrow types accumulate wide and wrap on the way out (like numpy).
    const TestTensor a8 = TestTensor::fromDoubles(DType::kI8, {1, 2}, {100, 100});
    const TestTensor b8 = TestTensor::fromDoubles(DType::kI8, {2, 2}, {2, -1, 1, -2});
    r = runOp("MatMul", {}, {a8, b8});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].dtype, DType::kI8);
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{300 - 256, -300 + 256}));
    const TestTensor au = TestTensor::fromDoubles(DType::kU8, {2}, {200, 100});
    const TestTensor bu = TestTensor::fromDoubles(DType::kU8, {2}, {1, 1});
    r = runOp("MatMul", {}, {au, bu});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].dtype, DType::kU8);
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{44}));

    checkRandom({2, 5, 7}, {7, 4}, false, false, {2, 5, 4}, 60, DType::kI32, 0, 0);
    checkRandom({3, 6}, {2, 4, 3}, true, true, {2, 6, 4}, 61, DType::kI64, 0, 0);
}

TEST(MatMulTest, HalfAndBFloat16) {
    checkRandom({2, 3, 16}, {16, 5}, false, false, {2, 3, 5}, 70, DType::kF16, 2e-3, 2e-3);
    checkRandom({4, 16}, {5, 16}, false, true, {4, 5}, 71, DType::kBF16, 1e-2, 1e-2);
}

TEST(MatMulTest, Float64) {
    // FlexAttention's double Q·Kᵀ, a broadcast batch and a vector operand.
    checkRandom({2, 4, 8, 16}, {2, 4, 6, 16}, false, true, {2, 4, 8, 6}, 72, DType::kF64, 1e-12, 1e-12);
    checkRandom({3, 1, 5, 7}, {4, 7, 2}, false, false, {3, 4, 5, 2}, 73, DType::kF64, 1e-12, 1e-12);
    checkRandom({7, 5}, {2, 7}, true, true, {5, 2}, 74, DType::kF64, 1e-12, 1e-12);
    checkRandom({2, 3, 40}, {40}, false, false, {2, 3}, 75, DType::kF64, 1e-12, 1e-12);
    // Integer sums beyond float32's 24 bits stay exact (ConvInteger lowers to float64).
    const TestTensor a = TestTensor::fromDoubles(DType::kF64, {1, 2}, {16777217, 3});
    const TestTensor b = TestTensor::fromDoubles(DType::kF64, {2, 1}, {16777217, 1});
    const auto r = runOp("MatMul", {}, {a, b});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].dtype, DType::kF64);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{16777217.0 * 16777217.0 + 3}), 0, 0);
}

TEST(MatMulTest, EmptyTensors) {
    // K = 0: the sum is empty, so the output is zeros.
    auto r = runOp("MatMul", {}, {TestTensor::f32({2, 0}, {}), TestTensor::f32({0, 3}, {})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 3}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), std::vector<double>(6, 0.0), 0, 0);
    r = runOp("MatMul", {}, {TestTensor::i32({0, 4}, {}), TestTensor::i32({4, 3}, std::vector<int32_t>(12, 1))});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{0, 3}));
    r = runOp("MatMul", {}, {TestTensor::f32({0, 2, 4}, {}), TestTensor::f32({4, 3}, std::vector<float>(12, 1))});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{0, 2, 3}));
}

TEST(MatMulTest, UnknownDimsPropagate) {
    ir::Node n;
    n.op = "MatMul";
    n.name = "mm";
    n.outputs = {2};
    std::vector<ir::TensorDesc> in = {{DType::kF32, {-1, 4, -1}, nullptr}, {DType::kF32, {8, -1}, nullptr}}, out;
    ASSERT_TRUE(ir::inferNode(n, in, out).ok());
    EXPECT_EQ(out[0].shape, (ir::Shape{-1, 4, -1}));
    in = {{DType::kF32, {3, 1, 4, 8}, nullptr}, {DType::kF32, {-1, 8, 2}, nullptr}};
    ASSERT_TRUE(ir::inferNode(n, in, out).ok());
    EXPECT_EQ(out[0].shape, (ir::Shape{3, -1, 4, 2}));
}

TEST(MatMulTest, Errors) {
    const TestTensor a = TestTensor::random(DType::kF32, {2, 3}, 80);
    const TestTensor b = TestTensor::random(DType::kF32, {3, 4}, 81);
    EXPECT_TRUE(runOp("MatMul", {}, {a, b}).status.ok());
    EXPECT_FALSE(runOp("MatMul", {}, {a, a}).status.ok());                       // K 3 vs 2
    EXPECT_FALSE(runOp("MatMul", transAttrs(false, true), {a, b}).status.ok());  // K 3 vs 4
    ir::Attrs badTrans;
    badTrans.set("transA", int64_t(2));
    EXPECT_FALSE(runOp("MatMul", badTrans, {a, b}).status.ok());
    EXPECT_FALSE(runOp("MatMul", {}, {a, TestTensor::i32({3, 4}, std::vector<int32_t>(12, 1))}).status.ok());
    EXPECT_FALSE(runOp("MatMul", {}, {TestTensor::random(DType::kF32, {2, 2, 3}, 82),
                                      TestTensor::random(DType::kF32, {3, 3, 4}, 83)})
                     .status.ok());  // batch 2 vs 3
    EXPECT_FALSE(runOp("MatMul", {}, {TestTensor::boolean({1, 1}, {true}), TestTensor::boolean({1, 1}, {true})})
                     .status.ok());
    EXPECT_FALSE(runOp("MatMul", {}, {TestTensor::f32({}, {1}), b}).status.ok());  // rank 0
}

}  // namespace
}  // namespace kiln
