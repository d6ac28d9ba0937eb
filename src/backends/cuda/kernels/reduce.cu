// Reduce and Softmax on CUDA. A reduction is split into rows (one per output
// element, over the kept dims) whose elements are the reduced dims. When the
// innermost input dim is reduced, a warp (rows of at most kWarpRowMax elements)
// or a block reduces each row (lanes read consecutive elements); otherwise each
// thread reduces one row (neighbouring threads read neighbouring elements).
// Float32 accumulates in double, 16-bit floats in float32 (as the reference
// does, up to its own double), float64 in double, integers in wrapping 64-bit
// arithmetic. The axes come from input 1 (read on the host) or the attribute,
// as ir::resolveReduceAxes reads them.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

#include "device_common.cuh"
#include "ir/ops/reduction.h"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;

enum ROp : int { kSum, kProd, kMax, kMin, kMean, kL1, kL2, kSumSquare, kLogSum, kLogSumExp };
const char* const kROpNames[] = {"sum", "prod", "max",        "min",     "mean",
                                 "l1",  "l2",   "sum_square", "log_sum", "log_sum_exp"};

int parseROp(const std::string& s) {
    for (int i = 0; i < 10; ++i)
        if (s == kROpNames[i]) return i;
    return -1;
}
constexpr int kFMax = 100;  // max that ignores NaN (fmax), for softmax's row maximum

bool intCapable(int op) { return op == kSum || op == kProd || op == kMax || op == kMin || op == kMean; }

template <class S>
using AccT = std::conditional_t<std::is_same_v<S, float> || std::is_same_v<S, double>, double,
                                std::conditional_t<kIsFloat<S>, float, uint64_t>>;

// Offsets of a row's base (from the output index) and of its elements.
struct RowGeometry {
    StridedIndex<1> rows;   // over kept dims, input strides
    StridedIndex<1> elems;  // over reduced dims, input strides
    int64_t rowLen;
};

Status makeRowGeometry(const ir::Shape& xs, const std::vector<bool>& reduced, RowGeometry& g) {
    const auto st = ir::stridesOf(xs);
    ir::Shape kept, red;
    std::vector<int64_t> keptSt, redSt;
    for (size_t d = 0; d < xs.size(); ++d) {
        (reduced[d] ? red : kept).push_back(xs[d]);
        (reduced[d] ? redSt : keptSt).push_back(st[d]);
    }
    KILN_RETURN_IF_ERROR(makeStridedIndex<1>(kept, {keptSt}, g.rows));
    KILN_RETURN_IF_ERROR(makeStridedIndex<1>(red, {redSt}, g.elems));
    g.rowLen = std::max<int64_t>(ir::volume(red), 0);
    return Status::Ok();
}

__device__ __forceinline__ int64_t offsetOf(const StridedIndex<1>& si, int64_t i) {
    if (si.rank == 1) return i * si.strides[0][0];  // the common case: one contiguous run
    int64_t off[1];
    si.offsets(i, off);
    return off[0];
}

// ---- per-element accumulation ----
template <class A>
__device__ __forceinline__ A identityOf(int op) {
    if constexpr (std::is_floating_point_v<A>) {
        if (op == kProd) return A(1);
        if (op == kMax || op == kFMax) return A(-INFINITY);  // log_sum_exp sums exp() terms from 0
        if (op == kMin) return A(INFINITY);
        return A(0);
    } else {
        return op == kProd ? A(1) : A(0);
    }
}

template <class A>
__device__ __forceinline__ A combine(int op, A acc, A v) {
    if constexpr (std::is_floating_point_v<A>) {
        switch (op) {
            case kProd:
                return acc * v;
            case kFMax:
                return fmax(acc, v);
            case kMax:
                return (isnan(acc) || isnan(v)) ? A(NAN) : (acc < v ? v : acc);
            case kMin:
                return (isnan(acc) || isnan(v)) ? A(NAN) : (v < acc ? v : acc);
            default:
                return acc + v;  // sum, mean, l1, l2, sum_square, log_sum (terms pre-mapped)
        }
    } else {
        return op == kProd ? acc * v : acc + v;
    }
}

