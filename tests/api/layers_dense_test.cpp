// Layer tests, dense family: FullyConnected, MatrixMultiply (transposes,
// batch broadcast, vectors), LRN; explicit- and implicit-batch networks
// against float64 loops written here.
#include <algorithm>
#include <cmath>

#include "layer_test_util.h"

namespace {

using namespace layertest;
using kiln::DataType;
using kiln::Dims;

// ---- FullyConnected ---------------------------------------------------------------

class LayerFullyConnected : public LayerModeTest {};

TEST_P(LayerFullyConnected, FlattensCHWAndGivesK11) {
    const int64_t C = 3, H = 2, W = 2, K = 4, F = C * H * W;
    const auto xv = detValues(size_t(kBatch * F), 51);
    const auto wv = detValues(size_t(K * F), 52);
    const auto bv = detValues(size_t(K), 53);
    auto* x = h.input("x", {C, H, W});
    ASSERT_NE(x, nullptr);
    auto* fc = h.net().addFullyConnected(*x, int32_t(K), h.weights(wv), h.weights(bv));
    ASSERT_NE(fc, nullptr) << h.logger().joined();
    EXPECT_EQ(fc->getType(), kiln::LayerType::kFULLY_CONNECTED);
    EXPECT_EQ(fc->getNbOutputChannels(), K);
    EXPECT_EQ(fc->getKernelWeights().count, K * F);
    EXPECT_EQ(fc->getBiasWeights().count, K);
    EXPECT_TRUE(dimsAre(fc->getOutput(0)->getDimensions(),
                        h.implicit() ? std::vector<int64_t>{K, 1, 1} : std::vector<int64_t>{kBatch, K, 1, 1}));
    std::vector<double> want;
    for (int64_t n = 0; n < kBatch; ++n)
        for (int64_t k = 0; k < K; ++k) {
            double acc = bv[size_t(k)];
            for (int64_t f = 0; f < F; ++f) acc += wv[size_t(k * F + f)] * xv[size_t(n * F + f)];
            want.push_back(acc);
        }
    h.output(fc->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor(full({C, H, W}), xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({K, 1, 1}), want, 1e-5, 1e-5));
}
LAYER_INSTANTIATE_MODES(LayerFullyConnected);

// ---- MatrixMultiply ---------------------------------------------------------------

// C[b] = op(A[b]) * op(B[b]); A and B given row-major as stored (before op).
std::vector<double> refMatMul(const std::vector<double>& a, bool ta, int64_t batchA, const std::vector<double>& b,
                              bool tb, int64_t batchB, int64_t M, int64_t K, int64_t N) {
    const int64_t batch = std::max(batchA, batchB);
    std::vector<double> c;
    for (int64_t i = 0; i < batch; ++i) {
        const double* A = a.data() + (batchA == 1 ? 0 : i) * M * K;
        const double* B = b.data() + (batchB == 1 ? 0 : i) * K * N;
        for (int64_t m = 0; m < M; ++m)
            for (int64_t n = 0; n < N; ++n) {
                double acc = 0;
                for (int64_t k = 0; k < K; ++k)
                    acc += (ta ? A[k * M + m] : A[m * K + k]) * (tb ? B[n * K + k] : B[k * N + n]);
                c.push_back(acc);
            }
    }
    return c;
}

class LayerMatrixMultiply : public LayerModeTest {
protected:
    // A is the batched network input, B a constant broadcast over the batch.
    void runWithConstant(bool ta, bool tb) {
        const int64_t M = 3, K = 4, N = 5;
        const auto av = detValues(size_t(kBatch * M * K), 61);
        const auto bv = detValues(size_t(K * N), 62);
        auto* a = h.input("a", ta ? std::vector<int64_t>{K, M} : std::vector<int64_t>{M, K});
        ASSERT_NE(a, nullptr);
        auto* b = h.batchConstant(tb ? std::vector<int64_t>{N, K} : std::vector<int64_t>{K, N}, bv);
        ASSERT_NE(b, nullptr);
        using kiln::MatrixOperation;
        auto* mm = h.net().addMatrixMultiply(*a, ta ? MatrixOperation::kTRANSPOSE : MatrixOperation::kNONE, *b,
                                             tb ? MatrixOperation::kTRANSPOSE : MatrixOperation::kNONE);
        ASSERT_NE(mm, nullptr) << h.logger().joined();
        EXPECT_EQ(mm->getType(), kiln::LayerType::kMATRIX_MULTIPLY);
        EXPECT_EQ(mm->getOperation(0), ta ? MatrixOperation::kTRANSPOSE : MatrixOperation::kNONE);
        EXPECT_EQ(mm->getOperation(1), tb ? MatrixOperation::kTRANSPOSE : MatrixOperation::kNONE);
        const auto want = refMatMul(av, ta, kBatch, bv, tb, 1, M, K, N);
        h.output(mm->getOutput(0), "c");
        auto r = h.run({{"a", floatTensor(full(ta ? std::vector<int64_t>{K, M} : std::vector<int64_t>{M, K}), av)}});
        ASSERT_RAN(r);
        EXPECT_TRUE(allClose(r.out("c"), full({M, N}), want, 1e-5, 1e-5));
    }
};

TEST_P(LayerMatrixMultiply, PlainWithBroadcastConstant) { runWithConstant(false, false); }
TEST_P(LayerMatrixMultiply, TransposeFirstOperand) { runWithConstant(true, false); }
TEST_P(LayerMatrixMultiply, TransposeSecondOperand) { runWithConstant(false, true); }
TEST_P(LayerMatrixMultiply, TransposeBoth) { runWithConstant(true, true); }

TEST_P(LayerMatrixMultiply, TwoBatchedInputsSetOperationLater) {
    const int64_t M = 2, K = 3, N = 4;
    const auto av = detValues(size_t(kBatch * M * K), 63);
    const auto bv = detValues(size_t(kBatch * N * K), 64);
    auto* a = h.input("a", {M, K});
    auto* b = h.input("b", {N, K});
    ASSERT_TRUE(a && b);
    auto* mm = h.net().addMatrixMultiply(*a, kiln::MatrixOperation::kNONE, *b, kiln::MatrixOperation::kNONE);
    ASSERT_NE(mm, nullptr) << h.logger().joined();
    mm->setOperation(1, kiln::MatrixOperation::kTRANSPOSE);
    EXPECT_EQ(mm->getOperation(1), kiln::MatrixOperation::kTRANSPOSE);
    EXPECT_TRUE(dimsAre(mm->getOutput(0)->getDimensions(),
                        h.implicit() ? std::vector<int64_t>{M, N} : std::vector<int64_t>{kBatch, M, N}));
    h.output(mm->getOutput(0), "c");
    auto r = h.run({{"a", floatTensor(full({M, K}), av)}, {"b", floatTensor(full({N, K}), bv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("c"), full({M, N}), refMatMul(av, false, kBatch, bv, true, kBatch, M, K, N), 1e-5, 1e-5));
}
LAYER_INSTANTIATE_MODES(LayerMatrixMultiply);

TEST(LayerMatrixMultiplyExplicit, BatchDimsBroadcastBothWays) {
    // A [2, 1, 2, 3] x B [1, 3, 3, 2] -> [2, 3, 2, 2]: each operand broadcasts one batch dim.
    NetHarness h(Mode::kExplicit);
    const auto av = detValues(2 * 2 * 3, 65);
    const auto bv = detValues(3 * 3 * 2, 66);
    auto* a = h.net().addInput("a", DataType::kFLOAT, kiln::Dims4{2, 1, 2, 3});
    auto* b = h.net().addInput("b", DataType::kFLOAT, kiln::Dims4{1, 3, 3, 2});
    ASSERT_TRUE(a && b);
    auto* mm = h.net().addMatrixMultiply(*a, kiln::MatrixOperation::kNONE, *b, kiln::MatrixOperation::kNONE);
    ASSERT_NE(mm, nullptr) << h.logger().joined();
    h.output(mm->getOutput(0), "c");
    std::vector<double> want;
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j)
            for (int m = 0; m < 2; ++m)
                for (int n = 0; n < 2; ++n) {
                    double acc = 0;
                    for (int k = 0; k < 3; ++k) acc += av[size_t((i * 2 + m) * 3 + k)] * bv[size_t((j * 3 + k) * 2 + n)];
                    want.push_back(acc);
                }
    auto r = h.run({{"a", floatTensor({2, 1, 2, 3}, av)}, {"b", floatTensor({1, 3, 3, 2}, bv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("c"), {2, 3, 2, 2}, want, 1e-5, 1e-5));
}

TEST(LayerMatrixMultiplyExplicit, VectorOperands) {
    // A [K] (kVECTOR) x B [N, K, M] -> [N, M]; B' [N, M, K] x A (kVECTOR) -> [N, M].
    NetHarness h(Mode::kExplicit);
    const int64_t N = 2, K = 3, M = 4;
    const auto av = detValues(size_t(K), 67), bv = detValues(size_t(N * K * M), 68);
    auto* a = h.net().addInput("a", DataType::kFLOAT, Dims{1, {K}});
    auto* b = h.net().addInput("b", DataType::kFLOAT, kiln::Dims3{N, K, M});
    auto* bt = h.net().addInput("bt", DataType::kFLOAT, kiln::Dims3{N, M, K});
    ASSERT_TRUE(a && b && bt);
    using kiln::MatrixOperation;
    auto* vm = h.net().addMatrixMultiply(*a, MatrixOperation::kVECTOR, *b, MatrixOperation::kNONE);
    auto* mv = h.net().addMatrixMultiply(*bt, MatrixOperation::kNONE, *a, MatrixOperation::kVECTOR);
    ASSERT_TRUE(vm && mv) << h.logger().joined();
    EXPECT_EQ(vm->getOperation(0), MatrixOperation::kVECTOR);
    EXPECT_EQ(mv->getOperation(1), MatrixOperation::kVECTOR);
    EXPECT_TRUE(dimsAre(vm->getOutput(0)->getDimensions(), {N, M})) << h.logger().joined();
    h.output(vm->getOutput(0), "vm");
    h.output(mv->getOutput(0), "mv");
    std::vector<double> btv(size_t(N * M * K)), wvm, wmv;
    for (int64_t n = 0; n < N; ++n)
        for (int64_t k = 0; k < K; ++k)
            for (int64_t m = 0; m < M; ++m) btv[size_t((n * M + m) * K + k)] = bv[size_t((n * K + k) * M + m)];
    for (int64_t n = 0; n < N; ++n)
        for (int64_t m = 0; m < M; ++m) {
            double acc = 0;
            for (int64_t k = 0; k < K; ++k) acc += av[size_t(k)] * bv[size_t((n * K + k) * M + m)];
            wvm.push_back(acc);
        }
    wmv = wvm;  // the same products, B stored transposed
    auto r = h.run({{"a", floatTensor({K}, av)}, {"b", floatTensor({N, K, M}, bv)}, {"bt", floatTensor({N, M, K}, btv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("vm"), {N, M}, wvm, 1e-6, 1e-6));
    EXPECT_TRUE(allClose(r.out("mv"), {N, M}, wmv, 1e-6, 1e-6));
}

// ---- LRN ------------------------------------------------------------------------------

class LayerLRN : public LayerModeTest {};

TEST_P(LayerLRN, CrossChannelWindow) {
    const int64_t C = 5, H = 2, W = 2, window = 3;
    const float alpha = 0.5f, beta = 0.75f, k = 2.0f;
    const auto xv = detValues(size_t(kBatch * C * H * W), 71, -2.0, 2.0);
    auto* x = h.input("x", {C, H, W});
    ASSERT_NE(x, nullptr);
    auto* lrn = h.net().addLRN(*x, window, alpha, beta, k);
    ASSERT_NE(lrn, nullptr) << h.logger().joined();
    EXPECT_EQ(lrn->getType(), kiln::LayerType::kLRN);
    EXPECT_EQ(lrn->getWindowSize(), window);
    EXPECT_FLOAT_EQ(lrn->getAlpha(), alpha);
    EXPECT_FLOAT_EQ(lrn->getBeta(), beta);
    EXPECT_FLOAT_EQ(lrn->getK(), k);
    std::vector<double> want;
    for (int64_t n = 0; n < kBatch; ++n)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t i = 0; i < H * W; ++i) {
                double sq = 0;
                for (int64_t cc = std::max<int64_t>(0, c - 1); cc <= std::min<int64_t>(C - 1, c + 1); ++cc) {
                    const double v = xv[size_t((n * C + cc) * H * W + i)];
                    sq += v * v;
                }
                want.push_back(xv[size_t((n * C + c) * H * W + i)] / std::pow(k + alpha / window * sq, beta));
            }
    h.output(lrn->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor(full({C, H, W}), xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({C, H, W}), want, 1e-5, 1e-5));
}
LAYER_INSTANTIATE_MODES(LayerLRN);

}  // namespace
