// Reference FullyConnected, docs/ops.md: Y[m, k] = sum_f X[m, f] * W[k, f] + B[k]
// with X flattened to [M, F] at `axis`. It is MatMul(X2d, W, transB = 1) plus
// the bias, so it reuses ref::matmul's float path; float16/bfloat16 are
// converted to float32 first so the bias (and the CUDA builder's epilogue: a
// residual R, a GELU) is applied before the single rounding.
#include <cmath>
#include <string>

#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

using ir::DType;

bool isFloatType(DType t) { return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16; }

std::vector<float> toFloats(const HostTensor& t) {
    std::vector<float> r(size_t(t.numel()));
    const auto* src = t.as<const uint16_t>();
    for (size_t i = 0; i < r.size(); ++i)
        r[i] = t.dtype == DType::kF16 ? ir::halfToFloat(src[i]) : ir::bf16ToFloat(src[i]);
    return r;
}

}  // namespace

Status fullyConnected(KernelArgs& args) {
    const HostTensor& x = args.inputs[0];
    const HostTensor& w = args.inputs[1];
    const HostTensor* bias = args.inputs.size() > 2 && args.inputs[2].data ? &args.inputs[2] : nullptr;
    HostTensor& y = args.outputs[0];
    if (!isFloatType(x.dtype) || w.dtype != x.dtype || y.dtype != x.dtype || (bias && bias->dtype != x.dtype))
        return Status::Error("fullyConnected: unsupported dtype " + std::string(ir::dtypeName(x.dtype)) +
                             " (X, W, B and Y must share one float type)");
    const int64_t rank = int64_t(x.shape.size());
    int64_t axis = args.node.attrs.getInt("axis", 1);
    if (!ir::normalizeAxis(axis, rank)) return Status::Error("fullyConnected: axis out of range for X");
    if (w.shape.size() != 2)
        return Status::Error("fullyConnected: W must be [K, F], got " + ir::shapeToString(w.shape));
    int64_t M = 1, F = 1;
    for (int64_t i = 0; i < rank; ++i) (i < axis ? M : F) *= x.shape[size_t(i)];
    const int64_t K = w.shape[0];
    if (w.shape[1] != F || (bias && bias->numel() != K) || y.numel() != M * K)
        return Status::Error("fullyConnected: X " + ir::shapeToString(x.shape) + ", W " + ir::shapeToString(w.shape) +
                             " and Y " + ir::shapeToString(y.shape) + " are inconsistent");

    ir::Node mm;
    mm.op = "MatMul";
    mm.name = args.node.name;
    mm.attrs.set("transB", int64_t(1));
    const bool f32 = x.dtype == DType::kF32;
    std::vector<float> xf, wf, yf, bf;
    if (!f32) {
        xf = toFloats(x);
        wf = toFloats(w);
        yf.resize(size_t(M * K));
        if (bias) bf = toFloats(*bias);
    }
    std::vector<HostTensor> mmIn = {
        {f32 ? x.data : xf.data(), DType::kF32, {M, F}},
        {f32 ? w.data : wf.data(), DType::kF32, {K, F}},
    };
    std::vector<HostTensor> mmOut = {{f32 ? y.data : yf.data(), DType::kF32, {M, K}}};
    KernelArgs mmArgs{mm, mmIn, mmOut, args.pool, args.workspace, args.workspaceBytes};
    KILN_RETURN_IF_ERROR(matmul(mmArgs));

    float* out = mmOut[0].as<float>();
    if (bias) {
        const float* b = f32 ? bias->as<const float>() : bf.data();
        args.pool.parallelFor(M, [&](int64_t r0, int64_t r1) {
            for (int64_t r = r0; r < r1; ++r)
                for (int64_t k = 0; k < K; ++k) out[r * K + k] += b[k];
        });
    }
    // The epilogue the CUDA builder folds in: + R, then the activation.
    const HostTensor* res = args.inputs.size() > 3 && args.inputs[3].data ? &args.inputs[3] : nullptr;
    if (res) {
        if (res->dtype != x.dtype || res->numel() != M * K)
            return Status::Error("fullyConnected: residual " + ir::shapeToString(res->shape) + " is not Y's shape");
        std::vector<float> rf;
        if (!f32) rf = toFloats(*res);
        const float* r = f32 ? res->as<const float>() : rf.data();
        for (int64_t i = 0; i < M * K; ++i) out[i] += r[i];
    }
    const std::string act = args.node.attrs.getString("activation", "");
    if (act == "gelu_erf") {
        for (int64_t i = 0; i < M * K; ++i) out[i] = float(0.5 * out[i] * (1.0 + std::erf(out[i] / std::sqrt(2.0))));
    } else if (!act.empty()) {
        return Status::Error("fullyConnected: unknown activation '" + act + "'");
    }
    if (!f32) {
        auto* dst = y.as<uint16_t>();
        for (size_t i = 0; i < yf.size(); ++i)
            dst[i] = y.dtype == DType::kF16 ? ir::floatToHalf(yf[i]) : ir::floatToBF16(yf[i]);
    }
    return Status::Ok();
}

bool fullyConnectedSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in,
                            const std::vector<ir::TensorDesc>& out) {
    if (in.size() < 2 || out.empty() || !isFloatType(in[0].dtype)) return false;
    for (const auto& t : in)
        if (!t.shape.empty() && t.dtype != in[0].dtype) return false;  // an absent bias has no shape
    return in[1].dtype == in[0].dtype && out[0].dtype == in[0].dtype && in[1].shape.size() == 2;
}

}  // namespace kiln::cpu::ref
