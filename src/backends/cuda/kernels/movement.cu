// Data movement on CUDA: Shuffle (transposes around a free reshape), Slice
// and Pad (per-dim sampling with the SampleMode of docs/ops.md), Concat
// (2-D copies), Identity and Shape. Parameters that shape inference reads
// from value inputs (Shuffle's Shape, Slice's Start/Size/Stride, Pad's Pads)
// must be build-time constants on CUDA: their host copies travel with the
// tensors (DeviceTensor::hostData).
#include <cstring>

#include "device_common.cuh"
#include "ir/ops/data_movement.h"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;


// Same-size unsigned type for copying elements of `bytes` bytes.
template <class Fn>
Status visitBytes(size_t bytes, Fn&& fn) {
    switch (bytes) {
        case 1:
            return fn(Tag<uint8_t>{});
        case 2:
            return fn(Tag<uint16_t>{});
        case 4:
            return fn(Tag<uint32_t>{});
        case 8:
            return fn(Tag<uint64_t>{});
        default:
            return Status::Error("element size " + std::to_string(bytes) + " is not supported");
    }
}

template <class T>
__global__ void gatherStrided(const T* __restrict__ x, T* __restrict__ y, int64_t n, StridedIndex<1> si) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        int64_t off[1];
        si.offsets(i, off);
        y[i] = x[off[0]];
    }
}

// y[i] = x[outer offset of i's chunk + i % chunk], in units U (the chunk is
// the innermost run that stays contiguous: copied with wide loads).
template <class U>
__global__ void gatherChunks(const U* __restrict__ x, U* __restrict__ y, int64_t n, int64_t chunk,
                             StridedIndex<1> outer) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        const int64_t c = i / chunk;
        int64_t off[1];
        outer.offsets(c, off);
        y[i] = x[off[0] + (i - c * chunk)];
    }
}

// y[b][p][q] = x[b][q][p] for x [B, Q, P], through 32x32 tiles in shared
// memory so that reads and writes are both coalesced.
template <class T>
__global__ void transposeTiles(const T* __restrict__ x, T* __restrict__ y, int64_t P, int64_t Q) {
    __shared__ T tile[32][33];
    const int64_t b = blockIdx.z;
    const T* xb = x + b * P * Q;
    T* yb = y + b * P * Q;
    const int64_t p0 = int64_t(blockIdx.y) * 32, q0 = int64_t(blockIdx.x) * 32;
    for (int k = threadIdx.y; k < 32; k += blockDim.y) {  // read rows q of x: p contiguous
        const int64_t q = q0 + k, p = p0 + threadIdx.x;
        if (q < Q && p < P) tile[k][threadIdx.x] = xb[q * P + p];
    }
    __syncthreads();
    for (int k = threadIdx.y; k < 32; k += blockDim.y) {  // write rows p of y: q contiguous
        const int64_t p = p0 + k, q = q0 + threadIdx.x;
        if (p < P && q < Q) yb[p * Q + q] = tile[threadIdx.x][k];
    }
}

// The same transpose when Q is small (NCHW -> NHWC of an image's 3
// channels): one thread per p reads its Q values (coalesced across threads,
// one row of x at a time) and writes them next to each other in y, so the
// writes of a warp cover one contiguous span; the tiles would leave most
// lanes idle.
template <class T, int Q>
__global__ void transposeToSmallInner(const T* __restrict__ x, T* __restrict__ y, int64_t B, int64_t P) {
    const int64_t n = B * P, stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        const int64_t b = i / P, p = i - b * P;
        const T* xb = x + b * P * Q + p;
#pragma unroll
        for (int q = 0; q < Q; ++q) y[i * Q + q] = xb[q * P];
    }
}

