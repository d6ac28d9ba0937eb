// Quantize, Dequantize and BitCast layers: thin views of their IR nodes.
#pragma once
#include "layer_util.h"

namespace kiln::api {

// The parameters Quantize and Dequantize share: the axis and the block shape,
// both counted without the hidden batch dimension of implicit-batch networks.
template <class I>
class QuantizeLayerBase : public LayerBase<I> {
public:
    using LayerBase<I>::LayerBase;
    int32_t getAxis() const noexcept override {
        return int32_t(this->node().attrs.getInt("axis", 1) - this->net().batchOffset());
    }
    void setAxis(int32_t axis) noexcept override {
        this->node().attrs.set("axis", int64_t(axis) + (axis >= 0 ? this->net().batchOffset() : 0));
        this->touch();
    }
    bool setBlockShape(const Dims& block) noexcept override;
    Dims getBlockShape() const noexcept override;
    DataType getToType() const noexcept override { return DataType(this->node().attrs.getInt("to")); }
    void setToType(DataType t) noexcept override;
};

class QuantizeLayer final : public QuantizeLayerBase<IQuantizeLayer> {
public:
    QuantizeLayer(NetworkImpl& net, int node) : QuantizeLayerBase(net, LayerType::kQUANTIZE, node, 2) {}
    void setSaturate(bool s) noexcept override { node().attrs.set("saturate", s); }
    bool getSaturate() const noexcept override { return node().attrs.getInt("saturate", 1) != 0; }
    void setComputeType(DataType t) noexcept override;
    DataType getComputeType() const noexcept override;
    bool computeTypeIsSet() const noexcept override { return node().attrs.has("precision"); }
};

class DequantizeLayer final : public QuantizeLayerBase<IDequantizeLayer> {
public:
    DequantizeLayer(NetworkImpl& net, int node) : QuantizeLayerBase(net, LayerType::kDEQUANTIZE, node, 2) {}
};

class BitCastLayer final : public LayerBase<IBitCastLayer> {
public:
    BitCastLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kBITCAST, node, 1) {}
    void setToType(DataType t) noexcept override;
    DataType getToType() const noexcept override { return DataType(node().attrs.getInt("to")); }
};

}  // namespace kiln::api
