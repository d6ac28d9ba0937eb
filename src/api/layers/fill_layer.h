// IFillLayer: the IR Fill op (docs/ops.md).
#pragma once
#include "../network_impl.h"

namespace kiln::api {

class FillLayer final : public LayerBase<IFillLayer> {
public:
    FillLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kFILL, node, 0) {}
    void setDimensions(const Dims& d) noexcept override;
    Dims getDimensions() const noexcept override;
    void setOperation(FillOperation op) noexcept override;
    FillOperation getOperation() const noexcept override;
    void setAlpha(double a) noexcept override {
        node().attrs.set("alpha", a);
        touch();
    }
    double getAlpha() const noexcept override { return node().attrs.getFloat("alpha", 0.0); }
    void setBeta(double b) noexcept override {
        node().attrs.set("beta", std::vector<double>{b});
        touch();
    }
    double getBeta() const noexcept override;
    void setToType(DataType t) noexcept override;
    DataType getToType() const noexcept override { return DataType(node().attrs.getInt("dtype", 0)); }
    void setSeed(int64_t seed) noexcept override {
        node().attrs.set("seed", seed);
        touch();
    }
    int64_t getSeed() const noexcept override { return node().attrs.getInt("seed", 0); }
};

}  // namespace kiln::api
