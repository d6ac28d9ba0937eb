// Fourier plans for the DFT / STFT reference kernels (fourier.h).
#include "fourier.h"

#include <cmath>

namespace kiln::cpu::ref::fourier {

Plan::Plan(int64_t n) : n_(n), pow2_(n > 0 && (n & (n - 1)) == 0), twiddle_(size_t(n > 0 ? n : 0)) {
    const double step = -2.0 * M_PI / double(n);
    for (int64_t k = 0; k < n; ++k) twiddle_[size_t(k)] = std::polar(1.0, step * double(k));
}

void Plan::run(Complex* data, bool inverse, std::vector<Complex>& scratch) const {
    const int64_t n = n_;
    if (n <= 1) return;
    auto w = [&](int64_t k) { return inverse ? std::conj(twiddle_[size_t(k)]) : twiddle_[size_t(k)]; };
    if (!pow2_) {
        scratch.assign(data, data + n);
        for (int64_t k = 0; k < n; ++k) {
            Complex acc = 0;
            for (int64_t j = 0; j < n; ++j) acc += scratch[size_t(j)] * w((k * j) % n);
            data[k] = acc;
        }
        return;
    }
    // Iterative radix-2: bit-reversed order, then butterflies of growing span.
    for (int64_t i = 1, j = 0; i < n; ++i) {
        int64_t bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) std::swap(data[i], data[j]);
    }
    for (int64_t len = 2; len <= n; len <<= 1) {
        const int64_t half = len / 2, stride = n / len;
        for (int64_t start = 0; start < n; start += len)
            for (int64_t k = 0; k < half; ++k) {
                const Complex t = data[start + k + half] * w(k * stride);
                data[start + k + half] = data[start + k] - t;
                data[start + k] += t;
            }
    }
}

}  // namespace kiln::cpu::ref::fourier
