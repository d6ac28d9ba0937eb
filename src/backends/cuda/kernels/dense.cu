// The own MatMul and FullyConnected kernels: a 16x16 shared-memory tiled
// GEMM for every dtype the reference takes (floats accumulate in float32 as
// the reference does, float64 in double, integers in wrapping 64-bit), with
// numpy batch broadcasting through per-batch strided offsets. cuBLASLt is the
// fast tactic for 32/16-bit floats; this one covers everything and checks it.
#include "device_common.cuh"
#include "ir/ops/fully_connected.h"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;

constexpr int kTile = 16;

// float64 keeps double: its MatMuls stand for exact integer sums (ConvInteger, FlexAttention double).
template <class S>
using GemmAcc = std::conditional_t<std::is_same_v<S, double>, double, std::conditional_t<kIsFloat<S>, float, uint64_t>>;

template <class S>
__device__ __forceinline__ GemmAcc<S> toAcc(S v) {
    if constexpr (kIsFloat<S>)
        return GemmAcc<S>(Elem<S>::load(v));
    else
        return uint64_t(int64_t(v));
}

template <class S>
__global__ void gemmTiled(const S* __restrict__ a, const S* __restrict__ b, S* __restrict__ y,
                          const S* __restrict__ bias, int64_t M, int64_t N, int64_t K, bool tA, bool tB,
                          int64_t batches, StridedIndex<2> bidx) {
    using A = GemmAcc<S>;
    __shared__ A as[kTile][kTile + 1];
    __shared__ A bs[kTile][kTile + 1];
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int64_t row = int64_t(blockIdx.y) * kTile + ty, col = int64_t(blockIdx.x) * kTile + tx;
    for (int64_t z = blockIdx.z; z < batches; z += gridDim.z) {
        int64_t off[2] = {0, 0};
        if (bidx.rank > 0) bidx.offsets(z, off);
        const S* az = a + off[0] * M * K;
        const S* bz = b + off[1] * K * N;
        A acc = 0;
        for (int64_t k0 = 0; k0 < K; k0 += kTile) {
            const int64_t ka = k0 + tx, kb = k0 + ty;
            as[ty][tx] = (row < M && ka < K) ? toAcc(tA ? az[ka * M + row] : az[row * K + ka]) : A(0);
            bs[ty][tx] = (kb < K && col < N) ? toAcc(tB ? bz[col * K + kb] : bz[kb * N + col]) : A(0);
            __syncthreads();
#pragma unroll
            for (int k = 0; k < kTile; ++k) acc += as[ty][k] * bs[k][tx];
            __syncthreads();
        }
        if (row < M && col < N) {
            if constexpr (kIsFloat<S>) {
                if (bias) acc += A(Elem<S>::load(bias[col]));
                y[z * M * N + row * N + col] = Elem<S>::store(ComputeT<S>(acc));
            } else {
                y[z * M * N + row * N + col] = S(int64_t(acc));
            }
        }
    }
}

template <class S>
Status launchGemm(const void* a, const void* b, void* y, const void* bias, int64_t M, int64_t N, int64_t K, bool tA,
                  bool tB, int64_t batches, const StridedIndex<2>& bidx, cudaStream_t stream) {
    if (M == 0 || N == 0 || batches == 0) return Status::Ok();
    dim3 block(kTile, kTile);
    dim3 grid(unsigned((N + kTile - 1) / kTile), unsigned((M + kTile - 1) / kTile),
              unsigned(std::min<int64_t>(batches, 65535)));
    if (grid.y > 65535) return Status::Error("GEMM with more than 1048560 rows is not supported by the own kernel");
    gemmTiled<S><<<grid, block, 0, stream>>>(static_cast<const S*>(a), static_cast<const S*>(b), static_cast<S*>(y),
                                             static_cast<const S*>(bias), M, N, K, tA, tB, batches, bidx);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

bool matmulType(ir::DType t) {
    return t == ir::DType::kF32 || t == ir::DType::kF16 || t == ir::DType::kBF16 || t == ir::DType::kF64 ||
           t == ir::DType::kI8 || t == ir::DType::kU8 || t == ir::DType::kI32 || t == ir::DType::kI64;
}

template <class Fn>
Status visitGemmType(ir::DType t, Fn&& fn) {
    switch (t) {
        case ir::DType::kF32:
            return fn(Tag<float>{});
        case ir::DType::kF16:
            return fn(Tag<__half>{});
        case ir::DType::kBF16:
            return fn(Tag<__nv_bfloat16>{});
        case ir::DType::kF64:
            return fn(Tag<double>{});
        case ir::DType::kI8:
            return fn(Tag<int8_t>{});
        case ir::DType::kU8:
            return fn(Tag<uint8_t>{});
        case ir::DType::kI32:
            return fn(Tag<int32_t>{});
        case ir::DType::kI64:
            return fn(Tag<int64_t>{});
        default:
            return Status::Error("unsupported GEMM dtype " + std::string(ir::dtypeName(t)));
    }
}

}  // namespace

