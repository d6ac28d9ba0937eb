// IMaxUnpoolLayer and INetworkDefinition::addMaxUnpool: the MaxUnpool IR op.
#include "layer_util.h"

namespace kiln::api {

namespace {

class MaxUnpoolLayer final : public LayerBase<IMaxUnpoolLayer> {
public:
    MaxUnpoolLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kMAX_UNPOOL, node, 2) {}
    void setStrideNd(const Dims& s) noexcept override {
        setIntsAttr(node(), "strides", s);
        touch();
    }
    Dims getStrideNd() const noexcept override { return intsAttr(node(), "strides", rank(), 1); }
    void setPrePadding(const Dims& p) noexcept override {
        setIntsAttr(node(), "pads_begin", p);
        touch();
    }
    Dims getPrePadding() const noexcept override { return intsAttr(node(), "pads_begin", rank(), 0); }
    void setPostPadding(const Dims& p) noexcept override {
        setIntsAttr(node(), "pads_end", p);
        touch();
    }
    Dims getPostPadding() const noexcept override { return intsAttr(node(), "pads_end", rank(), 0); }
    void setOutputShape(const Dims& s) noexcept override {
        if (s.nbDims <= 0)
            node().attrs.erase("output_shape");
        else
            setIntsAttr(node(), "output_shape", s);
        touch();
    }
    Dims getOutputShape() const noexcept override { return toDims(node().attrs.getInts("output_shape")); }

private:
    int rank() const { return int(node().attrs.getInts("kernel").size()); }
};

}  // namespace

IMaxUnpoolLayer* NetworkImpl::addMaxUnpool(ITensor& input, ITensor& indices, const Dims& window) noexcept {
    if (!checkInput(&input, "addMaxUnpool", 0) || !checkInput(&indices, "addMaxUnpool", 1)) return nullptr;
    if (implicitBatch_) {
        logError(logger_, "INetworkDefinition::addMaxUnpool: needs an explicit-batch network (createNetworkV2)");
        return nullptr;
    }
    if (window.nbDims < 1 || window.nbDims > 3) {
        logError(logger_, "INetworkDefinition::addMaxUnpool: the window needs 1 to 3 dimensions");
        return nullptr;
    }
    const int n = newNode("MaxUnpool", "MaxUnpool", {valueOf(input), valueOf(indices)}, 1);
    auto* l = adopt(std::make_unique<MaxUnpoolLayer>(*this, n));
    setIntsAttr(l->node(), "kernel", window);
    return l;
}

}  // namespace kiln::api