template <class T>
Status launchSmallInner(const void* x, void* y, int64_t B, int64_t P, int64_t Q, cudaStream_t stream) {
    const T* xs = static_cast<const T*>(x);
    T* ys = static_cast<T*>(y);
    const unsigned grid = gridFor(B * P);
    switch (Q) {
        case 2:
            transposeToSmallInner<T, 2><<<grid, kBlock, 0, stream>>>(xs, ys, B, P);
            break;
        case 3:
            transposeToSmallInner<T, 3><<<grid, kBlock, 0, stream>>>(xs, ys, B, P);
            break;
        case 4:
            transposeToSmallInner<T, 4><<<grid, kBlock, 0, stream>>>(xs, ys, B, P);
            break;
        default:
            return Status::Error("small-inner transpose: Q must be 2..4");
    }
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

// The fast forms of a permutation (after merging dims): a batched 2-D
// transpose, or an innermost run that stays contiguous. False: neither.
bool fastTranspose(const void* x, void* y, int64_t n, const StridedIndex<1>& si, size_t es, cudaStream_t stream,
                   Status& st) {
    const int r = si.rank;
    // [B,] P, Q with input strides [P*Q,] 1, P.
    if ((r == 2 || r == 3) && si.strides[0][r - 2] == 1 && si.strides[0][r - 1] == si.dims[r - 2] &&
        (r == 2 || si.strides[0][0] == si.dims[1] * si.dims[2]) && es <= 8) {
        const int64_t B = r == 3 ? si.dims[0] : 1, P = si.dims[r - 2], Q = si.dims[r - 1];
        if (Q >= 2 && Q <= 4 && P >= 256) {
            st = visitBytes(es, [&](auto tag) -> Status {
                return launchSmallInner<typename decltype(tag)::type>(x, y, B, P, Q, stream);
            });
            return true;
        }
        if (B <= 65535 && (P + 31) / 32 <= 65535) {
            const dim3 grid(unsigned((Q + 31) / 32), unsigned((P + 31) / 32), unsigned(B)), block(32, 8);
            st = visitBytes(es, [&](auto tag) -> Status {
                using T = typename decltype(tag)::type;
                transposeTiles<T><<<grid, block, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), P, Q);
                KILN_CUDA_CHECK_LAUNCH();
                return Status::Ok();
            });
            return true;
        }
    }
    if (r < 2 || si.strides[0][r - 1] != 1) return false;
    // The widest unit (16, 8 or 4 bytes, at least one element) dividing the run, the strides and the addresses.
    const int64_t runBytes = si.dims[r - 1] * int64_t(es);
    size_t unit = 16;
    auto fits = [&](size_t u) {
        if (u < es || runBytes % int64_t(u) != 0) return false;
        if ((reinterpret_cast<uintptr_t>(x) | reinterpret_cast<uintptr_t>(y)) % u != 0) return false;
        for (int d = 0; d < r - 1; ++d)
            if ((si.strides[0][d] * int64_t(es)) % int64_t(u) != 0) return false;
        return true;
    };
    while (unit > es && !fits(unit)) unit /= 2;
    if (!fits(unit)) unit = es;
    StridedIndex<1> outer{};
    outer.rank = r - 1;
    for (int d = 0; d < r - 1; ++d) {
        outer.dims[d] = si.dims[d];
        outer.strides[0][d] = si.strides[0][d] * int64_t(es) / int64_t(unit);
    }
    const int64_t chunk = runBytes / int64_t(unit), units = n * int64_t(es) / int64_t(unit);
    st = visitBytes(unit == 16 ? 8 : unit, [&](auto tag) -> Status {
        using T = typename decltype(tag)::type;
        if (unit == 16)
            gatherChunks<uint4><<<gridFor(units), kBlock, 0, stream>>>(static_cast<const uint4*>(x),
                                                                       static_cast<uint4*>(y), units, chunk, outer);
        else
            gatherChunks<T><<<gridFor(units), kBlock, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), units,
                                                                   chunk, outer);
        KILN_CUDA_CHECK_LAUNCH();
        return Status::Ok();
    });
    return true;
}

// y = transpose(x, perm) for x of shape xs.
Status transpose(const void* x, const ir::Shape& xs, const std::vector<int64_t>& perm, void* y, size_t es,
                 cudaStream_t stream) {
    const int64_t n = ir::volume(xs);
    if (n <= 0) return Status::Ok();
    const auto xst = ir::stridesOf(xs);
    ir::Shape ys(perm.size());
    std::vector<int64_t> st(perm.size());
    for (size_t d = 0; d < perm.size(); ++d) {
        ys[d] = xs[size_t(perm[d])];
        st[d] = xst[size_t(perm[d])];
    }
    StridedIndex<1> si;
    KILN_RETURN_IF_ERROR(makeStridedIndex<1>(ys, {st}, si));
    if (si.rank <= 1) {  // the permutation moves nothing
        KILN_CUDA_CHECK(cudaMemcpyAsync(y, x, size_t(n) * es, cudaMemcpyDeviceToDevice, stream));
        return Status::Ok();
    }
    Status fast;
    if (fastTranspose(x, y, n, si, es, stream, fast)) return fast;
    return visitBytes(es, [&](auto tag) -> Status {
        using T = typename decltype(tag)::type;
        gatherStrided<T><<<gridFor(n), kBlock, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), n, si);
        KILN_CUDA_CHECK_LAUNCH();
        return Status::Ok();
    });
}

