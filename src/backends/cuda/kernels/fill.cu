// Fill on CUDA (backends/cpu/ref/fill.cpp, docs/ops.md): linspace
// y[i_0..i_k] = alpha + sum_d beta[d] * i_d (integers in wrapping int64,
// floats in double rounded once to the output type), and the seeded random
// fills, which give the CPU's tensor for the same seed: bit for bit for
// random_uniform; for random_normal too but where glibc's log misrounds a
// near-tie (fill_random.cuh: about 0.1% of the pairs, an ulp of double).
//
// The CPU draws sequentially from std::mt19937_64. Its state is 312 words,
// and a twist of the whole state splits into two phases whose words depend
// only on words of the previous phase (fill_random.cuh), so one block of 320
// threads twists the state a generation at a time and tempers and converts
// its 312 draws in parallel: exactly the CPU's sequence, with the sequential
// part being one block's synchronizations per 312 draws (a few microseconds,
// about 100 million draws per second). random_uniform takes one draw per
// element; random_normal (the polar method) takes pairs of draws, rejects
// some, and gives two elements per accepted pair, placed by a prefix count of
// the accepted pairs of each generation.
//
// Alpha and beta come from the attributes, from build-time constant inputs,
// or, for inputs computed at run time, are read on the device.
#include <cmath>

#include "device_common.cuh"
#include "dtype_convert.cuh"
#include "fill_random.cuh"
#include "ir/ops/fill.h"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;
using ir::DType;

struct FillArgs {
    int op;  // ir::FillParams::Op
    DType dtype;
    int rank;
    int64_t dims[ir::kMaxRank];
    int64_t n;
    uint64_t seed;
    // Values known on the host.
    double alpha, betaFirst;
    int64_t alphaInt;
    double beta[ir::kMaxRank];
    int64_t betaInt[ir::kMaxRank];
    // Run-time inputs (nullptr: use the host values above).
    const void* alphaPtr;
    DType alphaType;
    const void* betaPtr;
    DType betaType;
    int64_t betaCount;
    void* y;
};

// resolveFill's reading of a run-time Alpha / Beta element: the value, and
// the int64 value (every bit for int64 tensors, else the double converted).
__device__ __forceinline__ void readScalar(const void* p, DType t, int64_t i, double& v, int64_t& vi) {
    v = conv::loadAsDouble(p, t, i);
    vi = t == DType::kI64 ? static_cast<const int64_t*>(p)[i] : conv::x86ToInt64(v);
}

__device__ void resolveAlpha(const FillArgs& a, double& alpha, int64_t& alphaInt) {
    alpha = a.alpha;
    alphaInt = a.alphaInt;
    if (a.alphaPtr) readScalar(a.alphaPtr, a.alphaType, 0, alpha, alphaInt);
}

__device__ double resolveBetaFirst(const FillArgs& a) {
    if (!a.betaPtr) return a.betaFirst;
    if (a.betaCount <= 0) return 0.0;
    return conv::loadAsDouble(a.betaPtr, a.betaType, 0);
}

__device__ bool isWideInt(DType t) {
    switch (t) {
        case DType::kI8:
        case DType::kU8:
        case DType::kI16:
        case DType::kU16:
        case DType::kI32:
        case DType::kU32:
        case DType::kI64:
        case DType::kU64:
            return true;
        default:
            return false;
    }
}

__global__ void fillLinspaceKernel(FillArgs a) {
    double alpha, beta[ir::kMaxRank];
    int64_t alphaInt, betaInt[ir::kMaxRank];
    resolveAlpha(a, alpha, alphaInt);
    for (int d = 0; d < a.rank; ++d) {
        beta[d] = a.beta[d];
        betaInt[d] = a.betaInt[d];
        if (a.betaPtr) readScalar(a.betaPtr, a.betaType, a.betaCount == 1 ? 0 : d, beta[d], betaInt[d]);
    }
    const bool wideInt = isWideInt(a.dtype);
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < a.n; i += stride) {
        int64_t idx[ir::kMaxRank];
        for (int64_t d = a.rank - 1, r = i; d >= 0; --d) {
            idx[d] = r % a.dims[d];
            r /= a.dims[d];
        }
        uint64_t raw;
        if (wideInt) {
            uint64_t v = uint64_t(alphaInt);
            for (int d = 0; d < a.rank; ++d) v += uint64_t(betaInt[d]) * uint64_t(idx[d]);
            raw = conv::wrapIntRaw(a.dtype, v);
        } else {
            double v = alpha;
            for (int d = 0; d < a.rank; ++d) v = __dadd_rn(v, __dmul_rn(beta[d], double(idx[d])));
            raw = conv::storeComputeFromDouble(a.dtype, v);
        }
        conv::storeRaw(a.y, a.dtype, i, raw);
    }
}

// S(std::floor(v)) for the 8..64-bit integer types as x86-64 converts a
// double (what the CPU reference runs): the exact value when it fits; out of
// range (C++ leaves it undefined) the instructions' results.
__device__ uint64_t randomIntRaw(DType t, double f) {
    switch (t) {
        case DType::kI64:
            return uint64_t(conv::x86ToInt64(f));
        case DType::kU64:
            return f >= 9223372036854775808.0 ? uint64_t(conv::x86ToInt64(f - 9223372036854775808.0)) ^ (1ull << 63)
                                              : uint64_t(conv::x86ToInt64(f));
        case DType::kU32:
            return conv::wrapIntRaw(t, uint64_t(conv::x86ToInt64(f)));
        default:  // int8/16/32, uint8/16: through a 32-bit conversion
            return conv::wrapIntRaw(t, uint64_t(int64_t(conv::x86ToInt32(f))));
    }
}

