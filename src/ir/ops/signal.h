// Parameter resolution of the signal-processing ops (DFT, STFT, Window,
// MelWeightMatrix; docs/ops.md), shared by shape inference and the reference
// kernels so both read attributes and value inputs the same way. Kernels call
// these with descriptors of their run-time tensors (data always set).
#pragma once
#include <vector>

#include "../op_schema.h"

namespace kiln::ir::signal {

// Reads a scalar (or one-element) int32/int64 input. Fails naming `what` when
// the value is not known (a runtime input at build time).
Status readIntScalar(const TensorDesc& t, const char* what, int64_t& v);
// Input i is given but its values are not known yet (build time): the output
// extents that depend on it are -1.
inline bool valueUnknown(const Node& node, const std::vector<TensorDesc>& in, size_t i) {
    return hasInput(node, in, i) && !in[i].data;
}

// DFT: inputs X [..., 1|2], DftLength?, Axis?.
struct DFTParams {
    int64_t axis = 0;    // normalized
    int64_t length = 0;  // N, the transform length
    bool inverse = false, onesided = false;
    bool complexInput = false;
    Shape outShape;
};
Status resolveDFT(const Node& node, const std::vector<TensorDesc>& in, DFTParams& p);

// STFT: inputs Signal [B, L, 1|2], FrameStep, Window?, FrameLength?.
struct STFTParams {
    int64_t step = 0, frameLength = 0, windowLength = 0, frames = 0;
    bool onesided = true, complexInput = false;
    Shape outShape;  // [B, frames, bins, 2]
};
Status resolveSTFT(const Node& node, const std::vector<TensorDesc>& in, STFTParams& p);

// Window (Hann / Hamming / Blackman): input Size.
struct WindowParams {
    int64_t size = 0;
    DType dtype = DType::kF32;
};
Status resolveWindow(const Node& node, const std::vector<TensorDesc>& in, WindowParams& p);

// MelWeightMatrix: inputs NumMelBins, DftLength, SampleRate, LowerEdgeHertz,
// UpperEdgeHertz.
struct MelParams {
    int64_t melBins = 0, dftLength = 0, sampleRate = 0;
    double lowerHz = 0, upperHz = 0;
    DType dtype = DType::kF32;
};
Status resolveMel(const Node& node, const std::vector<TensorDesc>& in, MelParams& p);

}  // namespace kiln::ir::signal
