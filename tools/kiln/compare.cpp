// Output comparison; see compare.h.
#include "compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace kiln::cli {

CompareResult compareTensors(const std::vector<double>& got, const std::vector<double>& want, double rtol,
                             double atol) {
    CompareResult r;
    r.count = std::min(got.size(), want.size());
    // "Worst" = largest error / tolerance; a mismatch of any kind ranks as infinity.
    double worstRatio = -1;
    for (size_t i = 0; i < r.count; ++i) {
        const double g = got[i], w = want[i];
        double ratio;
        bool match;
        if (std::isnan(g) || std::isnan(w)) {
            match = std::isnan(g) && std::isnan(w);
            ratio = match ? 0 : std::numeric_limits<double>::infinity();
        } else if (g == w) {  // also equal infinities, whose difference is NaN
            match = true;
            ratio = 0;
        } else {
            const double abs = std::fabs(g - w);
            const double tol = atol + rtol * std::fabs(w);
            match = abs <= tol;
            ratio = tol > 0 ? abs / tol : std::numeric_limits<double>::infinity();
            if (std::isfinite(abs)) {
                r.maxAbsErr = std::max(r.maxAbsErr, abs);
                if (w != 0) r.maxRelErr = std::max(r.maxRelErr, abs / std::fabs(w));
            } else {
                r.maxAbsErr = std::numeric_limits<double>::infinity();
            }
        }
        if (!match) ++r.mismatches;
        if (ratio > worstRatio) {
            worstRatio = ratio;
            r.worstIndex = i;
            r.worstGot = g;
            r.worstWant = w;
        }
    }
    return r;
}

std::string formatCompare(const std::string& name, const CompareResult& r) {
    char buf[256];
    std::snprintf(buf, sizeof buf, ": max abs err %.6g, max rel err %.6g (at index %zu) -> %s", r.maxAbsErr,
                  r.maxRelErr, r.worstIndex, r.ok() ? "OK" : "MISMATCH");
    std::string s = name + buf;
    if (!r.ok()) {
        std::snprintf(buf, sizeof buf, "\n  %zu of %zu elements differ; at index %zu got %.9g, expected %.9g",
                      r.mismatches, r.count, r.worstIndex, r.worstGot, r.worstWant);
        s += buf;
    }
    return s;
}

}  // namespace kiln::cli
