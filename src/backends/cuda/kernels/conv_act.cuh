// FusedConvolution's activation in the own convolution kernels (conv.cu,
// depthwise.cu): none, relu (NaN passes) or a clip to [clip_min, clip_max]
// (NaN propagates), as the CPU reference and Activation apply them.
#pragma once
#include <string>

#include "ir/op_schema.h"
#include "ir/ops/fused_convolution.h"

namespace kiln::cuda::kernels {

struct ConvAct {
    enum Kind : int { kNone, kRelu, kClip } kind = kNone;
    float lo = 0.f, hi = 0.f;
};

template <class A>
__device__ __forceinline__ A applyConvAct(A v, const ConvAct& act) {
    if (act.kind == ConvAct::kRelu && v < A(0)) return A(0);
    if (act.kind == ConvAct::kClip) {
        v = v < A(act.lo) ? A(act.lo) : v;
        return A(act.hi) < v ? A(act.hi) : v;
    }
    return v;
}

// Whether the own kernels apply the node's activation (a plain Convolution has none).
inline bool convActKnown(const ir::Node& n) {
    const std::string act = n.attrs.getString("activation", "none");
    return act == "none" || act == "relu" || act == "clip";
}

// The node's activation attributes (a plain Convolution has none: kNone).
inline ConvAct convActOf(const ir::Node& n) {
    const std::string act = n.attrs.getString("activation", "none");
    ConvAct a;
    if (act == "relu") a.kind = ConvAct::kRelu;
    if (act == "clip") {
        a.kind = ConvAct::kClip;
        a.lo = float(n.attrs.getFloat("clip_min", 0.0));
        a.hi = float(n.attrs.getFloat("clip_max", 0.0));
    }
    return a;
}

}  // namespace kiln::cuda::kernels