template <class A>
__device__ __forceinline__ A mapTerm(int op, A v) {
    if constexpr (std::is_floating_point_v<A>) {
        if (op == kL1) return fabs(v);
        if (op == kL2 || op == kSumSquare) return v * v;
    }
    return v;
}

template <class A>
__device__ A warpCombine(int op, A v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = combine(op, v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Reduces v over the block; every thread gets the result.
template <class A>
__device__ A blockCombine(int op, A v, A* shared) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
    v = warpCombine(op, v);
    __syncthreads();  // shared may still be read from a previous call
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    if (warp == 0) {  // only warp 0 reads the partials: thread 0 overwrites shared[0] below
        A r = lane < nw ? shared[lane] : identityOf<A>(op);
        r = warpCombine(op, r);
        if (lane == 0) shared[0] = r;
    }
    __syncthreads();
    return shared[0];
}

// ---------------------------------------------------------------- Reduce
template <class S, class A>
__device__ S finishReduce(int op, A acc, int64_t n) {
    if constexpr (std::is_floating_point_v<A>) {
        switch (op) {
            case kMean:
                acc = acc / A(n);
                break;
            case kL2:
                acc = sqrt(acc);
                break;
            case kLogSum:
                acc = log(acc);
                break;
            default:
                break;
        }
        return Elem<S>::store(ComputeT<S>(acc));
    } else {
        int64_t r = int64_t(acc);
        if (op == kMean) r = n == 0 ? 0 : r / n;
        return S(r);
    }
}

template <class S>
struct IntBounds {
    __device__ static int64_t lo() { return int64_t(std::numeric_limits<S>::lowest()); }
    __device__ static int64_t hi() { return int64_t(std::numeric_limits<S>::max()); }
};

// Reduces one row seen by `count` threads starting at `first` with step `step`.
template <class S, class A>
__device__ A partialRow(int op, const S* x, const RowGeometry& g, int64_t first, int64_t step, A mx) {
    A acc = identityOf<A>(op);
    for (int64_t j = first; j < g.rowLen; j += step) {
        const auto raw = Elem<S>::load(x[offsetOf(g.elems, j)]);
        A v;
        if constexpr (std::is_floating_point_v<A>) {
            v = A(raw);
            if (op == kLogSumExp) v = exp(v - mx);
        } else {
            v = A(int64_t(raw));
        }
        acc = combine(op, acc, mapTerm(op, v));
    }
    return acc;
}

// log(sum(exp(v))) over one row, each thread reading its partialRow(first,
// step) share and `across` combining the shares of the threads that reduce the
// row together (a block, a warp, or a thread alone); each gets the result. A
// NaN or infinite maximum is the result itself (no inf - inf).
template <class S, class A, class Across>
__device__ A logSumExpRow(const S* row, const RowGeometry& g, int64_t first, int64_t step, Across across) {
    const A mx = across(kMax, partialRow<S, A>(kMax, row, g, first, step, A(0)));
    if (isnan(mx) || isinf(mx)) return mx;
    return mx + log(across(kSum, partialRow<S, A>(kLogSumExp, row, g, first, step, mx)));
}

template <class S, class A>
__global__ void reduceRowsBlock(const S* __restrict__ x, S* __restrict__ y, int64_t rows, RowGeometry g, int op) {
    __shared__ A shared[32];
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const S* row = x + offsetOf(g.rows, r);
        A result;
        if constexpr (std::is_floating_point_v<A>) {
            if (op == kLogSumExp) {
                result = logSumExpRow<S, A>(row, g, threadIdx.x, blockDim.x,
                                            [&](int o, A v) { return blockCombine<A>(o, v, shared); });
                if (threadIdx.x == 0) y[r] = Elem<S>::store(ComputeT<S>(result));
                continue;
            }
        }
        if constexpr (!std::is_floating_point_v<A>) {
            if (op == kMax || op == kMin) {  // integer max/min: no identity in unsigned space
                int64_t m = op == kMax ? IntBounds<S>::lo() : IntBounds<S>::hi();
                for (int64_t j = threadIdx.x; j < g.rowLen; j += blockDim.x) {
                    const int64_t v = int64_t(row[offsetOf(g.elems, j)]);
                    m = op == kMax ? (v > m ? v : m) : (v < m ? v : m);
                }
                __shared__ int64_t sm[32];
#pragma unroll
                for (int o = 16; o > 0; o >>= 1) {
                    const int64_t t = __shfl_xor_sync(0xffffffffu, m, o);
                    m = op == kMax ? (t > m ? t : m) : (t < m ? t : m);
                }
                __syncthreads();
                if ((threadIdx.x & 31) == 0) sm[threadIdx.x >> 5] = m;
                __syncthreads();
                if (threadIdx.x == 0) {
                    for (int w = 1; w < int((blockDim.x + 31) >> 5); ++w)
                        m = op == kMax ? (sm[w] > m ? sm[w] : m) : (sm[w] < m ? sm[w] : m);
                    y[r] = S(m);
                }
                continue;
            }
        }
        result = blockCombine<A>(op, partialRow<S, A>(op, row, g, threadIdx.x, blockDim.x, A(0)), shared);
        if (threadIdx.x == 0) y[r] = finishReduce<S, A>(op, result, g.rowLen);
    }
}

