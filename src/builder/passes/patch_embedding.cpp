// A 2-D convolution whose kernel equals its stride, with no padding,
// dilation or groups (a vision transformer's patch embedding: ViT-B/16 cuts
// 224x224 images into 16x16 patches) reads each input element once: it is
// one GEMM of the image cut into patches by the weights. cuDNN runs it as an
// implicit GEMM gathering 3-channel patches (1.0 ms of ViT-B/16's 13.4 ms at
// batch 128 in float16 on an H200, plus the channel padding its NHWC form
// needs); one copy of the image into patch rows and a FullyConnected do it at
// GEMM speed. The rewrite:
//   X [N, C, Ho·kh, Wo·kw] -> Shuffle -> [N, Ho, Wo, C, kh, kw]
//   -> FullyConnected (axis 3, W as [K, C·kh·kw]: the same bytes) -> [N, Ho, Wo, K]
//   -> a transpose back to [N, K, Ho, Wo]; or, when the output is only
//      flattened to [N, K, Ho·Wo] and transposed to [N, Ho·Wo, K] (how ViTs
//      make their token sequence), a reshape that moves nothing.
// The CUDA builder runs it for 16-bit engines (build.cpp).
#include "../pass.h"
#include "ir/op_schema.h"
#include "ir/ops/convolution.h"
#include "ir/ops/data_movement.h"

