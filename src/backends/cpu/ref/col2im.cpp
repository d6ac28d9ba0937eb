// Reference Col2Im (docs/ops.md): out[n, c, pos] = sum of the column entries
// [n, c * K + kernel offset, block] whose tap lands on pos, with
// pos_i = block_i * stride_i - pad_i + offset_i * dilation_i per dim.
#include <string>

#include "../../../ir/ops/col2im.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

Status col2im(KernelArgs& args) {
    std::vector<ir::TensorDesc> in;
    for (const HostTensor& t : args.inputs) in.push_back({t.dtype, t.shape, t.data});
    ir::Col2ImParams p;
    KILN_RETURN_IF_ERROR(ir::resolveCol2Im(args.node, in, p).withContext("Col2Im: "));
    const HostTensor& x = args.inputs[0];
    HostTensor& y = args.outputs[0];
    if (y.shape != p.outShape) return Status::Error("Col2Im: output shape does not match");
    const size_t k = p.image.size();
    int64_t K = 1, L = 1, img = 1;
    for (size_t i = 0; i < k; ++i) K *= p.block[i], L *= p.blocks[i], img *= p.image[i];
    const int64_t N = x.shape[0], C = p.channels;
    args.pool.parallelFor(N * C, [&](int64_t begin, int64_t end) {
        std::vector<double> acc(static_cast<size_t>(img));
        std::vector<int64_t> off(k), blk(k);
        for (int64_t nc = begin; nc < end; ++nc) {
            std::fill(acc.begin(), acc.end(), 0.0);
            const int64_t n = nc / C, c = nc % C;
            for (int64_t kk = 0; kk < K; ++kk) {
                for (size_t i = k, r = size_t(kk); i-- > 0;) off[i] = int64_t(r) % p.block[i], r /= size_t(p.block[i]);
                for (int64_t l = 0; l < L; ++l) {
                    for (size_t i = k, r = size_t(l); i-- > 0;)
                        blk[i] = int64_t(r) % p.blocks[i], r /= size_t(p.blocks[i]);
                    int64_t flat = 0;
                    bool inside = true;
                    for (size_t i = 0; i < k && inside; ++i) {
                        const int64_t pos = blk[i] * p.strides[i] - p.padsBegin[i] + off[i] * p.dilations[i];
                        inside = pos >= 0 && pos < p.image[i];
                        flat = flat * p.image[i] + pos;
                    }
                    if (inside) acc[size_t(flat)] += ir::loadAsDouble(x.data, x.dtype, ((n * C + c) * K + kk) * L + l);
                }
            }
            for (int64_t i = 0; i < img; ++i) ir::storeFromDouble(y.data, y.dtype, nc * img + i, acc[size_t(i)]);
        }
    });
    return Status::Ok();
}

bool col2imSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return !in.empty() && out.size() == 1 && out[0].dtype == in[0].dtype;
}

}  // namespace kiln::cpu::ref