template <class S, class A>
__global__ void reduceRowsThread(const S* __restrict__ x, S* __restrict__ y, int64_t rows, RowGeometry g, int op) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; r < rows; r += stride) {
        const S* row = x + offsetOf(g.rows, r);
        if constexpr (std::is_floating_point_v<A>) {
            if (op == kLogSumExp) {
                y[r] = Elem<S>::store(ComputeT<S>(logSumExpRow<S, A>(row, g, 0, 1, [](int, A v) { return v; })));
                continue;
            }
        } else {
            if (op == kMax || op == kMin) {
                int64_t m = op == kMax ? IntBounds<S>::lo() : IntBounds<S>::hi();
                for (int64_t j = 0; j < g.rowLen; ++j) {
                    const int64_t v = int64_t(row[offsetOf(g.elems, j)]);
                    m = op == kMax ? (v > m ? v : m) : (v < m ? v : m);
                }
                y[r] = S(m);
                continue;
            }
        }
        y[r] = finishReduce<S, A>(op, partialRow<S, A>(op, row, g, 0, 1, A(0)), g.rowLen);
    }
}

// One warp per row: for short contiguous-ended rows (global pooling's 49 or 64
// elements over a hundred thousand rows), where a block per row would leave
// most of its threads idle and pay three barriers per row. Integer max/min,
// which have no identity in the unsigned accumulator, keep the block kernel.
template <class S, class A>
__global__ void reduceRowsWarp(const S* __restrict__ x, S* __restrict__ y, int64_t rows, RowGeometry g, int op) {
    const int lane = threadIdx.x & 31;
    const int64_t perBlock = blockDim.x >> 5;
    const int64_t step = int64_t(gridDim.x) * perBlock;
    for (int64_t r = int64_t(blockIdx.x) * perBlock + (threadIdx.x >> 5); r < rows; r += step) {
        const S* row = x + offsetOf(g.rows, r);
        if constexpr (std::is_floating_point_v<A>) {
            if (op == kLogSumExp) {
                const A lse = logSumExpRow<S, A>(row, g, lane, 32, [](int o, A v) { return warpCombine<A>(o, v); });
                if (lane == 0) y[r] = Elem<S>::store(ComputeT<S>(lse));
                continue;
            }
        }
        const A acc = warpCombine<A>(op, partialRow<S, A>(op, row, g, lane, 32, A(0)));
        if (lane == 0) y[r] = finishReduce<S, A>(op, acc, g.rowLen);
    }
}

