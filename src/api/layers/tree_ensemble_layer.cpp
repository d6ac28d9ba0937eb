// ITreeEnsembleLayer and INetworkDefinition::addTreeEnsemble: the
// TreeEnsemble IR op.
#include "layer_util.h"

namespace kiln::api {

namespace {

class TreeEnsembleLayer final : public LayerBase<ITreeEnsembleLayer> {
public:
    TreeEnsembleLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kTREE_ENSEMBLE, node, 1) {}
    bool setNodes(int64_t n, const int64_t* feat, const TreeNodeMode* modes, const double* splits, const int64_t* tIds,
                  const uint8_t* tLeaf, const int64_t* fIds, const uint8_t* fLeaf,
                  const uint8_t* missing) noexcept override {
        if (n < 0 || (n > 0 && (!feat || !modes || !splits || !tIds || !tLeaf || !fIds || !fLeaf)))
            return error("setNodes", "null array or negative count");
        std::vector<int64_t> m(static_cast<size_t>(n)), tl(static_cast<size_t>(n)), fl(static_cast<size_t>(n)), miss;
        for (int64_t i = 0; i < n; ++i)
            m[size_t(i)] = int64_t(modes[i]), tl[size_t(i)] = tLeaf[i], fl[size_t(i)] = fLeaf[i];
        if (missing) miss.assign(missing, missing + n);
        ir::Attrs& a = node().attrs;
        a.set("nodes_featureids", std::vector<int64_t>(feat, feat + n));
        a.set("nodes_modes", m);
        a.set("nodes_splits", std::vector<double>(splits, splits + n));
        a.set("nodes_truenodeids", std::vector<int64_t>(tIds, tIds + n));
        a.set("nodes_trueleafs", tl);
        a.set("nodes_falsenodeids", std::vector<int64_t>(fIds, fIds + n));
        a.set("nodes_falseleafs", fl);
        if (missing)
            a.set("nodes_missing_value_tracks_true", miss);
        else
            a.erase("nodes_missing_value_tracks_true");
        touch();
        return true;
    }
    bool setLeaves(int64_t n, const int64_t* targets, const double* weights) noexcept override {
        if (n < 0 || (n > 0 && (!targets || !weights))) return error("setLeaves", "null array or negative count");
        node().attrs.set("leaf_targetids", std::vector<int64_t>(targets, targets + n));
        node().attrs.set("leaf_weights", std::vector<double>(weights, weights + n));
        touch();
        return true;
    }
    bool setTreeRoots(int64_t n, const int64_t* roots) noexcept override {
        if (n < 1 || !roots) return error("setTreeRoots", "needs at least one root");
        node().attrs.set("tree_roots", std::vector<int64_t>(roots, roots + n));
        touch();
        return true;
    }
    bool setMembershipValues(int64_t n, const double* v) noexcept override {
        if (n < 0 || (n > 0 && !v)) return error("setMembershipValues", "null array or negative count");
        node().attrs.set("membership_values", std::vector<double>(v, v + n));
        touch();
        return true;
    }
    void setAggregate(TreeAggregate g) noexcept override {
        if (int32_t(g) < 0 || int32_t(g) > 3) return (void)error("setAggregate", "invalid aggregate");
        node().attrs.set("aggregate_function", int64_t(g));
    }
    TreeAggregate getAggregate() const noexcept override {
        return TreeAggregate(node().attrs.getInt("aggregate_function", 1));
    }
    void setPostTransform(TreePostTransform t) noexcept override {
        if (int32_t(t) < 0 || int32_t(t) > 4) return (void)error("setPostTransform", "invalid transform");
        node().attrs.set("post_transform", int64_t(t));
    }
    TreePostTransform getPostTransform() const noexcept override {
        return TreePostTransform(node().attrs.getInt("post_transform", 0));
    }

private:
    bool error(const char* call, const char* what) const {
        logError(net().logger(), std::string("ITreeEnsembleLayer::") + call + ": layer '" + node().name + "': " + what);
        return false;
    }
};

}  // namespace

ITreeEnsembleLayer* NetworkImpl::addTreeEnsemble(ITensor& input, int32_t nbTargets) noexcept {
    if (!checkInput(&input, "addTreeEnsemble", 0)) return nullptr;
    if (implicitBatch_) {
        logError(logger_, "INetworkDefinition::addTreeEnsemble: needs an explicit-batch network (createNetworkV2)");
        return nullptr;
    }
    if (nbTargets < 1) {
        logError(logger_, "INetworkDefinition::addTreeEnsemble: nbTargets must be >= 1");
        return nullptr;
    }
    const int n = newNode("TreeEnsemble", "TreeEnsemble", {valueOf(input)}, 1);
    auto* l = adopt(std::make_unique<TreeEnsembleLayer>(*this, n));
    l->node().attrs.set("n_targets", int64_t(nbTargets));
    return l;
}

}  // namespace kiln::api
