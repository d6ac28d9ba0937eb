// The signal ops on CUDA, as the CPU references (backends/cpu/ref/dft.cpp,
// stft.cpp, window.cpp, mel_weight_matrix.cpp) and docs/ops.md.
// DFT / STFT: one thread per output bin sums its line directly (O(n) per bin)
// in float64, with a float64 twiddle table exp(-2 pi i m / n) built in the
// workspace (computed inline when the workspace is too small); the one-sided
// inverse rebuilds the Hermitian spectrum as the reference does.
// Window: one thread per element in float64. MelWeightMatrix depends on
// build-time constants only: its matrix is computed on the host when the
// kernel is created (the reference's own arithmetic) and copied per run.
#include <cmath>
#include <cstring>
#include <string>

#include "../device_memory.h"
#include "device_common.cuh"
#include "ir/ops/signal.h"
#include "kernels.h"
#include "value_io.cuh"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;

std::vector<ir::TensorDesc> descsOf(const std::vector<DeviceTensor>& ts) {
    std::vector<ir::TensorDesc> d;
    for (const auto& t : ts) d.push_back({t.dtype, t.shape, t.hostData});
    return d;
}

bool present(const ir::Node& node, const std::vector<ir::TensorDesc>& in, size_t i) {
    return i < in.size() && i < node.inputs.size() && node.inputs[i] >= 0;
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
    bool inverse, irfft;
    ir::DType dtype;
};

template <class S>
__global__ void dftKernel(const S* __restrict__ x, S* __restrict__ y, const double2* __restrict__ tw, DftParams p) {
    const int64_t total = p.outer * p.Lout * p.inner, stride = int64_t(gridDim.x) * blockDim.x;
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

// ---- MelWeightMatrix: a table made on the host at create ----

class MelKernel final : public Kernel {
public:
    DeviceBuffer table;
    size_t bytes = 0;
    Status enqueue(LaunchArgs& a) const override {
        if (a.outputs.size() != 1 || a.outputs[0].bytes() != bytes)
            return Status::Error("MelWeightMatrix: the output differs from the one the kernel was made for");
        if (bytes == 0) return Status::Ok();
        KILN_CUDA_CHECK(cudaMemcpyAsync(a.outputs[0].data, table.get(), bytes, cudaMemcpyDeviceToDevice, a.stream));
        return Status::Ok();
    }
};

// The reference's matrix (backends/cpu/ref/mel_weight_matrix.cpp) in `dtype`.
Status melMatrix(const ir::signal::MelParams& p, std::vector<uint8_t>& out) {
    const int64_t specBins = p.dftLength / 2 + 1, M = p.melBins;
    auto toMel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
    const double lowMel = toMel(p.lowerHz), step = (toMel(p.upperHz) - lowMel) / double(M + 2);
    std::vector<int64_t> bin(size_t(M + 2));
    for (int64_t i = 0; i < M + 2; ++i) {
        const double hz = 700.0 * (std::pow(10.0, (double(i) * step + lowMel) / 2595.0) - 1.0);
        bin[size_t(i)] = int64_t(std::floor(double(p.dftLength + 1) * hz / double(p.sampleRate)));
        if (bin[size_t(i)] < 0 || bin[size_t(i)] >= specBins)
            return Status::Error("MelWeightMatrix: upper_edge_hertz " + std::to_string(p.upperHz) +
                                 " maps past the last spectrum bin (" + std::to_string(specBins - 1) + ")");
    }
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

}  // namespace

// ---- DFT ----

bool dftSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    if (in.empty() || in.size() > 3 || out.size() != 1 || !isDeviceFloat(in[0].dtype) || out[0].dtype != in[0].dtype)
        return false;
    // dft_length and axis are read on the host: they must be build-time constants.
    for (size_t i : {size_t(1), size_t(2)})
        if (present(node, in, i) && !in[i].data) return false;
    ir::signal::DFTParams p;
    return ir::signal::resolveDFT(node, in, p).ok();
}

size_t dftWorkspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&) {
    ir::signal::DFTParams p;
    if (!ir::signal::resolveDFT(node, in, p).ok() || p.length <= 0) return 0;
    return size_t(p.length) * sizeof(double2);
}

Status dft(LaunchArgs& a) {
    ir::signal::DFTParams rp;
    KILN_RETURN_IF_ERROR(ir::signal::resolveDFT(a.node, descsOf(a.inputs), rp).withContext("DFT: "));
    const DeviceTensor& X = a.inputs[0];
    DeviceTensor& Y = a.outputs[0];
    if (Y.shape != rp.outShape)
        return Status::Error("DFT: output shape " + ir::shapeToString(Y.shape) +
                             " != " + ir::shapeToString(rp.outShape));
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
    const int64_t total = p.outer * p.Lout * p.inner;
    return visitFloatType(X.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        dftKernel<S><<<gridFor(total), kBlock, 0, a.stream>>>(X.as<const S>(), Y.as<S>(), tw, p);
        KILN_CUDA_CHECK_LAUNCH();
        return Status::Ok();
    });
}

// ---- STFT ----

bool stftSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    if (in.size() < 2 || in.size() > 4 || out.size() != 1 || !isDeviceFloat(in[0].dtype) || out[0].dtype != in[0].dtype)
        return false;
    for (size_t i : {size_t(1), size_t(3)})  // frame_step and frame_length are read on the host
        if (present(node, in, i) && !in[i].data) return false;
    if (present(node, in, 2) && !isDeviceFloat(in[2].dtype)) return false;
    ir::signal::STFTParams p;
    return ir::signal::resolveSTFT(node, in, p).ok();
}

size_t stftWorkspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&) {
    ir::signal::STFTParams p;
    if (!ir::signal::resolveSTFT(node, in, p).ok() || p.frameLength <= 0) return 0;
    return size_t(p.frameLength) * sizeof(double2);
}

Status stft(LaunchArgs& a) {
    ir::signal::STFTParams rp;
    KILN_RETURN_IF_ERROR(ir::signal::resolveSTFT(a.node, descsOf(a.inputs), rp).withContext("STFT: "));
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
    for (size_t i = 0; i < 5; ++i)
        if (!present(node, in, i) || !in[i].data) return false;  // every value is a build-time constant
    ir::signal::MelParams p;
    return ir::signal::resolveMel(node, in, p).ok() && p.dtype == out[0].dtype;
}

Status createMelWeightMatrix(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                             const std::vector<ir::TensorDesc>& out, std::unique_ptr<Kernel>& kernel) {
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
