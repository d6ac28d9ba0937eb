// The signal ops on CUDA, as the CPU references (backends/cpu/ref/dft.cpp,
// stft.cpp, window.cpp, mel_weight_matrix.cpp) and docs/ops.md.
// DFT / STFT: one thread per output bin sums its line directly (O(n) per bin)
// in float64, with a float64 twiddle table exp(-2 pi i m / n) built in the
// workspace (computed inline when the workspace is too small); the one-sided
// inverse rebuilds the Hermitian spectrum as the reference does. Parameters
// come from the host (DeviceTensor::hostData), except a DFT axis no shape
// depends on, which the host may lack: the kernel then reads it on the device.
// Window: one thread per element in float64. MelWeightMatrix: from
// build-time constants its matrix is computed on the host when the kernel is
// created (the reference's own arithmetic) and copied per run; from values the
// host has at run time the host computes the filter edges (the reference's
// pow/log10) at enqueue and the device the weights (exact divisions), the
// edges travelling in the launch parameters (no copy, capturable).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "../device_memory.h"
#include "device_common.cuh"
#include "dtype_convert.cuh"
#include "ir/ops/signal.h"
#include "kernels.h"
#include "value_io.cuh"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;

// One int32/int64 value (a scalar or [1]), as ir::signal::readIntScalar takes.
bool isIntScalar(const ir::TensorDesc& t) {
    return (t.dtype == ir::DType::kI32 || t.dtype == ir::DType::kI64) && t.shape.size() <= 1 &&
           ir::volume(t.shape) == 1;
}

// ---- twiddles ----

__global__ void twiddleKernel(double2* __restrict__ tw, int64_t n) {
    const double step = -2.0 * M_PI / double(n);
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t m = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; m < n; m += stride) {
        double s, c;
        sincos(step * double(m), &s, &c);
        tw[m] = make_double2(c, s);
    }
}

// exp(-+2 pi i m / n) (+ for inverse), from the table when there is one.
__device__ __forceinline__ double2 twiddle(const double2* tw, int64_t m, int64_t n, bool inverse) {
    double2 w;
    if (tw) {
        w = tw[m];
    } else {
        sincos(-2.0 * M_PI / double(n) * double(m), &w.y, &w.x);
    }
    if (inverse) w.y = -w.y;
    return w;
}

// Fills the table in the workspace when it fits; returns it or nullptr.
Status twiddles(LaunchArgs& a, int64_t n, const double2*& tw) {
    tw = nullptr;
    if (n <= 0 || !a.workspace || a.workspaceBytes < size_t(n) * sizeof(double2)) return Status::Ok();
    double2* t = static_cast<double2*>(a.workspace);
    twiddleKernel<<<gridFor(n), kBlock, 0, a.stream>>>(t, n);
    KILN_CUDA_CHECK_LAUNCH();
    tw = t;
    return Status::Ok();
}

// ---- DFT ----

struct DftParams {
    int64_t outer, inner, L, c, Lout, cOut, N;
    int64_t total;  // outer * Lout * inner: the output's elements over cOut
    bool inverse, irfft;
    ir::DType dtype;
    // An axis the host does not have (no shape depends on it): read on the
    // device, which derives the geometry above from X's dims (not one-sided,
    // no dft_length: every extent stays, N = L).
    const void* axis;
    bool axisI64;
    int rank;
    int64_t dims[kMaxDims];
};

// Fills p's geometry from the axis on the device; false when it is out of range.
__device__ bool dftDeviceGeometry(DftParams& p) {
    int64_t axis = p.axisI64 ? *static_cast<const int64_t*>(p.axis) : int64_t(*static_cast<const int32_t*>(p.axis));
    if (axis < 0) axis += p.rank;
    if (axis < 0 || axis > p.rank - 2) return false;  // the last dim holds the complex parts
    p.outer = p.inner = 1;
    for (int d = 0; d + 1 < p.rank; ++d) {
        if (d < axis) p.outer *= p.dims[d];
        if (d > axis) p.inner *= p.dims[d];
    }
    p.L = p.Lout = p.N = p.dims[axis];
    p.c = p.dims[p.rank - 1];
    p.cOut = 2;
    return true;
}

