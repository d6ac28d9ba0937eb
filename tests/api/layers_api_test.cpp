// Layer tests, the common ILayer / INetworkDefinition surface: precision and
// output-type setters, getNbLayers/getLayer/getNbInputs/getOutput, default
// layer and tensor names, and getters returning what setters set.
#include <cmath>
#include <set>

#include "layer_test_util.h"

namespace {

using namespace layertest;
using kiln::DataType;
using kiln::LayerType;

class LayerCommon : public LayerModeTest {};

TEST_P(LayerCommon, PrecisionSettersRoundTrip) {
    auto* x = h.input("x", {4});
    ASSERT_NE(x, nullptr);
    auto* act = h.net().addActivation(*x, kiln::ActivationType::kRELU);
    ASSERT_NE(act, nullptr);
    EXPECT_FALSE(act->precisionIsSet());
    act->setPrecision(DataType::kHALF);
    EXPECT_TRUE(act->precisionIsSet());
    EXPECT_EQ(act->getPrecision(), DataType::kHALF);
    act->setPrecision(DataType::kINT8);
    EXPECT_EQ(act->getPrecision(), DataType::kINT8);
    act->resetPrecision();
    EXPECT_FALSE(act->precisionIsSet());
}

TEST_P(LayerCommon, OutputTypeHalfGivesAHalfOutputTensor) {
    const std::vector<double> xv = {0.1, -1.0 / 3.0, 1000.7, 2.0, -65504.0, 1e-3, 3.14159, 7.0};
    auto* x = h.input("x", {4});
    ASSERT_NE(x, nullptr);
    auto* id = h.net().addIdentity(*x);
    ASSERT_NE(id, nullptr);
    EXPECT_FALSE(id->outputTypeIsSet(0));
    EXPECT_EQ(id->getOutputType(0), DataType::kFLOAT);
    id->setOutputType(0, DataType::kHALF);
    EXPECT_TRUE(id->outputTypeIsSet(0));
    EXPECT_EQ(id->getOutputType(0), DataType::kHALF);
    EXPECT_EQ(id->getOutput(0)->getType(), DataType::kHALF);
    // An index past the outputs is refused and logged.
    const size_t before = h.logger().errors.size();
    id->setOutputType(1, DataType::kHALF);
    EXPECT_GT(h.logger().errors.size(), before);
    EXPECT_FALSE(id->outputTypeIsSet(1));
    // A second layer: set then reset stays float.
    auto* id2 = h.net().addIdentity(*x);
    ASSERT_NE(id2, nullptr);
    id2->setOutputType(0, DataType::kHALF);
    id2->resetOutputType(0);
    EXPECT_FALSE(id2->outputTypeIsSet(0));
    EXPECT_EQ(id2->getOutput(0)->getType(), DataType::kFLOAT);
    h.output(id->getOutput(0), "half");
    h.output(id2->getOutput(0), "float");
    auto r = h.run({{"x", floatTensor(full({4}), xv)}});
    ASSERT_RAN(r);
    EXPECT_EQ(r.out("half").type, DataType::kHALF);
    EXPECT_EQ(r.out("float").type, DataType::kFLOAT);
    std::vector<double> wantHalf;
    for (double v : xv) wantHalf.push_back(roundToHalf(double(float(v))));
    EXPECT_TRUE(allClose(r.out("half"), full({4}), wantHalf, 0, 0));
    std::vector<double> wantFloat;
    for (double v : xv) wantFloat.push_back(double(float(v)));
    EXPECT_TRUE(allClose(r.out("float"), full({4}), wantFloat, 0, 0));
}

TEST_P(LayerCommon, SetTypeOnALayerOutputIsItsOutputType) {
    auto* x = h.input("x", {3});
    ASSERT_NE(x, nullptr);
    auto* act = h.net().addActivation(*x, kiln::ActivationType::kSIGMOID);
    ASSERT_NE(act, nullptr);
    act->getOutput(0)->setType(DataType::kHALF);
    EXPECT_TRUE(act->outputTypeIsSet(0));
    EXPECT_EQ(act->getOutputType(0), DataType::kHALF);
    h.output(act->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor(full({3}), std::vector<double>{0, 1, -1, 2, -2, 0.5})}});
    ASSERT_RAN(r);
    ASSERT_EQ(r.out("y").type, DataType::kHALF);
    std::vector<double> want;
    for (double v : {0.0, 1.0, -1.0, 2.0, -2.0, 0.5}) want.push_back(1 / (1 + std::exp(-v)));
    EXPECT_TRUE(allClose(r.out("y"), full({3}), want, 1e-3, 1e-3));
}

