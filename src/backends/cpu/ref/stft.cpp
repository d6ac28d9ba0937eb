// Reference STFT (docs/ops.md): frame f of batch b is signal[b, f*step ...
// f*step + frame_length), times the window, transformed with a DFT of length
// frame_length; one-sided keeps bins 0..frame_length/2.
#include <string>

#include "../../../ir/ops/signal.h"
#include "fourier.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

Status stft(KernelArgs& args) {
    std::vector<ir::TensorDesc> in;
    for (const HostTensor& t : args.inputs) in.push_back({t.dtype, t.shape, t.data});
    ir::signal::STFTParams p;
    KILN_RETURN_IF_ERROR(ir::signal::resolveSTFT(args.node, in, p).withContext("STFT: "));
    const HostTensor& x = args.inputs[0];
    HostTensor& y = args.outputs[0];
    if (y.shape != p.outShape)
        return Status::Error("STFT: output shape " + ir::shapeToString(y.shape) +
                             " != " + ir::shapeToString(p.outShape));
    const bool hasWindow = args.inputs.size() > 2 && args.inputs[2].data;
    const int64_t B = x.shape[0], L = x.shape[1], c = x.shape[2], N = p.frameLength, bins = y.shape[2];
    const fourier::Plan plan(N);
    args.pool.parallelFor(B * p.frames, [&](int64_t begin, int64_t end) {
        std::vector<fourier::Complex> buf(static_cast<size_t>(N)), scratch;
        for (int64_t job = begin; job < end; ++job) {
            const int64_t b = job / p.frames, f = job % p.frames;
            for (int64_t n = 0; n < N; ++n) {
                const int64_t at = f * p.step + n;
                const double w = hasWindow ? ir::loadAsDouble(args.inputs[2].data, args.inputs[2].dtype, n) : 1.0;
                if (at >= L) {
                    buf[size_t(n)] = 0;
                    continue;
                }
                const int64_t src = (b * L + at) * c;
                buf[size_t(n)] = {w * ir::loadAsDouble(x.data, x.dtype, src),
                                  c == 2 ? w * ir::loadAsDouble(x.data, x.dtype, src + 1) : 0.0};
            }
            plan.run(buf.data(), false, scratch);
            for (int64_t k = 0; k < bins; ++k) {
                const int64_t at = ((b * p.frames + f) * bins + k) * 2;
                ir::storeFromDouble(y.data, y.dtype, at, buf[size_t(k)].real());
                ir::storeFromDouble(y.data, y.dtype, at + 1, buf[size_t(k)].imag());
            }
        }
    });
    return Status::Ok();
}

bool stftSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    if (in.size() < 2 || out.size() != 1) return false;
    const ir::DType t = in[0].dtype;
    return (t == ir::DType::kF32 || t == ir::DType::kF16 || t == ir::DType::kBF16) && out[0].dtype == t;
}

}  // namespace kiln::cpu::ref