// ---- Slice / Pad sampling ----
struct SampleParams {
    int rank;
    int mode;  // ir::movement::SampleMode
    int64_t outDims[kMaxDims];
    int64_t start[kMaxDims], step[kMaxDims], inDims[kMaxDims], inStrides[kMaxDims];
    uint64_t fillBits;
};

__device__ __forceinline__ int64_t sampleCoordDev(int64_t x, int64_t d, int mode) {
    using ir::movement::SampleMode;
    if (x >= 0 && x < d) return x;
    if (d <= 0) return -1;  // nothing to sample from an empty dim: the fill value
    switch (SampleMode(mode)) {
        case SampleMode::kStrict:
        case SampleMode::kFill:
            return -1;
        case SampleMode::kClamp:
            return x < 0 ? 0 : d - 1;
        case SampleMode::kWrap:
            return ((x % d) + d) % d;
        case SampleMode::kReflect: {
            if (d == 1) return 0;
            const int64_t period = 2 * d - 2;
            int64_t c = x % period;
            if (c < 0) c = -c;
            return c >= d ? period - c : c;
        }
    }
    return -1;
}

template <class T>
__global__ void sampleKernel(const T* __restrict__ x, T* __restrict__ y, int64_t n, SampleParams p, const T* fillPtr) {
    T fill;
    if (fillPtr)
        fill = *fillPtr;
    else
        memcpy(&fill, &p.fillBits, sizeof(T));
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        int64_t rem = i, off = 0;
        bool outside = false;
        for (int d = p.rank - 1; d >= 0; --d) {
            const int64_t q = rem / p.outDims[d];
            const int64_t c = rem - q * p.outDims[d];
            rem = q;
            const int64_t s = sampleCoordDev(p.start[d] + c * p.step[d], p.inDims[d], p.mode);
            outside |= s < 0;
            off += s * p.inStrides[d];
        }
        y[i] = outside ? fill : x[off];
    }
}

// A constant pad of the innermost axis alone (the channels-last pass pads
// an image's channels to 8): one thread per row writes the row's Cout
// elements, contiguous across the warp, instead of decoding every element's
// coordinates.
template <class T>
__global__ void padInnerKernel(const T* __restrict__ x, T* __restrict__ y, int64_t rows, int64_t cin, int64_t cout,
                               int64_t begin, uint64_t fillBits) {
    T fill;
    memcpy(&fill, &fillBits, sizeof(T));
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; r < rows; r += stride) {
        const T* xr = x + r * cin;
        T* yr = y + r * cout;
        for (int64_t c = 0; c < cout; ++c) {
            const int64_t s = c - begin;
            yr[c] = s >= 0 && s < cin ? xr[s] : fill;
        }
    }
}

// padInnerKernel for output rows of a whole number of 16-byte chunks (an image
// padded to 8 float16 or float32 channels): each chunk is put together in
// registers and written with one 16-byte store.
template <class T>
__global__ void padInnerVecKernel(const T* __restrict__ x, uint4* __restrict__ y, int64_t rows, int64_t cin,
                                  int64_t chunks, int64_t begin, uint64_t fillBits) {
    constexpr int kPer = 16 / sizeof(T);
    T fill;
    memcpy(&fill, &fillBits, sizeof(T));
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; r < rows; r += stride) {
        const T* xr = x + r * cin;
        for (int64_t k = 0; k < chunks; ++k) {
            union {
                uint4 v;
                T e[kPer];
            } u;
#pragma unroll
            for (int j = 0; j < kPer; ++j) {
                const int64_t s = k * kPer + j - begin;
                u.e[j] = s >= 0 && s < cin ? xr[s] : fill;
            }
            y[r * chunks + k] = u.v;
        }
    }
}

