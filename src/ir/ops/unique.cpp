// Unique (ONNX Unique): the distinct elements, or distinct slices along an
// axis, with first indices, inverse indices and counts.
#include <algorithm>
#include <numeric>

#include "data_dependent.h"
#include "op_families.h"

namespace kiln::ir {

Status resolveUnique(const Node& node, const TensorDesc& x, UniqueParams& p) {
    p = {};
    p.sorted = node.attrs.getInt("sorted", 1) != 0;
    p.hasAxis = node.attrs.has("axis");
    if (p.hasAxis) {
        p.axis = node.attrs.getInt("axis");
        if (!normalizeAxis(p.axis, int64_t(x.shape.size())))
            return Status::Error("axis " + std::to_string(node.attrs.getInt("axis")) + " is out of range for " +
                                 shapeToString(x.shape));
    }
    return Status::Ok();
}

UniqueResult computeUnique(const TensorDesc& x, const UniqueParams& p) {
    // Items: single elements (no axis) or slices along the axis, compared as
    // tuples of doubles; NaNs compare equal to each other (numpy's unique).
    int64_t items = volume(x.shape), outer = 1, inner = 1;
    if (p.hasAxis) {
        items = x.shape[size_t(p.axis)];
        for (int64_t d = 0; d < p.axis; ++d) outer *= x.shape[size_t(d)];
        for (size_t d = size_t(p.axis) + 1; d < x.shape.size(); ++d) inner *= x.shape[d];
    }
    auto value = [&](int64_t item, int64_t k) {  // k-th element of an item
        const int64_t o = k / inner, in = k % inner;
        return loadAsDouble(x.data, x.dtype, (o * items + item) * inner + in);
    };
    const int64_t width = outer * inner;
    auto less = [&](int64_t a, int64_t b) {  // NaN sorts last
        for (int64_t k = 0; k < width; ++k) {
            const double u = value(a, k), v = value(b, k);
            const bool un = u != u, vn = v != v;
            if (un != vn) return vn;
            if (!un && u != v) return u < v;
        }
        return false;
    };
    std::vector<int64_t> order(static_cast<size_t>(items));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), less);  // equal items keep index order
    UniqueResult r;
    r.inverse.assign(size_t(items), 0);
    std::vector<int64_t> groupOf(static_cast<size_t>(items));
    for (size_t i = 0; i < order.size(); ++i) {
        if (i == 0 || less(order[i - 1], order[i])) {
            r.first.push_back(order[i]);
            r.counts.push_back(0);
        }
        groupOf[size_t(order[i])] = int64_t(r.first.size()) - 1;
        ++r.counts.back();
    }
    std::vector<int64_t> rank(r.first.size());  // position of each group in the output
    std::iota(rank.begin(), rank.end(), 0);
    if (!p.sorted) {
        // Order of first occurrence.
        std::vector<int64_t> byFirst(r.first.size());
        std::iota(byFirst.begin(), byFirst.end(), 0);
        std::sort(byFirst.begin(), byFirst.end(),
                  [&](int64_t a, int64_t b) { return r.first[size_t(a)] < r.first[size_t(b)]; });
        UniqueResult s;
        for (size_t k = 0; k < byFirst.size(); ++k) {
            rank[size_t(byFirst[k])] = int64_t(k);
            s.first.push_back(r.first[size_t(byFirst[k])]);
            s.counts.push_back(r.counts[size_t(byFirst[k])]);
        }
        r.first = std::move(s.first);
        r.counts = std::move(s.counts);
    }
    for (int64_t i = 0; i < items; ++i) r.inverse[size_t(i)] = rank[size_t(groupOf[size_t(i)])];
    return r;
}

namespace {

Status inferUnique(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const TensorDesc& x = in[0];
    UniqueParams p;
    KILN_RETURN_IF_ERROR(resolveUnique(node, x, p));
    int64_t unique = -1;
    if (x.data && isStatic(x.shape)) unique = int64_t(computeUnique(x, p).first.size());
    const int64_t items = p.hasAxis ? x.shape[size_t(p.axis)] : volume(x.shape);
    Shape y = {unique};
    if (p.hasAxis) {
        y = x.shape;
        y[size_t(p.axis)] = unique;
    }
    out[0] = {x.dtype, y, nullptr};
    for (size_t i = 1; i < out.size(); ++i) out[i] = {DType::kI64, {i == 2 ? items : unique}, nullptr};
    return Status::Ok();
}

}  // namespace

void registerUnique(std::vector<OpSchema>& t) { t.push_back({"Unique", 1, 1, 1, 4, &inferUnique}); }

}  // namespace kiln::ir
