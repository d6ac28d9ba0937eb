// Det on CUDA (backends/cpu/ref/det.cpp): per matrix, LU decomposition with
// partial pivoting in double (the first largest pivot, as the CPU picks
// it), det = (-1)^swaps * prod(diagonal), stopping at a zero pivot; every
// product and difference rounded separately as on the CPU, so the result is
// the CPU's bit for bit. Matrices up to 8 x 8 take one thread each (the
// matrix in registers / local memory); larger ones one block each, the
// elimination of a column spread over the block, the matrix in the workspace.
#include "device_common.cuh"
#include "dtype_convert.cuh"
#include "ir/ops/nn_ops.h"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;
using ir::DType;

constexpr int kSmall = 8;
constexpr int kDetBlock = 256;

__global__ void detSmallKernel(const void* __restrict__ x, void* __restrict__ y, DType t, int64_t count, int m) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; k < count; k += stride) {
        double lu[kSmall * kSmall];
        for (int i = 0; i < m * m; ++i) lu[i] = conv::loadAsDouble(x, t, k * m * m + i);
        double d = 1.0;
        for (int c = 0; c < m && d != 0.0; ++c) {
            int p = c;
            for (int r = c + 1; r < m; ++r)
                if (fabs(lu[r * m + c]) > fabs(lu[p * m + c])) p = r;
            if (p != c) {
                for (int j = 0; j < m; ++j) {
                    const double s = lu[p * m + j];
                    lu[p * m + j] = lu[c * m + j];
                    lu[c * m + j] = s;
                }
                d = -d;
            }
            const double piv = lu[c * m + c];
            d = __dmul_rn(d, piv);
            if (piv == 0.0) break;
            for (int r = c + 1; r < m; ++r) {
                const double f = lu[r * m + c] / piv;
                for (int j = c + 1; j < m; ++j) lu[r * m + j] = __dsub_rn(lu[r * m + j], __dmul_rn(f, lu[c * m + j]));
            }
        }
        conv::storeFromDouble(y, t, k, d);
    }
}

// One block per matrix; `ws` holds count matrices of m * m doubles and then
// count columns of m elimination factors.
__global__ void __launch_bounds__(kDetBlock)
    detBlockKernel(const void* __restrict__ x, void* __restrict__ y, DType t, int64_t count, int64_t m, double* ws) {
    __shared__ double d;
    __shared__ double piv;
    __shared__ int64_t p;
    for (int64_t k = blockIdx.x; k < count; k += gridDim.x) {
        double* lu = ws + k * m * m;
        double* fac = ws + count * m * m + k * m;
        for (int64_t i = threadIdx.x; i < m * m; i += blockDim.x) lu[i] = conv::loadAsDouble(x, t, k * m * m + i);
        if (threadIdx.x == 0) d = 1.0;
        __syncthreads();
        for (int64_t c = 0; c < m; ++c) {
            if (d == 0.0) break;  // uniform: read after a barrier
            if (threadIdx.x == 0) {
                int64_t best = c;
                for (int64_t r = c + 1; r < m; ++r)
                    if (fabs(lu[r * m + c]) > fabs(lu[best * m + c])) best = r;
                p = best;
            }
            __syncthreads();
            if (p != c)
                for (int64_t j = threadIdx.x; j < m; j += blockDim.x) {
                    const double s = lu[p * m + j];
                    lu[p * m + j] = lu[c * m + j];
                    lu[c * m + j] = s;
                }
            __syncthreads();
            if (threadIdx.x == 0) {
                if (p != c) d = -d;
                piv = lu[c * m + c];
                d = __dmul_rn(d, piv);
            }
            __syncthreads();
            if (piv == 0.0) break;
            for (int64_t r = c + 1 + threadIdx.x; r < m; r += blockDim.x) fac[r] = lu[r * m + c] / piv;
            __syncthreads();
            const int64_t rows = m - c - 1, cols = m - c - 1;
            for (int64_t e = threadIdx.x; e < rows * cols; e += blockDim.x) {
                const int64_t r = c + 1 + e / cols, j = c + 1 + e % cols;
                lu[r * m + j] = __dsub_rn(lu[r * m + j], __dmul_rn(fac[r], lu[c * m + j]));
            }
            __syncthreads();
        }
        if (threadIdx.x == 0) conv::storeFromDouble(y, t, k, d);
        __syncthreads();  // d is reset for the next matrix
    }
}

int64_t matrixSide(const ir::Shape& s) { return s.size() < 2 ? 0 : s.back(); }

}  // namespace

bool detSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    std::vector<ir::TensorDesc> o(1);
    return in.size() == 1 && out.size() == 1 && ir::nn::inferDet(node, in, o).ok();
}

size_t detWorkspace(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&) {
    if (in.empty()) return 0;
    const int64_t m = matrixSide(in[0].shape);
    if (m <= kSmall) return 0;
    const int64_t count = ir::volume(in[0].shape) / (m * m);
    return size_t(std::max<int64_t>(count, 0)) * size_t(m * m + m) * sizeof(double);
}

Status det(LaunchArgs& a) {
    const DeviceTensor& x = a.inputs[0];
    DeviceTensor& y = a.outputs[0];
    std::vector<ir::TensorDesc> o(1);
    KILN_RETURN_IF_ERROR(ir::nn::inferDet(a.node, {{x.dtype, x.shape, nullptr}}, o).withContext("Det: "));
    if (o[0].shape != y.shape || y.dtype != x.dtype) return Status::Error("Det: output shape does not match");
    const int64_t m = matrixSide(x.shape), count = y.numel();
    if (count <= 0) return Status::Ok();
    if (m <= kSmall) {
        detSmallKernel<<<gridFor(count, 128), 128, 0, a.stream>>>(x.data, y.data, x.dtype, count, int(m));
    } else {
        const size_t need = size_t(count) * size_t(m * m + m) * sizeof(double);
        if (need > a.workspaceBytes) return Status::Error("Det: the matrices exceed the workspace sized at build time");
        const unsigned blocks = unsigned(std::min<int64_t>(count, 65535));
        detBlockKernel<<<blocks, kDetBlock, 0, a.stream>>>(x.data, y.data, x.dtype, count, m,
                                                           static_cast<double*>(a.workspace));
    }
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

}  // namespace kiln::cuda::kernels