template <class S>
__global__ void dftKernel(const S* __restrict__ x, S* __restrict__ y, const double2* __restrict__ tw, DftParams p) {
    const int64_t total = p.total, stride = int64_t(gridDim.x) * blockDim.x;
    if (p.axis && !dftDeviceGeometry(p)) {
        // An out-of-range axis writes zeros, as Cumulative does (the CPU reports an error).
        for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total * 2; e += stride)
            y[e] = storeFromDoubleAs<S>(0.0);
        return;
    }
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
        const int64_t i = e % p.inner, k = (e / p.inner) % p.Lout, o = e / (p.inner * p.Lout);
        auto in = [&](int64_t l, int64_t part) {
            return double(Elem<S>::load(x[((o * p.L + l) * p.inner + i) * p.c + part]));
        };
        const int64_t N = p.N;
        double re = 0, im = 0;
        // Adds v * w^(j k) for j in [j0, j1); get(j) gives v.
        auto sum = [&](int64_t j0, int64_t j1, auto get) {
            int64_t m = int64_t((unsigned long long)(j0) * (unsigned long long)(k) % (unsigned long long)(N));
            for (int64_t j = j0; j < j1; ++j) {
                const double2 v = get(j), w = twiddle(tw, m, N, p.inverse);
                re += v.x * w.x - v.y * w.y;
                im += v.x * w.y + v.y * w.x;
                m += k;
                if (m >= N) m -= N;
            }
        };
        if (p.irfft) {
            // Bins 0..N/2 from the input (zero past its end), the rest their conjugates.
            const int64_t bins = p.L < N / 2 + 1 ? p.L : N / 2 + 1;
            sum(0, bins, [&](int64_t j) { return make_double2(in(j, 0), in(j, 1)); });
            const int64_t lo = (N / 2 + 1 > N - bins + 1) ? N / 2 + 1 : N - bins + 1;  // N - j < bins
            sum(lo, N, [&](int64_t j) { return make_double2(in(N - j, 0), -in(N - j, 1)); });
        } else {
            sum(0, p.L < N ? p.L : N, [&](int64_t j) { return make_double2(in(j, 0), p.c == 2 ? in(j, 1) : 0.0); });
        }
        const double scale = p.inverse ? 1.0 / double(N) : 1.0;
        const int64_t at = ((o * p.Lout + k) * p.inner + i) * p.cOut;
        y[at] = storeFromDoubleAs<S>(re * scale);
        if (p.cOut == 2) y[at + 1] = storeFromDoubleAs<S>(im * scale);
    }
}

Status launchDft(LaunchArgs& a, const DftParams& p, const double2* tw) {
    const DeviceTensor& X = a.inputs[0];
    return visitFloatType(X.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        dftKernel<S><<<gridFor(p.total), kBlock, 0, a.stream>>>(X.as<const S>(), a.outputs[0].as<S>(), tw, p);
        KILN_CUDA_CHECK_LAUNCH();
        return Status::Ok();
    });
}

// The axis read on the device (dftSupports: then the output has X's extents).
Status dftDeviceAxis(LaunchArgs& a, bool inverse) {
    const DeviceTensor& X = a.inputs[0];
    const DeviceTensor& axisT = a.inputs[2];
    if (!isIntScalar({axisT.dtype, axisT.shape, nullptr}))
        return Status::Error("DFT: the axis must be one int32 or int64 value");
    if (X.shape.size() < 2 || X.shape.size() > size_t(kMaxDims))
        return Status::Error("DFT: an axis known only on the device needs X of rank 2 to 8");
    DftParams p{};
    p.inverse = inverse;
    p.irfft = false;
    p.dtype = X.dtype;
    p.axis = axisT.data;
    p.axisI64 = axisT.dtype == ir::DType::kI64;
    p.rank = int(X.shape.size());
    p.total = 1;  // outer * L * inner for any axis: every dim but the last
    for (size_t d = 0; d < X.shape.size(); ++d) {
        p.dims[d] = X.shape[d];
        if (d + 1 < X.shape.size()) p.total *= X.shape[d];
    }
    if (p.total <= 0) return Status::Ok();
    // The transform length is known on the device only: twiddles inline (the table's values).
    return launchDft(a, p, nullptr);
}

// ---- STFT ----

struct StftParams {
    int64_t B, L, c, N, step, frames, bins;
    ir::DType windowType;
};

