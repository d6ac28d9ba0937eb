// Concat reference kernel: for each index of the dims before the axis, the
// inputs' blocks are laid side by side.
#include "movement_util.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

Status concat(KernelArgs& a) {
    KILN_RETURN_IF_ERROR(movement::inferAndCheck(a, &ir::movement::inferConcat));
    HostTensor& out = a.outputs[0];
    int64_t axis = a.node.attrs.getInt("axis");
    ir::normalizeAxis(axis, int64_t(out.shape.size()));  // validated by inference
    const size_t es = ir::dtypeSize(out.dtype);
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= out.shape[d];
    for (size_t d = size_t(axis) + 1; d < out.shape.size(); ++d) inner *= out.shape[d];
    const int64_t outRow = out.shape[axis] * inner * int64_t(es);  // bytes per outer index
    if (outer == 0 || outRow == 0) return Status::Ok();

    // Byte offset of each input's block inside one output row.
    std::vector<int64_t> rowOffset(a.inputs.size());
    for (size_t i = 0, off = 0; i < a.inputs.size(); ++i) {
        rowOffset[i] = int64_t(off);
        off += size_t(a.inputs[i].shape[axis] * inner) * es;
    }
    auto body = [&](int64_t o0, int64_t o1) {
        for (int64_t o = o0; o < o1; ++o) {
            for (size_t i = 0; i < a.inputs.size(); ++i) {
                const int64_t block = a.inputs[i].shape[axis] * inner * int64_t(es);
                if (block == 0) continue;
                std::memcpy(out.as<uint8_t>() + o * outRow + rowOffset[i], a.inputs[i].as<uint8_t>() + o * block,
                            size_t(block));
            }
        }
    };
    a.pool.parallelFor(outer, body, std::max<int64_t>(1, movement::kGrainElems * 4 / outRow));
    return Status::Ok();
}

bool concatSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    for (const auto& t : in)
        if (t.dtype != out[0].dtype) return false;
    return true;
}

}  // namespace kiln::cpu::ref
