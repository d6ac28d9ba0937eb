// ICol2ImLayer and INetworkDefinition::addCol2Im: the Col2Im IR op.
#include "layer_util.h"

namespace kiln::api {

namespace {

class Col2ImLayer final : public LayerBase<ICol2ImLayer> {
public:
    Col2ImLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kCOL2IM, node, 1) {}
    void setStrideNd(const Dims& s) noexcept override {
        setIntsAttr(node(), "strides", s);
        touch();
    }
    Dims getStrideNd() const noexcept override { return toDims(node().attrs.getInts("strides")); }
    void setDilationNd(const Dims& d) noexcept override {
        setIntsAttr(node(), "dilations", d);
        touch();
    }
    Dims getDilationNd() const noexcept override { return toDims(node().attrs.getInts("dilations")); }
    void setPrePadding(const Dims& p) noexcept override {
        pre_ = p;
        touch();
    }
    Dims getPrePadding() const noexcept override { return pre_; }
    void setPostPadding(const Dims& p) noexcept override {
        post_ = p;
        touch();
    }
    Dims getPostPadding() const noexcept override { return post_; }

    // The IR lists the begin pads, then the end pads, in one attribute.
    Status finalize() override {
        if (pre_.nbDims <= 0 && post_.nbDims <= 0) {
            node().attrs.erase("pads");
            return Status::Ok();
        }
        if (pre_.nbDims != post_.nbDims)
            return Status::Error("pre- and post-padding need the same number of dimensions");
        std::vector<int64_t> pads = dimsToVector(pre_), end = dimsToVector(post_);
        pads.insert(pads.end(), end.begin(), end.end());
        node().attrs.set("pads", pads);
        return Status::Ok();
    }

private:
    Dims pre_{}, post_{};
};

}  // namespace

ICol2ImLayer* NetworkImpl::addCol2Im(ITensor& input, const Dims& imageShape, const Dims& blockShape) noexcept {
    if (!checkInput(&input, "addCol2Im", 0)) return nullptr;
    if (implicitBatch_) {
        logError(logger_, "INetworkDefinition::addCol2Im: needs an explicit-batch network (createNetworkV2)");
        return nullptr;
    }
    if (imageShape.nbDims < 0 || blockShape.nbDims < 0 || imageShape.nbDims > Dims::MAX_DIMS ||
        blockShape.nbDims > Dims::MAX_DIMS) {
        logError(logger_, "INetworkDefinition::addCol2Im: invalid image or block shape");
        return nullptr;
    }
    const int n = newNode("Col2Im", "Col2Im", {valueOf(input)}, 1);
    auto* l = adopt(std::make_unique<Col2ImLayer>(*this, n));
    if (imageShape.nbDims > 0) setIntsAttr(l->node(), "image_shape", imageShape);
    if (blockShape.nbDims > 0) setIntsAttr(l->node(), "block_shape", blockShape);
    return l;
}

}  // namespace kiln::api
