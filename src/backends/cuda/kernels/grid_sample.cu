// GridSample and AffineGrid on CUDA, as the CPU references
// (backends/cpu/ref/grid_sample.cpp, affine_grid.cpp) and docs/ops.md.
// GridSample: one thread per (batch, output position) works out the taps and
// weights of every spatial dim once (the same clamping / reflection / rounding
// rules), then sums them in float64 for every channel; X is read as float32
// as the reference does. AffineGrid: one thread per output coordinate, the
// row of theta times the homogeneous base coordinates in float64.
#include <cmath>
#include <string>

#include "device_common.cuh"
#include "kernels.h"
#include "value_io.cuh"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;

enum class GsMode { kNearest, kLinear, kCubic };
enum class GsPad { kZeros, kBorder, kReflection };

struct GsAxis {
    int64_t size;
    double lo, hi;  // the valid coordinate range: pixel edges, or centers with align_corners
};

struct GsParams {
    int r;  // spatial rank, 1..3
    GsMode mode;
    GsPad pad;
    bool align;
    int64_t N, C, inPlane, outPlane;
    GsAxis axes[3];
    ir::DType gridType;
};

// Reflects x into [lo, hi] by folding at the borders as often as needed.
__device__ double gsReflect(double x, double lo, double hi) {
    const double range = hi - lo;
    if (range <= 0) return lo;
    if (x < lo) {
        const double dx = lo - x, q = floor(dx / range), r = dx - q * range;
        return fmod(q, 2.0) == 0 ? lo + r : hi - r;
    }
    if (x > hi) {
        const double dx = x - hi, q = floor(dx / range), r = dx - q * range;
        return fmod(q, 2.0) == 0 ? hi - r : lo + r;
    }
    return x;
}

__device__ __forceinline__ int64_t clampI(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (hi < v ? hi : v); }
__device__ __forceinline__ double clampD(double v, double lo, double hi) { return v < lo ? lo : (hi < v ? hi : v); }

// Maps an integer tap position to an input index under the padding mode (-1: reads 0).
__device__ int64_t gsMapIndex(int64_t i, const GsAxis& ax, GsPad pad) {
    if (i >= 0 && i < ax.size) return i;
    switch (pad) {
        case GsPad::kZeros:
            return -1;
        case GsPad::kBorder:
            return clampI(i, 0, ax.size - 1);
        case GsPad::kReflection:
            return clampI(int64_t(gsReflect(double(i), ax.lo, ax.hi)), 0, ax.size - 1);
    }
    return -1;
}

// Keys cubic convolution weights (A = -0.75) of taps floor(x)-1 .. floor(x)+2.
__device__ void gsCubicWeights(double t, double w[4]) {
    constexpr double A = -0.75;
    auto far = [](double d) { return ((A * d - 5 * A) * d + 8 * A) * d - 4 * A; };  // 1 <= d < 2
    auto near = [](double d) { return ((A + 2) * d - (A + 3)) * d * d + 1; };       // d < 1
    w[0] = far(t + 1);
    w[1] = near(t);
    w[2] = near(1 - t);
    w[3] = far(2 - t);
}

// Taps of one spatial dim for normalized coordinate g; returns their count.
__device__ int gsAxisTaps(double g, const GsAxis& ax, bool align, GsMode mode, GsPad pad, int64_t idx[4], double w[4]) {
    double x = align ? (g + 1) / 2 * double(ax.size - 1) : ((g + 1) * double(ax.size) - 1) / 2;
    if (isnan(x)) {
        idx[0] = -1;
        w[0] = 0.0;
        return 1;
    }
    if (mode == GsMode::kNearest) x = rint(x);
    if (x < ax.lo || x > ax.hi) {
        if (pad == GsPad::kBorder)
            x = clampD(x, 0.0, double(ax.size - 1));
        else if (pad == GsPad::kReflection)
            x = gsReflect(x, ax.lo, ax.hi);
        else  // zeros: every tap past size + 2 reads 0; bounding x keeps floor() in int64 range
            x = clampD(x, -double(ax.size) - 4, 2.0 * double(ax.size) + 4);
    }
    if (mode == GsMode::kNearest) {
        idx[0] = gsMapIndex(int64_t(x), ax, pad);
        w[0] = 1.0;
        return 1;
    }
    const double f = floor(x);
    const int64_t i0 = int64_t(f);
    const double t = x - f;
    if (mode == GsMode::kLinear) {
        idx[0] = gsMapIndex(i0, ax, pad);
        w[0] = 1 - t;
        idx[1] = gsMapIndex(i0 + 1, ax, pad);
        w[1] = t;
        return 2;
    }
    gsCubicWeights(t, w);
    for (int k = 0; k < 4; ++k) idx[k] = gsMapIndex(i0 - 1 + k, ax, pad);
    return 4;
}