// Whether the sampling is a constant pad of the last axis that keeps the whole input row.
bool innerPadOnly(const ir::movement::SliceParams& p, const ir::Shape& xs, const ir::Shape& ys) {
    const size_t r = xs.size();
    if (r == 0 || p.mode != ir::movement::SampleMode::kFill) return false;
    for (size_t d = 0; d < r; ++d) {
        if (p.stride[d] != 1) return false;
        if (d + 1 < r && (p.start[d] != 0 || ys[d] != xs[d])) return false;
    }
    const int64_t begin = -p.start[r - 1];
    return begin >= 0 && begin + xs[r - 1] <= ys[r - 1] && ys[r - 1] <= 64;
}

Status sample(LaunchArgs& a, const ir::movement::SliceParams& p, const void* fillHost, const void* fillDevice) {
    const DeviceTensor& X = a.inputs[0];
    DeviceTensor& Y = a.outputs[0];
    const size_t rank = X.shape.size();
    if (rank > size_t(kMaxDims)) return Status::Error("rank over 8 is not supported on CUDA");
    const int64_t n = Y.numel();
    if (n <= 0) return Status::Ok();
    SampleParams sp{};
    sp.rank = int(rank);
    sp.mode = int(p.mode);
    const auto xst = ir::stridesOf(X.shape);
    for (size_t d = 0; d < rank; ++d) {
        sp.outDims[d] = Y.shape[d];
        sp.start[d] = p.start[d];
        sp.step[d] = p.stride[d];
        sp.inDims[d] = X.shape[d];
        sp.inStrides[d] = xst[d];
        if (p.mode == ir::movement::SampleMode::kStrict) {
            const int64_t first = p.start[d], last = p.start[d] + (Y.shape[d] - 1) * p.stride[d];
            if (first < 0 || first >= X.shape[d] || last < 0 || last >= X.shape[d])
                return Status::Error("strict mode: dim " + std::to_string(d) + " reads out of bounds");
        }
    }
    if (fillHost) std::memcpy(&sp.fillBits, fillHost, ir::dtypeSize(X.dtype));
    if (!fillDevice && X.numel() > 0 && innerPadOnly(p, X.shape, Y.shape)) {
        const int64_t cin = X.shape.back(), cout = Y.shape.back(), rows = n / cout;
        const size_t rowBytes = size_t(cout) * ir::dtypeSize(X.dtype);
        const bool vec = rowBytes % 16 == 0 && reinterpret_cast<uintptr_t>(Y.data) % 16 == 0;
        return visitBytes(ir::dtypeSize(X.dtype), [&](auto tag) -> Status {
            using T = typename decltype(tag)::type;
            if (vec)
                padInnerVecKernel<T><<<gridFor(rows), kBlock, 0, a.stream>>>(
                    X.as<const T>(), Y.as<uint4>(), rows, cin, int64_t(rowBytes / 16), -p.start.back(), sp.fillBits);
            else
                padInnerKernel<T><<<gridFor(rows), kBlock, 0, a.stream>>>(X.as<const T>(), Y.as<T>(), rows, cin,
                                                                          cout, -p.start.back(), sp.fillBits);
            KILN_CUDA_CHECK_LAUNCH();
            return Status::Ok();
        });
    }
    return visitBytes(ir::dtypeSize(X.dtype), [&](auto tag) -> Status {
        using T = typename decltype(tag)::type;
        sampleKernel<T>
            <<<gridFor(n), kBlock, 0, a.stream>>>(X.as<const T>(), Y.as<T>(), n, sp, static_cast<const T*>(fillDevice));
        KILN_CUDA_CHECK_LAUNCH();
        return Status::Ok();
    });
}

struct ShapeValues {
    int64_t v[kMaxDims];
};
__global__ void writeShape(int64_t* y, int n, ShapeValues s) {
    if (int(threadIdx.x) < n) y[threadIdx.x] = s.v[threadIdx.x];
}

}  // namespace

// ---------------------------------------------------------------- Shuffle
bool shuffleSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                     const std::vector<ir::TensorDesc>& out) {
    if (in.empty() || out.empty() || in[0].dtype != out[0].dtype || in[0].shape.size() > size_t(kMaxDims)) return false;
    // The Shape input must be known on the host.
    return !(node.inputs.size() > 1 && node.inputs[1] >= 0 && in.size() > 1 && !in[1].data);
}

