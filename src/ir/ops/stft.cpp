// STFT: short-time Fourier transform of a batch of signals (ONNX STFT-17);
// docs/ops.md.
#include <string>

#include "op_families.h"
#include "signal.h"

namespace kiln::ir::signal {

Status resolveSTFT(const Node& node, const std::vector<TensorDesc>& in, STFTParams& p) {
    if (!hasInput(node, in, 0) || !hasInput(node, in, 1))
        return Status::Error("inputs 0 (signal) and 1 (frame_step) are required");
    const TensorDesc& x = in[0];
    if (x.shape.size() != 3 || (x.shape[2] != 1 && x.shape[2] != 2 && x.shape[2] >= 0))
        return Status::Error("signal must be [batch, length, 1 or 2], got " + shapeToString(x.shape));
    if (x.dtype != DType::kF32 && x.dtype != DType::kF16 && x.dtype != DType::kBF16)
        return Status::Error("unsupported dtype " + std::string(dtypeName(x.dtype)) + " (float types only)");
    p.complexInput = x.shape[2] == 2;
    p.onesided = node.attrs.getInt("onesided", 1) != 0;
    if (p.onesided && p.complexInput) return Status::Error("onesided needs a real signal (last dim 1)");
    KILN_RETURN_IF_ERROR(readIntScalar(in[1], "input 1 (frame_step)", p.step));
    if (p.step < 1) return Status::Error("frame_step must be >= 1, got " + std::to_string(p.step));
    p.windowLength = -1;
    if (hasInput(node, in, 2)) {
        const TensorDesc& w = in[2];
        if (w.shape.size() != 1) return Status::Error("window must be rank 1, got " + shapeToString(w.shape));
        if (w.dtype != x.dtype) return Status::Error("window and signal dtypes differ");
        p.windowLength = w.shape[0];
    }
    if (hasInput(node, in, 3)) {
        KILN_RETURN_IF_ERROR(readIntScalar(in[3], "input 3 (frame_length)", p.frameLength));
        if (p.windowLength >= 0 && p.windowLength != p.frameLength)
            return Status::Error("frame_length " + std::to_string(p.frameLength) + " differs from the window length " +
                                 std::to_string(p.windowLength));
    } else if (p.windowLength >= 0) {
        p.frameLength = p.windowLength;
    } else {
        return Status::Error("either input 2 (window) or input 3 (frame_length) is required");
    }
    if (p.windowLength < 0) p.windowLength = p.frameLength;
    const int64_t L = x.shape[1];
    if (p.frameLength < 1 || (L >= 0 && p.frameLength > L))
        return Status::Error("frame_length " + std::to_string(p.frameLength) + " must be in [1, signal length " +
                             std::to_string(L) + "]");
    p.frames = L < 0 ? -1 : (L - p.frameLength) / p.step + 1;
    const int64_t bins = p.onesided ? p.frameLength / 2 + 1 : p.frameLength;
    p.outShape = {x.shape[0], p.frames, bins, 2};
    return Status::Ok();
}

}  // namespace kiln::ir::signal

namespace kiln::ir {

namespace {

Status inferSTFT(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    if (signal::valueUnknown(node, in, 1) || signal::valueUnknown(node, in, 3)) {
        // Frames and bins follow from values known at run time only.
        if (in[0].shape.size() != 3) return Status::Error("signal must be [batch, length, 1 or 2]");
        out[0] = {in[0].dtype, {in[0].shape[0], -1, -1, 2}, nullptr};
        return Status::Ok();
    }
    signal::STFTParams p;
    KILN_RETURN_IF_ERROR(signal::resolveSTFT(node, in, p));
    out[0] = {in[0].dtype, p.outShape, nullptr};
    return Status::Ok();
}

}  // namespace

void registerSTFTOp(std::vector<OpSchema>& t) { t.push_back({"STFT", 2, 4, 1, 1, &inferSTFT}); }

}  // namespace kiln::ir
