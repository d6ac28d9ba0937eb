// Shuffle reference kernel. The reshape never moves data, so the work is at
// most two transposes; with both present the first goes to a scratch buffer.
#include "movement_util.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

bool isIdentity(const std::vector<int64_t>& perm) {
    for (size_t i = 0; i < perm.size(); ++i)
        if (perm[i] != int64_t(i)) return false;
    return true;
}

}  // namespace

Status shuffle(KernelArgs& a) {
    KILN_RETURN_IF_ERROR(movement::inferAndCheck(a, &ir::movement::inferShuffle));
    ir::movement::ShuffleParams p;
    KILN_RETURN_IF_ERROR(ir::movement::resolveShuffle(a.node, movement::descsOf(a.inputs), p));
    const HostTensor& x = a.inputs[0];
    HostTensor& y = a.outputs[0];
    const size_t es = ir::dtypeSize(x.dtype);
    if (x.numel() == 0) return Status::Ok();

    const bool t1 = !isIdentity(p.perm1), t2 = !isIdentity(p.perm2);
    if (!t1 && !t2) {
        // One buffer when the memory plan made the output a view of the input (ir/views.h).
        if (y.data != x.data) movement::parallelCopy(y.data, x.data, x.bytes(), a.pool);
    } else if (t1 && !t2) {
        movement::transpose(x.data, x.shape, p.perm1, y.data, es, a.pool);
    } else if (!t1 && t2) {
        movement::transpose(x.data, p.reshaped, p.perm2, y.data, es, a.pool);
    } else {
        std::vector<uint8_t> scratch(x.bytes());
        movement::transpose(x.data, x.shape, p.perm1, scratch.data(), es, a.pool);
        movement::transpose(scratch.data(), p.reshaped, p.perm2, y.data, es, a.pool);
    }
    return Status::Ok();
}

bool shuffleSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in[0].dtype == out[0].dtype;
}

}  // namespace kiln::cpu::ref
