// Reference GridSample (docs/ops.md): per output position the taps and weights
// of every spatial dim are computed once and reused for all channels.
// Follows the ONNX reference implementation's rules: coordinates outside the
// valid range are first clamped (border) or reflected (reflection), then each
// tap index is mapped by the padding mode. nearest rounds half to even in every
// rank: the conformance data does so for 3 spatial dims too, where ONNX's
// Python reference rounds half away from zero.
#include <algorithm>
#include <cmath>
#include <string>

#include "conv_common.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

enum class Mode { kNearest, kLinear, kCubic };
enum class Padding { kZeros, kBorder, kReflection };

struct Tap {
    int64_t index;  // -1: outside the input (reads 0)
    double weight;
};

// Reflects x into [lo, hi] by folding at the borders as often as needed.
double reflect(double x, double lo, double hi) {
    const double range = hi - lo;
    if (range <= 0) return lo;
    if (x < lo) {
        const double dx = lo - x, q = std::floor(dx / range), r = dx - q * range;
        return std::fmod(q, 2.0) == 0 ? lo + r : hi - r;
    }
    if (x > hi) {
        const double dx = x - hi, q = std::floor(dx / range), r = dx - q * range;
        return std::fmod(q, 2.0) == 0 ? hi - r : lo + r;
    }
    return x;
}

// Keys cubic convolution weights (A = -0.75) of taps floor(x)-1 .. floor(x)+2,
// t = x - floor(x).
void cubicWeights(double t, double w[4]) {
    constexpr double A = -0.75;
    auto far = [](double d) { return ((A * d - 5 * A) * d + 8 * A) * d - 4 * A; };  // 1 <= d < 2
    auto near = [](double d) { return ((A + 2) * d - (A + 3)) * d * d + 1; };       // d < 1
    w[0] = far(t + 1);
    w[1] = near(t);
    w[2] = near(1 - t);
    w[3] = far(2 - t);
}

struct Axis {
    int64_t size;
    double lo, hi;  // the valid coordinate range: pixel edges, or centers with align_corners
};

// Maps an integer tap position to an input index under the padding mode.
int64_t mapIndex(int64_t i, const Axis& ax, Padding pad) {
    if (i >= 0 && i < ax.size) return i;
    switch (pad) {
        case Padding::kZeros:
            return -1;
        case Padding::kBorder:
            return std::clamp<int64_t>(i, 0, ax.size - 1);
        case Padding::kReflection:
            return std::clamp<int64_t>(int64_t(reflect(double(i), ax.lo, ax.hi)), 0, ax.size - 1);
    }
    return -1;
}

// Taps of one spatial dim for normalized coordinate g; returns their count.
int axisTaps(double g, const Axis& ax, bool alignCorners, Mode mode, Padding pad, Tap taps[4]) {
    double x = alignCorners ? (g + 1) / 2 * double(ax.size - 1) : ((g + 1) * double(ax.size) - 1) / 2;
    if (std::isnan(x)) {
        taps[0] = {-1, 0.0};
        return 1;
    }
    if (mode == Mode::kNearest) x = std::nearbyint(x);
    if (x < ax.lo || x > ax.hi) {
        if (pad == Padding::kBorder)
            x = std::clamp(x, 0.0, double(ax.size - 1));
        else if (pad == Padding::kReflection)
            x = reflect(x, ax.lo, ax.hi);
        // zeros: every tap past size + 2 reads 0; bounding x keeps floor() in int64 range
        else
            x = std::clamp(x, -double(ax.size) - 4, 2.0 * double(ax.size) + 4);
    }
    if (mode == Mode::kNearest) {
        taps[0] = {mapIndex(int64_t(x), ax, pad), 1.0};
        return 1;
    }
    const double f = std::floor(x);
    const int64_t i0 = int64_t(f);
    const double t = x - f;
    if (mode == Mode::kLinear) {
        taps[0] = {mapIndex(i0, ax, pad), 1 - t};
        taps[1] = {mapIndex(i0 + 1, ax, pad), t};
        return 2;
    }
    double w[4];
    cubicWeights(t, w);
    for (int k = 0; k < 4; ++k) taps[k] = {mapIndex(i0 - 1 + k, ax, pad), w[k]};
    return 4;
}

}  // namespace

