// Reference Window (docs/ops.md): w[n] = a0 - a1 cos(2 pi n / D) + a2 cos(4 pi n / D),
// D = size (periodic) or size - 1 (symmetric).
#include <cmath>
#include <string>

#include "../../../ir/ops/signal.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

Status window(KernelArgs& args) {
    std::vector<ir::TensorDesc> in;
    for (const HostTensor& t : args.inputs) in.push_back({t.dtype, t.shape, t.data});
    ir::signal::WindowParams p;
    KILN_RETURN_IF_ERROR(ir::signal::resolveWindow(args.node, in, p).withContext("Window: "));
    HostTensor& y = args.outputs[0];
    if (y.numel() != p.size || y.dtype != p.dtype) return Status::Error("Window: output does not match the size");
    const std::string kind = args.node.attrs.getString("kind");
    double a0 = 0.5, a1 = 0.5, a2 = 0.0;  // hann
    if (kind == "hamming")
        a0 = 25.0 / 46.0, a1 = 21.0 / 46.0;
    else if (kind == "blackman")
        a0 = 0.42, a1 = 0.5, a2 = 0.08;
    // A symmetric window of size 1 divides 0 by 0 (NaN), as ONNX's definition does.
    const double D = double(args.node.attrs.getInt("periodic", 1) ? p.size : p.size - 1);
    for (int64_t n = 0; n < p.size; ++n) {
        const double a = 2.0 * M_PI * double(n) / D;
        ir::storeFromDouble(y.data, y.dtype, n, a0 - a1 * std::cos(a) + a2 * std::cos(2 * a));
    }
    return Status::Ok();
}

bool windowSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in.size() == 1 && out.size() == 1;
}

}  // namespace kiln::cpu::ref
