// oneDNN Pooling (max, avg with count_include_pad 0 or 1, global; 1-3 spatial
// dims, dilations). The output extents come from shape inference (as in the
// reference), the left pads from the attributes / auto_pad, and the right pad
// is whatever makes oneDNN's size rule give those extents. Declined, because
// oneDNN would compute something else:
//  - lp pooling and the Indices output (oneDNN has neither);
//  - avg with count_include_pad where a window reaches past pads_end (ceil_mode):
//    oneDNN divides by the full kernel size, the reference by the taps inside
//    the explicit padding;
//  - any window with no real input element (oneDNN and the reference disagree
//    on what such a window yields).
#include <string>

#include "ir/ops/channels_last.h"
#include "../ref/ref_kernels.h"
#include "onednn_common.h"
#include "onednn_tactics.h"

namespace kiln::cpu::onednn {

namespace {

using dnnl::algorithm;

Status poolSetup(const ir::Node& node, const ir::Shape& x, Setup& s) {
    const ir::Attrs& a = node.attrs;
    const std::string mode = a.getString("mode", "max");
    if (mode != "max" && mode != "avg") return Status::Error("pooling mode '" + mode + "' has no oneDNN primitive");
    std::vector<ir::TensorDesc> outs;
    KILN_RETURN_IF_ERROR(ir::inferNode(node, {ir::TensorDesc{ir::DType::kF32, x, nullptr}}, outs));
    const ir::Shape& y = outs.at(0).shape;
    const size_t k = x.size() - 2;
    std::vector<int64_t> kernel, strides, dil, pb, pe;
    if (a.getInt("global", 0)) {
        kernel.assign(x.begin() + 2, x.end());
        strides.assign(k, 1);
        dil.assign(k, 1);
        pb.assign(k, 0);
        pe.assign(k, 0);
    } else {
        kernel = a.getInts("kernel", {});
        strides = a.getInts("strides", std::vector<int64_t>(k, 1));
        dil = a.getInts("dilations", std::vector<int64_t>(k, 1));
        pb = a.getInts("pads_begin", std::vector<int64_t>(k, 0));
        pe = a.getInts("pads_end", std::vector<int64_t>(k, 0));
    }
    if (kernel.size() != k || strides.size() != k || dil.size() != k || pb.size() != k || pe.size() != k)
        return Status::Error("pooling attributes do not have one entry per spatial dim");
    const std::string autoPad = a.getString("auto_pad", "NOTSET");
    const bool includePad = mode == "avg" && a.getInt("count_include_pad", 0) != 0;
    dims padR;
    for (size_t i = 0; i < k; ++i) {
        const int64_t S = x[2 + i], O = y[2 + i], span = dil[i] * (kernel[i] - 1) + 1;
        if (!a.getInt("global", 0) && (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER")) {
            const int64_t total = std::max<int64_t>(0, (O - 1) * strides[i] + span - S);
            pb[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
            pe[i] = total - pb[i];
        } else if (autoPad == "VALID") {
            pb[i] = pe[i] = 0;
        }
        const int64_t r = (O - 1) * strides[i] + span - S - pb[i];
        if (includePad && r > pe[i])
            return Status::Error("avg pooling with count_include_pad: a window reaches past pads_end");
        // Every window needs a real element. Window o starts at b = o * stride -
        // pb and reads b + t * dil (t < kernel). Checked in closed form: O and
        // the kernel may each be 2^31: visiting every tap took over a minute.
        if (dil[i] <= S) {
            // The taps' reach has no gaps: b in [-(span - 1), S - 1], and b grows with o.
            if (pb[i] > span - 1 || (O - 1) * strides[i] - pb[i] > S - 1)
                return Status::Error("a pooling window covers only padding");
        } else {
            // At most one tap lands inside; the reference handles too many windows to check.
            if (O > (int64_t(1) << 20)) return Status::Error("too many dilated pooling windows to check");
            for (int64_t o = 0; o < O; ++o) {
                const int64_t b = o * strides[i] - pb[i];
                const int64_t t = b >= 0 ? 0 : (-b + dil[i] - 1) / dil[i];  // first tap at or after 0
                if (t >= kernel[i] || b + t * dil[i] >= S) return Status::Error("a pooling window covers only padding");
            }
        }
        padR.push_back(r);
        dil[i] -= 1;  // oneDNN counts dilation from 0
    }
    const algorithm alg = mode == "max"       ? algorithm::pooling_max
                          : includePad ? algorithm::pooling_avg_include_padding
                                       : algorithm::pooling_avg_exclude_padding;
    s.srcUser = plainDesc(toDims(x));
    s.dstUser = plainDesc(toDims(y));
    dnnl::pooling_v2_forward::desc d(dnnl::prop_kind::forward_inference, alg, s.srcUser, s.dstUser, strides, kernel,
                                     dil, pb, padR);
    s.pd = dnnl::pooling_v2_forward::primitive_desc(d, userScratchpadAttr(), cpuEngine());
    return Status::Ok();
}

SetupFn makeSetup(const ir::Node& node) {
    ir::Node copy = node;
    return [copy](const std::vector<ir::Shape>& shapes, Setup& s) { return poolSetup(copy, shapes.at(0), s); };
}

}  // namespace

bool poolingSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                     const std::vector<ir::TensorDesc>& out) {
    if (ir::isChannelsLast(node)) return false;  // the reference handles that layout
    if (node.op != "Pooling" || in.size() != 1 || out.empty() || !node.hasInput(0)) return false;
    if (in[0].dtype != ir::DType::kF32 || out[0].dtype != ir::DType::kF32) return false;
    if (node.outputs.size() > 1 && node.outputs[1] >= 0) return false;  // Indices requested
    const ir::Shape& x = in[0].shape;
    if (x.size() < 3 || x.size() > 5 || !ir::isStatic(x) || ir::volume(x) == 0) return false;
    return canSetup(makeSetup(node), {x});
}

size_t poolingWorkspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                        const std::vector<ir::TensorDesc>&) {
    return in.empty() ? 0 : setupWorkspace(makeSetup(node), {in[0].shape});
}

Status poolingCreate(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&,
                     std::unique_ptr<Kernel>& kernel) {
    if (in.empty()) return Status::Error("Pooling (onednn): no input");
    KernelSpec spec;
    spec.op = node.op;
    spec.setup = makeSetup(node);
    spec.shapeInputs = {0};
    spec.fallback = &ref::pooling;  // run-time shapes oneDNN declines
    return createKernel(std::move(spec), {in[0].shape}, kernel);
}

}  // namespace kiln::cpu::onednn
