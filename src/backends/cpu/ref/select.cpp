// Select reference kernel: Y = Cond ? A : B with all three broadcast. A pure
// copy, so it works on raw element bits and supports every dtype.
#include <string>

#include "broadcast.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

// W: an unsigned integer as wide as one element.
template <class W>
void selectBits(KernelArgs& args, const BroadcastPlan<3>& plan) {
    const uint8_t* cond = args.inputs[0].as<const uint8_t>();
    const W* a = args.inputs[1].as<const W>();
    const W* b = args.inputs[2].as<const W>();
    W* y = args.outputs[0].as<W>();
    const int64_t sc = plan.innerStride(0), sa = plan.innerStride(1), sb = plan.innerStride(2);
    parallelForEachBroadcastRow(args.pool, plan, [&](int64_t o, const std::array<int64_t, 3>& off, int64_t n) {
        const uint8_t* pc = cond + off[0];
        const W* pa = a + off[1];
        const W* pb = b + off[2];
        for (int64_t j = 0; j < n; ++j) y[o + j] = pc[j * sc] ? pa[j * sa] : pb[j * sb];
    });
}

}  // namespace

bool selectSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&) {
    return in.size() == 3 && in[0].dtype == ir::DType::kBool && in[1].dtype == in[2].dtype;
}

Status select(KernelArgs& args) {
    if (args.inputs.size() != 3 || args.outputs.size() != 1) return Status::Error("Select: expects 3 inputs and 1 output");
    const ir::DType t = args.inputs[1].dtype;
    if (args.inputs[0].dtype != ir::DType::kBool)
        return Status::Error("Select: Cond must be bool, got " + std::string(ir::dtypeName(args.inputs[0].dtype)));
    if (args.inputs[2].dtype != t || args.outputs[0].dtype != t)
        return Status::Error("Select: A, B and the output must share a dtype, got " + std::string(ir::dtypeName(t)) +
                             ", " + std::string(ir::dtypeName(args.inputs[2].dtype)) + " and " +
                             std::string(ir::dtypeName(args.outputs[0].dtype)));
    BroadcastPlan<3> plan;
    KILN_RETURN_IF_ERROR(planBroadcast<3>(args.outputs[0].shape,
                                          {args.inputs[0].shape, args.inputs[1].shape, args.inputs[2].shape}, plan)
                             .withContext("Select: "));
    switch (ir::dtypeSize(t)) {
        case 1: selectBits<uint8_t>(args, plan); break;
        case 2: selectBits<uint16_t>(args, plan); break;
        case 4: selectBits<uint32_t>(args, plan); break;
        case 8: selectBits<uint64_t>(args, plan); break;
        default: return Status::Error("Select: unsupported dtype " + std::string(ir::dtypeName(t)));
    }
    return Status::Ok();
}

}  // namespace kiln::cpu::ref
