// Reference LRN (cross-channel local response normalization), docs/ops.md:
// Y = X / (bias + alpha/size * sum_{c' in window(c)} X[c']^2)^beta.
#include <algorithm>
#include <cmath>
#include <string>

#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

using ir::DType;

bool isFloatType(DType t) { return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16; }

float loadF(const HostTensor& t, int64_t i) {
    switch (t.dtype) {
        case DType::kF16: return ir::halfToFloat(t.as<const uint16_t>()[i]);
        case DType::kBF16: return ir::bf16ToFloat(t.as<const uint16_t>()[i]);
        default: return t.as<const float>()[i];
    }
}

void storeF(HostTensor& t, int64_t i, float v) {
    switch (t.dtype) {
        case DType::kF16: t.as<uint16_t>()[i] = ir::floatToHalf(v); break;
        case DType::kBF16: t.as<uint16_t>()[i] = ir::floatToBF16(v); break;
        default: t.as<float>()[i] = v; break;
    }
}

}  // namespace

Status lrn(KernelArgs& args) {
    const HostTensor& x = args.inputs[0];
    HostTensor& y = args.outputs[0];
    if (x.shape.size() < 2 || y.shape != x.shape)
        return Status::Error("lrn: input " + ir::shapeToString(x.shape) + " must be [N, C, ...] and match output " +
                             ir::shapeToString(y.shape));
    if (!isFloatType(x.dtype) || y.dtype != x.dtype)
        return Status::Error("lrn: unsupported dtype " + std::string(ir::dtypeName(x.dtype)));
    const ir::Attrs& a = args.node.attrs;
    const int64_t size = a.getInt("size", 0);
    if (size < 1) return Status::Error("lrn: size must be >= 1, got " + std::to_string(size));
    const double alpha = a.getFloat("alpha", 1e-4), beta = a.getFloat("beta", 0.75), bias = a.getFloat("bias", 1.0);

    const int64_t N = x.shape[0], C = x.shape[1];
    int64_t inner = 1;  // spatial volume
    for (size_t i = 2; i < x.shape.size(); ++i) inner *= x.shape[i];
    // Window [c - floor((size-1)/2), c + ceil((size-1)/2)], clipped to the channels.
    const int64_t before = (size - 1) / 2, after = size - 1 - before;

    args.pool.parallelFor(N * C, [&](int64_t b, int64_t e) {
        for (int64_t nc = b; nc < e; ++nc) {
            const int64_t n = nc / C, c = nc % C;
            const int64_t lo = std::max<int64_t>(0, c - before), hi = std::min<int64_t>(C - 1, c + after);
            for (int64_t s = 0; s < inner; ++s) {
                double sumSq = 0.0;
                for (int64_t cc = lo; cc <= hi; ++cc) {
                    const double v = loadF(x, (n * C + cc) * inner + s);
                    sumSq += v * v;
                }
                const int64_t at = nc * inner + s;
                const double denom = std::pow(bias + alpha / double(size) * sumSq, beta);
                storeF(y, at, float(double(loadF(x, at)) / denom));
            }
        }
    });
    return Status::Ok();
}

bool lrnSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return !in.empty() && !out.empty() && in[0].shape.size() >= 2 && isFloatType(in[0].dtype) &&
           out[0].dtype == in[0].dtype;
}

}  // namespace kiln::cpu::ref
