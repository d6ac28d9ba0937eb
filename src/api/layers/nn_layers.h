// Scatter, Cumulative, OneHot, ReverseSequence, Einsum and Determinant layers: parameters
// map one-to-one onto the IR attributes of docs/ops.md. These layers exist in
// explicit-batch networks only, so axes need no batch translation.
#pragma once
#include "layer_util.h"

namespace kiln::api {

class ScatterLayer final : public LayerBase<IScatterLayer> {
public:
    ScatterLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kSCATTER, node, 3) {}
    void setMode(ScatterMode mode) noexcept override;
    ScatterMode getMode() const noexcept override;
    void setAxis(int32_t axis) noexcept override {
        node().attrs.set("axis", int64_t(axis));
        touch();
    }
    int32_t getAxis() const noexcept override { return int32_t(node().attrs.getInt("axis", 0)); }
    void setReduction(ScatterReduction r) noexcept override;
    ScatterReduction getReduction() const noexcept override;
};

class CumulativeLayer final : public LayerBase<ICumulativeLayer> {
public:
    CumulativeLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kCUMULATIVE, node, 2) {}
    bool setOperation(CumulativeOperation op) noexcept override;
    CumulativeOperation getOperation() const noexcept override {
        return node().attrs.getString("op", "sum") == "prod" ? CumulativeOperation::kPROD : CumulativeOperation::kSUM;
    }
    void setExclusive(bool e) noexcept override { node().attrs.set("exclusive", e); }
    bool getExclusive() const noexcept override { return node().attrs.getInt("exclusive", 0) != 0; }
    void setReverse(bool r) noexcept override { node().attrs.set("reverse", r); }
    bool getReverse() const noexcept override { return node().attrs.getInt("reverse", 0) != 0; }
};

class OneHotLayer final : public LayerBase<IOneHotLayer> {
public:
    OneHotLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kONE_HOT, node, 3) {}
    void setAxis(int32_t axis) noexcept override {
        node().attrs.set("axis", int64_t(axis));
        touch();
    }
    int32_t getAxis() const noexcept override { return int32_t(node().attrs.getInt("axis", -1)); }
};

class ReverseSequenceLayer final : public LayerBase<IReverseSequenceLayer> {
public:
    ReverseSequenceLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kREVERSE_SEQUENCE, node, 2) {}
    void setBatchAxis(int32_t a) noexcept override {
        node().attrs.set("batch_axis", int64_t(a));
        touch();
    }
    int32_t getBatchAxis() const noexcept override { return int32_t(node().attrs.getInt("batch_axis", 1)); }
    void setSequenceAxis(int32_t a) noexcept override {
        node().attrs.set("time_axis", int64_t(a));
        touch();
    }
    int32_t getSequenceAxis() const noexcept override { return int32_t(node().attrs.getInt("time_axis", 0)); }
};

class EinsumLayer final : public LayerBase<IEinsumLayer> {
public:
    EinsumLayer(NetworkImpl& net, int node, int nbInputs) : LayerBase(net, LayerType::kEINSUM, node, nbInputs) {}
    bool setEquation(const char* equation) noexcept override;
    const char* getEquation() const noexcept override;

private:
    mutable std::string equation_;  // keeps getEquation()'s pointer valid
};

class DeterminantLayer final : public LayerBase<IDeterminantLayer> {
public:
    DeterminantLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kDETERMINANT, node, 1) {}
};

}  // namespace kiln::api
