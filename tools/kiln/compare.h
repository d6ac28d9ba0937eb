// Comparison of an output against an expected tensor for `kiln run --expect`.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace kiln::cli {

struct CompareResult {
    size_t count = 0;       // elements compared
    size_t mismatches = 0;  // elements outside the tolerance
    double maxAbsErr = 0;   // over all elements (NaN pairs count as 0)
    double maxRelErr = 0;   // over elements whose expected value is non-zero
    size_t worstIndex = 0;  // element furthest outside (or nearest to) its tolerance
    double worstGot = 0, worstWant = 0;
    bool ok() const { return mismatches == 0; }
};

// An element matches when |got - want| <= atol + rtol * |want|; NaN matches
// only NaN and an infinity only the same infinity. Sizes must be equal.
CompareResult compareTensors(const std::vector<double>& got, const std::vector<double>& want, double rtol, double atol);

// "NAME: max abs err X, max rel err Y (at index I) -> OK" (or "-> MISMATCH"
// plus the count of differing elements and the worst pair).
std::string formatCompare(const std::string& name, const CompareResult& r);

}  // namespace kiln::cli