// MT: taps per dim (1 nearest, 2 linear, 4 cubic); R: spatial rank.
template <class S, int R, int MT>
__global__ void gridSampleKernel(const S* __restrict__ x, const void* __restrict__ grid, S* __restrict__ y,
                                 GsParams p) {
    constexpr int kMaxTaps = R == 1 ? MT : R == 2 ? MT * MT : MT * MT * MT;
    const int64_t jobs = p.N * p.outPlane;
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t job = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; job < jobs; job += stride) {
        const int64_t n = job / p.outPlane, o = job - n * p.outPlane;
        int64_t tIdx[R][4];
        double tW[R][4];
        int count[R];
        // Grid's last axis lists coordinates innermost dim first (x, y, z).
        for (int d = 0; d < R; ++d) {
            const double g = double(loadFloatAny(grid, p.gridType, job * R + (R - 1 - d)));
            count[d] = gsAxisTaps(g, p.axes[d], p.align, p.mode, p.pad, tIdx[d], tW[d]);
        }
        // The product of the per-dim taps that lie inside: flat offsets and weights.
        int64_t offs[kMaxTaps];
        double ws[kMaxTaps];
        int nt = 0;
        int at[R];
        for (int d = 0; d < R; ++d) at[d] = 0;
        for (;;) {
            int64_t off = 0;
            double w = 1;
            bool inside = true;
            for (int d = 0; d < R; ++d) {
                const int64_t ti = tIdx[d][at[d]];
                inside = inside && ti >= 0;
                off = off * p.axes[d].size + ti;
                w *= tW[d][at[d]];
            }
            if (inside) {
                offs[nt] = off;
                ws[nt++] = w;
            }
            int d = R - 1;
            while (d >= 0 && ++at[d] == count[d]) at[d--] = 0;
            if (d < 0) break;
        }
        for (int64_t c = 0; c < p.C; ++c) {
            const S* plane = x + (n * p.C + c) * p.inPlane;
            double acc = 0;
            for (int t = 0; t < nt; ++t) acc += ws[t] * double(float(Elem<S>::load(plane[offs[t]])));
            y[(n * p.C + c) * p.outPlane + o] = Elem<S>::store(ComputeT<S>(float(acc)));
        }
    }
}

template <class S, int R>
void launchGridSample(const S* x, const void* g, S* y, const GsParams& p, cudaStream_t s) {
    const unsigned grid = gridFor(p.N * p.outPlane);
    switch (p.mode) {
        case GsMode::kNearest:
            gridSampleKernel<S, R, 1><<<grid, kBlock, 0, s>>>(x, g, y, p);
            break;
        case GsMode::kLinear:
            gridSampleKernel<S, R, 2><<<grid, kBlock, 0, s>>>(x, g, y, p);
            break;
        case GsMode::kCubic:
            gridSampleKernel<S, R, 4><<<grid, kBlock, 0, s>>>(x, g, y, p);
            break;
    }
}

struct AgParams {
    int r;  // 2 or 3
    bool align;
    int64_t total, points;
    int64_t sizes[3];  // spatial extents, outermost first
    ir::DType dtype;
};

__device__ __forceinline__ double agBase(int64_t i, int64_t S, bool align) {
    return align ? (S == 1 ? -1.0 : -1.0 + 2.0 * double(i) / double(S - 1))
                 : -1.0 + (2.0 * double(i) + 1.0) / double(S);
}

__global__ void affineGridKernel(const void* __restrict__ theta, void* __restrict__ y, AgParams p) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    const int r = p.r;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < p.total; e += stride) {
        const int64_t row = e % r, np = e / r, pt = np % p.points, n = np / p.points;
        // Homogeneous coordinates, innermost dim first: (x, y[, z], 1).
        double h[4];
        int64_t rem = pt;
        for (int d = r - 1; d >= 0; --d) {
            const int64_t S = p.sizes[d];
            h[r - 1 - d] = agBase(rem % S, S, p.align);
            rem /= S;
        }
        h[r] = 1.0;
        double acc = 0;
        for (int c = 0; c <= r; ++c) acc += double(loadFloatAny(theta, p.dtype, (n * r + row) * (r + 1) + c)) * h[c];
        storeDouble(y, p.dtype, e, acc);
    }
}

bool hasGsNames(const ir::Node& node) {
    const std::string mode = node.attrs.getString("mode", "linear"),
                      pad = node.attrs.getString("padding_mode", "zeros");
    return (mode == "linear" || mode == "nearest" || mode == "cubic") &&
           (pad == "zeros" || pad == "border" || pad == "reflection");
}

}  // namespace

