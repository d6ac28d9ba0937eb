// Reference AffineGrid (docs/ops.md): grid[n, p] = theta[n] (x, y[, z], 1) with
// the base coordinates of p evenly spaced in [-1, 1]: pixel centers
// -1 + (2i + 1) / S, or with align_corners -1 + 2i / (S - 1) (-1 when S = 1).
#include <string>

#include "ref_kernels.h"

namespace kiln::cpu::ref {

Status affineGrid(KernelArgs& args) {
    const HostTensor& theta = args.inputs[0];
    HostTensor& y = args.outputs[0];
    const bool align = args.node.attrs.getInt("align_corners", 0) != 0;
    const int64_t r = y.shape.back(), N = y.shape[0];
    std::vector<std::vector<double>> base(static_cast<size_t>(r));  // per spatial dim, outermost first
    int64_t points = 1;
    for (int64_t d = 0; d < r; ++d) {
        const int64_t S = y.shape[size_t(1 + d)];
        points *= S;
        for (int64_t i = 0; i < S; ++i)
            base[size_t(d)].push_back(align ? (S == 1 ? -1.0 : -1.0 + 2.0 * double(i) / double(S - 1))
                                            : -1.0 + (2.0 * double(i) + 1.0) / double(S));
    }
    std::vector<double> h(size_t(r + 1));
    for (int64_t n = 0; n < N; ++n)
        for (int64_t p = 0; p < points; ++p) {
            // Homogeneous coordinates, innermost dim first: (x, y[, z], 1).
            for (int64_t d = r - 1, rem = p; d >= 0; --d) {
                const int64_t S = y.shape[size_t(1 + d)];
                h[size_t(r - 1 - d)] = base[size_t(d)][size_t(rem % S)];
                rem /= S;
            }
            h[size_t(r)] = 1.0;
            for (int64_t row = 0; row < r; ++row) {
                double acc = 0;
                for (int64_t c = 0; c <= r; ++c)
                    acc += ir::loadAsDouble(theta.data, theta.dtype, (n * r + row) * (r + 1) + c) * h[size_t(c)];
                ir::storeFromDouble(y.data, y.dtype, (n * points + p) * r + row, acc);
            }
        }
    return Status::Ok();
}

bool affineGridSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in,
                        const std::vector<ir::TensorDesc>& out) {
    return in.size() == 2 && out.size() == 1 && out[0].dtype == in[0].dtype;
}

}  // namespace kiln::cpu::ref