size_t shuffleWorkspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                        const std::vector<ir::TensorDesc>&) {
    ir::movement::ShuffleParams p;
    if (!ir::movement::resolveShuffle(node, in, p).ok()) return 0;
    if (ir::movement::isIdentityPerm(p.perm1) || ir::movement::isIdentityPerm(p.perm2)) return 0;
    return size_t(std::max<int64_t>(ir::volume(in[0].shape), 0)) * ir::dtypeSize(in[0].dtype);
}

Status shuffle(LaunchArgs& a) {
    ir::movement::ShuffleParams p;
    KILN_RETURN_IF_ERROR(ir::movement::resolveShuffle(a.node, hostDescs(a.inputs), p));
    const DeviceTensor& X = a.inputs[0];
    DeviceTensor& Y = a.outputs[0];
    const size_t es = ir::dtypeSize(X.dtype);
    if (X.numel() <= 0) return Status::Ok();
    const bool t1 = !ir::movement::isIdentityPerm(p.perm1), t2 = !ir::movement::isIdentityPerm(p.perm2);
    if (!t1 && !t2) {
        if (X.data != Y.data)
            KILN_CUDA_CHECK(cudaMemcpyAsync(Y.data, X.data, X.bytes(), cudaMemcpyDeviceToDevice, a.stream));
        return Status::Ok();
    }
    if (t1 && !t2) return transpose(X.data, X.shape, p.perm1, Y.data, es, a.stream);
    if (!t1) return transpose(X.data, p.reshaped, p.perm2, Y.data, es, a.stream);
    if (a.workspaceBytes < X.bytes()) return Status::Error("Shuffle: workspace too small for two transposes");
    KILN_RETURN_IF_ERROR(transpose(X.data, X.shape, p.perm1, a.workspace, es, a.stream));
    return transpose(a.workspace, p.reshaped, p.perm2, Y.data, es, a.stream);
}

// ---------------------------------------------------------------- Identity / Shape
bool identitySupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return !in.empty() && !out.empty() && in[0].dtype == out[0].dtype;
}

Status identity(LaunchArgs& a) {
    const DeviceTensor& X = a.inputs[0];
    if (X.bytes() && a.outputs[0].data != X.data)
        KILN_CUDA_CHECK(cudaMemcpyAsync(a.outputs[0].data, X.data, X.bytes(), cudaMemcpyDeviceToDevice, a.stream));
    return Status::Ok();
}

bool shapeSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return !out.empty() && out[0].dtype == ir::DType::kI64 && !in.empty() && in[0].shape.size() <= size_t(kMaxDims);
}

Status shape(LaunchArgs& a) {
    const ir::Shape& xs = a.inputs[0].shape;
    int64_t start, end;
    ir::movement::shapeRange(a.node, int64_t(xs.size()), start, end);
    const int n = int(std::max<int64_t>(end - start, 0));
    if (n != a.outputs[0].numel()) return Status::Error("Shape: output has the wrong size");
    if (n == 0) return Status::Ok();
    ShapeValues s{};
    for (int i = 0; i < n; ++i) s.v[i] = xs[size_t(start + i)];
    writeShape<<<1, 32, 0, a.stream>>>(a.outputs[0].as<int64_t>(), n, s);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

// ---------------------------------------------------------------- Concat
bool concatSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    for (const auto& t : in)
        if (t.dtype != out[0].dtype) return false;
    return true;
}

Status concat(LaunchArgs& a) {
    DeviceTensor& Y = a.outputs[0];
    int64_t axis = a.node.attrs.getInt("axis");
    if (!ir::normalizeAxis(axis, int64_t(Y.shape.size()))) return Status::Error("Concat: axis out of range");
    const size_t es = ir::dtypeSize(Y.dtype);
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= Y.shape[size_t(d)];
    for (size_t d = size_t(axis) + 1; d < Y.shape.size(); ++d) inner *= Y.shape[d];
    const size_t outRow = size_t(Y.shape[size_t(axis)] * inner) * es;
    if (outer == 0 || outRow == 0) return Status::Ok();
    size_t off = 0;
    for (const DeviceTensor& X : a.inputs) {
        if (X.shape.size() != Y.shape.size()) return Status::Error("Concat: input ranks differ");
        const size_t block = size_t(X.shape[size_t(axis)] * inner) * es;
        if (block == 0) continue;
        if (off + block > outRow) return Status::Error("Concat: inputs do not fit the output");
        KILN_CUDA_CHECK(cudaMemcpy2DAsync(Y.as<uint8_t>() + off, outRow, X.data, block, block, size_t(outer),
                                          cudaMemcpyDeviceToDevice, a.stream));
        off += block;
    }
    return Status::Ok();
}

