// Convolution and deconvolution layers; also the shared padding-mode logic
// used by pooling.
#pragma once
#include "layer_util.h"

namespace kiln::api {

// Writes TensorRT's padding mode as the IR's auto_pad/ceil_mode attributes.
void setPaddingModeAttrs(ir::Node& n, PaddingMode mode);
PaddingMode paddingModeOf(const ir::Node& n);

template <class I>
class ConvLikeLayer : public LayerBase<I> {
public:
    ConvLikeLayer(NetworkImpl& net, LayerType type, int node, const Dims& kernel, int64_t maps, bool transposed)
        : LayerBase<I>(net, type, node, 1), kernel_(kernel), maps_(maps), transposed_(transposed) {}

    void setKernelSizeNd(const Dims& size) noexcept override { kernel_ = size; this->touch(); }
    Dims getKernelSizeNd() const noexcept override { return kernel_; }
    void setNbOutputMaps(int64_t n) noexcept override { maps_ = n; this->touch(); }
    int64_t getNbOutputMaps() const noexcept override { return maps_; }
    void setStride(const DimsHW& s) noexcept override { setStrideNd(s); }
    void setStrideNd(const Dims& s) noexcept override { setIntsAttr(this->node(), "strides", s); this->touch(); }
    Dims getStrideNd() const noexcept override { return intsAttr(this->node(), "strides", kernel_.nbDims, 1); }
    void setPadding(const DimsHW& p) noexcept override { setPaddingNd(p); }
    void setPaddingNd(const Dims& p) noexcept override {
        setPrePadding(p);
        setPostPadding(p);
    }
    Dims getPaddingNd() const noexcept override { return getPrePadding(); }
    void setPrePadding(const Dims& p) noexcept override { setIntsAttr(this->node(), "pads_begin", p); this->touch(); }
    Dims getPrePadding() const noexcept override { return intsAttr(this->node(), "pads_begin", kernel_.nbDims, 0); }
    void setPostPadding(const Dims& p) noexcept override { setIntsAttr(this->node(), "pads_end", p); this->touch(); }
    Dims getPostPadding() const noexcept override { return intsAttr(this->node(), "pads_end", kernel_.nbDims, 0); }
    void setPaddingMode(PaddingMode m) noexcept override { setPaddingModeAttrs(this->node(), m); this->touch(); }
    PaddingMode getPaddingMode() const noexcept override { return paddingModeOf(this->node()); }
    void setNbGroups(int64_t g) noexcept override { this->node().attrs.set("group", g); this->touch(); }
    int64_t getNbGroups() const noexcept override { return this->node().attrs.getInt("group", 1); }
    void setDilation(const DimsHW& d) noexcept override { setDilationNd(d); }
    void setDilationNd(const Dims& d) noexcept override { setIntsAttr(this->node(), "dilations", d); this->touch(); }
    Dims getDilationNd() const noexcept override { return intsAttr(this->node(), "dilations", kernel_.nbDims, 1); }
    void setKernelWeights(Weights w) noexcept override {
        replaceWeights(this->net(), this->nodeIndex(), 1, w, "kernel", false);
    }
    Weights getKernelWeights() const noexcept override { return weightsOf(this->net(), this->node().inputs[1]); }
    void setBiasWeights(Weights w) noexcept override {
        replaceWeights(this->net(), this->nodeIndex(), 2, w, "bias", true);
    }
    Weights getBiasWeights() const noexcept override { return weightsOf(this->net(), this->node().inputs[2]); }

    // The kernel is stored flat by the user; its IR shape depends on the
    // input's channels and the groups, known only now.
    Status finalize() override;

private:
    Dims kernel_;
    int64_t maps_;
    bool transposed_;
};

using ConvolutionLayer = ConvLikeLayer<IConvolutionLayer>;

class DeconvolutionLayer final : public ConvLikeLayer<IDeconvolutionLayer> {
public:
    using ConvLikeLayer<IDeconvolutionLayer>::ConvLikeLayer;
    void setOutputPadding(const Dims& p) noexcept override {
        setIntsAttr(node(), "output_padding", p);
        touch();
    }
    Dims getOutputPadding() const noexcept override {
        return intsAttr(node(), "output_padding", getKernelSizeNd().nbDims, 0);
    }
    void setOutputShape(const Dims& s) noexcept override {
        setIntsAttr(node(), "output_shape", s);
        touch();
    }
    Dims getOutputShape() const noexcept override {
        return node().attrs.has("output_shape") ? toDims(node().attrs.getInts("output_shape")) : invalidDims();
    }
};

}  // namespace kiln::api