template <class S>
__global__ void stftKernel(const S* __restrict__ x, const void* __restrict__ window, S* __restrict__ y,
                           const double2* __restrict__ tw, StftParams p) {
    const int64_t total = p.B * p.frames * p.bins, stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
        const int64_t k = e % p.bins, f = (e / p.bins) % p.frames, b = e / (p.bins * p.frames);
        const int64_t first = f * p.step;
        const int64_t n1 = p.L - first < p.N ? p.L - first : p.N;  // samples past the signal are 0
        double re = 0, im = 0;
        int64_t m = 0;
        for (int64_t n = 0; n < n1; ++n) {
            const double w = window ? double(loadFloatAny(window, p.windowType, n)) : 1.0;
            const int64_t src = (b * p.L + first + n) * p.c;
            const double vr = w * double(Elem<S>::load(x[src])),
                         vi = p.c == 2 ? w * double(Elem<S>::load(x[src + 1])) : 0.0;
            const double2 t = twiddle(tw, m, p.N, false);
            re += vr * t.x - vi * t.y;
            im += vr * t.y + vi * t.x;
            m += k;
            if (m >= p.N) m -= p.N;
        }
        y[e * 2] = storeFromDoubleAs<S>(re);
        y[e * 2 + 1] = storeFromDoubleAs<S>(im);
    }
}

// ---- Window ----

struct WindowParams {
    int64_t size;
    double a0, a1, a2, D;
    ir::DType dtype;
};

__global__ void windowKernel(void* __restrict__ y, WindowParams p) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t n = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; n < p.size; n += stride) {
        const double a = 2.0 * M_PI * double(n) / p.D;
        storeDouble(y, p.dtype, n, p.a0 - p.a1 * cos(a) + p.a2 * cos(2 * a));
    }
}

// ---- MelWeightMatrix: a table made on the host at create, or edges from the host per run ----

Status melAtRunTime(LaunchArgs& a);

class MelKernel final : public Kernel {
public:
    DeviceBuffer table;
    size_t bytes = 0;
    bool runtime = false;  // parameters from hostData at each enqueue, not a table
    Status enqueue(LaunchArgs& a) const override {
        if (runtime) return melAtRunTime(a);
        if (a.outputs.size() != 1 || a.outputs[0].bytes() != bytes)
            return Status::Error("MelWeightMatrix: the output differs from the one the kernel was made for");
        if (bytes == 0) return Status::Ok();
        KILN_CUDA_CHECK(cudaMemcpyAsync(a.outputs[0].data, table.get(), bytes, cudaMemcpyDeviceToDevice, a.stream));
        return Status::Ok();
    }
};

// The filters' spectrum bins, M + 2 of them, as the reference computes them
// (backends/cpu/ref/mel_weight_matrix.cpp); each in [0, dft_length / 2].
Status melBinEdges(const ir::signal::MelParams& p, std::vector<int64_t>& bin) {
    const int64_t specBins = p.dftLength / 2 + 1, M = p.melBins;
    auto toMel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
    const double lowMel = toMel(p.lowerHz), step = (toMel(p.upperHz) - lowMel) / double(M + 2);
    bin.assign(size_t(M + 2), 0);
    for (int64_t i = 0; i < M + 2; ++i) {
        const double hz = 700.0 * (std::pow(10.0, (double(i) * step + lowMel) / 2595.0) - 1.0);
        bin[size_t(i)] = int64_t(std::floor(double(p.dftLength + 1) * hz / double(p.sampleRate)));
        if (bin[size_t(i)] < 0 || bin[size_t(i)] >= specBins)
            return Status::Error("MelWeightMatrix: upper_edge_hertz " + std::to_string(p.upperHz) +
                                 " maps past the last spectrum bin (" + std::to_string(specBins - 1) + ")");
    }
    return Status::Ok();
}

// The reference's matrix (backends/cpu/ref/mel_weight_matrix.cpp) in `dtype`.
Status melMatrix(const ir::signal::MelParams& p, std::vector<uint8_t>& out) {
    const int64_t specBins = p.dftLength / 2 + 1, M = p.melBins;
    std::vector<int64_t> bin;
    KILN_RETURN_IF_ERROR(melBinEdges(p, bin));
    std::vector<double> w(size_t(specBins * M), 0.0);
    for (int64_t i = 0; i < M; ++i) {
        const int64_t lo = bin[size_t(i)], center = bin[size_t(i + 1)], hi = bin[size_t(i + 2)];
        if (center == lo) {
            w[size_t(center * M + i)] = 1.0;
        } else {
            for (int64_t j = lo; j <= center; ++j) w[size_t(j * M + i)] = double(j - lo) / double(center - lo);
        }
        for (int64_t j = center; j < hi; ++j) w[size_t(j * M + i)] = double(hi - j) / double(hi - center);
    }
    out.assign(w.size() * ir::dtypeSize(p.dtype), 0);
    for (size_t k = 0; k < w.size(); ++k) ir::storeFromDouble(out.data(), p.dtype, int64_t(k), w[k]);
    return Status::Ok();
}

