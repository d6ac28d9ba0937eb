// Layers whose output size depends on the input values: INonZeroLayer,
// INMSLayer, IUniqueLayer (IR ops NonZero, NMS, Unique; docs/ops.md).
#pragma once
#include <limits>

#include "../network_impl.h"

namespace kiln::api {

class NonZeroLayer final : public LayerBase<INonZeroLayer> {
public:
    NonZeroLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kNON_ZERO, node, 1) {}
};

class NMSLayer final : public LayerBase<INMSLayer> {
public:
    NMSLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kNMS, node, 3) {}
    void setBoundingBoxFormat(BoundingBoxFormat f) noexcept override {
        node().attrs.set("center_point_box", int64_t(f == BoundingBoxFormat::kCENTER_SIZES));
    }
    BoundingBoxFormat getBoundingBoxFormat() const noexcept override {
        return node().attrs.getInt("center_point_box", 0) ? BoundingBoxFormat::kCENTER_SIZES
                                                          : BoundingBoxFormat::kCORNER_PAIRS;
    }
    void setTopKBoxLimit(int32_t limit) noexcept override;
    int32_t getTopKBoxLimit() const noexcept override { return int32_t(node().attrs.getInt("topk_limit", 0)); }
};

class UniqueLayer final : public LayerBase<IUniqueLayer> {
public:
    UniqueLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kUNIQUE, node, 1) {}
    void setAxis(int32_t axis) noexcept override {
        node().attrs.set("axis", int64_t(axis));
        touch();
    }
    int32_t getAxis() const noexcept override {
        return node().attrs.has("axis") ? int32_t(node().attrs.getInt("axis")) : std::numeric_limits<int32_t>::min();
    }
    void setSorted(bool sorted) noexcept override { node().attrs.set("sorted", int64_t(sorted)); }
    bool getSorted() const noexcept override { return node().attrs.getInt("sorted", 1) != 0; }
};

}  // namespace kiln::api
