// Reference TopK (docs/ops.md): the k largest ("max") or smallest ("min")
// elements along one axis, sorted, with their indices. Ties keep the lower
// index first; NaN ranks above every number (first for max, last for min).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>
#include <type_traits>

#include "reduce_layout.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

bool topkDTypeOk(ir::DType t) { return ir::dtypeIsArithmetic(t); }

// Strict "a ranks above b" with NaN above everything. int64 keys compare
// natively so values beyond 2^53 keep their order.
template <typename Key>
bool ranksAbove(Key a, Key b) {
    if constexpr (std::is_floating_point_v<Key>) {
        if (std::isnan(a)) return !std::isnan(b);
        if (std::isnan(b)) return false;
    }
    return a > b;
}

template <typename Key>
Key loadKey(const HostTensor& t, int64_t i) {
    if constexpr (std::is_same_v<Key, int64_t>) return t.as<const int64_t>()[i];
    else if constexpr (std::is_same_v<Key, uint64_t>) return t.as<const uint64_t>()[i];
    else return ir::loadAsDouble(t.data, t.dtype, i);
}

template <typename Key>
void topkRows(KernelArgs& args, const std::vector<bool>& mask, int64_t k, bool largest) {
    const HostTensor& x = args.inputs[0];
    HostTensor &values = args.outputs[0], &indices = args.outputs[1];
    // Input and output rows enumerate the kept axes in the same order, so row
    // r of one is row r of the other.
    const detail::RowLayout in = detail::makeRowLayout(x.shape, mask);
    const detail::RowLayout out = detail::makeRowLayout(values.shape, mask);
    const size_t elem = ir::dtypeSize(x.dtype);
    const int64_t n = int64_t(in.inRow.size());
    const bool idx64 = indices.dtype == ir::DType::kI64;

    args.pool.parallelFor(int64_t(out.rowBase.size()), [&](int64_t r0, int64_t r1) {
        std::vector<Key> keys(static_cast<size_t>(n));
        std::vector<int64_t> order(static_cast<size_t>(n));
        for (int64_t r = r0; r < r1; ++r) {
            const int64_t inBase = in.rowBase[size_t(r)], outBase = out.rowBase[size_t(r)];
            for (int64_t j = 0; j < n; ++j) keys[size_t(j)] = loadKey<Key>(x, inBase + in.inRow[size_t(j)]);
            std::iota(order.begin(), order.end(), int64_t(0));
            auto before = [&](int64_t a, int64_t b) {
                const Key ka = keys[size_t(a)], kb = keys[size_t(b)];
                if (largest ? ranksAbove(ka, kb) : ranksAbove(kb, ka)) return true;
                if (largest ? ranksAbove(kb, ka) : ranksAbove(ka, kb)) return false;
                return a < b;  // equal (or both NaN): lower index first
            };
            std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
            for (int64_t j = 0; j < k; ++j) {
                const int64_t src = inBase + in.inRow[size_t(order[size_t(j)])];
                const int64_t dst = outBase + out.inRow[size_t(j)];
                // Copy the element's bytes: values come back bit-exact in any dtype.
                std::memcpy(static_cast<char*>(values.data) + size_t(dst) * elem,
                            static_cast<const char*>(x.data) + size_t(src) * elem, elem);
                if (idx64) indices.as<int64_t>()[dst] = order[size_t(j)];
                else indices.as<int32_t>()[dst] = int32_t(order[size_t(j)]);
            }
        }
    });
}

}  // namespace

bool topkSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return !in.empty() && topkDTypeOk(in[0].dtype) && out.size() == 2 && out[0].dtype == in[0].dtype &&
           (out[1].dtype == ir::DType::kI32 || out[1].dtype == ir::DType::kI64);
}

Status topk(KernelArgs& args) {
    const HostTensor& x = args.inputs[0];
    if (!topkDTypeOk(x.dtype)) return detail::unsupportedDType("topk", x.dtype);
    if (args.outputs.size() != 2) return Status::Error("topk: needs Values and Indices outputs");
    const HostTensor &values = args.outputs[0], &indices = args.outputs[1];
    if (values.dtype != x.dtype || (indices.dtype != ir::DType::kI32 && indices.dtype != ir::DType::kI64))
        return Status::Error("topk: output dtypes do not match");

    int64_t axis = args.node.attrs.getInt("axis", -1);
    const int64_t rank = int64_t(x.shape.size());
    if (!ir::normalizeAxis(axis, rank)) return Status::Error("topk: axis out of range for " + ir::shapeToString(x.shape));
    int64_t k = args.node.attrs.getInt("k", -1);
    if (args.inputs.size() > 1 && args.inputs[1].data) {
        const HostTensor& kt = args.inputs[1];
        if (kt.dtype != ir::DType::kI64 || kt.numel() != 1) return Status::Error("topk: K must be one int64");
        k = kt.as<const int64_t>()[0];
    }
    if (k < 0 || k > x.shape[size_t(axis)])
        return Status::Error("topk: k = " + std::to_string(k) + " out of range for axis extent " +
                             std::to_string(x.shape[size_t(axis)]));
    ir::Shape want = x.shape;
    want[size_t(axis)] = k;
    if (values.shape != want || indices.shape != want)
        return Status::Error("topk: output shape must be " + ir::shapeToString(want));
    const bool largest = args.node.attrs.getString("op", "max") != "min";

    std::vector<bool> mask(size_t(rank), false);
    mask[size_t(axis)] = true;
    if (x.dtype == ir::DType::kI64) topkRows<int64_t>(args, mask, k, largest);
    else if (x.dtype == ir::DType::kU64) topkRows<uint64_t>(args, mask, k, largest);
    else topkRows<double>(args, mask, k, largest);
    return Status::Ok();
}

}  // namespace kiln::cpu::ref