Status gridSample(KernelArgs& args) {
    const HostTensor& x = args.inputs[0];
    const HostTensor& grid = args.inputs[1];
    HostTensor& y = args.outputs[0];
    const ir::Attrs& a = args.node.attrs;
    const int r = int(x.shape.size()) - 2;
    if (r < 1 || r > 3 || grid.shape.size() != x.shape.size() || grid.shape.back() != r ||
        grid.shape[0] != x.shape[0] || y.shape.size() != x.shape.size())
        return Status::Error("GridSample: X " + ir::shapeToString(x.shape) + " and Grid " +
                             ir::shapeToString(grid.shape) + " do not fit");
    const std::string modeName = a.getString("mode", "linear"), padName = a.getString("padding_mode", "zeros");
    const Mode mode = modeName == "nearest" ? Mode::kNearest : modeName == "cubic" ? Mode::kCubic : Mode::kLinear;
    const Padding pad = padName == "border"       ? Padding::kBorder
                        : padName == "reflection" ? Padding::kReflection
                                                  : Padding::kZeros;
    const bool align = a.getInt("align_corners", 0) != 0;

    const int64_t N = x.shape[0], C = x.shape[1];
    Axis axes[3];
    int64_t inPlane = 1, outPlane = 1;
    for (int d = 0; d < r; ++d) {
        const int64_t S = x.shape[size_t(2 + d)];
        axes[d] = {S, align ? 0.0 : -0.5, align ? double(S - 1) : double(S) - 0.5};
        inPlane *= S;
        outPlane *= grid.shape[size_t(1 + d)];
    }
    if (N * C * outPlane == 0) return Status::Ok();
    std::vector<float> xStore, yStore;
    const float* xs = convcommon::asFloats(x, xStore);
    yStore.resize(size_t(y.numel()));
    float* ys = yStore.data();

    args.pool.parallelFor(N * outPlane, [&](int64_t begin, int64_t end) {
        Tap taps[3][4];
        int count[3] = {1, 1, 1};
        for (int64_t job = begin; job < end; ++job) {
            const int64_t n = job / outPlane, o = job % outPlane;
            // Grid's last axis lists coordinates innermost dim first (x, y, z).
            for (int d = 0; d < r; ++d) {
                const double g = ir::loadAsDouble(grid.data, grid.dtype, job * r + (r - 1 - d));
                count[d] = axisTaps(g, axes[d], align, mode, pad, taps[d]);
            }
            // The product of the per-dim taps: flat offsets and weights.
            int64_t offs[64];
            double ws[64];
            int nt = 0;
            int idx[3] = {0, 0, 0};
            for (;;) {
                int64_t off = 0;
                double w = 1;
                bool inside = true;
                for (int d = 0; d < r; ++d) {
                    const Tap& t = taps[d][idx[d]];
                    inside = inside && t.index >= 0;
                    off = off * axes[d].size + t.index;
                    w *= t.weight;
                }
                if (inside) {
                    offs[nt] = off;
                    ws[nt++] = w;
                }
                int d = r - 1;
                while (d >= 0 && ++idx[d] == count[d]) idx[d--] = 0;
                if (d < 0) break;
            }
            for (int64_t c = 0; c < C; ++c) {
                const float* plane = xs + (n * C + c) * inPlane;
                double acc = 0;
                for (int t = 0; t < nt; ++t) acc += ws[t] * double(plane[offs[t]]);
                ys[(n * C + c) * outPlane + o] = float(acc);
            }
        }
    });
    convcommon::storeFloats(ys, y.numel(), y.data, y.dtype, 0);
    return Status::Ok();
}

bool gridSampleSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in,
                        const std::vector<ir::TensorDesc>& out) {
    if (in.size() != 2 || out.size() != 1) return false;
    return convcommon::isKernelFloat(in[0].dtype) && convcommon::isKernelFloat(in[1].dtype) &&
           out[0].dtype == in[0].dtype;
}

}  // namespace kiln::cpu::ref
