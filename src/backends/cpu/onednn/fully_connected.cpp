// oneDNN FullyConnected as an inner product: X flattened at `axis` to [M, F],
// W [K, F] (a constant, reordered once into oneDNN's preferred layout), the
// optional bias [K], Y [M, K] (the trailing 1x1 of TensorRT's FC shape does
// not change the data layout).
#include "ir/ops/fully_connected.h"
#include "../ref/ref_kernels.h"
#include "onednn_common.h"
#include "onednn_tactics.h"

namespace kiln::cpu::onednn {

namespace {

using tag = memory::format_tag;

Status flatten(const ir::Node& node, const ir::Shape& x, int64_t& M, int64_t& F) {
    int64_t axis = node.attrs.getInt("axis", 1);
    if (!ir::normalizeAxis(axis, int64_t(x.size())))
        return Status::Error("FullyConnected: axis out of range for X " + ir::shapeToString(x));
    M = F = 1;
    for (size_t i = 0; i < x.size(); ++i) (int64_t(i) < axis ? M : F) *= x[i];
    return Status::Ok();
}

Status fcSetup(const ir::Node& node, const ir::Shape& x, const ir::Shape& w, bool hasBias, Setup& s) {
    int64_t M = 0, F = 0;
    KILN_RETURN_IF_ERROR(flatten(node, x, M, F));
    if (w.size() != 2 || w[1] != F)
        return Status::Error("FullyConnected: W " + ir::shapeToString(w) + " does not match X " + ir::shapeToString(x));
    const int64_t K = w[0];
    s.srcUser = plainDesc({M, F});
    s.dstUser = plainDesc({M, K});
    const memory::desc wts({K, F}, memory::data_type::f32, tag::any);
    const memory::desc bias = hasBias ? plainDesc({K}) : memory::desc();
    dnnl::inner_product_forward::desc d(dnnl::prop_kind::forward_inference, s.srcUser, wts, bias, s.dstUser);
    s.pd = dnnl::inner_product_forward::primitive_desc(d, userScratchpadAttr(), cpuEngine());
    return Status::Ok();
}

SetupFn makeSetup(const ir::Node& node, const ir::Shape& w) {
    ir::Node copy = node;
    const bool hasBias = node.hasInput(2);
    return [copy, w, hasBias](const std::vector<ir::Shape>& shapes, Setup& s) {
        return fcSetup(copy, shapes.at(0), w, hasBias, s);
    };
}

bool constantsOk(const ir::Node& node, const std::vector<ir::TensorDesc>& in) {
    if (in.size() < 2 || !isConstant(node, in, 1) || in[1].shape.size() != 2) return false;
    return !node.hasInput(2) || (isConstant(node, in, 2) && ir::volume(in[2].shape) == in[1].shape[0]);
}

}  // namespace

bool fullyConnectedSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                            const std::vector<ir::TensorDesc>& out) {
    if (node.op != "FullyConnected" || out.size() != 1 || !node.hasInput(0) || !allF32(node, in, out) ||
        ir::fcHasEpilogue(node))
        return false;
    if (!constantsOk(node, in)) return false;
    const ir::Shape& x = in[0].shape;
    if (x.empty() || !ir::isStatic(x) || ir::volume(x) == 0) return false;
    return canSetup(makeSetup(node, in[1].shape), {x});
}

size_t fullyConnectedWorkspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                               const std::vector<ir::TensorDesc>&) {
    return in.size() < 2 ? 0 : setupWorkspace(makeSetup(node, in[1].shape), {in[0].shape});
}

Status fullyConnectedCreate(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                            const std::vector<ir::TensorDesc>&, std::unique_ptr<Kernel>& kernel) {
    if (!constantsOk(node, in)) return Status::Error("FullyConnected (onednn): W and B must be constants");
    return guarded("FullyConnected (onednn)", [&] {
        const ir::Shape& w = in[1].shape;
        KernelSpec spec;
        spec.op = node.op;
        spec.setup = makeSetup(node, w);
        spec.shapeInputs = {0};
        spec.constWeights = memory(plainDesc({w[0], w[1]}), cpuEngine(), const_cast<void*>(in[1].data));
        if (node.hasInput(2)) spec.bias = ownedCopy(plainDesc({w[0]}), in[2].data);
        spec.fallback = &ref::fullyConnected;
        return createKernel(std::move(spec), {in[0].shape}, kernel);
    });
}

}  // namespace kiln::cpu::onednn
