// The CUDA builder's MatMul + bias fusion: a MatMul of activations by a
// constant 2-D weight whose only consumer adds a constant vector along the
// last axis (how exporters write Linear layers: MatMul then Add) becomes one
// FullyConnected, whose cuBLASLt tactic adds the bias in the GEMM epilogue:
// the product is written once instead of written, read and written again.
#include <cstring>

#include "builder/pass.h"
#include "cuda_build.h"
#include "ir/op_schema.h"

namespace kiln::builder {

namespace {

// `src` [rows, cols] row-major -> [cols, rows], elements of `size` bytes.
ir::ConstData transposed(const ir::Bytes& src, int64_t rows, int64_t cols, size_t size) {
    auto out = std::make_shared<ir::Bytes>(src.size());
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
            std::memcpy(out->data() + size_t(c * rows + r) * size, src.data() + size_t(r * cols + c) * size, size);
    return out;
}

// A constant of N elements laid along the last of `rank` axes ([N], [1, N], ...).
bool isBiasVector(const ir::Value& v, int64_t n, size_t rank) {
    if (!v.isConstant() || v.shape.empty() || v.shape.size() > rank || v.shape.back() != n) return false;
    return ir::volume(v.shape) == n;
}

}  // namespace

Status fuseMatMulBias(ir::Graph& g, const LogFn& log) {
    const auto consumers = g.consumers();
    int fused = 0;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        ir::Node& mm = g.nodes[i];
        if (mm.dead || mm.op != "MatMul" || mm.inputs.size() != 2 || mm.outputs.size() != 1) continue;
        if (mm.attrs.getInt("transA", 0) != 0) continue;
        const int a = mm.inputs[0], w = mm.inputs[1], y = mm.outputs[0];
        const ir::Value &av = g.values[size_t(a)], &wv = g.values[size_t(w)], &yv = g.values[size_t(y)];
        if (!(av.dtype == ir::DType::kF32 || av.dtype == ir::DType::kF16 || av.dtype == ir::DType::kBF16)) continue;
        if (av.shape.size() < 2 || !wv.isConstant() || wv.shape.size() != 2 || wv.dtype != av.dtype) continue;
        const int ai = soleConsumer(g, consumers, y);
        if (ai < 0) continue;
        ir::Node& add = g.nodes[size_t(ai)];
        if (add.op != "ElementWise" || add.attrs.getString("op") != "sum" || add.inputs.size() != 2) continue;
        const int b = add.inputs[0] == y ? add.inputs[1] : add.inputs[0];
        const bool transB = mm.attrs.getInt("transB", 0) != 0;
        const int64_t n = transB ? wv.shape[0] : wv.shape[1], k = transB ? wv.shape[1] : wv.shape[0];
        if (b < 0 || b == y || !isBiasVector(g.values[size_t(b)], n, yv.shape.size())) continue;
        if (g.values[size_t(b)].dtype != av.dtype || g.values[size_t(add.outputs[0])].shape != yv.shape) continue;
        // FullyConnected takes W as [N, K] and the bias as [N]. Copies first:
        // adding constants may move the values the references above point into.
        const ir::DType dt = av.dtype;
        const int64_t rank = int64_t(av.shape.size());
        const ir::ConstData wData = wv.data, bData = g.values[size_t(b)].data;
        const std::string wName = wv.name, bName = g.values[size_t(b)].name;
        const int sumOut = add.outputs[0];
        add.dead = true;
        const int wt = transB ? w
                              : g.addConstant(g.uniqueName(wName + "_transposed"), dt, {n, k},
                                              transposed(*wData, k, n, ir::dtypeSize(dt)));
        const int bias = g.addConstant(g.uniqueName(bName + "_vector"), dt, {n}, bData);
        ir::Node& m = g.nodes[i];
        m.op = "FullyConnected";
        m.inputs = {a, wt, bias};
        m.attrs = ir::Attrs{};
        m.attrs.set("axis", rank - 1);
        m.attrs.set("keep_dims_1x1", int64_t(0));
        m.outputs = {sumOut};
        g.values[size_t(sumOut)].producer = int(i);
        ++fused;
    }
    if (fused) {
        g.compact();
        log(kLogVerbose, "CUDA MatMul fusion: " + std::to_string(fused) + " MatMul(s) + bias made FullyConnected");
    }
    return Status::Ok();
}

}  // namespace kiln::builder
