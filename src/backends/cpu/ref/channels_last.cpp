#include "channels_last.h"

#include <cstring>
#include <vector>

#include "ir/ops/channels_last.h"

namespace kiln::cpu::ref {

namespace {

// Per image, [S, C] <-> [C, S] with S the product of the spatial extents.
void transposeImages(const uint8_t* src, uint8_t* dst, const ir::Shape& channelsFirst, size_t elem, bool toLast) {
    const int64_t N = channelsFirst[0], C = channelsFirst[1];
    int64_t S = 1;
    for (size_t d = 2; d < channelsFirst.size(); ++d) S *= channelsFirst[d];
    for (int64_t n = 0; n < N; ++n) {
        const size_t base = size_t(n * C * S) * elem;
        for (int64_t c = 0; c < C; ++c)
            for (int64_t s = 0; s < S; ++s) {
                const size_t first = base + size_t(c * S + s) * elem, last = base + size_t(s * C + c) * elem;
                std::memcpy(dst + (toLast ? last : first), src + (toLast ? first : last), elem);
            }
    }
}

}  // namespace

Status runChannelsFirst(KernelArgs& args, std::initializer_list<size_t> permuted, RefFn channelsFirstKernel) {
    ir::Node node = args.node;
    node.attrs.erase("channels_last");
    std::vector<HostTensor> in = args.inputs, out = args.outputs;
    std::vector<std::vector<uint8_t>> storage;
    storage.reserve(in.size() + out.size());
    for (size_t i : permuted) {
        if (i >= in.size() || !in[i].data) continue;
        if (in[i].shape.size() < 3) return Status::Error("channels_last: input " + std::to_string(i) + " has rank < 3");
        const ir::Shape first = ir::channelsFirstShape(in[i].shape);
        storage.emplace_back(in[i].bytes());
        transposeImages(static_cast<const uint8_t*>(in[i].data), storage.back().data(), first,
                        ir::dtypeSize(in[i].dtype), false);
        in[i] = {storage.back().data(), in[i].dtype, first};
    }
    for (auto& o : out) {
        if (o.shape.size() < 3) return Status::Error("channels_last: outputs must have rank >= 3");
        if (o.numel() == 0) return Status::Ok();  // an empty batch: nothing to write (and no buffer to write to)
        if (!o.data) return Status::Error("channels_last: an output has no buffer");
        storage.emplace_back(o.bytes());
        o = {storage.back().data(), o.dtype, ir::channelsFirstShape(o.shape)};
    }
    KernelArgs inner{node, in, out, args.pool, args.workspace, args.workspaceBytes};
    KILN_RETURN_IF_ERROR(channelsFirstKernel(inner));
    for (size_t k = 0; k < out.size(); ++k)
        transposeImages(static_cast<const uint8_t*>(out[k].data), static_cast<uint8_t*>(args.outputs[k].data),
                        out[k].shape, ir::dtypeSize(out[k].dtype), true);
    return Status::Ok();
}

}  // namespace kiln::cpu::ref
