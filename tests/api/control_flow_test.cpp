// Loops (ILoop) and conditionals (IIfConditional) through the public API,
// checked against values computed in the test; a serialized engine with both;
// and the errors for malformed regions.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "dynamic_test_util.h"
#include "kiln/kiln.h"

namespace {

using kiln::DataType;
using kiln::Dims;

using dyntest::dims;
using dyntest::Logger;
using Sink = dyntest::Collector;

struct Net {
    Logger logger;
    std::unique_ptr<kiln::IBuilder> builder = kiln::createInferBuilder(logger);
    std::unique_ptr<kiln::INetworkDefinition> net = builder->createNetworkV2(0);
    std::unique_ptr<kiln::ICudaEngine> engine;
    std::unique_ptr<kiln::IExecutionContext> ctx;

    kiln::ITensor* scalarI32(int32_t v) {
        static std::vector<std::unique_ptr<int32_t>> keep;
        keep.push_back(std::make_unique<int32_t>(v));
        return net->addConstant(dims({}), {DataType::kINT32, keep.back().get(), 1})->getOutput(0);
    }
    kiln::ITensor* scalarF(float v) {
        static std::vector<std::unique_ptr<float>> keep;
        keep.push_back(std::make_unique<float>(v));
        return net->addConstant(dims({}), {DataType::kFLOAT, keep.back().get(), 1})->getOutput(0);
    }
    bool build() {
        auto config = builder->createBuilderConfig();
        config->setBackend(kiln::BackendKind::kCPU);
        engine = builder->buildEngineWithConfig(*net, *config);
        if (engine) ctx = engine->createExecutionContext();
        return ctx != nullptr;
    }
};

// Sum of the rows of x: a recurrence fed by an iterator, with the running
// states and the rows themselves stacked as loop outputs.
TEST(ControlFlow, LoopSumsRowsAndStacksValues) {
    Net n;
    auto* x = n.net->addInput("x", DataType::kFLOAT, dims({4, 3}));
    auto* zeros = n.net->addInput("zero", DataType::kFLOAT, dims({3}));
    kiln::ILoop* loop = n.net->addLoop();
    ASSERT_NE(loop, nullptr);
    auto* row = loop->addIterator(*x, 0, false);
    auto* rec = loop->addRecurrence(*zeros);
    auto* sum = n.net->addElementWise(*rec->getOutput(0), *row->getOutput(0), kiln::ElementWiseOperation::kSUM);
    rec->setInput(1, *sum->getOutput(0));
    EXPECT_EQ(rec->getLoop(), loop);
    auto* total = loop->addLoopOutput(*rec->getOutput(0), kiln::LoopOutput::kLAST_VALUE);
    auto* states = loop->addLoopOutput(*rec->getOutput(0), kiln::LoopOutput::kCONCATENATE, 0);
    auto* rowsBack = loop->addLoopOutput(*row->getOutput(0), kiln::LoopOutput::kREVERSE, 1);
    n.net->markOutput(*total->getOutput(0));
    n.net->markOutput(*states->getOutput(0));
    n.net->markOutput(*rowsBack->getOutput(0));
    ASSERT_TRUE(n.build()) << n.logger.joined();

    std::vector<float> xv(12);
    std::iota(xv.begin(), xv.end(), 1.f);  // rows [1,2,3] [4,5,6] [7,8,9] [10,11,12]
    std::vector<float> z(3, 0.f), t(3);
    Sink s1, s2;
    n.ctx->setTensorAddress("x", xv.data());
    n.ctx->setTensorAddress("zero", z.data());
    n.ctx->setTensorAddress(total->getOutput(0)->getName(), t.data());
    ASSERT_TRUE(n.ctx->setOutputAllocator(states->getOutput(0)->getName(), &s1));
    ASSERT_TRUE(n.ctx->setOutputAllocator(rowsBack->getOutput(0)->getName(), &s2));
    ASSERT_TRUE(n.ctx->enqueueV3(nullptr)) << n.logger.joined();
    EXPECT_EQ(t, (std::vector<float>{22, 26, 30}));
    ASSERT_EQ(s1.shape, (std::vector<int64_t>{4, 3}));
    // The state at the start of each iteration: 0, row0, row0+row1, ...
    const std::vector<float> states0 = {0, 0, 0, 1, 2, 3, 5, 7, 9, 12, 15, 18};
    EXPECT_EQ(std::vector<float>(s1.as<float>(), s1.as<float>() + 12), states0);
    // Rows stacked on axis 1, last iteration first: out[c][i] = row(3 - i)[c].
    ASSERT_EQ(s2.shape, (std::vector<int64_t>{3, 4}));
    for (int c = 0; c < 3; ++c)
        for (int i = 0; i < 4; ++i) EXPECT_EQ(s2.as<float>()[c * 4 + i], xv[size_t((3 - i) * 3 + c)]) << c << "," << i;
}

// while (i < limit) i += step: a while trip limit computed in the body.
TEST(ControlFlow, WhileLoopStopsOnItsCondition) {
    Net n;
    auto* limit = n.net->addInput("limit", DataType::kINT32, dims({}));
    kiln::ILoop* loop = n.net->addLoop();
    auto* i = loop->addRecurrence(*n.scalarI32(0));
    auto* less = n.net->addElementWise(*i->getOutput(0), *limit, kiln::ElementWiseOperation::kLESS);
    loop->addTripLimit(*less->getOutput(0), kiln::TripLimit::kWHILE);
    loop->addTripLimit(*n.scalarI32(100), kiln::TripLimit::kCOUNT);  // a safety bound
    auto* next = n.net->addElementWise(*i->getOutput(0), *n.scalarI32(3), kiln::ElementWiseOperation::kSUM);
    i->setInput(1, *next->getOutput(0));
    auto* out = loop->addLoopOutput(*i->getOutput(0), kiln::LoopOutput::kLAST_VALUE);
    n.net->markOutput(*out->getOutput(0));
    ASSERT_TRUE(n.build()) << n.logger.joined();
    for (int32_t lim : {0, 1, 9, 10}) {
        int32_t result = -1;
        n.ctx->setTensorAddress("limit", &lim);
        n.ctx->setTensorAddress(out->getOutput(0)->getName(), &result);
        ASSERT_TRUE(n.ctx->enqueueV3(nullptr)) << n.logger.joined();
        int32_t want = 0;
        while (want < lim) want += 3;
        EXPECT_EQ(result, want) << "limit " << lim;
    }
}

// if (c) x * 2 else reshape(x + 10): branches of different shapes; only one runs.
TEST(ControlFlow, ConditionalRunsOneBranch) {
    Net n;
    auto* x = n.net->addInput("x", DataType::kFLOAT, dims({2, 3}));
    auto* c = n.net->addInput("c", DataType::kBOOL, dims({}));
    kiln::IIfConditional* cond = n.net->addIfConditional();
    ASSERT_NE(cond, nullptr);
    EXPECT_EQ(cond->addOutput(*x, *x), nullptr) << "an output before the condition is refused";
    n.logger.errors.clear();
    ASSERT_NE(cond->setCondition(*c), nullptr);
    auto* in = cond->addInput(*x);
    auto* twice = n.net->addElementWise(*in->getOutput(0), *in->getOutput(0), kiln::ElementWiseOperation::kSUM);
    auto* plus = n.net->addElementWise(*in->getOutput(0), *n.scalarF(10.f), kiln::ElementWiseOperation::kSUM);
    auto* flat = n.net->addShuffle(*plus->getOutput(0));
    flat->setReshapeDimensions(dims({3, 2}));
    auto* out = cond->addOutput(*twice->getOutput(0), *flat->getOutput(0));
    ASSERT_NE(out, nullptr);
    EXPECT_EQ(out->getConditional(), cond);
    n.net->markOutput(*out->getOutput(0));
    ASSERT_TRUE(n.build()) << n.logger.joined();
    std::vector<float> xv = {1, 2, 3, 4, 5, 6};
    Sink sink;
    n.ctx->setTensorAddress("x", xv.data());
    ASSERT_TRUE(n.ctx->setOutputAllocator(out->getOutput(0)->getName(), &sink));
    for (bool cv : {true, false}) {
        uint8_t cb = cv;
        n.ctx->setTensorAddress("c", &cb);
        ASSERT_TRUE(n.ctx->enqueueV3(nullptr)) << n.logger.joined();
        EXPECT_EQ(sink.shape, cv ? (std::vector<int64_t>{2, 3}) : (std::vector<int64_t>{3, 2}));
        for (int k = 0; k < 6; ++k) EXPECT_EQ(sink.as<float>()[k], cv ? 2 * xv[size_t(k)] : xv[size_t(k)] + 10) << k;
    }
}

// A conditional inside a loop, and the engine through serialize/deserialize:
// acc = sum over rows r of (r[0] > 2 ? r : -r).
TEST(ControlFlow, ConditionalInsideALoopSurvivesSerialization) {
    Net n;
    auto* x = n.net->addInput("x", DataType::kFLOAT, dims({3, 2}));
    auto* zero = n.net->addInput("zero", DataType::kFLOAT, dims({2}));
    kiln::ILoop* loop = n.net->addLoop();
    auto* row = loop->addIterator(*x);
    auto* acc = loop->addRecurrence(*zero);
    auto* first = n.net->addSlice(*row->getOutput(0), dims({0}), dims({1}), dims({1}));
    auto* firstScalar = n.net->addShuffle(*first->getOutput(0));
    firstScalar->setReshapeDimensions(dims({}));
    auto* big =
        n.net->addElementWise(*firstScalar->getOutput(0), *n.scalarF(2.f), kiln::ElementWiseOperation::kGREATER);
    kiln::IIfConditional* cond = n.net->addIfConditional();
    cond->setCondition(*big->getOutput(0));
    auto* r = cond->addInput(*row->getOutput(0));
    auto* neg = n.net->addUnary(*r->getOutput(0), kiln::UnaryOperation::kNEG);
    auto* picked = cond->addOutput(*r->getOutput(0), *neg->getOutput(0));
    auto* sum = n.net->addElementWise(*acc->getOutput(0), *picked->getOutput(0), kiln::ElementWiseOperation::kSUM);
    acc->setInput(1, *sum->getOutput(0));
    auto* out = loop->addLoopOutput(*acc->getOutput(0), kiln::LoopOutput::kLAST_VALUE);
    out->getOutput(0)->setName("acc");
    n.net->markOutput(*out->getOutput(0));
    ASSERT_TRUE(n.build()) << n.logger.joined();
    auto plan = n.engine->serialize();
    ASSERT_NE(plan, nullptr);
    auto runtime = kiln::createInferRuntime(n.logger);
    auto loaded = runtime->deserializeEngine(plan->data(), plan->size());
    ASSERT_NE(loaded, nullptr) << n.logger.joined();
    auto ctx = loaded->createExecutionContext();
    const std::vector<float> xv = {1, 5, 3, 7, 4, -2};  // rows (1,5) -> -(1,5); (3,7) and (4,-2) kept
    std::vector<float> z(2, 0.f), y(2);
    ctx->setTensorAddress("x", const_cast<float*>(xv.data()));
    ctx->setTensorAddress("zero", z.data());
    ctx->setTensorAddress("acc", y.data());
    ASSERT_TRUE(ctx->enqueueV3(nullptr)) << n.logger.joined();
    EXPECT_EQ(y, (std::vector<float>{6, 0}));
}

TEST(ControlFlow, MalformedRegionsAreBuildErrors) {
    {
        Net n;  // a body value used outside the loop
        auto* x = n.net->addInput("x", DataType::kFLOAT, dims({4}));
        kiln::ILoop* loop = n.net->addLoop();
        auto* it = loop->addIterator(*x);
        loop->addTripLimit(*n.scalarI32(4), kiln::TripLimit::kCOUNT);
        auto* sq = n.net->addElementWise(*it->getOutput(0), *it->getOutput(0), kiln::ElementWiseOperation::kPROD);
        n.net->markOutput(*sq->getOutput(0));
        EXPECT_FALSE(n.build());
        ASSERT_FALSE(n.logger.errors.empty());
        EXPECT_NE(n.logger.joined().find("inside loop"), std::string::npos) << n.logger.joined();
    }
    {
        Net n;  // a recurrence without a next value
        auto* x = n.net->addInput("x", DataType::kFLOAT, dims({2}));
        kiln::ILoop* loop = n.net->addLoop();
        auto* rec = loop->addRecurrence(*x);
        loop->addTripLimit(*n.scalarI32(2), kiln::TripLimit::kCOUNT);
        n.net->markOutput(*loop->addLoopOutput(*rec->getOutput(0), kiln::LoopOutput::kLAST_VALUE)->getOutput(0));
        EXPECT_FALSE(n.build());
        EXPECT_NE(n.logger.joined().find("next value"), std::string::npos) << n.logger.joined();
    }
    {
        Net n;  // one layer used by both branches
        auto* x = n.net->addInput("x", DataType::kFLOAT, dims({2}));
        auto* c = n.net->addInput("c", DataType::kBOOL, dims({}));
        kiln::IIfConditional* cond = n.net->addIfConditional();
        cond->setCondition(*c);
        auto* in = cond->addInput(*x);
        auto* shared = n.net->addUnary(*in->getOutput(0), kiln::UnaryOperation::kABS);
        auto* a = n.net->addUnary(*shared->getOutput(0), kiln::UnaryOperation::kNEG);
        auto* out = cond->addOutput(*a->getOutput(0), *shared->getOutput(0));
        n.net->markOutput(*out->getOutput(0));
        EXPECT_FALSE(n.build());
        EXPECT_NE(n.logger.joined().find("both branches"), std::string::npos) << n.logger.joined();
    }
    {
        Net n;  // loops need explicit batch
        auto net = n.builder->createNetwork();
        EXPECT_EQ(net->addLoop(), nullptr);
        EXPECT_EQ(net->addIfConditional(), nullptr);
    }
}

}  // namespace
