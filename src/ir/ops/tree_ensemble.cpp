// TreeEnsemble: decision-tree ensembles (ai.onnx.ml TreeEnsemble-5);
// docs/ops.md.
#include <cmath>
#include <string>

#include "op_families.h"

namespace kiln::ir {

namespace {

Status inferTreeEnsemble(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const Attrs& a = node.attrs;
    const TensorDesc& x = in[0];
    if (x.dtype != DType::kF32 && x.dtype != DType::kF16 && x.dtype != DType::kBF16)
        return Status::Error("X must be a float type");
    if (x.shape.size() != 2) return Status::Error("X must be [N, F], got " + shapeToString(x.shape));
    const int64_t targets = a.getInt("n_targets", 0);
    if (targets < 1) return Status::Error("n_targets must be >= 1");
    const auto feat = a.getInts("nodes_featureids"), modes = a.getInts("nodes_modes");
    const auto tIds = a.getInts("nodes_truenodeids"), fIds = a.getInts("nodes_falsenodeids");
    const auto tLeaf = a.getInts("nodes_trueleafs"), fLeaf = a.getInts("nodes_falseleafs");
    const auto splits = a.getFloats("nodes_splits");
    const auto missing = a.getInts("nodes_missing_value_tracks_true");
    const size_t n = feat.size();
    if (modes.size() != n || tIds.size() != n || fIds.size() != n || tLeaf.size() != n || fLeaf.size() != n ||
        splits.size() != n || (!missing.empty() && missing.size() != n))
        return Status::Error("the nodes_* attributes need the same length");
    const auto leafTargets = a.getInts("leaf_targetids");
    if (leafTargets.size() != a.getFloats("leaf_weights").size())
        return Status::Error("leaf_targetids and leaf_weights need the same length");
    const int64_t leaves = int64_t(leafTargets.size()), nodes = int64_t(n);
    for (int64_t t : leafTargets)
        if (t < 0 || t >= targets)
            return Status::Error("leaf target id " + std::to_string(t) + " is outside [0, n_targets)");
    int64_t memberNodes = 0;
    for (size_t i = 0; i < n; ++i) {
        if (modes[i] < 0 || modes[i] > 6) return Status::Error("unknown node mode " + std::to_string(modes[i]));
        memberNodes += modes[i] == 6;
        if (x.shape[1] >= 0 && (feat[i] < 0 || feat[i] >= x.shape[1]))
            return Status::Error("node " + std::to_string(i) + " reads feature " + std::to_string(feat[i]) + " of " +
                                 std::to_string(x.shape[1]));
        if (tIds[i] < 0 || tIds[i] >= (tLeaf[i] ? leaves : nodes) || fIds[i] < 0 ||
            fIds[i] >= (fLeaf[i] ? leaves : nodes))
            return Status::Error("node " + std::to_string(i) + " has a child outside the node or leaf lists");
    }
    int64_t sets = 0;
    for (double v : a.getFloats("membership_values")) sets += std::isnan(v);
    if (sets != memberNodes)
        return Status::Error("membership_values must hold one NaN-terminated set per member node (" +
                             std::to_string(memberNodes) + ")");
    const auto roots = a.getInts("tree_roots");
    if (roots.empty()) return Status::Error("tree_roots must not be empty");
    for (int64_t r : roots)
        if (r < 0 || r >= std::max(nodes, leaves))
            return Status::Error("tree root " + std::to_string(r) + " is out of range");
    const int64_t agg = a.getInt("aggregate_function", 1), post = a.getInt("post_transform", 0);
    if (agg < 0 || agg > 3) return Status::Error("aggregate_function must be 0..3");
    if (post < 0 || post > 4) return Status::Error("post_transform must be 0..4");
    out[0] = {x.dtype, {x.shape[0], targets}, nullptr};
    return Status::Ok();
}

}  // namespace

void registerTreeEnsembleOp(std::vector<OpSchema>& t) { t.push_back({"TreeEnsemble", 1, 1, 1, 1, &inferTreeEnsemble}); }

}  // namespace kiln::ir
