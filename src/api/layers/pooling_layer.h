#pragma once
#include "convolution_layer.h"

namespace kiln::api {

class PoolingLayer final : public LayerBase<IPoolingLayer> {
public:
    PoolingLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kPOOLING, node, 1) {}
    void setPoolingType(PoolingType t) noexcept override;
    PoolingType getPoolingType() const noexcept override;
    void setWindowSize(const DimsHW& s) noexcept override { setWindowSizeNd(s); }
    void setWindowSizeNd(const Dims& s) noexcept override { setIntsAttr(node(), "kernel", s); touch(); }
    Dims getWindowSizeNd() const noexcept override { return toDims(node().attrs.getInts("kernel")); }
    void setStride(const DimsHW& s) noexcept override { setStrideNd(s); }
    void setStrideNd(const Dims& s) noexcept override { setIntsAttr(node(), "strides", s); touch(); }
    Dims getStrideNd() const noexcept override { return intsAttr(node(), "strides", rank(), 1); }
    void setPadding(const DimsHW& p) noexcept override { setPaddingNd(p); }
    void setPaddingNd(const Dims& p) noexcept override {
        setPrePadding(p);
        setPostPadding(p);
    }
    Dims getPaddingNd() const noexcept override { return getPrePadding(); }
    void setPrePadding(const Dims& p) noexcept override { setIntsAttr(node(), "pads_begin", p); touch(); }
    Dims getPrePadding() const noexcept override { return intsAttr(node(), "pads_begin", rank(), 0); }
    void setPostPadding(const Dims& p) noexcept override { setIntsAttr(node(), "pads_end", p); touch(); }
    Dims getPostPadding() const noexcept override { return intsAttr(node(), "pads_end", rank(), 0); }
    void setPaddingMode(PaddingMode m) noexcept override { setPaddingModeAttrs(node(), m); touch(); }
    PaddingMode getPaddingMode() const noexcept override { return paddingModeOf(node()); }
    void setAverageCountExcludesPadding(bool e) noexcept override { node().attrs.set("count_include_pad", !e); }
    bool getAverageCountExcludesPadding() const noexcept override {
        return node().attrs.getInt("count_include_pad", 0) == 0;
    }

    void setDilationNd(const Dims& d) noexcept override { setIntsAttr(node(), "dilations", d); touch(); }
    Dims getDilationNd() const noexcept override { return intsAttr(node(), "dilations", rank(), 1); }
    void setLpNormOrder(float p) noexcept override;
    float getLpNormOrder() const noexcept override { return float(node().attrs.getFloat("p", 2.0)); }
    ITensor* addIndicesOutput() noexcept override;
    void setIndicesColumnMajor(bool c) noexcept override { node().attrs.set("storage_order", int64_t(c ? 1 : 0)); }
    bool getIndicesColumnMajor() const noexcept override { return node().attrs.getInt("storage_order", 0) == 1; }

private:
    int rank() const { return int(node().attrs.getInts("kernel").size()); }
};

}  // namespace kiln::api
