// MelWeightMatrix: triangular mel filters over the bins of a one-sided
// spectrum (ONNX MelWeightMatrix-17); docs/ops.md.
#include <cmath>
#include <string>

#include "op_families.h"
#include "signal.h"

namespace kiln::ir::signal {

namespace {

Status readFloatScalar(const TensorDesc& t, const char* what, double& v) {
    if (!dtypeIsFloat(t.dtype) || t.dtype == DType::kFP8)
        return Status::Error(std::string(what) + " must be a float type, got " + std::string(dtypeName(t.dtype)));
    if (volume(t.shape) != 1 || t.shape.size() > 1)
        return Status::Error(std::string(what) + " must be a scalar, got shape " + shapeToString(t.shape));
    if (!t.data)
        return Status::Error(std::string("the output needs the value of ") + what + ", known only at run time");
    v = loadAsDouble(t.data, t.dtype, 0);
    return Status::Ok();
}

}  // namespace

Status resolveMel(const Node& node, const std::vector<TensorDesc>& in, MelParams& p) {
    for (size_t i = 0; i < 5; ++i)
        if (!hasInput(node, in, i)) return Status::Error("all five inputs are required");
    const int64_t raw = node.attrs.getInt("dtype", int64_t(DType::kF32));
    if (!dtypeValid(int(raw)) || DType(raw) == DType::kBool || DType(raw) == DType::kFP8)
        return Status::Error("unsupported output dtype " + std::to_string(raw));
    p.dtype = DType(raw);
    KILN_RETURN_IF_ERROR(readIntScalar(in[0], "input 0 (num_mel_bins)", p.melBins));
    KILN_RETURN_IF_ERROR(readIntScalar(in[1], "input 1 (dft_length)", p.dftLength));
    KILN_RETURN_IF_ERROR(readIntScalar(in[2], "input 2 (sample_rate)", p.sampleRate));
    KILN_RETURN_IF_ERROR(readFloatScalar(in[3], "input 3 (lower_edge_hertz)", p.lowerHz));
    KILN_RETURN_IF_ERROR(readFloatScalar(in[4], "input 4 (upper_edge_hertz)", p.upperHz));
    constexpr int64_t kMax = int64_t(1) << 24;
    if (p.melBins < 1 || p.melBins > kMax) return Status::Error("num_mel_bins must be in [1, 2^24]");
    if (p.dftLength < 1 || p.dftLength > kMax) return Status::Error("dft_length must be in [1, 2^24]");
    if (p.sampleRate < 1) return Status::Error("sample_rate must be >= 1");
    if (!(p.lowerHz >= 0) || !(p.upperHz > p.lowerHz) || !std::isfinite(p.upperHz))
        return Status::Error("need 0 <= lower_edge_hertz < upper_edge_hertz (finite)");
    return Status::Ok();
}

}  // namespace kiln::ir::signal

namespace kiln::ir {

namespace {

Status inferMel(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    for (size_t i = 0; i < 5; ++i)
        if (signal::valueUnknown(node, in, i)) {  // the filters are known at run time only
            out[0] = {DType(node.attrs.getInt("dtype", int64_t(DType::kF32))), {-1, -1}, nullptr};
            return dtypeValid(int(out[0].dtype)) ? Status::Ok() : Status::Error("invalid output dtype");
        }
    signal::MelParams p;
    KILN_RETURN_IF_ERROR(signal::resolveMel(node, in, p));
    out[0] = {p.dtype, {p.dftLength / 2 + 1, p.melBins}, nullptr};
    return Status::Ok();
}

}  // namespace

void registerMelWeightMatrixOp(std::vector<OpSchema>& t) { t.push_back({"MelWeightMatrix", 5, 5, 1, 1, &inferMel}); }

}  // namespace kiln::ir
