// The host side of the arithmetic that the detection plugins' CPU and CUDA paths share
// (src/plugins/builtin/box_math.h): detExp, kiln's exp that both backends compute alike,
// must be as good as libm's.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "../../src/plugins/builtin/box_math.h"

using kiln::builtin::detExp;

namespace {

int64_t ulpsApart(double a, double b) {
    int64_t ia, ib;
    std::memcpy(&ia, &a, 8);
    std::memcpy(&ib, &b, 8);
    return ia > ib ? ia - ib : ib - ia;
}

TEST(PluginMath, DetExpIsWithinOneUlpOfLibm) {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> wide(-708.0, 709.7), narrow(-12.0, 12.0);
    int64_t worst = 0;
    for (int i = 0; i < 2000000; ++i) {
        const double x = i % 2 ? wide(rng) : narrow(rng);
        worst = std::max(worst, ulpsApart(detExp(x), std::exp(x)));
    }
    EXPECT_LE(worst, 1);
}

TEST(PluginMath, DetExpSpecialValues) {
    EXPECT_EQ(detExp(0.0), 1.0);  // zero offsets leave boxes exactly as they are
    EXPECT_EQ(detExp(-0.0), 1.0);
    EXPECT_EQ(detExp(INFINITY), INFINITY);
    EXPECT_EQ(detExp(-INFINITY), 0.0);
    EXPECT_TRUE(std::isnan(detExp(NAN)));
    EXPECT_EQ(detExp(710.0), INFINITY);
    EXPECT_EQ(detExp(-746.0), 0.0);
    EXPECT_LE(ulpsApart(detExp(1.0), M_E), 1);
    EXPECT_LE(ulpsApart(detExp(std::log(0.1)), 0.1), 1);
    // Subnormal results stay close too.
    EXPECT_NEAR(detExp(-740.0) / std::exp(-740.0), 1.0, 1e-3);
}

}  // namespace