// ---------------------------------------------------------------- Slice / Pad
namespace {

// A fill value input (Slice's FillValue, Pad's Value) must hold one element;
// known on the host it may have any type, computed on the device it must have X's.
bool fillInputSupported(const ir::Node& node, const std::vector<ir::TensorDesc>& in, size_t k) {
    return k >= node.inputs.size() || node.inputs[k] < 0 || k >= in.size() || in[k].data || in[k].dtype == in[0].dtype;
}

// The fill element of sampling mode kFill: input k when given, else `value`.
Status fillFromInput(const LaunchArgs& a, size_t k, double value, std::vector<uint8_t>& fill, const void*& fillDevice) {
    const ir::DType dt = a.inputs[0].dtype;
    fill.assign(8, 0);
    ir::storeFromDouble(fill.data(), dt, 0, value);
    fillDevice = nullptr;
    if (k >= a.inputs.size() || k >= a.node.inputs.size() || a.node.inputs[k] < 0) return Status::Ok();
    const DeviceTensor& v = a.inputs[k];
    if (v.numel() != 1)
        return Status::Error("input " + std::to_string(k) + " (fill value) must hold one element, got shape " +
                             ir::shapeToString(v.shape));
    if (v.hostData) {
        if (v.dtype == dt)
            std::memcpy(fill.data(), v.hostData, ir::dtypeSize(dt));
        else
            ir::storeFromDouble(fill.data(), dt, 0, ir::loadAsDouble(v.hostData, v.dtype, 0));
    } else if (v.dtype == dt) {
        fillDevice = v.data;
    } else {
        return Status::Error("a computed fill value input must have X's dtype on CUDA");
    }
    return Status::Ok();
}

}  // namespace

bool sliceSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                   const std::vector<ir::TensorDesc>& out) {
    if (in.empty() || out.empty() || in[0].dtype != out[0].dtype || in[0].shape.size() > size_t(kMaxDims)) return false;
    for (size_t i = 1; i < in.size() && i < node.inputs.size() && i < 4; ++i)
        if (node.inputs[i] >= 0 && !in[i].data) return false;  // Start/Size/Stride must be known on the host
    return fillInputSupported(node, in, 4) && ir::dtypeSize(in[0].dtype) <= 8;
}

Status slice(LaunchArgs& a) {
    ir::movement::SliceParams p;
    KILN_RETURN_IF_ERROR(ir::movement::resolveSlice(a.node, hostDescs(a.inputs), p));
    std::vector<uint8_t> fill;
    const void* fillDevice = nullptr;
    KILN_RETURN_IF_ERROR(fillFromInput(a, 4, p.fillValue, fill, fillDevice));
    return sample(a, p, fill.data(), fillDevice);
}

bool padSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    if (in.empty() || out.empty() || in[0].dtype != out[0].dtype || in[0].shape.size() > size_t(kMaxDims)) return false;
    if (node.inputs.size() > 1 && node.inputs[1] >= 0 && in.size() > 1 && !in[1].data) return false;  // Pads
    return fillInputSupported(node, in, 2) && ir::dtypeSize(in[0].dtype) <= 8;
}

Status pad(LaunchArgs& a) {
    ir::movement::SliceParams p;
    KILN_RETURN_IF_ERROR(ir::movement::resolvePad(a.node, hostDescs(a.inputs), p));
    std::vector<uint8_t> fill;
    const void* fillDevice = nullptr;
    KILN_RETURN_IF_ERROR(fillFromInput(a, 2, p.fillValue, fill, fillDevice));
    return sample(a, p, fill.data(), fillDevice);
}

}  // namespace kiln::cuda::kernels