// Input 1 (Axes), when present: int32/int64, 1-D of known length, and its
// values on the host at run time. At build time read-back values are stand-in
// zeros, so only their presence is tested; an empty list needs no values.
bool axesInputUsable(const ir::Node& node, const std::vector<ir::TensorDesc>& in) {
    if (node.inputs.size() < 2 || node.inputs[1] < 0) return true;  // absent: the `axes` attribute
    if (in.size() < 2) return false;
    const ir::TensorDesc& a = in[1];
    if ((a.dtype != ir::DType::kI32 && a.dtype != ir::DType::kI64) || a.shape.size() != 1 || a.shape[0] < 0 ||
        a.shape[0] > int64_t(in[0].shape.size()))
        return false;
    return a.data != nullptr || a.shape[0] == 0;
}

// The reduced dims of this run (noop_with_empty_axes included: no dim).
Status reducedMask(const LaunchArgs& args, std::vector<bool>& mask) {
    ir::ReduceAxes axes;
    KILN_RETURN_IF_ERROR(ir::resolveReduceAxes(args.node, hostDescs(args.inputs), axes).withContext("Reduce: "));
    if (!axes.known) return Status::Error("Reduce: the values of input 1 (Axes) are not on the host");
    mask = std::move(axes.mask);
    return Status::Ok();
}

// Rows up to this length go one per warp (reduceRowsWarp), longer ones one per block.
constexpr int64_t kWarpRowMax = 1024;

template <class S>
Status launchReduce(const DeviceTensor& X, DeviceTensor& Y, const std::vector<bool>& mask, int op, cudaStream_t s) {
    using A = AccT<S>;
    RowGeometry g;
    KILN_RETURN_IF_ERROR(makeRowGeometry(X.shape, mask, g));
    const int64_t rows = Y.numel();
    int64_t kept = 1;  // one output element per row: guards the writes below
    for (size_t d = 0; d < X.shape.size(); ++d)
        if (!mask[d]) kept *= X.shape[d];
    if (kept != rows)
        return Status::Error("Reduce: output shape " + ir::shapeToString(Y.shape) + " does not match input " +
                             ir::shapeToString(X.shape));
    if (rows <= 0) return Status::Ok();
    const bool innerReduced = !X.shape.empty() && mask.back() && X.shape.back() > 1;
    const bool intMaxMin = !std::is_floating_point_v<A> && (op == kMax || op == kMin);
    if (innerReduced && g.rowLen <= kWarpRowMax && !intMaxMin) {
        constexpr int64_t kRowsPerBlock = kBlock / 32;
        reduceRowsWarp<S, A>
            <<<unsigned(std::min<int64_t>((rows + kRowsPerBlock - 1) / kRowsPerBlock, 65535 * 8)), kBlock, 0, s>>>(
                X.as<const S>(), Y.as<S>(), rows, g, op);
    } else if (innerReduced || rows < 1024) {
        reduceRowsBlock<S, A>
            <<<unsigned(std::min<int64_t>(rows, 65535 * 8)), kBlock, 0, s>>>(X.as<const S>(), Y.as<S>(), rows, g, op);
    } else {
        reduceRowsThread<S, A><<<gridFor(rows), kBlock, 0, s>>>(X.as<const S>(), Y.as<S>(), rows, g, op);
    }
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

// ---------------------------------------------------------------- Softmax
// Rows of length n with element stride `inner`; row r starts at
// (r / inner) * n * inner + r % inner.
template <class S, class A>
__global__ void softmaxBlock(const S* __restrict__ x, S* __restrict__ y, int64_t rows, int64_t n, bool logMode) {
    __shared__ A shared[32];
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const S* xr = x + r * n;
        S* yr = y + r * n;
        A mx = A(-INFINITY);
        for (int64_t j = threadIdx.x; j < n; j += blockDim.x) mx = fmax(mx, A(Elem<S>::load(xr[j])));
        mx = blockCombine<A>(kFMax, mx, shared);
        A sum = 0;
        for (int64_t j = threadIdx.x; j < n; j += blockDim.x) sum += exp(A(Elem<S>::load(xr[j])) - mx);
        sum = blockCombine<A>(kSum, sum, shared);
        const A logSum = log(sum);
        for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
            const A d = A(Elem<S>::load(xr[j])) - mx;
            yr[j] = Elem<S>::store(ComputeT<S>(logMode ? d - logSum : exp(d) / sum));
        }
    }
}

