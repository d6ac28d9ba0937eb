// oneDNN MatMul, float32: numpy matmul with transA/transB and batch
// broadcasting. Both operands are read from the call (B need not be a
// constant), so nothing is prepacked; transposes are strided views, rank-1
// operands become [1, K] / [K, 1] matrices, and the shorter batch is padded
// with leading 1s, which oneDNN broadcasts.
#include "../ref/ref_kernels.h"
#include "onednn_common.h"
#include "onednn_tactics.h"

namespace kiln::cpu::onednn {

namespace {

// The operand as a [batch.., rows, cols] matrix view of rank `rank`. `stored`
// is the tensor's shape; when `trans` its last two dims are [cols, rows].
memory::desc matrixView(const ir::Shape& stored, bool trans, bool isA, size_t rank) {
    dims d(stored.begin(), stored.end()), st;
    if (d.size() == 1) {
        // A rank-1 A is a row vector [1, K]; a rank-1 B a column vector [K, 1].
        d = isA ? dims{1, d[0]} : dims{d[0], 1};
        st = isA ? dims{d[1], 1} : dims{1, 1};
    } else {
        st = rowMajorStrides(d);
        if (trans) {
            std::swap(d[d.size() - 1], d[d.size() - 2]);
            std::swap(st[st.size() - 1], st[st.size() - 2]);
        }
    }
    const int64_t whole = std::max<int64_t>(ir::volume(stored), 1);
    while (d.size() < rank) {  // broadcast batch dims of extent 1
        d.insert(d.begin(), 1);
        st.insert(st.begin(), whole);
    }
    return stridedDesc(d, st);
}

Status matmulSetup(const ir::Node& node, const ir::Shape& a, const ir::Shape& b, Setup& s) {
    if (a.empty() || b.empty()) return Status::Error("MatMul operands must have rank >= 1");
    const bool transA = a.size() > 1 && node.attrs.getInt("transA", 0) != 0;
    const bool transB = b.size() > 1 && node.attrs.getInt("transB", 0) != 0;
    const size_t rank = std::max<size_t>({a.size(), b.size(), 2});
    if (rank > size_t(DNNL_MAX_NDIMS)) return Status::Error("MatMul rank exceeds oneDNN's limit");
    const memory::desc src = matrixView(a, transA, true, rank);
    const memory::desc wts = matrixView(b, transB, false, rank);
    const dims sd = src.dims(), wd = wts.dims();
    if (sd[rank - 1] != wd[rank - 2]) return Status::Error("MatMul: inner dims differ");
    dims yd(rank);
    for (size_t i = 0; i + 2 < rank; ++i) {
        if (sd[i] != wd[i] && sd[i] != 1 && wd[i] != 1) return Status::Error("MatMul: batch dims do not broadcast");
        yd[i] = std::max(sd[i], wd[i]);
    }
    yd[rank - 2] = sd[rank - 2];
    yd[rank - 1] = wd[rank - 1];
    s.srcUser = src;
    s.weightsUser = wts;
    s.dstUser = plainDesc(yd);  // numpy drops the rank-1 dims; the data layout is the same
    s.pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, wts, s.dstUser), userScratchpadAttr(), cpuEngine());
    return Status::Ok();
}

SetupFn makeSetup(const ir::Node& node) {
    ir::Node copy = node;
    return [copy](const std::vector<ir::Shape>& shapes, Setup& s) {
        return matmulSetup(copy, shapes.at(0), shapes.at(1), s);
    };
}

}  // namespace

bool matmulSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                    const std::vector<ir::TensorDesc>& out) {
    if (node.op != "MatMul" || in.size() != 2 || out.size() != 1 || !node.hasInput(0) || !node.hasInput(1) ||
        !allF32(node, in, out))
        return false;
    for (const auto& t : in)
        if (t.shape.empty() || !ir::isStatic(t.shape) || ir::volume(t.shape) == 0) return false;
    return canSetup(makeSetup(node), {in[0].shape, in[1].shape});
}

size_t matmulWorkspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                       const std::vector<ir::TensorDesc>&) {
    return in.size() < 2 ? 0 : setupWorkspace(makeSetup(node), {in[0].shape, in[1].shape});
}

Status matmulCreate(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>&,
                    std::unique_ptr<Kernel>& kernel) {
    if (in.size() != 2) return Status::Error("MatMul (onednn): expects inputs A and B");
    KernelSpec spec;
    spec.op = node.op;
    spec.setup = makeSetup(node);
    spec.shapeInputs = {0, 1};
    spec.runtimeWeightsInput = 1;
    spec.fallback = &ref::matmul;
    return createKernel(std::move(spec), {in[0].shape, in[1].shape}, kernel);
}

}  // namespace kiln::cpu::onednn