__device__ __forceinline__ void storeRandom(const FillArgs& a, int64_t i, double v) {
    uint64_t raw;
    if (isWideInt(a.dtype))
        raw = randomIntRaw(a.dtype, floor(v));
    else
        raw = conv::storeComputeFromDouble(a.dtype, v);  // bool: v != 0
    conv::storeRaw(a.y, a.dtype, i, raw);
}

constexpr int kRandomThreads = 320;  // >= rnd::kN
constexpr int kPairs = rnd::kN / 2;  // draws pair up within a generation (312 is even)

__global__ void __launch_bounds__(kRandomThreads) fillRandomKernel(FillArgs a) {
    __shared__ uint64_t x[rnd::kN];
    __shared__ int before[kPairs + 1];  // accepted pairs before pair j (normal)
    __shared__ uint8_t accepted[kPairs];
    const int k = threadIdx.x;
    double lo;  // uniform: low bound; normal: mean
    int64_t alphaInt;
    resolveAlpha(a, lo, alphaInt);
    const double hi = resolveBetaFirst(a);  // uniform: high bound; normal: deviation
    if (k == 0) {
        x[0] = a.seed;
        for (int i = 1; i < rnd::kN; ++i) x[i] = rnd::seedNext(x[i - 1], i);
    }
    __syncthreads();
    int64_t produced = 0;  // elements written before this generation (the same in every thread)
    const bool normal = a.op == ir::FillParams::kRandomNormal;
    while (produced < a.n) {
        uint64_t w = 0;
        if (k < rnd::kN - rnd::kM) w = rnd::twistA(x, k);
        __syncthreads();
        if (k < rnd::kN - rnd::kM) x[k] = w;
        __syncthreads();
        if (k >= rnd::kN - rnd::kM && k < rnd::kN) w = rnd::twistB(x, k);
        __syncthreads();
        if (k >= rnd::kN - rnd::kM && k < rnd::kN) x[k] = w;
        __syncthreads();
        if (!normal) {
            if (k < rnd::kN && produced + k < a.n)
                storeRandom(a, produced + k, rnd::uniform(rnd::temper(x[k]), lo, hi));
            produced += rnd::kN;
            continue;
        }
        double first = 0, second = 0;
        bool ok = false;
        if (k < kPairs) {
            ok = rnd::polarPair(rnd::temper(x[2 * k]), rnd::temper(x[2 * k + 1]), first, second);
            accepted[k] = ok;
        }
        __syncthreads();
        if (k == 0) {
            int c = 0;
            for (int j = 0; j < kPairs; ++j) {
                before[j] = c;
                c += accepted[j];
            }
            before[kPairs] = c;
        }
        __syncthreads();
        if (ok) {
            const int64_t at = produced + 2 * int64_t(before[k]);
            if (at < a.n) storeRandom(a, at, rnd::scaleNormal(first, lo, hi));
            if (at + 1 < a.n) storeRandom(a, at + 1, rnd::scaleNormal(second, lo, hi));
        }
        produced += 2 * int64_t(before[kPairs]);
        __syncthreads();  // before[] and x[] are rewritten by the next generation
    }
}

}  // namespace

bool fillSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    ir::FillParams p;
    return out.size() == 1 && ir::resolveFill(node, in, p).ok() && ir::dtypeValid(int(p.dtype)) &&
           out[0].shape.size() <= size_t(ir::kMaxRank);
}

Status fill(LaunchArgs& args) {
    if (args.outputs.size() != 1) return Status::Error("Fill: expects 1 output");
    ir::FillParams p;
    KILN_RETURN_IF_ERROR(ir::resolveFill(args.node, hostDescs(args.inputs), p).withContext("Fill: "));
    DeviceTensor& y = args.outputs[0];
    if (y.dtype != p.dtype || y.shape.size() != p.shape.size())
        return Status::Error("Fill: output must be " + std::string(ir::dtypeName(p.dtype)) + " of rank " +
                             std::to_string(p.shape.size()));
    if (y.shape.size() > size_t(ir::kMaxRank)) return Status::Error("Fill: output rank above 8");
    FillArgs a{};
    a.op = int(p.op);
    a.dtype = p.dtype;
    a.rank = int(y.shape.size());
    for (size_t d = 0; d < y.shape.size(); ++d) a.dims[d] = y.shape[d];
    a.n = y.numel();
    a.y = y.data;
    a.seed = p.seed;
    a.alpha = p.alpha;
    a.alphaInt = p.alphaInt;
    a.betaFirst = p.betaFirst;
    for (size_t d = 0; d < p.beta.size() && d < size_t(ir::kMaxRank); ++d) {
        a.beta[d] = p.beta[d];
        a.betaInt[d] = p.betaInt[d];
    }
    auto present = [&](size_t i) { return i < args.inputs.size() && args.node.hasInput(i); };
    if (!p.alphaKnown && present(1)) {
        a.alphaPtr = args.inputs[1].data;
        a.alphaType = args.inputs[1].dtype;
    }
    if (!p.betaKnown && present(2)) {
        a.betaPtr = args.inputs[2].data;
        a.betaType = args.inputs[2].dtype;
        a.betaCount = args.inputs[2].numel();
        if (a.betaCount != 1 && a.betaCount != int64_t(a.rank))
            return Status::Error("Fill: input 2 (Beta) must hold one element or one per output dim");
    }
    if (a.n <= 0) return Status::Ok();
    if (p.op == ir::FillParams::kLinspace)
        fillLinspaceKernel<<<gridFor(a.n), kBlock, 0, args.stream>>>(a);
    else
        fillRandomKernel<<<1, kRandomThreads, 0, args.stream>>>(a);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

}  // namespace kiln::cuda::kernels
