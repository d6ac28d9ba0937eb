// Data-dependent shapes through the public API: layers whose output extents
// come from tensor values known only at run time (a Reduce's axes, a Fill's
// shape, a Shuffle's reshape dims, a Slice's size), run with IOutputAllocator,
// and the errors when an output of such a shape has no allocator.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "dynamic_test_util.h"
#include "kiln/kiln.h"

namespace {

using kiln::DataType;
using kiln::Dims;

using dyntest::Collector;
using dyntest::dims;
using dyntest::Logger;

struct Built {
    Logger logger;
    std::unique_ptr<kiln::IBuilder> builder;
    std::unique_ptr<kiln::INetworkDefinition> net;
    std::unique_ptr<kiln::ICudaEngine> engine;
    std::unique_ptr<kiln::IExecutionContext> ctx;

    Built() {
        builder = kiln::createInferBuilder(logger);
        net = builder->createNetworkV2(0);
    }
    bool build() {
        auto config = builder->createBuilderConfig();
        config->setBackend(kiln::BackendKind::kCPU);
        engine = builder->buildEngineWithConfig(*net, *config);
        if (!engine) return false;
        ctx = engine->createExecutionContext();
        return ctx != nullptr;
    }
};

// Reduce over axes given as a network input: which dims survive is known only
// when the axes arrive, so the output needs an allocator.
TEST(DataDependentShapes, ReduceAxesFromAnInput) {
    Built b;
    auto* x = b.net->addInput("x", DataType::kFLOAT, dims({2, 3, 4}));
    auto* axes = b.net->addInput("axes", DataType::kINT64, dims({1}));
    auto* r = b.net->addReduce(*x, kiln::ReduceOperation::kSUM, 1u, /*keep=*/false);
    ASSERT_NE(r, nullptr);
    r->setInput(1, *axes);
    EXPECT_EQ(r->getOutput(0)->getDimensions().nbDims, 2);
    EXPECT_EQ(r->getOutput(0)->getDimensions().d[0], -1) << "unknown until the axes are known";
    b.net->markOutput(*r->getOutput(0));
    ASSERT_TRUE(b.build()) << b.logger.joined();

    std::vector<float> xv(24);
    std::iota(xv.begin(), xv.end(), 1.0f);
    const char* out = r->getOutput(0)->getName();
    Collector col;
    ASSERT_TRUE(b.ctx->setOutputAllocator(out, &col));
    EXPECT_EQ(b.ctx->getOutputAllocator(out), &col);
    ASSERT_TRUE(b.ctx->setTensorAddress("x", xv.data()));
    for (int64_t axis : {1, -1, 0}) {
        int64_t a = axis;
        ASSERT_TRUE(b.ctx->setTensorAddress("axes", &a));
        ASSERT_TRUE(b.ctx->enqueueV3(nullptr)) << b.logger.joined();
        // Independent reference: sum over the chosen axis of the [2,3,4] iota.
        const int64_t ax = axis < 0 ? axis + 3 : axis;
        const int64_t ext[3] = {2, 3, 4};
        std::vector<int64_t> keep;
        for (int64_t d = 0; d < 3; ++d)
            if (d != ax) keep.push_back(ext[d]);
        EXPECT_EQ(col.shape, keep) << "axis " << axis;
        std::vector<double> want(size_t(keep[0] * keep[1]), 0.0);
        for (int64_t i = 0; i < 2; ++i)
            for (int64_t j = 0; j < 3; ++j)
                for (int64_t k = 0; k < 4; ++k) {
                    const int64_t idx[3] = {i, j, k};
                    std::vector<int64_t> o;
                    for (int64_t d = 0; d < 3; ++d)
                        if (d != ax) o.push_back(idx[d]);
                    want[size_t(o[0] * keep[1] + o[1])] += double(xv[size_t((i * 3 + j) * 4 + k)]);
                }
        EXPECT_EQ(col.requested, want.size() * sizeof(float));
        const float* got = col.as<float>();
        for (size_t i = 0; i < want.size(); ++i)
            EXPECT_FLOAT_EQ(got[i], float(want[i])) << "axis " << axis << " at " << i;
    }
    EXPECT_EQ(col.lastName, out);
    EXPECT_EQ(col.calls, 3);
    EXPECT_NE(col.lastCurrent, nullptr) << "the second call passes the previous buffer";
}

TEST(DataDependentShapes, AnOutputOfDataDependentShapeNeedsAnAllocator) {
    Built b;
    auto* shape = b.net->addInput("shape", DataType::kINT64, dims({2}));
    auto* f = b.net->addFill(dims({}), kiln::FillOperation::kLINSPACE, DataType::kFLOAT);
    ASSERT_NE(f, nullptr);
    f->setInput(0, *shape);
    f->setAlpha(1.0);
    f->setBeta(0.0);
    b.net->markOutput(*f->getOutput(0));
    ASSERT_TRUE(b.build()) << b.logger.joined();
    int64_t s[2] = {2, 3};
    float y[6];
    ASSERT_TRUE(b.ctx->setTensorAddress("shape", s));
    ASSERT_TRUE(b.ctx->setTensorAddress(f->getOutput(0)->getName(), y));
    EXPECT_FALSE(b.ctx->enqueueV3(nullptr));
    ASSERT_FALSE(b.logger.errors.empty());
    EXPECT_NE(b.logger.errors.back().find("data-dependent shape"), std::string::npos) << b.logger.errors.back();
    EXPECT_NE(b.logger.errors.back().find(f->getOutput(0)->getName()), std::string::npos);
    EXPECT_FALSE(b.ctx->setOutputAllocator("shape", nullptr)) << "inputs take no allocator";
}

// A Fill shaped by a run-time tensor feeds a Shuffle reshaped by another: the
// intermediate tensor of data-dependent size lives outside the arena.
TEST(DataDependentShapes, IntermediateTensorsOfRunTimeSize) {
    Built b;
    auto* shape = b.net->addInput("shape", DataType::kINT32, dims({2}));
    auto* target = b.net->addInput("target", DataType::kINT64, dims({1}));
    auto* f = b.net->addFill(dims({}), kiln::FillOperation::kLINSPACE, DataType::kINT64);
    ASSERT_NE(f, nullptr);
    f->setInput(0, *shape);
    f->setAlpha(5.0);
    static const int64_t deltas[2] = {10, 1};
    auto* betaC = b.net->addConstant(dims({2}), {DataType::kINT64, deltas, 2});
    ASSERT_NE(betaC, nullptr);
    f->setInput(2, *betaC->getOutput(0));
    auto* flat = b.net->addShuffle(*f->getOutput(0));
    flat->setInput(1, *target);
    b.net->markOutput(*flat->getOutput(0));
    ASSERT_TRUE(b.build()) << b.logger.joined();

    Collector col;
    ASSERT_TRUE(b.ctx->setOutputAllocator(flat->getOutput(0)->getName(), &col));
    for (auto [rows, cols] : {std::pair<int32_t, int32_t>{2, 3}, {4, 2}, {1, 5}}) {
        int32_t s[2] = {rows, cols};
        int64_t t = -1;
        ASSERT_TRUE(b.ctx->setTensorAddress("shape", s));
        ASSERT_TRUE(b.ctx->setTensorAddress("target", &t));
        ASSERT_TRUE(b.ctx->enqueueV3(nullptr)) << b.logger.joined();
        ASSERT_EQ(col.shape, std::vector<int64_t>{rows * cols});
        const int64_t* got = col.as<int64_t>();
        for (int32_t i = 0; i < rows; ++i)
            for (int32_t j = 0; j < cols; ++j) EXPECT_EQ(got[i * cols + j], 5 + 10 * i + j);
    }
}

// Slice with a size tensor (how ONNX Split/Slice with run-time parameters import).
TEST(DataDependentShapes, SliceSizeFromATensor) {
    Built b;
    auto* x = b.net->addInput("x", DataType::kFLOAT, dims({6}));
    auto* size = b.net->addInput("size", DataType::kINT64, dims({1}));
    auto* start = b.net->addInput("start", DataType::kINT64, dims({1}));
    auto* s = b.net->addSlice(*x, dims({0}), dims({1}), dims({1}));
    ASSERT_NE(s, nullptr);
    s->setInput(1, *start);
    s->setInput(2, *size);
    b.net->markOutput(*s->getOutput(0));
    ASSERT_TRUE(b.build()) << b.logger.joined();
    float xv[6] = {0, 1, 2, 3, 4, 5};
    Collector col;
    ASSERT_TRUE(b.ctx->setOutputAllocator(s->getOutput(0)->getName(), &col));
    ASSERT_TRUE(b.ctx->setTensorAddress("x", xv));
    int64_t st = 2, sz = 3;
    ASSERT_TRUE(b.ctx->setTensorAddress("start", &st));
    ASSERT_TRUE(b.ctx->setTensorAddress("size", &sz));
    ASSERT_TRUE(b.ctx->enqueueV3(nullptr)) << b.logger.joined();
    ASSERT_EQ(col.shape, std::vector<int64_t>{3});
    const float* got = col.as<float>();
    EXPECT_EQ(got[0], 2.f);
    EXPECT_EQ(got[2], 4.f);
    // Out of bounds in strict mode is an error naming the layer, not a crash.
    sz = 5;
    EXPECT_FALSE(b.ctx->enqueueV3(nullptr));
    ASSERT_FALSE(b.logger.errors.empty());
    EXPECT_NE(b.logger.errors.back().find(s->getName()), std::string::npos) << b.logger.errors.back();
}

// NonZero, NMS and Unique through the public API, their outputs delivered by allocators.
TEST(DataDependentShapes, NonZeroNmsAndUniqueLayers) {
    Built b;
    auto* x = b.net->addInput("x", DataType::kFLOAT, dims({2, 2}));
    auto* nz = b.net->addNonZero(*x);
    ASSERT_NE(nz, nullptr);
    EXPECT_EQ(nz->getType(), kiln::LayerType::kNON_ZERO);
    b.net->markOutput(*nz->getOutput(0));
    auto* uq = b.net->addUnique(*x);
    ASSERT_NE(uq, nullptr);
    EXPECT_EQ(uq->getAxis(), std::numeric_limits<int32_t>::min());
    uq->setSorted(true);
    b.net->markOutput(*uq->getOutput(0));
    auto* boxes = b.net->addInput("boxes", DataType::kFLOAT, dims({1, 2, 4}));
    auto* scores = b.net->addInput("scores", DataType::kFLOAT, dims({1, 1, 2}));
    static const int32_t maxOut = 5;
    auto* limit = b.net->addConstant(dims({}), {DataType::kINT32, &maxOut, 1});
    auto* nms = b.net->addNMS(*boxes, *scores, *limit->getOutput(0));
    ASSERT_NE(nms, nullptr);
    nms->setBoundingBoxFormat(kiln::BoundingBoxFormat::kCORNER_PAIRS);
    nms->setTopKBoxLimit(1);  // only the best box of the class is considered
    EXPECT_EQ(nms->getTopKBoxLimit(), 1);
    b.net->markOutput(*nms->getOutput(0));
    b.net->markOutput(*nms->getOutput(1));
    ASSERT_TRUE(b.build()) << b.logger.joined();

    float xv[4] = {0, 3, 3, 0};
    float bv[8] = {0, 0, 1, 1, 5, 5, 6, 6};
    float sv[2] = {0.2f, 0.7f};
    int32_t count = -1;
    ASSERT_TRUE(b.ctx->setTensorAddress("x", xv));
    ASSERT_TRUE(b.ctx->setTensorAddress("boxes", bv));
    ASSERT_TRUE(b.ctx->setTensorAddress("scores", sv));
    ASSERT_TRUE(b.ctx->setTensorAddress(nms->getOutput(1)->getName(), &count));
    Collector nzOut, uqOut, nmsOut;
    ASSERT_TRUE(b.ctx->setOutputAllocator(nz->getOutput(0)->getName(), &nzOut));
    ASSERT_TRUE(b.ctx->setOutputAllocator(uq->getOutput(0)->getName(), &uqOut));
    ASSERT_TRUE(b.ctx->setOutputAllocator(nms->getOutput(0)->getName(), &nmsOut));
    ASSERT_TRUE(b.ctx->enqueueV3(nullptr)) << b.logger.joined();
    EXPECT_EQ(nzOut.shape, (std::vector<int64_t>{2, 2}));
    const int64_t* coords = nzOut.as<int64_t>();
    EXPECT_EQ((std::vector<int64_t>(coords, coords + 4)), (std::vector<int64_t>{0, 1, 1, 0}));
    EXPECT_EQ(uqOut.shape, (std::vector<int64_t>{2}));
    const float* u = uqOut.as<float>();
    EXPECT_EQ(u[0], 0.f);
    EXPECT_EQ(u[1], 3.f);
    EXPECT_EQ(count, 1);
    EXPECT_EQ(nmsOut.shape, (std::vector<int64_t>{1, 3}));
    const int32_t* sel = nmsOut.as<int32_t>();
    EXPECT_EQ(sel[2], 1) << "the higher-scoring box";
}

}  // namespace