TEST_P(LayerCommon, NetworkListsLayersInputsAndOutputs) {
    EXPECT_EQ(h.net().hasImplicitBatchDimension(), h.implicit());
    EXPECT_EQ(h.net().getNbLayers(), 0);
    auto* a = h.input("a", {2, 3});
    auto* b = h.input("b", {2, 3});
    ASSERT_TRUE(a && b);
    EXPECT_EQ(h.net().getNbInputs(), 2);
    EXPECT_EQ(h.net().getInput(0), a);
    EXPECT_EQ(h.net().getInput(1), b);
    EXPECT_EQ(h.net().getInput(2), nullptr);
    EXPECT_TRUE(a->isNetworkInput());
    EXPECT_STREQ(a->getName(), "a");
    EXPECT_TRUE(dimsAre(a->getDimensions(), h.implicit() ? std::vector<int64_t>{2, 3} : std::vector<int64_t>{kBatch, 2, 3}));
    auto* sum = h.net().addElementWise(*a, *b, kiln::ElementWiseOperation::kSUM);
    auto* c = h.constant({1}, {1.0});
    ASSERT_TRUE(sum && c);
    auto* un = h.net().addUnary(*sum->getOutput(0), kiln::UnaryOperation::kABS);
    ASSERT_NE(un, nullptr);
    EXPECT_EQ(h.net().getNbLayers(), 3);
    EXPECT_EQ(h.net().getLayer(0), static_cast<kiln::ILayer*>(sum));
    EXPECT_EQ(h.net().getLayer(1), static_cast<kiln::ILayer*>(c));
    EXPECT_EQ(h.net().getLayer(2), static_cast<kiln::ILayer*>(un));
    const size_t before = h.logger().errors.size();
    EXPECT_EQ(h.net().getLayer(3), nullptr);
    EXPECT_EQ(h.net().getLayer(-1), nullptr);
    EXPECT_EQ(h.logger().errors.size(), before + 2);
    EXPECT_EQ(sum->getNbInputs(), 2);
    EXPECT_EQ(sum->getInput(0), a);
    EXPECT_EQ(sum->getInput(1), b);
    EXPECT_EQ(sum->getNbOutputs(), 1);
    EXPECT_EQ(sum->getOutput(1), nullptr);
    EXPECT_EQ(un->getInput(0), sum->getOutput(0));
    EXPECT_FALSE(sum->getOutput(0)->isNetworkInput());
    EXPECT_EQ(h.net().getNbOutputs(), 0);
    h.output(un->getOutput(0), "y");
    h.output(sum->getOutput(0), "s");
    EXPECT_EQ(h.net().getNbOutputs(), 2);
    EXPECT_EQ(h.net().getOutput(0), un->getOutput(0));
    EXPECT_EQ(h.net().getOutput(1), sum->getOutput(0));
    EXPECT_TRUE(un->getOutput(0)->isNetworkOutput());
    h.net().unmarkOutput(*sum->getOutput(0));
    EXPECT_EQ(h.net().getNbOutputs(), 1);
    EXPECT_FALSE(sum->getOutput(0)->isNetworkOutput());
    // setInput replaces an input and the result follows.
    un->setInput(0, *a);
    EXPECT_EQ(un->getInput(0), a);
    const std::vector<double> av = {-1, 2, -3, 4, -5, 6, 7, -8, 9, -10, 11, -12};
    auto r = h.run({{"a", floatTensor(full({2, 3}), av)}, {"b", floatTensor(full({2, 3}), detValues(12, 401))}});
    ASSERT_RAN(r);
    EXPECT_EQ(r.outputs.size(), 1u);
    std::vector<double> want;
    for (double v : av) want.push_back(std::fabs(v));
    EXPECT_TRUE(allClose(r.out("y"), full({2, 3}), want, 0, 0));
}
LAYER_INSTANTIATE_MODES(LayerCommon);

// One of every layer; used by the name and type tests below.
struct AllLayers {
    std::vector<kiln::ILayer*> layers;
    std::vector<LayerType> types;
};