bool matmulSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in.size() == 2 && !out.empty() && in[0].dtype == in[1].dtype && out[0].dtype == in[0].dtype &&
           matmulType(in[0].dtype) && !in[0].shape.empty() && !in[1].shape.empty() && in[0].shape.size() <= 10 &&
           in[1].shape.size() <= 10;
}

Status matmul(LaunchArgs& args) {
    const DeviceTensor& A = args.inputs[0];
    const DeviceTensor& B = args.inputs[1];
    DeviceTensor& Y = args.outputs[0];
    const size_t ra = A.shape.size(), rb = B.shape.size();
    const bool tA = ra > 1 && args.node.attrs.getInt("transA", 0) != 0;
    const bool tB = rb > 1 && args.node.attrs.getInt("transB", 0) != 0;
    int64_t M = 1, N = 1, K, Kb;
    if (ra == 1)
        K = A.shape[0];
    else {
        M = A.shape[ra - (tA ? 1 : 2)];
        K = A.shape[ra - (tA ? 2 : 1)];
    }
    if (rb == 1)
        Kb = B.shape[0];
    else {
        Kb = B.shape[rb - (tB ? 1 : 2)];
        N = B.shape[rb - (tB ? 2 : 1)];
    }
    const ir::Shape ba(A.shape.begin(), A.shape.end() - std::min<size_t>(ra, 2));
    const ir::Shape bb(B.shape.begin(), B.shape.end() - std::min<size_t>(rb, 2));
    ir::Shape by;
    if (K != Kb || !ir::broadcastShapes(ba, bb, by))
        return Status::Error("MatMul: A " + ir::shapeToString(A.shape) + " and B " + ir::shapeToString(B.shape) +
                             " are incompatible");
    const int64_t batches = std::max<int64_t>(ir::volume(by), 0);
    if (Y.numel() != batches * M * N)
        return Status::Error("MatMul: output shape " + ir::shapeToString(Y.shape) + " is wrong");
    StridedIndex<2> bidx;
    bidx.rank = 0;
    if (!by.empty())
        KILN_RETURN_IF_ERROR(makeStridedIndex<2>(by, {broadcastStrides(ba, by), broadcastStrides(bb, by)}, bidx));
    return visitGemmType(A.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        return launchGemm<S>(A.data, B.data, Y.data, nullptr, M, N, K, tA, tB, batches, bidx, args.stream);
    });
}

bool fullyConnectedSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                            const std::vector<ir::TensorDesc>& out) {
    if (in.size() < 2 || out.empty() || !isDeviceFloat(in[0].dtype) || ir::fcHasEpilogue(node)) return false;
    for (const auto& t : in)
        if (!t.shape.empty() && t.dtype != in[0].dtype) return false;
    return in[1].dtype == in[0].dtype && out[0].dtype == in[0].dtype && in[1].shape.size() == 2;
}

Status fullyConnected(LaunchArgs& args) {
    const DeviceTensor& X = args.inputs[0];
    const DeviceTensor& W = args.inputs[1];
    const bool hasBias = args.inputs.size() > 2 && args.inputs[2].data;
    int64_t axis = args.node.attrs.getInt("axis", 1);
    if (!ir::normalizeAxis(axis, int64_t(X.shape.size())))
        return Status::Error("FullyConnected: axis out of range for X");
    int64_t M = 1, F = 1;
    for (size_t i = 0; i < X.shape.size(); ++i) (int64_t(i) < axis ? M : F) *= X.shape[i];
    if (W.shape.size() != 2 || W.shape[1] != F || (hasBias && args.inputs[2].numel() != W.shape[0]) ||
        args.outputs[0].numel() != M * W.shape[0])
        return Status::Error("FullyConnected: X " + ir::shapeToString(X.shape) + " and W " +
                             ir::shapeToString(W.shape) + " are inconsistent");
    StridedIndex<2> none;
    none.rank = 0;
    return visitFloatType(X.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        return launchGemm<S>(X.data, W.data, args.outputs[0].data, hasBias ? args.inputs[2].data : nullptr, M,
                             W.shape[0], F, false, true, 1, none, args.stream);
    });
}

}  // namespace kiln::cuda::kernels
