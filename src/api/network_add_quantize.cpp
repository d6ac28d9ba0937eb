// INetworkDefinition::addQuantize / addDequantize / addBitCast.
#include "layers/quantize_layers.h"
#include "network_impl.h"

namespace kiln::api {

IQuantizeLayer* NetworkImpl::addQuantize(ITensor& input, ITensor& scale, DataType outputType) noexcept {
    if (!checkInput(&input, "addQuantize", 0) || !checkInput(&scale, "addQuantize", 1)) return nullptr;
    if (!validDataType(outputType)) {
        logError(logger_, "INetworkDefinition::addQuantize: invalid output data type");
        return nullptr;
    }
    const int n = newNode("Quantize", "Quantize", {valueOf(input), valueOf(scale)}, 1);
    auto* l = adopt(std::make_unique<QuantizeLayer>(*this, n));
    l->setToType(outputType);
    return l;
}

IDequantizeLayer* NetworkImpl::addDequantize(ITensor& input, ITensor& scale, DataType outputType) noexcept {
    if (!checkInput(&input, "addDequantize", 0) || !checkInput(&scale, "addDequantize", 1)) return nullptr;
    if (!validDataType(outputType)) {
        logError(logger_, "INetworkDefinition::addDequantize: invalid output data type");
        return nullptr;
    }
    const int n = newNode("Dequantize", "Dequantize", {valueOf(input), valueOf(scale)}, 1);
    auto* l = adopt(std::make_unique<DequantizeLayer>(*this, n));
    l->setToType(outputType);
    return l;
}

IBitCastLayer* NetworkImpl::addBitCast(ITensor& input, DataType toType) noexcept {
    if (!checkInput(&input, "addBitCast", 0)) return nullptr;
    if (!validDataType(toType)) {
        logError(logger_, "INetworkDefinition::addBitCast: invalid data type");
        return nullptr;
    }
    const int n = newNode("BitCast", "BitCast", {valueOf(input)}, 1);
    auto* l = adopt(std::make_unique<BitCastLayer>(*this, n));
    l->setToType(toType);
    return l;
}

}  // namespace kiln::api
