// Reference MelWeightMatrix (docs/ops.md). num_mel_bins + 2 points evenly
// spaced in mel (2595 log10(1 + hz/700)) from the lower to the upper edge
// (the step divides the range by num_mel_bins + 2, as ONNX's reference does)
// are mapped to spectrum bins floor((dft_length + 1) * hz / sample_rate);
// filter i rises linearly from point i to point i+1 and falls to point i+2.
#include <cmath>
#include <string>

#include "../../../ir/ops/signal.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

Status melWeightMatrix(KernelArgs& args) {
    std::vector<ir::TensorDesc> in;
    for (const HostTensor& t : args.inputs) in.push_back({t.dtype, t.shape, t.data});
    ir::signal::MelParams p;
    KILN_RETURN_IF_ERROR(ir::signal::resolveMel(args.node, in, p).withContext("MelWeightMatrix: "));
    HostTensor& y = args.outputs[0];
    const int64_t specBins = p.dftLength / 2 + 1, M = p.melBins;
    if (y.shape != ir::Shape{specBins, M}) return Status::Error("MelWeightMatrix: output shape does not match");
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
    for (size_t k = 0; k < w.size(); ++k) ir::storeFromDouble(y.data, y.dtype, int64_t(k), w[k]);
    return Status::Ok();
}

bool melWeightMatrixSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in,
                             const std::vector<ir::TensorDesc>& out) {
    return in.size() == 5 && out.size() == 1;
}

}  // namespace kiln::cpu::ref
