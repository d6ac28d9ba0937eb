// Discrete Fourier transforms of one length, shared by the DFT and STFT
// reference kernels: radix-2 FFT for powers of two, the direct O(n^2) sum
// with a twiddle table otherwise. Double precision throughout.
#pragma once
#include <complex>
#include <cstdint>
#include <vector>

namespace kiln::cpu::ref::fourier {

using Complex = std::complex<double>;

class Plan {
public:
    explicit Plan(int64_t n);
    int64_t size() const { return n_; }
    // data[k] <- sum_j data[j] * exp(-+2 pi i j k / n) (+ for inverse); no 1/n.
    // `scratch` is resized as needed (one per thread).
    void run(Complex* data, bool inverse, std::vector<Complex>& scratch) const;

private:
    int64_t n_;
    bool pow2_;
    std::vector<Complex> twiddle_;  // exp(-2 pi i k / n), k in [0, n)
};

}  // namespace kiln::cpu::ref::fourier