// Filters i0 .. i0 + count - 1 of the matrix [specBins, M], with their edges:
// small enough for the launch parameters (4 KiB).
constexpr int64_t kMelChunk = 896;
struct MelChunk {
    void* y;
    ir::DType dtype;
    int64_t M, specBins, i0, count;
    int32_t bin[kMelChunk + 2];  // edges i0 .. i0 + count + 1 (< specBins <= 2^23 + 1)
};
static_assert(sizeof(MelChunk) <= 4000, "MelChunk must fit the kernel parameters");

// One thread per element of the chunk's columns: the reference's weight (its
// rising edge, then its falling edge over it), zero elsewhere.
__global__ void melKernel(const MelChunk c) {
    const int64_t total = c.specBins * c.count, stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
        const int64_t j = e / c.count, r = e % c.count;
        const int64_t lo = c.bin[r], center = c.bin[r + 1], hi = c.bin[r + 2];
        double v = 0.0;
        if (center == lo) {
            if (j == center) v = 1.0;
        } else if (j >= lo && j <= center) {
            v = double(j - lo) / double(center - lo);
        }
        if (j >= center && j < hi) v = double(hi - j) / double(hi - center);
        conv::storeFromDouble(c.y, c.dtype, j * c.M + c.i0 + r, v);
    }
}

// The matrix from the inputs' host values (constants, host results or read back).
Status melAtRunTime(LaunchArgs& a) {
    ir::signal::MelParams p;
    KILN_RETURN_IF_ERROR(ir::signal::resolveMel(a.node, hostDescs(a.inputs), p).withContext("MelWeightMatrix: "));
    std::vector<int64_t> bin;
    KILN_RETURN_IF_ERROR(melBinEdges(p, bin));
    const int64_t specBins = p.dftLength / 2 + 1, M = p.melBins;
    if (a.outputs.size() != 1 || a.outputs[0].shape != ir::Shape{specBins, M} || a.outputs[0].dtype != p.dtype)
        return Status::Error("MelWeightMatrix: the output's shape or dtype does not match the inputs");
    MelChunk c{};
    c.y = a.outputs[0].data;
    c.dtype = p.dtype;
    c.M = M;
    c.specBins = specBins;
    for (int64_t i0 = 0; i0 < M; i0 += kMelChunk) {
        c.i0 = i0;
        c.count = std::min(kMelChunk, M - i0);
        for (int64_t r = 0; r < c.count + 2; ++r) c.bin[r] = int32_t(bin[size_t(i0 + r)]);
        melKernel<<<gridFor(specBins * c.count), kBlock, 0, a.stream>>>(c);
        KILN_CUDA_CHECK_LAUNCH();
    }
    return Status::Ok();
}

}  // namespace

// ---- DFT ----

bool dftSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    if (in.empty() || in.size() > 3 || out.size() != 1 || !isDeviceFloat(in[0].dtype) || out[0].dtype != in[0].dtype)
        return false;
    // dft_length and axis: one int32/int64 value each. Their host values are not
    // checked (read-back ones are stand-in zeros at build time): resolve without them.
    std::vector<ir::TensorDesc> shapesOnly = in;
    for (size_t i : {size_t(1), size_t(2)}) {
        if (!ir::hasInput(node, in, i)) continue;
        if (!isIntScalar(in[i])) return false;
        shapesOnly[i].data = nullptr;
    }
    ir::signal::DFTParams p;
    if (!ir::signal::resolveDFT(node, shapesOnly, p).ok()) return false;
    // dft_length sets an output extent, so the host has it at run time.
    if (ir::hasInput(node, in, 1) && !in[1].data) return false;
    // Without the axis on the host no extent may depend on it: the kernel reads it on the device.
    if (ir::hasInput(node, in, 2) && !in[2].data)
        return !p.onesided && !node.attrs.has("dft_length") && in[0].shape.size() <= size_t(kMaxDims);
    return true;
}

size_t dftWorkspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&) {
    ir::signal::DFTParams p;
    if (!ir::signal::resolveDFT(node, in, p).ok() || p.length <= 0) return 0;
    return size_t(p.length) * sizeof(double2);
}