AllLayers addOneOfEach(NetHarness& h) {
    AllLayers all;
    auto add = [&](kiln::ILayer* l, LayerType t) {
        EXPECT_NE(l, nullptr) << int(t) << ": " << h.logger().joined();
        if (!l) return;
        all.layers.push_back(l);
        all.types.push_back(t);
    };
    auto* x = h.net().addInput("x", DataType::kFLOAT, kiln::Dims4{2, 4, 4, 4});
    auto* i = h.net().addInput("i", DataType::kINT32, kiln::Dims{1, {2}});
    auto* c = h.net().addInput("c", DataType::kBOOL, kiln::Dims4{2, 4, 4, 4});
    if (!x || !i || !c) return all;
    const std::vector<double> w16(16, 0.5), w4(4, 0.25);
    add(h.net().addConvolution(*x, 4, kiln::DimsHW{1, 1}, h.weights(w16), h.weights(w4)), LayerType::kCONVOLUTION);
    add(h.net().addDeconvolution(*x, 4, kiln::DimsHW{1, 1}, h.weights(w16), {}), LayerType::kDECONVOLUTION);
    add(h.net().addFullyConnected(*x, 1, h.weights(std::vector<double>(64, 1.0)), {}), LayerType::kFULLY_CONNECTED);
    add(h.net().addActivation(*x, kiln::ActivationType::kTANH), LayerType::kACTIVATION);
    add(h.net().addPooling(*x, kiln::PoolingType::kMAX, kiln::DimsHW{2, 2}), LayerType::kPOOLING);
    add(h.net().addLRN(*x, 3, 1e-4f, 0.75f, 1.f), LayerType::kLRN);
    add(h.net().addScale(*x, kiln::ScaleMode::kUNIFORM, h.weights({1.0}), {}, {}), LayerType::kSCALE);
    add(h.net().addSoftMax(*x), LayerType::kSOFTMAX);
    kiln::ITensor* two[] = {x, x};
    add(h.net().addConcatenation(two, 2), LayerType::kCONCATENATION);
    add(h.net().addElementWise(*x, *x, kiln::ElementWiseOperation::kSUM), LayerType::kELEMENTWISE);
    add(h.net().addUnary(*x, kiln::UnaryOperation::kABS), LayerType::kUNARY);
    add(h.net().addPaddingNd(*x, kiln::Dims2{1, 1}, kiln::Dims2{0, 0}), LayerType::kPADDING);
    add(h.net().addShuffle(*x), LayerType::kSHUFFLE);
    add(h.net().addReduce(*x, kiln::ReduceOperation::kSUM, 1u << 1, true), LayerType::kREDUCE);
    add(h.net().addTopK(*x, kiln::TopKOperation::kMAX, 1, 1u << 3), LayerType::kTOPK);
    add(h.net().addGather(*x, *i, 1), LayerType::kGATHER);
    add(h.net().addMatrixMultiply(*x, kiln::MatrixOperation::kNONE, *x, kiln::MatrixOperation::kNONE),
        LayerType::kMATRIX_MULTIPLY);
    auto* k = h.constant({1, 4, 1, 1}, w4);
    add(k, LayerType::kCONSTANT);
    add(h.net().addIdentity(*x), LayerType::kIDENTITY);
    add(h.net().addCast(*x, DataType::kINT32), LayerType::kCAST);
    add(h.net().addSlice(*x, kiln::Dims4{0, 0, 0, 0}, kiln::Dims4{1, 1, 1, 1}, kiln::Dims4{1, 1, 1, 1}), LayerType::kSLICE);
    add(h.net().addShape(*x), LayerType::kSHAPE);
    if (k) add(h.net().addParametricReLU(*x, *k->getOutput(0)), LayerType::kPARAMETRIC_RELU);
    add(h.net().addResize(*x), LayerType::kRESIZE);
    add(h.net().addSelect(*c, *x, *x), LayerType::kSELECT);
    if (k) add(h.net().addNormalization(*x, *k->getOutput(0), *k->getOutput(0), 1u << 3), LayerType::kNORMALIZATION);
    return all;
}

TEST(LayerNetwork, EveryLayerReportsItsTypeAndIsListed) {
    NetHarness h(Mode::kExplicit);
    const AllLayers all = addOneOfEach(h);
    ASSERT_EQ(all.layers.size(), 26u);
    ASSERT_EQ(h.net().getNbLayers(), 26);
    for (size_t k = 0; k < all.layers.size(); ++k) {
        EXPECT_EQ(all.layers[k]->getType(), all.types[k]) << k;
        EXPECT_EQ(h.net().getLayer(int32_t(k)), all.layers[k]) << k;
        EXPECT_NE(all.layers[k]->getOutput(0), nullptr) << k;
    }
}

