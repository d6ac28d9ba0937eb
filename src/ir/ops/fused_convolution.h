// FusedConvolution's input clip (docs/ops.md): with `x_clip_min` and
// `x_clip_max`, X is clamped to that range (NaN propagating, as Activation
// clip) before the convolution; the zero padding stays zero, so the range must
// hold 0. The CUDA builder's input-clip fusion sets it, and only the kernels
// that apply it (kiln_depthwise, the CPU reference) accept such a node.
#pragma once
#include "../graph.h"

namespace kiln::ir {

struct XClip {
    bool on = false;
    double lo = 0.0, hi = 0.0;
    // Zero padding stays zero under the clip.
    bool holdsZero() const { return lo <= 0.0 && 0.0 <= hi; }
};

inline XClip xClipOf(const Node& n) {
    XClip c;
    c.on = n.attrs.has("x_clip_min") || n.attrs.has("x_clip_max");
    if (c.on) {
        c.lo = n.attrs.getFloat("x_clip_min", 0.0);
        c.hi = n.attrs.getFloat("x_clip_max", 0.0);
    }
    return c;
}

}  // namespace kiln::ir