Status dft(LaunchArgs& a) {
    ir::signal::DFTParams rp;
    KILN_RETURN_IF_ERROR(ir::signal::resolveDFT(a.node, hostDescs(a.inputs), rp).withContext("DFT: "));
    const DeviceTensor& X = a.inputs[0];
    DeviceTensor& Y = a.outputs[0];
    if (Y.shape != rp.outShape)
        return Status::Error("DFT: output shape " + ir::shapeToString(Y.shape) +
                             " != " + ir::shapeToString(rp.outShape));
    if (a.inputs.size() > 2 && a.inputs[2].data && !a.inputs[2].hostData) return dftDeviceAxis(a, rp.inverse);
    const size_t axis = size_t(rp.axis);
    DftParams p{};
    p.outer = 1, p.inner = 1;
    for (size_t d = 0; d < axis; ++d) p.outer *= X.shape[d];
    for (size_t d = axis + 1; d + 1 < X.shape.size(); ++d) p.inner *= X.shape[d];
    p.L = X.shape[axis], p.c = X.shape.back(), p.Lout = Y.shape[axis], p.cOut = Y.shape.back();
    p.N = rp.length;
    p.inverse = rp.inverse;
    p.irfft = rp.inverse && rp.onesided;
    p.dtype = X.dtype;
    if (p.outer * p.inner == 0 || p.Lout == 0) return Status::Ok();
    if (p.N < 1) return Status::Error("DFT: dft_length must be positive");
    const double2* tw = nullptr;
    KILN_RETURN_IF_ERROR(twiddles(a, p.N, tw));
    p.total = p.outer * p.Lout * p.inner;
    return launchDft(a, p, tw);
}

// ---- STFT ----

bool stftSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    if (in.size() < 2 || in.size() > 4 || out.size() != 1 || !isDeviceFloat(in[0].dtype) || out[0].dtype != in[0].dtype)
        return false;
    const ir::Shape& xs = in[0].shape;  // [batch, length, 1 or 2]; one-sided needs a real signal
    if (xs.size() != 3 || (xs[2] != 1 && xs[2] != 2 && xs[2] >= 0) ||
        (node.attrs.getInt("onesided", 1) != 0 && xs[2] == 2))
        return false;
    // frame_step and frame_length set output extents: one int32/int64 value each, which
    // the host has at run time. Their values are not checked here (read-back ones are
    // stand-in zeros at build time).
    if (!ir::hasInput(node, in, 1)) return false;
    for (size_t i : {size_t(1), size_t(3)})
        if (ir::hasInput(node, in, i) && (!in[i].data || !isIntScalar(in[i]))) return false;
    // The window (read on the device) has the signal's dtype; it or frame_length is required.
    if (ir::hasInput(node, in, 2)) return in[2].dtype == in[0].dtype && in[2].shape.size() == 1;
    return ir::hasInput(node, in, 3);
}

size_t stftWorkspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&) {
    ir::signal::STFTParams p;
    if (!ir::signal::resolveSTFT(node, in, p).ok() || p.frameLength <= 0) return 0;
    return size_t(p.frameLength) * sizeof(double2);
}

Status stft(LaunchArgs& a) {
    ir::signal::STFTParams rp;
    KILN_RETURN_IF_ERROR(ir::signal::resolveSTFT(a.node, hostDescs(a.inputs), rp).withContext("STFT: "));
    const DeviceTensor& X = a.inputs[0];
    DeviceTensor& Y = a.outputs[0];
    if (Y.shape != rp.outShape)
        return Status::Error("STFT: output shape " + ir::shapeToString(Y.shape) +
                             " != " + ir::shapeToString(rp.outShape));
    const DeviceTensor* Wn = a.inputs.size() > 2 && a.inputs[2].data ? &a.inputs[2] : nullptr;
    StftParams p{};
    p.B = X.shape[0], p.L = X.shape[1], p.c = X.shape[2];
    p.N = rp.frameLength, p.step = rp.step, p.frames = rp.frames, p.bins = Y.shape[2];
    p.windowType = Wn ? Wn->dtype : ir::DType::kF32;
    if (Wn && Wn->numel() < p.N) return Status::Error("STFT: the window is shorter than frame_length");
    const int64_t total = p.B * p.frames * p.bins;
    if (total <= 0) return Status::Ok();
    const double2* tw = nullptr;
    KILN_RETURN_IF_ERROR(twiddles(a, p.N, tw));
    return visitFloatType(X.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        stftKernel<S>
            <<<gridFor(total), kBlock, 0, a.stream>>>(X.as<const S>(), Wn ? Wn->data : nullptr, Y.as<S>(), tw, p);
        KILN_CUDA_CHECK_LAUNCH();
        return Status::Ok();
    });
}

