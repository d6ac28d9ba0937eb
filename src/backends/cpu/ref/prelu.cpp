// PRelu reference kernel: Y = X >= 0 ? X : Slope * X, Slope broadcast to X.
#include <string>

#include "broadcast.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

bool dtypeOk(ir::DType t) {
    return t == ir::DType::kF32 || t == ir::DType::kF16 || t == ir::DType::kBF16 || t == ir::DType::kF64 ||
           t == ir::DType::kI8 || t == ir::DType::kI32 || t == ir::DType::kI64;
}

template <class C>
C scaled(C slope, C x) {
    if constexpr (std::is_integral_v<C>) {  // integer products wrap instead of overflowing
        using U = std::make_unsigned_t<C>;
        return C(U(U(slope) * U(x)));
    } else {
        return slope * x;
    }
}

template <class S>
Status runTyped(KernelArgs& args) {
    using C = ComputeT<S>;
    BroadcastPlan<2> plan;
    KILN_RETURN_IF_ERROR(planBroadcast<2>(args.outputs[0].shape, {args.inputs[0].shape, args.inputs[1].shape}, plan));
    const S* x = args.inputs[0].as<const S>();
    const S* slope = args.inputs[1].as<const S>();
    S* y = args.outputs[0].as<S>();
    const int64_t sx = plan.innerStride(0), ss = plan.innerStride(1);
    parallelForEachBroadcastRow(args.pool, plan, [&](int64_t o, const std::array<int64_t, 2>& off, int64_t n) {
        const S* px = x + off[0];
        const S* ps = slope + off[1];
        for (int64_t j = 0; j < n; ++j) {
            const C v = Elem<S>::load(px[j * sx]);
            // `!(v < 0)` keeps NaN inputs as they are.
            y[o + j] = Elem<S>::store(!(v < 0) ? v : scaled(Elem<S>::load(ps[j * ss]), v));
        }
    });
    return Status::Ok();
}

}  // namespace

bool preluSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&) {
    return in.size() == 2 && in[0].dtype == in[1].dtype && dtypeOk(in[0].dtype);
}

Status prelu(KernelArgs& args) {
    if (args.inputs.size() != 2 || args.outputs.size() != 1) return Status::Error("PRelu: expects 2 inputs and 1 output");
    const HostTensor& x = args.inputs[0];
    if (args.inputs[1].dtype != x.dtype)
        return Status::Error("PRelu: Slope dtype " + std::string(ir::dtypeName(args.inputs[1].dtype)) +
                             " differs from X dtype " + std::string(ir::dtypeName(x.dtype)));
    if (!dtypeOk(x.dtype)) return Status::Error("PRelu: unsupported dtype " + std::string(ir::dtypeName(x.dtype)));
    if (args.outputs[0].dtype != x.dtype || args.outputs[0].shape != x.shape)
        return Status::Error("PRelu: output must match X's dtype and shape " + ir::shapeToString(x.shape));
    return visitDType(x.dtype, [&](auto tag) -> Status {
        using S = typename decltype(tag)::type;
        if constexpr (kIsBoolElem<S> || kIsNarrowElem<S> || std::is_unsigned_v<S>)
            return Status::Error("PRelu: unsupported dtype");
        else return runTyped<S>(args).withContext("PRelu: ");
    });
}

}  // namespace kiln::cpu::ref
