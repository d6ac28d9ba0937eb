// Reference Softmax / LogSoftmax over one axis (docs/ops.md). Computes in
// double and subtracts the row maximum so exp() cannot overflow.
#include <algorithm>
#include <cmath>
#include <limits>

#include "reduce_layout.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

using detail::isFloatType;

bool softmaxSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in.size() == 1 && isFloatType(in[0].dtype) && out.size() == 1 && out[0].dtype == in[0].dtype;
}

Status softmax(KernelArgs& args) {
    const HostTensor& x = args.inputs[0];
    HostTensor& y = args.outputs[0];
    if (!isFloatType(x.dtype)) return detail::unsupportedDType("softmax", x.dtype);
    if (y.dtype != x.dtype || y.shape != x.shape) return Status::Error("softmax: output does not match input");
    int64_t axis = args.node.attrs.getInt("axis", -1);
    if (!ir::normalizeAxis(axis, int64_t(x.shape.size())))
        return Status::Error("softmax: axis out of range for shape " + ir::shapeToString(x.shape));
    const bool logMode = args.node.attrs.getInt("log", 0) != 0;

    std::vector<bool> mask(x.shape.size(), false);
    mask[size_t(axis)] = true;
    const detail::RowLayout L = detail::makeRowLayout(x.shape, mask);
    const int64_t n = int64_t(L.inRow.size());
    if (n == 0) return Status::Ok();

    args.pool.parallelFor(int64_t(L.rowBase.size()), [&](int64_t r0, int64_t r1) {
        std::vector<double> v(static_cast<size_t>(n));
        for (int64_t r = r0; r < r1; ++r) {
            const int64_t base = L.rowBase[size_t(r)];
            double mx = -std::numeric_limits<double>::infinity();
            for (int64_t j = 0; j < n; ++j) {
                v[size_t(j)] = ir::loadAsDouble(x.data, x.dtype, base + L.inRow[size_t(j)]);
                mx = std::max(mx, v[size_t(j)]);  // NaN ignored here; it still poisons the sum
            }
            double sum = 0.0;
            for (int64_t j = 0; j < n; ++j) sum += std::exp(v[size_t(j)] - mx);
            const double logSum = std::log(sum);
            for (int64_t j = 0; j < n; ++j) {
                const double d = v[size_t(j)] - mx;
                const double out = logMode ? d - logSum : std::exp(d) / sum;
                ir::storeFromDouble(y.data, y.dtype, base + L.inRow[size_t(j)], out);
            }
        }
    });
    return Status::Ok();
}

}  // namespace kiln::cpu::ref