// ---- Window ----

bool windowSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                    const std::vector<ir::TensorDesc>& out) {
    const std::string kind = node.attrs.getString("kind", "");
    return in.size() == 1 && out.size() == 1 && isDoubleIoType(out[0].dtype) &&
           (kind == "hann" || kind == "hamming" || kind == "blackman");
}

Status window(LaunchArgs& a) {
    DeviceTensor& Y = a.outputs[0];
    const std::string kind = a.node.attrs.getString("kind", "");
    WindowParams p{};
    p.a0 = 0.5, p.a1 = 0.5, p.a2 = 0.0;  // hann
    if (kind == "hamming")
        p.a0 = 25.0 / 46.0, p.a1 = 21.0 / 46.0;
    else if (kind == "blackman")
        p.a0 = 0.42, p.a1 = 0.5, p.a2 = 0.08;
    else if (kind != "hann")
        return Status::Error("Window: unknown kind '" + kind + "'");
    // The size is the output's extent (its value made the shape).
    p.size = Y.numel();
    p.dtype = Y.dtype;
    // A symmetric window of size 1 divides 0 by 0 (NaN), as ONNX's definition does.
    p.D = double(a.node.attrs.getInt("periodic", 1) ? p.size : p.size - 1);
    if (p.size <= 0) return Status::Ok();
    windowKernel<<<gridFor(p.size), kBlock, 0, a.stream>>>(Y.data, p);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

// ---- MelWeightMatrix ----

bool melWeightMatrixSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                             const std::vector<ir::TensorDesc>& out) {
    if (in.size() != 5 || out.size() != 1) return false;
    // Five scalars the host has (constants, or values it has at run time): three
    // int32/int64, two floats. Their values are not checked here (read-back ones
    // are stand-in zeros at build time).
    for (size_t i = 0; i < 5; ++i) {
        if (!ir::hasInput(node, in, i) || !in[i].data) return false;
        const ir::TensorDesc& t = in[i];
        const bool isFloat = ir::dtypeIsFloat(t.dtype) && t.dtype != ir::DType::kFP8;
        if (i < 3 ? !isIntScalar(t) : (!isFloat || t.shape.size() > 1 || ir::volume(t.shape) != 1)) return false;
    }
    // The output dtype is the attribute's (as ir::signal::resolveMel takes it).
    const int64_t raw = node.attrs.getInt("dtype", int64_t(ir::DType::kF32));
    return ir::dtypeValid(int(raw)) && ir::DType(raw) != ir::DType::kBool && ir::DType(raw) != ir::DType::kFP8 &&
           out[0].dtype == ir::DType(raw);
}

Status createMelWeightMatrix(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                             const std::vector<ir::TensorDesc>& out, std::unique_ptr<Kernel>& kernel) {
    bool constant = in.size() == 5;
    for (size_t i = 0; i < in.size() && constant; ++i) constant = in[i].data != nullptr;
    if (!constant) {  // values known only at run time: read at each enqueue
        auto k = std::make_unique<MelKernel>();
        k->runtime = true;
        kernel = std::move(k);
        return Status::Ok();
    }
    ir::signal::MelParams p;
    KILN_RETURN_IF_ERROR(ir::signal::resolveMel(node, in, p).withContext("MelWeightMatrix: "));
    std::vector<uint8_t> host;
    KILN_RETURN_IF_ERROR(melMatrix(p, host));
    if (out.size() != 1 || host.size() != size_t(ir::volume(out[0].shape)) * ir::dtypeSize(out[0].dtype))
        return Status::Error("MelWeightMatrix: output shape does not match");
    auto k = std::make_unique<MelKernel>();
    k->bytes = host.size();
    if (!host.empty()) {
        KILN_RETURN_IF_ERROR(DeviceBuffer::allocate(host.size(), "MelWeightMatrix table", k->table));
        KILN_RETURN_IF_ERROR(copyToDevice(k->table.get(), host.data(), host.size()));
    }
    kernel = std::move(k);
    return Status::Ok();
}

}  // namespace kiln::cuda::kernels
