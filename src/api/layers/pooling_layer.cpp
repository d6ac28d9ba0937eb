// IPoolingLayer methods that do more than set one attribute.
#include "pooling_layer.h"

#include <cmath>

namespace kiln::api {

void PoolingLayer::setPoolingType(PoolingType t) noexcept {
    switch (t) {
        case PoolingType::kMAX:
            node().attrs.set("mode", "max");
            break;
        case PoolingType::kAVERAGE:
            node().attrs.set("mode", "avg");
            break;
        case PoolingType::kLP:
            node().attrs.set("mode", "lp");
            break;
        default:
            logError(net().logger(),
                     "IPoolingLayer::setPoolingType: invalid pooling type for layer '" + node().name + "'");
            return;
    }
    touch();
}

PoolingType PoolingLayer::getPoolingType() const noexcept {
    const std::string m = node().attrs.getString("mode", "max");
    return m == "avg" ? PoolingType::kAVERAGE : m == "lp" ? PoolingType::kLP : PoolingType::kMAX;
}

void PoolingLayer::setLpNormOrder(float p) noexcept {
    if (!(p > 0.f) || !std::isfinite(p)) {
        logError(net().logger(), "IPoolingLayer::setLpNormOrder: p must be finite and > 0 for layer '" + node().name +
                                     "', got " + std::to_string(p));
        return;
    }
    node().attrs.set("p", p);
    touch();
}

ITensor* PoolingLayer::addIndicesOutput() noexcept {
    ir::Node& n = node();
    if (n.outputs.size() > 1) return net().tensor(n.outputs[1]);
    ir::Graph& g = net().graph();
    const int v = g.addValue(n.name + "_output_1", ir::DType::kI64, {});
    g.values[size_t(v)].producer = nodeIndex();
    n.outputs.push_back(v);
    touch();
    return net().tensor(v);
}

}  // namespace kiln::api