TEST(LayerNetwork, GetInputStopsAtGetNbInputs) {
    // Weights given as Weights are not layer inputs: getInput past getNbInputs() is null.
    NetHarness h(Mode::kExplicit);
    const AllLayers all = addOneOfEach(h);
    ASSERT_FALSE(all.layers.empty());
    for (size_t k = 0; k < all.layers.size(); ++k) {
        auto* l = all.layers[k];
        for (int i = 0; i < l->getNbInputs(); ++i) EXPECT_NE(l->getInput(i), nullptr) << l->getName() << " input " << i;
        EXPECT_EQ(l->getInput(l->getNbInputs()), nullptr) << l->getName();
        EXPECT_EQ(l->getInput(-1), nullptr) << l->getName();
    }
    // Counts of a few layers, as in TensorRT.
    EXPECT_EQ(all.layers[0]->getNbInputs(), 1);   // convolution (kernel and bias are weights)
    EXPECT_EQ(all.layers[2]->getNbInputs(), 1);   // fully connected
    EXPECT_EQ(all.layers[6]->getNbInputs(), 1);   // scale
    EXPECT_EQ(all.layers[8]->getNbInputs(), 2);   // concatenation of two
    EXPECT_EQ(all.layers[17]->getNbInputs(), 0);  // constant
}

TEST(LayerNetwork, DefaultLayerAndTensorNamesAreUnique) {
    NetHarness h(Mode::kExplicit);
    const AllLayers all = addOneOfEach(h);
    std::set<std::string> layerNames, tensorNames = {"x", "i", "c"};
    for (auto* l : all.layers) {
        ASSERT_NE(l->getName(), nullptr);
        EXPECT_STRNE(l->getName(), "");
        EXPECT_TRUE(layerNames.insert(l->getName()).second) << "duplicate layer name " << l->getName();
        for (int o = 0; o < l->getNbOutputs(); ++o) {
            auto* t = l->getOutput(o);
            ASSERT_NE(t, nullptr);
            EXPECT_STRNE(t->getName(), "");
            EXPECT_TRUE(tensorNames.insert(t->getName()).second) << "duplicate tensor name " << t->getName();
        }
    }
    // Renaming sticks.
    all.layers[0]->setName("my_conv");
    EXPECT_STREQ(all.layers[0]->getName(), "my_conv");
    all.layers[0]->getOutput(0)->setName("conv_out");
    EXPECT_STREQ(all.layers[0]->getOutput(0)->getName(), "conv_out");
}

TEST(LayerNetwork, ImplicitBatchNamesAreUniqueToo) {
    // Two of each kind of a few layers in an implicit-batch network.
    NetHarness h(Mode::kImplicit);
    auto* x = h.input("x", {3, 4, 4});
    ASSERT_NE(x, nullptr);
    std::set<std::string> layerNames, tensorNames;
    for (int rep = 0; rep < 2; ++rep) {
        kiln::ILayer* ls[] = {h.net().addActivation(*x, kiln::ActivationType::kRELU), h.net().addSoftMax(*x),
                              h.net().addShuffle(*x), h.constant({1}, {1.0}),
                              h.net().addPooling(*x, kiln::PoolingType::kAVERAGE, kiln::DimsHW{2, 2})};
        for (auto* l : ls) {
            ASSERT_NE(l, nullptr) << h.logger().joined();
            EXPECT_TRUE(layerNames.insert(l->getName()).second) << l->getName();
            EXPECT_TRUE(tensorNames.insert(l->getOutput(0)->getName()).second) << l->getOutput(0)->getName();
        }
    }
}