namespace kiln::builder {
namespace {

using ir::movement::isIdentityPerm;

// Shuffle node n as perm1 -> reshape -> perm2, when it resolves.
bool shuffleOf(const ir::Graph& g, int n, ir::movement::ShuffleParams& p) {
    if (n < 0 || g.nodes[size_t(n)].op != "Shuffle" || g.nodes[size_t(n)].outputs.size() != 1) return false;
    return ir::movement::resolveShuffle(g.nodes[size_t(n)], ir::describeInputs(g, g.nodes[size_t(n)]), p).ok();
}

// The geometry of a patch convolution: [C, kh, kw, K, Ho, Wo], or false.
bool patchGeometry(const ir::Graph& g, const ir::Node& n, std::vector<int64_t>& geo) {
    if (n.op != "Convolution" || n.inputs.size() < 2 || n.inputs.size() > 3 || n.outputs.size() != 1) return false;
    const ir::Value &x = g.values[size_t(n.inputs[0])], &w = g.values[size_t(n.inputs[1])];
    if (!ir::dtypeIsFloat(x.dtype) || w.dtype != x.dtype || !w.isConstant() || x.shape.size() != 4) return false;
    if (n.inputs.size() == 3 && n.inputs[2] >= 0) {
        const ir::Value& b = g.values[size_t(n.inputs[2])];
        if (!b.isConstant() || b.dtype != x.dtype || b.shape != ir::Shape{w.shape[0]}) return false;
    }
    for (size_t d = 1; d < 4; ++d)
        if (x.shape[d] <= 0) return false;
    ir::ConvGeometry c;
    if (!ir::resolveConvGeometry(n, x.shape, w.shape, false, c).ok() || c.spatialRank != 2 || c.group != 1)
        return false;
    for (size_t d = 0; d < 2; ++d)
        if (c.kernel[d] <= 0 || c.strides[d] != c.kernel[d] || c.dilations[d] != 1 || c.padsBegin[d] != 0 ||
            c.padsEnd[d] != 0 || x.shape[2 + d] % c.kernel[d] != 0)
            return false;
    if (c.kernel[0] * c.kernel[1] < 2) return false;  // a 1x1 convolution is a GEMM for cuDNN already
    geo = {x.shape[1], c.kernel[0], c.kernel[1], w.shape[0], x.shape[2] / c.kernel[0], x.shape[3] / c.kernel[1]};
    return true;
}

// The token sequence a ViT makes of the output y [N, K, Ho, Wo]: y's only
// reader flattens it to [N, K, Ho·Wo] and that one's only reader transposes
// it to [N, Ho·Wo, K]. Returns the two Shuffles, or false.
bool tokenSequence(const ir::Graph& g, const std::vector<std::vector<int>>& consumers, int y, int64_t K, int64_t tokens,
                   int& flatten, int& transpose) {
    ir::movement::ShuffleParams p;
    flatten = soleConsumer(g, consumers, y);
    if (!shuffleOf(g, flatten, p) || !isIdentityPerm(p.perm1) || !isIdentityPerm(p.perm2) ||
        p.reshaped != ir::Shape{p.reshaped.empty() ? 0 : p.reshaped[0], K, tokens})
        return false;
    transpose = soleConsumer(g, consumers, g.nodes[size_t(flatten)].outputs[0]);
    if (!shuffleOf(g, transpose, p) || p.reshaped != p.transposed) return false;
    const std::vector<int64_t> swap{0, 2, 1};
    return (p.perm1 == swap && isIdentityPerm(p.perm2)) || (isIdentityPerm(p.perm1) && p.perm2 == swap);
}

class PatchEmbedding final : public Pass {
public:
    const char* name() const override { return "patch-embedding"; }
    Status run(ir::Graph& g, bool& changed) override {
        const auto consumers = g.consumers();
        const size_t count = g.nodes.size();
        for (size_t i = 0; i < count; ++i) {
            std::vector<int64_t> geo;
            if (g.nodes[i].dead || !patchGeometry(g, g.nodes[i], geo)) continue;
            const int64_t C = geo[0], kh = geo[1], kw = geo[2], K = geo[3], Ho = geo[4], Wo = geo[5];
            const ir::Node conv = g.nodes[i];
            const int x = conv.inputs[0], y = conv.outputs[0];
            // Copies: adding nodes and constants below moves the values.
            const ir::DType dt = g.values[size_t(conv.inputs[1])].dtype;
            const ir::ConstData wData = g.values[size_t(conv.inputs[1])].data;
            const std::string wName = g.values[size_t(conv.inputs[1])].name;

            // [N, C, Ho·kh, Wo·kw] -> [N, Ho, Wo, C, kh, kw]: one copy, kw elements at a time.
            const int cut = g.addNode("Shuffle", g.uniqueName(conv.name + "_patches"), {x}, 1);
            g.nodes[size_t(cut)].attrs.set("reshape", std::vector<int64_t>{0, C, Ho, kh, Wo, kw});
            g.nodes[size_t(cut)].attrs.set("perm2", std::vector<int64_t>{0, 2, 4, 1, 3, 5});
            const int patches = g.nodes[size_t(cut)].outputs[0];
            // KCRS weights are already [K, C·kh·kw] row-major.
            const int w2 = g.addConstant(g.uniqueName(wName + "_rows"), dt, {K, C * kh * kw}, wData);
            std::vector<int> fcIn{patches, w2};
            if (conv.inputs.size() == 3 && conv.inputs[2] >= 0) fcIn.push_back(conv.inputs[2]);
            const int fc = g.addNode("FullyConnected", g.uniqueName(conv.name + "_gemm"), fcIn, 1);
            g.nodes[size_t(fc)].attrs.set("axis", int64_t(3));
            g.nodes[size_t(fc)].attrs.set("keep_dims_1x1", int64_t(0));
            const int rows = g.nodes[size_t(fc)].outputs[0];  // [N, Ho, Wo, K]

            int flatten = -1, transpose = -1;
            const int back = g.addNode("Shuffle", g.uniqueName(conv.name + "_layout"), {rows}, 1);
            ir::Node& b = g.nodes[size_t(back)];
            if (tokenSequence(g, consumers, y, K, Ho * Wo, flatten, transpose)) {
                b.attrs.set("reshape", std::vector<int64_t>{0, Ho * Wo, K});  // moves nothing
                b.outputs = {g.nodes[size_t(transpose)].outputs[0]};
                g.nodes[size_t(flatten)].dead = g.nodes[size_t(transpose)].dead = true;
            } else {
                b.attrs.set("perm1", std::vector<int64_t>{0, 3, 1, 2});
                b.outputs = {y};
            }
            for (int k : {cut, fc, back}) g.nodes[size_t(k)].precision = conv.precision;  // a user's pin holds
            g.nodes[i].dead = true;  // compact() below sets the producers again
            changed = true;
        }
        if (changed) g.compact();
        return Status::Ok();
    }
};

}  // namespace

std::unique_ptr<Pass> makePatchEmbedding() { return std::make_unique<PatchEmbedding>(); }

}  // namespace kiln::builder
