// Layer tests, activation family: Activation (every ActivationType, alpha and
// beta where they matter) and Unary (every UnaryOperation), in explicit- and
// implicit-batch networks against the formulas evaluated in float64.
#include <algorithm>
#include <cmath>
#include <tuple>

#include "layer_test_util.h"

namespace {

using namespace layertest;
using kiln::ActivationType;
using kiln::DataType;
using kiln::UnaryOperation;

// ---- Activation -------------------------------------------------------------------

struct ActCase {
    ActivationType type;
    const char* name;
    float alpha, beta;
    bool setParams;
};

const ActCase kActCases[] = {
    {ActivationType::kRELU, "RELU", 0, 0, false},
    {ActivationType::kSIGMOID, "SIGMOID", 0, 0, false},
    {ActivationType::kTANH, "TANH", 0, 0, false},
    {ActivationType::kLEAKY_RELU, "LEAKY_RELU", 0.1f, 0, true},
    {ActivationType::kELU, "ELU", 0.7f, 0, true},
    {ActivationType::kSELU, "SELU", 1.6732632f, 1.0507009f, true},
    {ActivationType::kSOFTSIGN, "SOFTSIGN", 0, 0, false},
    {ActivationType::kSOFTPLUS, "SOFTPLUS", 0, 0, false},
    {ActivationType::kCLIP, "CLIP", -0.5f, 1.25f, true},
    {ActivationType::kHARD_SIGMOID, "HARD_SIGMOID", 0.2f, 0.5f, true},
    {ActivationType::kSCALED_TANH, "SCALED_TANH", 1.7f, 0.66f, true},
    {ActivationType::kTHRESHOLDED_RELU, "THRESHOLDED_RELU", 0.4f, 0, true},
    {ActivationType::kGELU_ERF, "GELU_ERF", 0, 0, false},
    {ActivationType::kGELU_TANH, "GELU_TANH", 0, 0, false},
    {ActivationType::kSILU, "SILU", 0, 0, false},
};

double refActivation(const ActCase& c, double x) {
    const double a = c.alpha, b = c.beta;
    switch (c.type) {
        case ActivationType::kRELU: return x > 0 ? x : 0;
        case ActivationType::kSIGMOID: return 1 / (1 + std::exp(-x));
        case ActivationType::kTANH: return std::tanh(x);
        case ActivationType::kLEAKY_RELU: return x >= 0 ? x : a * x;
        case ActivationType::kELU: return x >= 0 ? x : a * (std::exp(x) - 1);
        case ActivationType::kSELU: return b * (x > 0 ? x : a * (std::exp(x) - 1));
        case ActivationType::kSOFTSIGN: return x / (1 + std::fabs(x));
        case ActivationType::kSOFTPLUS: return std::log(1 + std::exp(x));
        case ActivationType::kCLIP: return std::min(std::max(x, a), b);
        case ActivationType::kHARD_SIGMOID: return std::max(0.0, std::min(1.0, a * x + b));
        case ActivationType::kSCALED_TANH: return a * std::tanh(b * x);
        case ActivationType::kTHRESHOLDED_RELU: return x > a ? x : 0;
        case ActivationType::kGELU_ERF: return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
        case ActivationType::kGELU_TANH:
            return 0.5 * x * (1 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
        case ActivationType::kSILU: return x / (1 + std::exp(-x));
    }
    return NAN;
}

class LayerActivation : public ::testing::TestWithParam<std::tuple<Mode, int>> {};

TEST_P(LayerActivation, MatchesFormula) {
    const Mode mode = std::get<0>(GetParam());
    const ActCase& c = kActCases[std::get<1>(GetParam())];
    NetHarness h(mode);
    // 24 values in [-3, 3) plus the points where the formulas switch.
    auto xv = detValues(size_t(kBatch * 3 * 4), 101, -3.0, 3.0);
    xv[0] = 0.0;
    xv[1] = -0.5;
    xv[2] = 0.4;
    xv[3] = 1.25;
    auto* x = h.input("x", {3, 4});
    ASSERT_NE(x, nullptr);
    // Created as ReLU and switched, so the setter is exercised too.
    auto* act = h.net().addActivation(*x, ActivationType::kRELU);
    ASSERT_NE(act, nullptr) << h.logger().joined();
    EXPECT_EQ(act->getType(), kiln::LayerType::kACTIVATION);
    act->setActivationType(c.type);
    EXPECT_EQ(act->getActivationType(), c.type);
    if (c.setParams) {
        act->setAlpha(c.alpha);
        act->setBeta(c.beta);
        EXPECT_FLOAT_EQ(act->getAlpha(), c.alpha);
        EXPECT_FLOAT_EQ(act->getBeta(), c.beta);
    }
    std::vector<double> want;
    for (double v : xv) want.push_back(refActivation(c, double(float(v))));
    h.output(act->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor({kBatch, 3, 4}, xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), {kBatch, 3, 4}, want, 1e-5, 1e-5)) << c.name;
}

INSTANTIATE_TEST_SUITE_P(Layers, LayerActivation,
                         ::testing::Combine(::testing::Values(Mode::kExplicit, Mode::kImplicit),
                                            ::testing::Range(0, int(std::size(kActCases)))),
                         [](const ::testing::TestParamInfo<std::tuple<Mode, int>>& i) {
                             return std::string(kActCases[std::get<1>(i.param)].name) + "_" + modeName(std::get<0>(i.param));
                         });

// ---- Unary ----------------------------------------------------------------------------

struct UnCase {
    UnaryOperation op;
    const char* name;
    double lo, hi;  // input range (ignored when `fixed`)
    bool fixed;     // uses kSpecial values
};

const UnCase kUnCases[] = {
    {UnaryOperation::kEXP, "EXP", -2, 2, false},       {UnaryOperation::kLOG, "LOG", 0.125, 4, false},
    {UnaryOperation::kSQRT, "SQRT", 0, 4, false},      {UnaryOperation::kRECIP, "RECIP", 0.25, 4, false},
    {UnaryOperation::kABS, "ABS", -3, 3, false},       {UnaryOperation::kNEG, "NEG", -3, 3, false},
    {UnaryOperation::kSIN, "SIN", -3, 3, false},       {UnaryOperation::kCOS, "COS", -3, 3, false},
    {UnaryOperation::kTAN, "TAN", -1.2, 1.2, false},   {UnaryOperation::kSINH, "SINH", -2, 2, false},
    {UnaryOperation::kCOSH, "COSH", -2, 2, false},     {UnaryOperation::kASIN, "ASIN", -0.96875, 0.96875, false},
    {UnaryOperation::kACOS, "ACOS", -0.96875, 0.96875, false}, {UnaryOperation::kATAN, "ATAN", -3, 3, false},
    {UnaryOperation::kASINH, "ASINH", -3, 3, false},   {UnaryOperation::kACOSH, "ACOSH", 1, 4, false},
    {UnaryOperation::kATANH, "ATANH", -0.875, 0.875, false}, {UnaryOperation::kCEIL, "CEIL", -3, 3, false},
    {UnaryOperation::kFLOOR, "FLOOR", -3, 3, false},   {UnaryOperation::kERF, "ERF", -2, 2, false},
    {UnaryOperation::kNOT, "NOT", 0, 0, true},         {UnaryOperation::kSIGN, "SIGN", 0, 0, true},
    {UnaryOperation::kROUND, "ROUND", 0, 0, true},     {UnaryOperation::kISINF, "ISINF", 0, 0, true},
    {UnaryOperation::kISNAN, "ISNAN", 0, 0, true},
};

double refUnary(UnaryOperation op, double x) {
    switch (op) {
        case UnaryOperation::kEXP: return std::exp(x);
        case UnaryOperation::kLOG: return std::log(x);
        case UnaryOperation::kSQRT: return std::sqrt(x);
        case UnaryOperation::kRECIP: return 1 / x;
        case UnaryOperation::kABS: return std::fabs(x);
        case UnaryOperation::kNEG: return -x;
        case UnaryOperation::kSIN: return std::sin(x);
        case UnaryOperation::kCOS: return std::cos(x);
        case UnaryOperation::kTAN: return std::tan(x);
        case UnaryOperation::kSINH: return std::sinh(x);
        case UnaryOperation::kCOSH: return std::cosh(x);
        case UnaryOperation::kASIN: return std::asin(x);
        case UnaryOperation::kACOS: return std::acos(x);
        case UnaryOperation::kATAN: return std::atan(x);
        case UnaryOperation::kASINH: return std::asinh(x);
        case UnaryOperation::kACOSH: return std::acosh(x);
        case UnaryOperation::kATANH: return std::atanh(x);
        case UnaryOperation::kCEIL: return std::ceil(x);
        case UnaryOperation::kFLOOR: return std::floor(x);
        case UnaryOperation::kERF: return std::erf(x);
        case UnaryOperation::kNOT: return x == 0 ? 1 : 0;
        case UnaryOperation::kSIGN: return x > 0 ? 1 : x < 0 ? -1 : 0;
        case UnaryOperation::kROUND: {  // half to even
            const double f = std::floor(x), d = x - f;
            if (d < 0.5) return f;
            if (d > 0.5) return f + 1;
            return std::fmod(f, 2.0) == 0 ? f : f + 1;
        }
        case UnaryOperation::kISINF: return std::isinf(x) ? 1 : 0;
        case UnaryOperation::kISNAN: return std::isnan(x) ? 1 : 0;
    }
    return NAN;
}

class LayerUnary : public ::testing::TestWithParam<std::tuple<Mode, int>> {};

TEST_P(LayerUnary, MatchesFormula) {
    const Mode mode = std::get<0>(GetParam());
    const UnCase& c = kUnCases[std::get<1>(GetParam())];
    NetHarness h(mode);
    std::vector<double> xv;
    DataType inType = DataType::kFLOAT;
    if (!c.fixed) {
        xv = detValues(size_t(kBatch * 6), 141 + uint32_t(c.op), c.lo, c.hi);
    } else if (c.op == UnaryOperation::kNOT) {
        inType = DataType::kBOOL;
        xv = {0, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1};
    } else if (c.op == UnaryOperation::kROUND) {
        xv = {-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.4, -0.6, 3.75, -3.25, 0.0, 1.0};
    } else if (c.op == UnaryOperation::kSIGN) {
        xv = {-2.5, 0.0, 3.0, -0.125, 7.0, 0.0, 1e-3, -1e-3, 5.0, -5.0, 0.5, -0.5};
    } else {  // isinf / isnan
        xv = {INFINITY, -INFINITY, NAN, 1.0, 0.0, -2.0, NAN, 3e38, -INFINITY, 1e-30, -NAN, 5.0};
    }
    auto* x = h.input("x", {2, 3}, inType);
    ASSERT_NE(x, nullptr);
    auto* u = h.net().addUnary(*x, UnaryOperation::kEXP);
    ASSERT_NE(u, nullptr) << h.logger().joined();
    EXPECT_EQ(u->getType(), kiln::LayerType::kUNARY);
    u->setOperation(c.op);
    EXPECT_EQ(u->getOperation(), c.op);
    const bool boolOut = c.op == UnaryOperation::kNOT || c.op == UnaryOperation::kISINF || c.op == UnaryOperation::kISNAN;
    EXPECT_EQ(u->getOutput(0)->getType(), boolOut ? DataType::kBOOL : DataType::kFLOAT) << h.logger().joined();
    std::vector<double> want;
    for (double v : xv) want.push_back(refUnary(c.op, inType == DataType::kFLOAT ? double(float(v)) : v));
    h.output(u->getOutput(0), "y");
    const HostTensor in = inType == DataType::kBOOL
                              ? boolTensor({kBatch, 2, 3}, std::vector<int>(xv.begin(), xv.end()))
                              : floatTensor({kBatch, 2, 3}, xv);
    auto r = h.run({{"x", in}});
    ASSERT_RAN(r);
    EXPECT_EQ(r.out("y").type, boolOut ? DataType::kBOOL : DataType::kFLOAT);
    EXPECT_TRUE(allClose(r.out("y"), {kBatch, 2, 3}, want, 2e-6, 2e-6)) << c.name;
}

INSTANTIATE_TEST_SUITE_P(Layers, LayerUnary,
                         ::testing::Combine(::testing::Values(Mode::kExplicit, Mode::kImplicit),
                                            ::testing::Range(0, int(std::size(kUnCases)))),
                         [](const ::testing::TestParamInfo<std::tuple<Mode, int>>& i) {
                             return std::string(kUnCases[std::get<1>(i.param)].name) + "_" + modeName(std::get<0>(i.param));
                         });

}  // namespace
