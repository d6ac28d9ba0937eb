// Window: the Hann, Hamming and Blackman windows (ONNX HannWindow,
// HammingWindow, BlackmanWindow); docs/ops.md.
#include <string>

#include "op_families.h"
#include "signal.h"

namespace kiln::ir::signal {

Status resolveWindow(const Node& node, const std::vector<TensorDesc>& in, WindowParams& p) {
    const std::string kind = node.attrs.getString("kind", "");
    if (kind != "hann" && kind != "hamming" && kind != "blackman")
        return Status::Error("unknown kind '" + kind + "' (expected hann, hamming or blackman)");
    const int64_t periodic = node.attrs.getInt("periodic", 1);
    if (periodic != 0 && periodic != 1) return Status::Error("periodic must be 0 or 1");
    const int64_t raw = node.attrs.getInt("dtype", int64_t(DType::kF32));
    if (!dtypeValid(int(raw)) || DType(raw) == DType::kBool || DType(raw) == DType::kFP8)
        return Status::Error("unsupported output dtype " + std::to_string(raw));
    p.dtype = DType(raw);
    if (!hasInput(node, in, 0)) return Status::Error("input 0 (size) is required");
    KILN_RETURN_IF_ERROR(readIntScalar(in[0], "input 0 (size)", p.size));
    if (p.size < 0 || p.size > (int64_t(1) << 31))
        return Status::Error("size must be in [0, 2^31], got " + std::to_string(p.size));
    return Status::Ok();
}

}  // namespace kiln::ir::signal

namespace kiln::ir {

namespace {

Status inferWindow(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    if (signal::valueUnknown(node, in, 0)) {  // the size is known at run time only
        out[0] = {DType(node.attrs.getInt("dtype", int64_t(DType::kF32))), {-1}, nullptr};
        return dtypeValid(int(out[0].dtype)) ? Status::Ok() : Status::Error("invalid output dtype");
    }
    signal::WindowParams p;
    KILN_RETURN_IF_ERROR(signal::resolveWindow(node, in, p));
    out[0] = {p.dtype, {p.size}, nullptr};
    return Status::Ok();
}

}  // namespace

void registerWindowOp(std::vector<OpSchema>& t) { t.push_back({"Window", 1, 1, 1, 1, &inferWindow}); }

}  // namespace kiln::ir
