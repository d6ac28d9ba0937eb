// Max and average Pooling through cuDNN 9 for float types, where cuDNN's
// rules match docs/ops.md: symmetric pads, no dilation, no Indices output,
// and output extents equal to cuDNN's floor formula (ceil_mode windows that
// would start in the end padding are left to the own kernel).
#include <string>

#include "cudnn_common.h"
#include "ir/ops/channels_last.h"
#include "library_tactics.h"

namespace kiln::cuda::lib {

namespace {

struct PoolParams {
    cudnnPoolingMode_t mode;
    std::vector<int> window, pads, strides;
};

// From the stored shapes (channels_last nodes store [N, S.., C]).
bool poolParams(const ir::Node& n, const ir::Shape& xStored, const ir::Shape& yStored, PoolParams& p) {
    const bool cl = ir::isChannelsLast(n);
    const ir::Shape xs = cl ? ir::channelsFirstShape(xStored) : xStored, ys = cl ? ir::channelsFirstShape(yStored) : yStored;
    if (xs.size() < 3 || xs.size() > 5 || ys.size() != xs.size() || !ir::isStatic(xs)) return false;
    const std::string mode = n.attrs.getString("mode", "max");
    if (mode == "max")
        p.mode = CUDNN_POOLING_MAX_DETERMINISTIC;
    else if (mode == "avg")
        p.mode = n.attrs.getInt("count_include_pad", 0) ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING
                                                        : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
    else
        return false;
    const size_t k = xs.size() - 2;
    std::vector<int64_t> kernel, strides, dils, pb, pe;
    if (n.attrs.getInt("global", 0)) {
        kernel.assign(xs.begin() + 2, xs.end());
        strides.assign(k, 1);
        dils.assign(k, 1);
        pb.assign(k, 0);
        pe.assign(k, 0);
    } else {
        kernel = n.attrs.getInts("kernel", std::vector<int64_t>(k, 1));
        strides = n.attrs.getInts("strides", std::vector<int64_t>(k, 1));
        dils = n.attrs.getInts("dilations", std::vector<int64_t>(k, 1));
        pb = n.attrs.getInts("pads_begin", std::vector<int64_t>(k, 0));
        pe = n.attrs.getInts("pads_end", std::vector<int64_t>(k, 0));
        if (kernel.size() != k || strides.size() != k || dils.size() != k || pb.size() != k || pe.size() != k)
            return false;
        const std::string autoPad = n.attrs.getString("auto_pad", "NOTSET");
        for (size_t i = 0; i < k; ++i) {
            if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
                const int64_t total = std::max<int64_t>(0, (ys[2 + i] - 1) * strides[i] + kernel[i] - xs[2 + i]);
                const int64_t small = total / 2;
                pb[i] = autoPad == "SAME_UPPER" ? small : total - small;
                pe[i] = total - pb[i];
            } else if (autoPad == "VALID") {
                pb[i] = pe[i] = 0;
            }
        }
    }
    if (k == 1) {
        p.window.push_back(1);
        p.pads.push_back(0);
        p.strides.push_back(1);
    }
    for (size_t i = 0; i < k; ++i) {
        if (dils[i] != 1 || pb[i] != pe[i] || kernel[i] < 1 || strides[i] < 1 || pb[i] >= kernel[i]) return false;
        // cuDNN's extent: floor((S + 2p - K) / s) + 1.
        const int64_t expect = (xs[2 + i] + 2 * pb[i] - kernel[i]) / strides[i] + 1;
        if (xs[2 + i] + 2 * pb[i] < kernel[i] || expect != ys[2 + i]) return false;
        p.window.push_back(int(kernel[i]));
        p.pads.push_back(int(pb[i]));
        p.strides.push_back(int(strides[i]));
    }
    return true;
}

class PoolKernel final : public Kernel {
public:
    Status enqueue(LaunchArgs& a) const override {
        const DeviceTensor& X = a.inputs[0];
        DeviceTensor& Y = a.outputs[0];
        cudnnDataType_t dt;
        PoolParams p;
        if (!cudnnType(X.dtype, dt) || !poolParams(a.node, X.shape, Y.shape, p))
            return Status::Error("run-time shapes not supported by the cuDNN pooling tactic");
        if (Y.numel() == 0) return Status::Ok();
        TensorDesc xd, yd;
        PoolDesc pd;
        const bool cl = ir::isChannelsLast(a.node);
        KILN_RETURN_IF_ERROR(makeTensorDesc(cl ? ir::channelsFirstShape(X.shape) : X.shape, dt, xd, cl));
        KILN_RETURN_IF_ERROR(makeTensorDesc(cl ? ir::channelsFirstShape(Y.shape) : Y.shape, dt, yd, cl));
        KILN_CUDNN_CHECK(cudnnCreatePoolingDescriptor(&pd.h));
        KILN_CUDNN_CHECK(cudnnSetPoolingNdDescriptor(pd.h, p.mode, CUDNN_PROPAGATE_NAN, int(p.window.size()),
                                                     p.window.data(), p.pads.data(), p.strides.data()));
        KILN_CUDNN_CHECK(cudnnSetStream(a.handles.cudnn, a.stream));
        const float one = 1.0f, zero = 0.0f;
        KILN_CUDNN_CHECK(cudnnPoolingForward(a.handles.cudnn, pd.h, &one, xd.h, X.data, &zero, yd.h, Y.data));
        return Status::Ok();
    }
};

}  // namespace

bool poolSupports(const ir::Node& n, const Descs& in, const Descs& out) {
    cudnnDataType_t dt;
    PoolParams p;
    if (in.empty() || out.empty() || n.outputs.size() > 1 || !cudnnType(in[0].dtype, dt) || out[0].dtype != in[0].dtype)
        return false;
    return poolParams(n, in[0].shape, out[0].shape, p);
}

Status createPool(const ir::Node&, const Descs&, const Descs&, std::unique_ptr<Kernel>& k) {
    k = std::make_unique<PoolKernel>();
    return Status::Ok();
}

}  // namespace kiln::cuda::lib
