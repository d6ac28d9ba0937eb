// Det reference kernel: LU decomposition with partial pivoting in double,
// one matrix per task. det = (-1)^swaps * prod(diagonal of U).
#include "nn_util.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

Status det(KernelArgs& a) {
    KILN_RETURN_IF_ERROR(movement::inferAndCheck(a, &ir::nn::inferDet));
    const HostTensor& x = a.inputs[0];
    HostTensor& y = a.outputs[0];
    const int64_t m = x.shape.back(), count = y.numel();
    a.pool.parallelFor(count, [&](int64_t b, int64_t e) {
        std::vector<double> lu(size_t(m * m));
        for (int64_t k = b; k < e; ++k) {
            for (int64_t i = 0; i < m * m; ++i) lu[size_t(i)] = ir::loadAsDouble(x.data, x.dtype, k * m * m + i);
            double d = 1.0;
            for (int64_t c = 0; c < m && d != 0.0; ++c) {
                int64_t p = c;  // the largest pivot keeps the elimination stable
                for (int64_t r = c + 1; r < m; ++r)
                    if (std::fabs(lu[size_t(r * m + c)]) > std::fabs(lu[size_t(p * m + c)])) p = r;
                if (p != c) {
                    for (int64_t j = 0; j < m; ++j) std::swap(lu[size_t(p * m + j)], lu[size_t(c * m + j)]);
                    d = -d;
                }
                const double piv = lu[size_t(c * m + c)];
                d *= piv;
                if (piv == 0.0) break;
                for (int64_t r = c + 1; r < m; ++r) {
                    const double f = lu[size_t(r * m + c)] / piv;
                    for (int64_t j = c + 1; j < m; ++j) lu[size_t(r * m + j)] -= f * lu[size_t(c * m + j)];
                }
            }
            ir::storeFromDouble(y.data, y.dtype, k, d);
        }
    });
    return Status::Ok();
}

bool detSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&) {
    std::vector<ir::TensorDesc> o(1);
    return in.size() == 1 && ir::nn::inferDet(node, in, o).ok();
}

}  // namespace kiln::cpu::ref