// One warp per contiguous row of n <= 32*K elements, held in registers: one
// read and one write of the row, reductions by shuffles (attention's rows of
// a few hundred). Same arithmetic as softmaxBlock.
template <class S, class A, int K>
__global__ void softmaxWarp(const S* __restrict__ x, S* __restrict__ y, int64_t rows, int n, bool logMode) {
    const int lane = threadIdx.x & 31;
    const int64_t warps = (int64_t(gridDim.x) * blockDim.x) >> 5;
    for (int64_t r = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) >> 5; r < rows; r += warps) {
        const S* xr = x + r * n;
        S* yr = y + r * n;
        A v[K];
        A mx = A(-INFINITY);
#pragma unroll
        for (int k = 0; k < K; ++k) {
            const int j = lane + k * 32;
            v[k] = j < n ? A(Elem<S>::load(xr[j])) : A(-INFINITY);
            mx = fmax(mx, v[k]);
        }
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) mx = fmax(mx, __shfl_xor_sync(0xffffffffu, mx, o));
        A sum = 0;
#pragma unroll
        for (int k = 0; k < K; ++k)
            if (lane + k * 32 < n) {
                v[k] -= mx;
                sum += exp(v[k]);
            }
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);
        const A logSum = log(sum);
#pragma unroll
        for (int k = 0; k < K; ++k) {
            const int j = lane + k * 32;
            if (j < n) yr[j] = Elem<S>::store(ComputeT<S>(logMode ? v[k] - logSum : exp(v[k]) / sum));
        }
    }
}

template <class S, class A, int K>
void launchSoftmaxWarp(const S* x, S* y, int64_t rows, int n, bool logMode, cudaStream_t stream) {
    const int64_t blocks = std::min<int64_t>((rows + 7) / 8, 65535 * 8);  // 8 warps per block
    softmaxWarp<S, A, K><<<unsigned(blocks), kBlock, 0, stream>>>(x, y, rows, n, logMode);
}

template <class S, class A>
__global__ void softmaxColumns(const S* __restrict__ x, S* __restrict__ y, int64_t rows, int64_t n, int64_t inner,
                               bool logMode) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; r < rows; r += stride) {
        const int64_t base = (r / inner) * n * inner + r % inner;
        A mx = A(-INFINITY);
        for (int64_t j = 0; j < n; ++j) mx = fmax(mx, A(Elem<S>::load(x[base + j * inner])));
        A sum = 0;
        for (int64_t j = 0; j < n; ++j) sum += exp(A(Elem<S>::load(x[base + j * inner])) - mx);
        const A logSum = log(sum);
        for (int64_t j = 0; j < n; ++j) {
            const A d = A(Elem<S>::load(x[base + j * inner])) - mx;
            y[base + j * inner] = Elem<S>::store(ComputeT<S>(logMode ? d - logSum : exp(d) / sum));
        }
    }
}

}  // namespace

bool reduceSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                    const std::vector<ir::TensorDesc>& out) {
    if (in.empty() || in.size() > 2 || out.size() != 1 || out[0].dtype != in[0].dtype ||
        in[0].shape.size() > size_t(kMaxDims))
        return false;
    const int op = parseROp(node.attrs.getString("op", "sum"));
    if (op < 0) return false;
    const ir::DType t = in[0].dtype;
    const bool typeOk =
        isDeviceFloat(t) || t == ir::DType::kF64 || ((t == ir::DType::kI32 || t == ir::DType::kI64) && intCapable(op));
    return typeOk && axesInputUsable(node, in);
}