TEST(LayerNetwork, SettersAndGettersRoundTrip) {
    NetHarness h(Mode::kExplicit);
    auto* x = h.net().addInput("x", DataType::kFLOAT, kiln::Dims4{2, 4, 8, 8});
    ASSERT_NE(x, nullptr);
    const std::vector<double> w(4 * 4 * 9, 0.1);

    auto* conv = h.net().addConvolutionNd(*x, 4, kiln::Dims2{3, 3}, h.weights(w), {});
    ASSERT_NE(conv, nullptr);
    conv->setKernelSizeNd(kiln::Dims2{3, 3});
    conv->setNbOutputMaps(4);
    conv->setStrideNd(kiln::Dims2{2, 3});
    conv->setPrePadding(kiln::Dims2{1, 0});
    conv->setPostPadding(kiln::Dims2{0, 2});
    conv->setDilationNd(kiln::Dims2{1, 2});
    conv->setNbGroups(2);
    conv->setPaddingMode(kiln::PaddingMode::kSAME_LOWER);
    EXPECT_TRUE(dimsAre(conv->getKernelSizeNd(), {3, 3}));
    EXPECT_EQ(conv->getNbOutputMaps(), 4);
    EXPECT_TRUE(dimsAre(conv->getStrideNd(), {2, 3}));
    EXPECT_TRUE(dimsAre(conv->getPrePadding(), {1, 0}));
    EXPECT_TRUE(dimsAre(conv->getPostPadding(), {0, 2}));
    EXPECT_TRUE(dimsAre(conv->getDilationNd(), {1, 2}));
    EXPECT_EQ(conv->getNbGroups(), 2);
    EXPECT_EQ(conv->getPaddingMode(), kiln::PaddingMode::kSAME_LOWER);
    conv->setPaddingMode(kiln::PaddingMode::kEXPLICIT_ROUND_DOWN);
    EXPECT_EQ(conv->getPaddingMode(), kiln::PaddingMode::kEXPLICIT_ROUND_DOWN);
    conv->setKernelWeights(h.weights(std::vector<double>(4 * 2 * 9, 0.2)));  // 2 groups: [4, 2, 3, 3]
    EXPECT_EQ(conv->getKernelWeights().count, 4 * 2 * 9);
    const std::vector<double> b = {1, 2, 3, 4};
    conv->setBiasWeights(h.weights(b));
    ASSERT_EQ(conv->getBiasWeights().count, 4);
    EXPECT_EQ(static_cast<const float*>(conv->getBiasWeights().values)[3], 4.0f);
    conv->setBiasWeights({});
    EXPECT_EQ(conv->getBiasWeights().count, 0);

    auto* pool = h.net().addPoolingNd(*x, kiln::PoolingType::kMAX, kiln::Dims2{2, 2});
    ASSERT_NE(pool, nullptr);
    pool->setPoolingType(kiln::PoolingType::kAVERAGE);
    pool->setWindowSizeNd(kiln::Dims2{3, 2});
    pool->setStrideNd(kiln::Dims2{1, 2});
    pool->setPaddingNd(kiln::Dims2{1, 0});
    pool->setAverageCountExcludesPadding(false);
    pool->setPaddingMode(kiln::PaddingMode::kSAME_UPPER);
    EXPECT_EQ(pool->getPoolingType(), kiln::PoolingType::kAVERAGE);
    EXPECT_TRUE(dimsAre(pool->getWindowSizeNd(), {3, 2}));
    EXPECT_TRUE(dimsAre(pool->getStrideNd(), {1, 2}));
    EXPECT_TRUE(dimsAre(pool->getPaddingNd(), {1, 0}));
    EXPECT_FALSE(pool->getAverageCountExcludesPadding());
    EXPECT_EQ(pool->getPaddingMode(), kiln::PaddingMode::kSAME_UPPER);

    auto* lrn = h.net().addLRN(*x, 3, 1, 1, 1);
    ASSERT_NE(lrn, nullptr);
    lrn->setWindowSize(5);
    lrn->setAlpha(0.25f);
    lrn->setBeta(0.5f);
    lrn->setK(3.f);
    EXPECT_EQ(lrn->getWindowSize(), 5);
    EXPECT_FLOAT_EQ(lrn->getAlpha(), 0.25f);
    EXPECT_FLOAT_EQ(lrn->getBeta(), 0.5f);
    EXPECT_FLOAT_EQ(lrn->getK(), 3.f);

    auto* fc = h.net().addFullyConnected(*x, 2, h.weights(std::vector<double>(2 * 256, 0.1)), {});
    ASSERT_NE(fc, nullptr);
    fc->setNbOutputChannels(3);
    fc->setKernelWeights(h.weights(std::vector<double>(3 * 256, 0.2)));
    fc->setBiasWeights(h.weights({1, 2, 3}));
    EXPECT_EQ(fc->getNbOutputChannels(), 3);
    EXPECT_EQ(fc->getKernelWeights().count, 3 * 256);
    EXPECT_EQ(fc->getBiasWeights().count, 3);
    EXPECT_TRUE(dimsAre(fc->getOutput(0)->getDimensions(), {2, 3, 1, 1})) << h.logger().joined();

    auto* sc = h.net().addScale(*x, kiln::ScaleMode::kUNIFORM, {}, {}, {});
    ASSERT_NE(sc, nullptr);
    sc->setMode(kiln::ScaleMode::kCHANNEL);
    sc->setShift(h.weights({1, 2, 3, 4}));
    sc->setScale(h.weights({1, 1, 1, 1}));
    sc->setPower(h.weights({1, 1, 1, 2}));
    sc->setChannelAxis(1);
    EXPECT_EQ(sc->getMode(), kiln::ScaleMode::kCHANNEL);
    EXPECT_EQ(sc->getShift().count, 4);
    EXPECT_EQ(sc->getScale().count, 4);
    EXPECT_EQ(static_cast<const float*>(sc->getPower().values)[3], 2.0f);
    EXPECT_EQ(sc->getChannelAxis(), 1);

    auto* pad = h.net().addPaddingNd(*x, kiln::Dims2{0, 0}, kiln::Dims2{0, 0});
    ASSERT_NE(pad, nullptr);
    pad->setPrePaddingNd(kiln::Dims2{1, 2});
    pad->setPostPaddingNd(kiln::Dims2{-1, 0});
    EXPECT_TRUE(dimsAre(pad->getPrePaddingNd(), {1, 2}));
    EXPECT_TRUE(dimsAre(pad->getPostPaddingNd(), {-1, 0}));
    EXPECT_TRUE(dimsAre(pad->getOutput(0)->getDimensions(), {2, 4, 8, 10}));

    auto* sl = h.net().addSlice(*x, kiln::Dims4{0, 0, 0, 0}, kiln::Dims4{1, 1, 1, 1}, kiln::Dims4{1, 1, 1, 1});
    ASSERT_NE(sl, nullptr);
    sl->setStart(kiln::Dims4{1, 0, 2, 7});
    sl->setSize(kiln::Dims4{1, 4, 3, 2});
    sl->setStride(kiln::Dims4{1, 1, 2, -3});
    sl->setMode(kiln::SampleMode::kREFLECT);
    EXPECT_TRUE(dimsAre(sl->getStart(), {1, 0, 2, 7}));
    EXPECT_TRUE(dimsAre(sl->getSize(), {1, 4, 3, 2}));
    EXPECT_TRUE(dimsAre(sl->getStride(), {1, 1, 2, -3}));
    EXPECT_EQ(sl->getMode(), kiln::SampleMode::kREFLECT);
    EXPECT_TRUE(dimsAre(sl->getOutput(0)->getDimensions(), {1, 4, 3, 2}));

    auto* rs = h.net().addResize(*x);
    ASSERT_NE(rs, nullptr);
    for (auto m : {kiln::ResizeRoundMode::kHALF_UP, kiln::ResizeRoundMode::kHALF_DOWN, kiln::ResizeRoundMode::kFLOOR,
                   kiln::ResizeRoundMode::kCEIL}) {
        rs->setNearestRounding(m);
        EXPECT_EQ(rs->getNearestRounding(), m);
    }
    for (auto t : {kiln::ResizeCoordinateTransformation::kALIGN_CORNERS, kiln::ResizeCoordinateTransformation::kASYMMETRIC,
                   kiln::ResizeCoordinateTransformation::kHALF_PIXEL}) {
        rs->setCoordinateTransformation(t);
        EXPECT_EQ(rs->getCoordinateTransformation(), t);
    }
    for (auto m : {kiln::InterpolationMode::kLINEAR, kiln::InterpolationMode::kCUBIC, kiln::InterpolationMode::kNEAREST}) {
        rs->setResizeMode(m);
        EXPECT_EQ(rs->getResizeMode(), m);
    }
    rs->setOutputDimensions(kiln::Dims4{2, 4, 16, 12});
    EXPECT_TRUE(dimsAre(rs->getOutputDimensions(), {2, 4, 16, 12}));
    EXPECT_TRUE(dimsAre(rs->getOutput(0)->getDimensions(), {2, 4, 16, 12}));

    auto* topk = h.net().addTopK(*x, kiln::TopKOperation::kMIN, 3, 1u << 3);
    ASSERT_NE(topk, nullptr);
    EXPECT_EQ(topk->getOperation(), kiln::TopKOperation::kMIN);
    EXPECT_EQ(topk->getK(), 3);
    EXPECT_EQ(topk->getReduceAxes(), 1u << 3);
    EXPECT_TRUE(dimsAre(topk->getOutput(0)->getDimensions(), {2, 4, 8, 3}));

    auto* cast = h.net().addCast(*x, DataType::kHALF);
    ASSERT_NE(cast, nullptr);
    EXPECT_EQ(cast->getToType(), DataType::kHALF);
    EXPECT_EQ(cast->getOutput(0)->getType(), DataType::kHALF);

    auto* g = h.net().addGatherV2(*x, *x, kiln::GatherMode::kDEFAULT);
    ASSERT_NE(g, nullptr);
    g->setMode(kiln::GatherMode::kND);
    g->setNbElementWiseDims(1);
    g->setGatherAxis(2);
    EXPECT_EQ(g->getMode(), kiln::GatherMode::kND);
    EXPECT_EQ(g->getNbElementWiseDims(), 1);
    EXPECT_EQ(g->getGatherAxis(), 2);
    g->setMode(kiln::GatherMode::kELEMENT);
    EXPECT_EQ(g->getMode(), kiln::GatherMode::kELEMENT);

    auto* nm = h.net().addNormalization(*x, *x, *x, 1u << 3);
    ASSERT_NE(nm, nullptr);
    nm->setAxes((1u << 2) | (1u << 3));
    nm->setNbGroups(2);
    nm->setEpsilon(0.5f);
    EXPECT_EQ(nm->getAxes(), (1u << 2) | (1u << 3));
    EXPECT_EQ(nm->getNbGroups(), 2);
    EXPECT_FLOAT_EQ(nm->getEpsilon(), 0.5f);
}

