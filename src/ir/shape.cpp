#include "shape.h"

#include <algorithm>
#include <cstdint>

namespace kiln::ir {

int64_t volume(const Shape& s) {
    int64_t v = 1;
    bool unknown = false;
    for (int64_t d : s) {
        if (d == 0) return 0;
        if (d < 0)
            unknown = true;
        else if (__builtin_mul_overflow(v, d, &v))  // saturates: callers' size checks then refuse it
            v = INT64_MAX;
    }
    return unknown ? -1 : v;
}

bool isStatic(const Shape& s) {
    for (int64_t d : s)
        if (d < 0) return false;
    return true;
}

std::string shapeToString(const Shape& s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) {
        if (i) r += ",";
        r += std::to_string(s[i]);
    }
    return r + "]";
}

bool broadcastShapes(const Shape& a, const Shape& b, Shape& out) {
    const size_t rank = std::max(a.size(), b.size());
    Shape r(rank);
    for (size_t i = 0; i < rank; ++i) {
        const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
        const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
        if (da == db || db == 1) r[i] = da;
        else if (da == 1) r[i] = db;
        // An unknown extent broadcast against a known one other than 1 must be 1 or
        // equal to it: the result is the known one (the run checks it).
        else if (da < 0 && db >= 0) r[i] = db;
        else if (db < 0 && da >= 0) r[i] = da;
        else if (da < 0 || db < 0) r[i] = -1;  // resolved at run time
        else return false;
    }
    out = std::move(r);
    return true;
}

std::vector<int64_t> stridesOf(const Shape& s) {
    std::vector<int64_t> st(s.size(), 1);
    for (int i = int(s.size()) - 2; i >= 0; --i) st[i] = st[i + 1] * std::max<int64_t>(s[i + 1], 1);
    return st;
}

bool normalizeAxis(int64_t& axis, int64_t rank) {
    if (axis < -rank || axis >= rank) return false;
    if (axis < 0) axis += rank;
    return true;
}

}  // namespace kiln::ir
