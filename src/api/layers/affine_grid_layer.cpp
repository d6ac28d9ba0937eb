// IAffineGridLayer and INetworkDefinition::addAffineGrid: the AffineGrid IR op.
#include "layer_util.h"

namespace kiln::api {

namespace {

class AffineGridLayer final : public LayerBase<IAffineGridLayer> {
public:
    AffineGridLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kAFFINE_GRID, node, 2) {}
    void setAlignCorners(bool a) noexcept override { node().attrs.set("align_corners", a); }
    bool getAlignCorners() const noexcept override { return node().attrs.getInt("align_corners", 0) != 0; }
};

}  // namespace

IAffineGridLayer* NetworkImpl::addAffineGrid(ITensor& theta, ITensor& size) noexcept {
    if (!checkInput(&theta, "addAffineGrid", 0) || !checkInput(&size, "addAffineGrid", 1)) return nullptr;
    if (implicitBatch_) {
        logError(logger_, "INetworkDefinition::addAffineGrid: needs an explicit-batch network (createNetworkV2)");
        return nullptr;
    }
    const int n = newNode("AffineGrid", "AffineGrid", {valueOf(theta), valueOf(size)}, 1);
    return adopt(std::make_unique<AffineGridLayer>(*this, n));
}

}  // namespace kiln::api