TEST(LayerNetwork, ImplicitBatchGettersExcludeTheBatch) {
    NetHarness h(Mode::kImplicit);
    auto* x = h.input("x", {4, 6, 6});
    ASSERT_NE(x, nullptr);
    auto* red = h.net().addReduce(*x, kiln::ReduceOperation::kMAX, 0b110, false);
    auto* sm = h.net().addSoftMax(*x);
    auto* cat = h.net().addConcatenation(&x, 1);
    auto* topk = h.net().addTopK(*x, kiln::TopKOperation::kMAX, 2, 1u << 2);
    auto* g = h.net().addGather(*x, *h.constant({1}, {0}, DataType::kINT32)->getOutput(0), 1);
    auto* sc = h.net().addScale(*x, kiln::ScaleMode::kCHANNEL, h.weights({1, 2, 3, 4}), {}, {});
    auto* nm = h.net().addNormalization(*x, *h.constant({4, 1, 1}, {1, 1, 1, 1})->getOutput(0),
                                        *h.constant({4, 1, 1}, {0, 0, 0, 0})->getOutput(0), 0b110);
    ASSERT_TRUE(red && sm && cat && topk && g && sc && nm) << h.logger().joined();
    sm->setAxes(1u << 2);
    cat->setAxis(2);
    EXPECT_EQ(red->getReduceAxes(), 0b110u);
    EXPECT_EQ(sm->getAxes(), 1u << 2);
    EXPECT_EQ(cat->getAxis(), 2);
    EXPECT_EQ(topk->getReduceAxes(), 1u << 2);
    EXPECT_EQ(g->getGatherAxis(), 1);
    EXPECT_EQ(sc->getChannelAxis(), 0);
    EXPECT_EQ(nm->getAxes(), 0b110u);
    EXPECT_TRUE(dimsAre(red->getOutput(0)->getDimensions(), {4}));
    EXPECT_TRUE(dimsAre(topk->getOutput(0)->getDimensions(), {4, 6, 2}));
    EXPECT_TRUE(dimsAre(sc->getOutput(0)->getDimensions(), {4, 6, 6}));
}

}  // namespace

TEST(LayerApi, ScalarConstantKeepsRankZero) {
    struct NullLogger : kiln::ILogger {
        void log(Severity, const char*) noexcept override {}
    } log;
    auto b = kiln::createInferBuilder(log);
    auto net = b->createNetworkV2(0);
    const float v = 3.f;
    kiln::Dims scalar;
    scalar.nbDims = 0;
    auto* c = net->addConstant(scalar, {kiln::DataType::kFLOAT, &v, 1});
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->getOutput(0)->getDimensions().nbDims, 0);
    EXPECT_EQ(c->getDimensions().nbDims, 0);
}
