// NonMaxSuppression reference kernel: ir::computeNms, written as int64 or
// int32 triples, plus the count.
#include "ir/ops/data_dependent.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

bool nmsSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in.size() >= 2 && !out.empty();
}

Status nms(KernelArgs& args) {
    std::vector<ir::TensorDesc> in;
    for (const HostTensor& t : args.inputs) in.push_back({t.dtype, t.shape, t.data});
    ir::NmsParams p;
    bool known;
    KILN_RETURN_IF_ERROR(ir::resolveNms(args.node, in, p, known));
    const std::vector<int64_t> sel = ir::computeNms(in[0], in[1], p);
    HostTensor& y = args.outputs[0];
    const int64_t count = int64_t(sel.size() / 3);
    if (y.shape != ir::Shape{count, 3}) return Status::Error("nms: output must be [" + std::to_string(count) + ", 3]");
    for (size_t i = 0; i < sel.size(); ++i) {
        if (y.dtype == ir::DType::kI64)
            y.as<int64_t>()[i] = sel[i];
        else
            y.as<int32_t>()[i] = int32_t(sel[i]);
    }
    if (args.outputs.size() > 1) args.outputs[1].as<int32_t>()[0] = int32_t(count);
    return Status::Ok();
}

}  // namespace kiln::cpu::ref