bool gridSampleSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                        const std::vector<ir::TensorDesc>& out) {
    if (in.size() != 2 || out.size() != 1) return false;
    const size_t rank = in[0].shape.size();
    return isDeviceFloat(in[0].dtype) && isDeviceFloat(in[1].dtype) && out[0].dtype == in[0].dtype && rank >= 3 &&
           rank <= 5 && in[1].shape.size() == rank && hasGsNames(node);
}

Status gridSample(LaunchArgs& a) {
    const DeviceTensor &X = a.inputs[0], &G = a.inputs[1];
    DeviceTensor& Y = a.outputs[0];
    const int r = int(X.shape.size()) - 2;
    if (r < 1 || r > 3 || G.shape.size() != X.shape.size() || G.shape.back() != r || G.shape[0] != X.shape[0] ||
        Y.shape.size() != X.shape.size() || Y.dtype != X.dtype)
        return Status::Error("GridSample: X " + ir::shapeToString(X.shape) + " and Grid " + ir::shapeToString(G.shape) +
                             " do not fit");
    const ir::Attrs& at = a.node.attrs;
    const std::string modeName = at.getString("mode", "linear"), padName = at.getString("padding_mode", "zeros");
    GsParams p{};
    p.r = r;
    p.mode = modeName == "nearest" ? GsMode::kNearest : modeName == "cubic" ? GsMode::kCubic : GsMode::kLinear;
    p.pad = padName == "border" ? GsPad::kBorder : padName == "reflection" ? GsPad::kReflection : GsPad::kZeros;
    p.align = at.getInt("align_corners", 0) != 0;
    p.N = X.shape[0];
    p.C = X.shape[1];
    p.inPlane = 1;
    p.outPlane = 1;
    p.gridType = G.dtype;
    for (int d = 0; d < r; ++d) {
        const int64_t S = X.shape[size_t(2 + d)];
        if (S < 1) return Status::Error("GridSample: X " + ir::shapeToString(X.shape) + " has an empty spatial dim");
        p.axes[d] = {S, p.align ? 0.0 : -0.5, p.align ? double(S - 1) : double(S) - 0.5};
        p.inPlane *= S;
        p.outPlane *= G.shape[size_t(1 + d)];
        if (Y.shape[size_t(2 + d)] != G.shape[size_t(1 + d)]) return Status::Error("GridSample: output shape mismatch");
    }
    if (p.N * p.C * p.outPlane == 0) return Status::Ok();
    return visitFloatType(X.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        const S* x = X.as<const S>();
        S* y = Y.as<S>();
        if (r == 1)
            launchGridSample<S, 1>(x, G.data, y, p, a.stream);
        else if (r == 2)
            launchGridSample<S, 2>(x, G.data, y, p, a.stream);
        else
            launchGridSample<S, 3>(x, G.data, y, p, a.stream);
        KILN_CUDA_CHECK_LAUNCH();
        return Status::Ok();
    });
}

bool affineGridSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in,
                        const std::vector<ir::TensorDesc>& out) {
    if (in.size() != 2 || out.size() != 1 || !isDeviceFloat(in[0].dtype) || out[0].dtype != in[0].dtype) return false;
    const size_t rank = out[0].shape.size();
    return (rank == 4 || rank == 5) && in[0].shape.size() == 3;
}

Status affineGrid(LaunchArgs& a) {
    const DeviceTensor& Th = a.inputs[0];
    DeviceTensor& Y = a.outputs[0];
    // The grid's extents come from the output shape (size's values made it).
    const size_t rank = Y.shape.size();
    if (rank != 4 && rank != 5) return Status::Error("AffineGrid: output must be [N, H, W, 2] or [N, D, H, W, 3]");
    AgParams p{};
    p.r = int(rank) - 2;
    p.align = a.node.attrs.getInt("align_corners", 0) != 0;
    p.dtype = Y.dtype;
    if (Y.shape.back() != p.r || Th.dtype != Y.dtype ||
        Th.shape != ir::Shape{Y.shape[0], int64_t(p.r), int64_t(p.r + 1)})
        return Status::Error("AffineGrid: theta " + ir::shapeToString(Th.shape) + " does not fit the grid " +
                             ir::shapeToString(Y.shape));
    p.points = 1;
    for (int d = 0; d < p.r; ++d) {
        p.sizes[d] = Y.shape[size_t(1 + d)];
        p.points *= p.sizes[d];
    }
    p.total = Y.numel();
    if (p.total <= 0) return Status::Ok();
    affineGridKernel<<<gridFor(p.total), kBlock, 0, a.stream>>>(Th.data, Y.data, p);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

}  // namespace kiln::cuda::kernels