Status reduce(LaunchArgs& args) {
    const DeviceTensor& X = args.inputs[0];
    DeviceTensor& Y = args.outputs[0];
    const std::string name = args.node.attrs.getString("op", "sum");
    const int op = parseROp(name);
    if (op < 0) return Status::Error("Reduce: unknown op '" + name + "'");
    std::vector<bool> mask;
    KILN_RETURN_IF_ERROR(reducedMask(args, mask));
    switch (X.dtype) {
        case ir::DType::kF32:
            return launchReduce<float>(X, Y, mask, op, args.stream);
        case ir::DType::kF64:
            return launchReduce<double>(X, Y, mask, op, args.stream);
        case ir::DType::kF16:
            return launchReduce<__half>(X, Y, mask, op, args.stream);
        case ir::DType::kBF16:
            return launchReduce<__nv_bfloat16>(X, Y, mask, op, args.stream);
        case ir::DType::kI32:
            if (intCapable(op)) return launchReduce<int32_t>(X, Y, mask, op, args.stream);
            break;
        case ir::DType::kI64:
            if (intCapable(op)) return launchReduce<int64_t>(X, Y, mask, op, args.stream);
            break;
        default:
            break;
    }
    return Status::Error("Reduce '" + name + "': unsupported dtype " + std::string(ir::dtypeName(X.dtype)));
}

bool softmaxSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    const ir::DType t = in.empty() ? ir::DType::kF32 : in[0].dtype;
    return in.size() == 1 && (isDeviceFloat(t) || t == ir::DType::kF64) && out.size() == 1 && out[0].dtype == t;
}

Status softmax(LaunchArgs& args) {
    const DeviceTensor& X = args.inputs[0];
    DeviceTensor& Y = args.outputs[0];
    int64_t axis = args.node.attrs.getInt("axis", -1);
    if (!ir::normalizeAxis(axis, int64_t(X.shape.size())))
        return Status::Error("Softmax: axis out of range for shape " + ir::shapeToString(X.shape));
    const bool logMode = args.node.attrs.getInt("log", 0) != 0;
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= X.shape[size_t(d)];
    for (size_t d = size_t(axis) + 1; d < X.shape.size(); ++d) inner *= X.shape[d];
    const int64_t n = X.shape[size_t(axis)];
    const int64_t rows = outer * inner;
    if (rows <= 0 || n <= 0) return Status::Ok();
    auto run = [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        using A = AccT<S>;
        if (inner == 1 && n <= 1024) {
            const S* x = X.as<const S>();
            S* y = Y.as<S>();
            const int m = int(n);
            if (m <= 32)
                launchSoftmaxWarp<S, A, 1>(x, y, rows, m, logMode, args.stream);
            else if (m <= 64)
                launchSoftmaxWarp<S, A, 2>(x, y, rows, m, logMode, args.stream);
            else if (m <= 128)
                launchSoftmaxWarp<S, A, 4>(x, y, rows, m, logMode, args.stream);
            else if (m <= 256)
                launchSoftmaxWarp<S, A, 8>(x, y, rows, m, logMode, args.stream);
            else if (m <= 512)
                launchSoftmaxWarp<S, A, 16>(x, y, rows, m, logMode, args.stream);
            else
                launchSoftmaxWarp<S, A, 32>(x, y, rows, m, logMode, args.stream);
        } else if (inner == 1)
            softmaxBlock<S, A><<<unsigned(std::min<int64_t>(rows, 65535 * 8)), kBlock, 0, args.stream>>>(
                X.as<const S>(), Y.as<S>(), rows, n, logMode);
        else
            softmaxColumns<S, A>
                <<<gridFor(rows), kBlock, 0, args.stream>>>(X.as<const S>(), Y.as<S>(), rows, n, inner, logMode);
        KILN_CUDA_CHECK_LAUNCH();
        return Status::Ok();
    };
    if (X.dtype == ir::DType::kF64) return run(Tag<double>{});  // ONNX models in double (FlexAttention's tests)
    return visitFloatType(X.dtype, run);
}

}  // namespace kiln::cuda::kernels
