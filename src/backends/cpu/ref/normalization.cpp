// Reference Normalization (docs/ops.md): layer, instance and group norm.
// Y = (X - mean) / sqrt(var + epsilon) * Scale + Bias with the biased
// variance, computed in double with a two-pass mean/variance (no cancellation).
#include <cmath>
#include <string>

#include "reduce_layout.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

using detail::isFloatType;

struct Moments {
    double mean = 0.0, invStd = 0.0;
};

template <typename At>
Moments moments(int64_t n, double eps, At at) {
    Moments m;
    if (n == 0) return m;
    double sum = 0.0;
    for (int64_t j = 0; j < n; ++j) sum += at(j);
    m.mean = sum / double(n);
    double sq = 0.0;
    for (int64_t j = 0; j < n; ++j) {
        const double d = at(j) - m.mean;
        sq += d * d;
    }
    m.invStd = 1.0 / std::sqrt(sq / double(n) + eps);
    return m;
}

// Strides that read a tensor of shape `p` broadcast (numpy rules) to `x`:
// 0 along broadcast dims. False if `p` does not broadcast to `x`.
bool broadcastStrides(const ir::Shape& p, const ir::Shape& x, std::vector<int64_t>& strides) {
    if (p.size() > x.size()) return false;
    const std::vector<int64_t> ps = ir::stridesOf(p);
    strides.assign(x.size(), 0);
    const size_t lead = x.size() - p.size();
    for (size_t i = 0; i < p.size(); ++i) {
        if (p[i] == x[lead + i]) strides[lead + i] = p[i] == 1 ? 0 : ps[i];
        else if (p[i] != 1) return false;
    }
    return true;
}

Status layerNorm(KernelArgs& args, double eps) {
    const HostTensor &x = args.inputs[0], &scale = args.inputs[1], &bias = args.inputs[2];
    HostTensor& y = args.outputs[0];
    std::vector<bool> mask;
    const std::vector<int64_t> axes = args.node.attrs.getInts("axes", {-1});
    if (axes.empty()) return Status::Error("normalization: layer needs at least one axis");
    KILN_RETURN_IF_ERROR(detail::reducedMask(axes, x.shape.size(), false, mask));
    std::vector<int64_t> sStrides, bStrides;
    if (!broadcastStrides(scale.shape, x.shape, sStrides) || !broadcastStrides(bias.shape, x.shape, bStrides))
        return Status::Error("normalization: Scale " + ir::shapeToString(scale.shape) + " or Bias " +
                             ir::shapeToString(bias.shape) + " does not broadcast to X " +
                             ir::shapeToString(x.shape));
    // Same enumeration order for X, Scale and Bias, so index j of row r
    // names corresponding elements in all three.
    const detail::RowLayout lx = detail::makeRowLayout(x.shape, mask);
    const detail::RowLayout ls = detail::makeRowLayout(x.shape, mask, sStrides);
    const detail::RowLayout lb = detail::makeRowLayout(x.shape, mask, bStrides);
    const int64_t n = int64_t(lx.inRow.size());

    args.pool.parallelFor(int64_t(lx.rowBase.size()), [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            const int64_t base = lx.rowBase[size_t(r)];
            auto at = [&](int64_t j) { return ir::loadAsDouble(x.data, x.dtype, base + lx.inRow[size_t(j)]); };
            const Moments m = moments(n, eps, at);
            for (int64_t j = 0; j < n; ++j) {
                const double s = ir::loadAsDouble(scale.data, scale.dtype, ls.rowBase[size_t(r)] + ls.inRow[size_t(j)]);
                const double b = ir::loadAsDouble(bias.data, bias.dtype, lb.rowBase[size_t(r)] + lb.inRow[size_t(j)]);
                ir::storeFromDouble(y.data, y.dtype, base + lx.inRow[size_t(j)], (at(j) - m.mean) * m.invStd * s + b);
            }
        }
    });
    return Status::Ok();
}

// Instance norm is group norm with one channel per group. Each (n, group)
// block is contiguous in NCHW: channels [g*cpg, (g+1)*cpg) times the spatial size.
Status groupNorm(KernelArgs& args, double eps, bool instance) {
    const HostTensor &x = args.inputs[0], &scale = args.inputs[1], &bias = args.inputs[2];
    HostTensor& y = args.outputs[0];
    if (x.shape.size() < 2) return Status::Error("normalization: X must be [N, C, ...], got " + ir::shapeToString(x.shape));
    if (x.numel() == 0) return Status::Ok();
    const int64_t batch = x.shape[0], channels = x.shape[1];
    const int64_t spatial = x.numel() / (batch * channels);
    const int64_t groups = instance ? channels : args.node.attrs.getInt("num_groups", 1);
    if (groups < 1 || channels % groups != 0)
        return Status::Error("normalization: " + std::to_string(channels) + " channels cannot be split into " +
                             std::to_string(groups) + " groups");
    if (scale.numel() != channels || bias.numel() != channels)
        return Status::Error("normalization: Scale and Bias must have C = " + std::to_string(channels) + " elements");
    const int64_t perGroup = channels / groups;
    const int64_t blockLen = perGroup * spatial;

    args.pool.parallelFor(batch * groups, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            const int64_t base = r * blockLen;
            const int64_t firstChannel = (r % groups) * perGroup;
            auto at = [&](int64_t j) { return ir::loadAsDouble(x.data, x.dtype, base + j); };
            const Moments m = moments(blockLen, eps, at);
            for (int64_t j = 0; j < blockLen; ++j) {
                const int64_t c = firstChannel + j / spatial;
                const double s = ir::loadAsDouble(scale.data, scale.dtype, c);
                const double b = ir::loadAsDouble(bias.data, bias.dtype, c);
                ir::storeFromDouble(y.data, y.dtype, base + j, (at(j) - m.mean) * m.invStd * s + b);
            }
        }
    });
    return Status::Ok();
}

}  // namespace

bool normalizationSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in,
                           const std::vector<ir::TensorDesc>& out) {
    return in.size() == 3 && out.size() == 1 && isFloatType(in[0].dtype) && isFloatType(in[1].dtype) &&
           isFloatType(in[2].dtype) && out[0].dtype == in[0].dtype;
}

Status normalization(KernelArgs& args) {
    if (args.inputs.size() != 3) return Status::Error("normalization: needs X, Scale and Bias");
    for (const HostTensor& t : args.inputs)
        if (!isFloatType(t.dtype)) return detail::unsupportedDType("normalization", t.dtype);
    const HostTensor& x = args.inputs[0];
    const HostTensor& y = args.outputs[0];
    if (y.dtype != x.dtype || y.shape != x.shape) return Status::Error("normalization: output does not match X");
    const double eps = args.node.attrs.getFloat("epsilon", 1e-5);
    const std::string kind = args.node.attrs.getString("kind", "layer");
    if (kind == "layer") return layerNorm(args, eps);
    if (kind == "instance") return groupNorm(args, eps, true);
    if (kind == "group") return groupNorm(args, eps, false);
    return Status::Error("normalization: unknown kind '" + kind + "'");
}

}  // namespace kiln::cpu::ref
