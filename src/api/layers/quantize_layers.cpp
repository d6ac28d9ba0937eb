#include "quantize_layers.h"

namespace kiln::api {

template <class I>
bool QuantizeLayerBase<I>::setBlockShape(const Dims& block) noexcept {
    if (!dimsValid(block)) {
        logError(this->net().logger(), "setBlockShape: invalid dimensions for layer '" + this->node().name + "'");
        return false;
    }
    std::vector<int64_t> v = dimsToVector(block);
    for (int64_t b : v) {
        if (b < 1) {
            logError(this->net().logger(),
                     "setBlockShape: block extents must be >= 1 (layer '" + this->node().name + "')");
            return false;
        }
    }
    if (v.empty()) {
        this->node().attrs.erase("block_shape");
    } else {
        if (this->net().batchOffset()) v.insert(v.begin(), 1);  // the hidden batch dimension is not blocked
        this->node().attrs.set("block_shape", v);
    }
    this->touch();
    return true;
}

template <class I>
Dims QuantizeLayerBase<I>::getBlockShape() const noexcept {
    std::vector<int64_t> v = this->node().attrs.getInts("block_shape");
    if (!v.empty() && this->net().batchOffset()) v.erase(v.begin());
    return toDims(v);
}

template <class I>
void QuantizeLayerBase<I>::setToType(DataType t) noexcept {
    if (!validDataType(t)) {
        logError(this->net().logger(), "setToType: invalid data type for layer '" + this->node().name + "'");
        return;
    }
    this->node().attrs.set("to", int64_t(t));
    this->touch();
}

template class QuantizeLayerBase<IQuantizeLayer>;
template class QuantizeLayerBase<IDequantizeLayer>;

void QuantizeLayer::setComputeType(DataType t) noexcept {
    if (t != DataType::kFLOAT && t != DataType::kHALF && t != DataType::kBF16 && t != DataType::kDOUBLE) {
        logError(net().logger(), "IQuantizeLayer::setComputeType: '" + node().name +
                                     "' needs kFLOAT, kHALF, kBF16 or kDOUBLE, got " + dataTypeName(t));
        return;
    }
    node().attrs.set("precision", int64_t(t));
    touch();
}

DataType QuantizeLayer::getComputeType() const noexcept {
    return DataType(node().attrs.getInt("precision", int64_t(DataType::kFLOAT)));
}

void BitCastLayer::setToType(DataType t) noexcept {
    if (!validDataType(t)) {
        logError(net().logger(), "IBitCastLayer::setToType: invalid data type for layer '" + node().name + "'");
        return;
    }
    node().attrs.set("to", int64_t(t));
    touch();
}

}  // namespace kiln::api
