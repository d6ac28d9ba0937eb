// Reference DFT (docs/ops.md): one transform per line along the axis, in
// double precision; the one-sided inverse rebuilds the Hermitian spectrum.
#include <string>

#include "../../../ir/ops/signal.h"
#include "fourier.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

std::vector<ir::TensorDesc> describe(const KernelArgs& args) {
    std::vector<ir::TensorDesc> in;
    for (const HostTensor& t : args.inputs) in.push_back({t.dtype, t.shape, t.data});
    return in;
}

}  // namespace

Status dft(KernelArgs& args) {
    ir::signal::DFTParams p;
    KILN_RETURN_IF_ERROR(ir::signal::resolveDFT(args.node, describe(args), p).withContext("DFT: "));
    const HostTensor& x = args.inputs[0];
    HostTensor& y = args.outputs[0];
    if (y.shape != p.outShape)
        return Status::Error("DFT: output shape " + ir::shapeToString(y.shape) +
                             " != " + ir::shapeToString(p.outShape));
    const size_t axis = size_t(p.axis);
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < axis; ++d) outer *= x.shape[d];
    for (size_t d = axis + 1; d + 1 < x.shape.size(); ++d) inner *= x.shape[d];
    const int64_t L = x.shape[axis], c = x.shape.back(), Lout = y.shape[axis], cOut = y.shape.back();
    const int64_t N = p.length;
    if (outer * inner == 0 || Lout == 0) return Status::Ok();
    const fourier::Plan plan(N);
    const bool irfft = p.inverse && p.onesided;

    args.pool.parallelFor(outer * inner, [&](int64_t begin, int64_t end) {
        std::vector<fourier::Complex> buf(static_cast<size_t>(N)), scratch;
        for (int64_t line = begin; line < end; ++line) {
            const int64_t o = line / inner, i = line % inner;
            auto in = [&](int64_t l, int64_t part) {
                return ir::loadAsDouble(x.data, x.dtype, ((o * L + l) * inner + i) * c + part);
            };
            std::fill(buf.begin(), buf.end(), fourier::Complex(0, 0));
            if (irfft) {
                // Bins 0..N/2 come from the input (zero past its end); the
                // others are their conjugates, so the result is real.
                const int64_t bins = std::min(L, N / 2 + 1);
                for (int64_t k = 0; k < bins; ++k) buf[size_t(k)] = {in(k, 0), in(k, 1)};
                for (int64_t k = N / 2 + 1; k < N; ++k) buf[size_t(k)] = std::conj(buf[size_t(N - k)]);
            } else {
                for (int64_t l = 0; l < std::min(L, N); ++l) buf[size_t(l)] = {in(l, 0), c == 2 ? in(l, 1) : 0.0};
            }
            plan.run(buf.data(), p.inverse, scratch);
            const double scale = p.inverse ? 1.0 / double(N) : 1.0;
            for (int64_t k = 0; k < Lout; ++k) {
                const int64_t at = ((o * Lout + k) * inner + i) * cOut;
                ir::storeFromDouble(y.data, y.dtype, at, buf[size_t(k)].real() * scale);
                if (cOut == 2) ir::storeFromDouble(y.data, y.dtype, at + 1, buf[size_t(k)].imag() * scale);
            }
        }
    });
    return Status::Ok();
}

bool dftSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    if (in.empty() || out.size() != 1) return false;
    const ir::DType t = in[0].dtype;
    return (t == ir::DType::kF32 || t == ir::DType::kF16 || t == ir::DType::kBF16) && out[0].dtype == t;
}

}  // namespace kiln::cpu::ref
