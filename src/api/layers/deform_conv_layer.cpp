// IDeformConvolutionLayer and INetworkDefinition::addDeformConvolution: the
// DeformConv IR op.
#include "layer_util.h"

namespace kiln::api {

namespace {

class DeformConvLayer final : public LayerBase<IDeformConvolutionLayer> {
public:
    DeformConvLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kDEFORM_CONVOLUTION, node, 3) {}
    void setStrideNd(const Dims& s) noexcept override { set("strides", s); }
    Dims getStrideNd() const noexcept override { return intsAttr(node(), "strides", 2, 1); }
    void setPrePadding(const Dims& p) noexcept override { set("pads_begin", p); }
    Dims getPrePadding() const noexcept override { return intsAttr(node(), "pads_begin", 2, 0); }
    void setPostPadding(const Dims& p) noexcept override { set("pads_end", p); }
    Dims getPostPadding() const noexcept override { return intsAttr(node(), "pads_end", 2, 0); }
    void setDilationNd(const Dims& d) noexcept override { set("dilations", d); }
    Dims getDilationNd() const noexcept override { return intsAttr(node(), "dilations", 2, 1); }
    void setNbGroups(int64_t g) noexcept override {
        node().attrs.set("group", g);
        touch();
    }
    int64_t getNbGroups() const noexcept override { return node().attrs.getInt("group", 1); }
    void setNbOffsetGroups(int64_t g) noexcept override {
        node().attrs.set("offset_group", g);
        touch();
    }
    int64_t getNbOffsetGroups() const noexcept override { return node().attrs.getInt("offset_group", 1); }
    void setBias(ITensor& b) noexcept override { setInput(3, b); }
    void setMask(ITensor& m) noexcept override { setInput(4, m); }

private:
    void set(const char* key, const Dims& d) {
        if (d.nbDims != 2) {
            logError(net().logger(), "IDeformConvolutionLayer: layer '" + node().name + "': " + key +
                                         " needs 2 dimensions (2-D convolution)");
            return;
        }
        setIntsAttr(node(), key, d);
        touch();
    }
};

}  // namespace

IDeformConvolutionLayer* NetworkImpl::addDeformConvolution(ITensor& input, ITensor& weights,
                                                           ITensor& offsets) noexcept {
    if (!checkInput(&input, "addDeformConvolution", 0) || !checkInput(&weights, "addDeformConvolution", 1) ||
        !checkInput(&offsets, "addDeformConvolution", 2))
        return nullptr;
    if (implicitBatch_) {
        logError(logger_,
                 "INetworkDefinition::addDeformConvolution: needs an explicit-batch network (createNetworkV2)");
        return nullptr;
    }
    const int n = newNode("DeformConv", "DeformConvolution", {valueOf(input), valueOf(weights), valueOf(offsets)}, 1);
    return adopt(std::make_unique<DeformConvLayer>(*this, n));
}

}  // namespace kiln::api
