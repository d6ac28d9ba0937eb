// ai.onnx.ml TreeEnsemble (ml opset 5) -> ITreeEnsembleLayer. Splits, modes,
// leaf weights and membership values arrive as tensor attributes;
// nodes_hitrates is only a performance hint and is ignored.
#include "../importer.h"
#include "ops.h"

namespace kiln::onnx {

namespace {

// Reads a tensor attribute as doubles (absent: empty, ok).
bool tensorAttr(ConverterContext& ctx, const char* name, std::vector<double>& out, bool required) {
    out.clear();
    const pb::TensorProto* t = ctx.attrTensor(name);
    if (!t) return !required || ctx.fail(ErrorCode::kINVALID_NODE, std::string("attribute ") + name + " is required");
    Constant c;
    std::string err;
    if (!tensorProtoToConstant(*t, c, err, nullptr))
        return ctx.fail(ErrorCode::kINVALID_NODE, std::string("attribute ") + name + ": " + err);
    if (c.type == DataType::kFLOAT) {
        for (float v : c.toFloats()) out.push_back(v);
    } else {
        for (int64_t v : c.toInt64s()) out.push_back(double(v));
    }
    return true;
}

}  // namespace

KILN_ONNX_CONVERTER(convertTreeEnsemble) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    std::vector<double> splits, modesD, weights, members;
    if (!tensorAttr(ctx, "nodes_splits", splits, true) || !tensorAttr(ctx, "nodes_modes", modesD, true) ||
        !tensorAttr(ctx, "leaf_weights", weights, true) || !tensorAttr(ctx, "membership_values", members, false))
        return false;
    const auto feat = ctx.attrInts("nodes_featureids"), tIds = ctx.attrInts("nodes_truenodeids");
    const auto fIds = ctx.attrInts("nodes_falsenodeids"), tLeafI = ctx.attrInts("nodes_trueleafs");
    const auto fLeafI = ctx.attrInts("nodes_falseleafs"), missingI = ctx.attrInts("nodes_missing_value_tracks_true");
    const auto targets = ctx.attrInts("leaf_targetids"), roots = ctx.attrInts("tree_roots");
    const size_t n = feat.size();
    if (splits.size() != n || modesD.size() != n || tIds.size() != n || fIds.size() != n || tLeafI.size() != n ||
        fLeafI.size() != n || (!missingI.empty() && missingI.size() != n))
        return ctx.fail(ErrorCode::kINVALID_NODE, "the nodes_* attributes need the same length");
    if (targets.size() != weights.size())
        return ctx.fail(ErrorCode::kINVALID_NODE, "leaf_targetids and leaf_weights need the same length");
    std::vector<TreeNodeMode> modes;
    for (double m : modesD) {
        if (m < 0 || m > 6) return ctx.fail(ErrorCode::kINVALID_VALUE, "unknown node mode " + std::to_string(m));
        modes.push_back(static_cast<TreeNodeMode>(static_cast<int32_t>(m)));
    }
    std::vector<uint8_t> tLeaf(tLeafI.begin(), tLeafI.end()), fLeaf(fLeafI.begin(), fLeafI.end());
    std::vector<uint8_t> missing(missingI.begin(), missingI.end());
    const int64_t nTargets = ctx.attrInt("n_targets", -1);
    if (nTargets < 1) return ctx.fail(ErrorCode::kINVALID_VALUE, "n_targets must be >= 1");
    const int64_t agg = ctx.attrInt("aggregate_function", 1), post = ctx.attrInt("post_transform", 0);
    if (agg < 0 || agg > 3 || post < 0 || post > 4)
        return ctx.fail(ErrorCode::kINVALID_VALUE, "aggregate_function must be 0..3 and post_transform 0..4");
    ITreeEnsembleLayer* layer = ctx.network().addTreeEnsemble(*x, static_cast<int32_t>(nTargets));
    if (!layer) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the TreeEnsemble layer");
    const auto count = static_cast<int64_t>(n);
    if (!layer->setNodes(count, feat.data(), modes.data(), splits.data(), tIds.data(), tLeaf.data(), fIds.data(),
                         fLeaf.data(), missing.empty() ? nullptr : missing.data()) ||
        !layer->setLeaves(static_cast<int64_t>(targets.size()), targets.data(), weights.data()) ||
        !layer->setTreeRoots(static_cast<int64_t>(roots.size()), roots.data()) ||
        !layer->setMembershipValues(static_cast<int64_t>(members.size()), members.data()))
        return ctx.fail(ErrorCode::kINVALID_NODE, "the TreeEnsemble layer rejected its trees");
    layer->setAggregate(static_cast<TreeAggregate>(agg));
    layer->setPostTransform(static_cast<TreePostTransform>(post));
    return pushLayer(ctx, layer, outputs);
}

}  // namespace kiln::onnx
