// ReverseSequence reference kernel: out[.., t, .., b, ..] = x[.., len[b]-1-t, .., b, ..]
// for t < len[b], else x at t. Lengths outside [0, time extent] are an error.
#include "nn_util.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

Status reverseSequence(KernelArgs& a) {
    KILN_RETURN_IF_ERROR(movement::inferAndCheck(a, &ir::nn::inferReverseSequence));
    ir::nn::ReverseSequenceParams p;
    KILN_RETURN_IF_ERROR(ir::nn::resolveReverseSequence(a.node, movement::descsOf(a.inputs), p));
    const HostTensor& x = a.inputs[0];
    const std::vector<int64_t> lens = nn::loadInt64s(a.inputs[1]);
    const ir::Shape& s = x.shape;
    const int64_t steps = s[size_t(p.timeAxis)];
    if (int64_t(lens.size()) != s[size_t(p.batchAxis)])
        return Status::Error("ReverseSequence: " + std::to_string(lens.size()) + " lengths for a batch of " +
                             std::to_string(s[size_t(p.batchAxis)]));
    for (size_t b = 0; b < lens.size(); ++b)
        if (lens[b] < 0 || lens[b] > steps)
            return Status::Error("ReverseSequence: sequence length " + std::to_string(lens[b]) + " of batch " +
                                 std::to_string(b) + " is outside [0, " + std::to_string(steps) + "]");
    const auto strides = ir::stridesOf(s);
    const int64_t ts = strides[size_t(p.timeAxis)], bs = strides[size_t(p.batchAxis)];
    const size_t es = ir::dtypeSize(x.dtype);
    const auto* src = x.as<uint8_t>();
    auto* dst = a.outputs[0].as<uint8_t>();
    a.pool.parallelFor(
        x.numel(),
        [&](int64_t b0, int64_t e0) {
            for (int64_t i = b0; i < e0; ++i) {
                const int64_t t = (i / ts) % steps, b = (i / bs) % s[size_t(p.batchAxis)];
                const int64_t len = lens[size_t(b)];
                const int64_t from = t < len ? i + (len - 1 - 2 * t) * ts : i;
                std::memcpy(dst + i * int64_t(es), src + from * int64_t(es), es);
            }
        },
        movement::kGrainElems);
    return Status::Ok();
}

bool reverseSequenceSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                             const std::vector<ir::TensorDesc>&) {
    ir::nn::ReverseSequenceParams p;
    return ir::nn::resolveReverseSequence(node, in, p).ok();
}

}  // namespace kiln::cpu::ref
