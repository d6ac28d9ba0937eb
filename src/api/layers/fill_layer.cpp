#include "fill_layer.h"

namespace kiln::api {

namespace {
constexpr const char* kOpNames[] = {"linspace", "random_uniform", "random_normal"};
}  // namespace

void FillLayer::setDimensions(const Dims& d) noexcept {
    if (!dimsValid(d)) {
        logError(net().logger(), "IFillLayer::setDimensions: invalid dimensions for layer '" + node().name + "'");
        return;
    }
    for (int i = 0; i < d.nbDims; ++i)
        if (d.d[i] < 0) {
            logError(net().logger(), "IFillLayer::setDimensions: negative extent for layer '" + node().name + "'");
            return;
        }
    node().attrs.set("shape", dimsToVector(d));
    touch();
}

Dims FillLayer::getDimensions() const noexcept {
    return node().attrs.has("shape") ? toDims(node().attrs.getInts("shape")) : invalidDims();
}

void FillLayer::setOperation(FillOperation op) noexcept {
    const int i = int(op);
    if (i < 0 || i > 2) {
        logError(net().logger(), "IFillLayer::setOperation: invalid operation for layer '" + node().name + "'");
        return;
    }
    node().attrs.set("op", kOpNames[i]);
    touch();
}

FillOperation FillLayer::getOperation() const noexcept {
    const std::string op = node().attrs.getString("op", "linspace");
    for (int i = 0; i < 3; ++i)
        if (op == kOpNames[i]) return FillOperation(i);
    return FillOperation::kLINSPACE;
}

double FillLayer::getBeta() const noexcept {
    const auto b = node().attrs.getFloats("beta");
    return b.empty() ? 0.0 : b[0];
}

void FillLayer::setToType(DataType t) noexcept {
    if (!validDataType(t)) {
        logError(net().logger(), "IFillLayer::setToType: invalid type for layer '" + node().name + "'");
        return;
    }
    node().attrs.set("dtype", int64_t(t));
    touch();
}

}  // namespace kiln::api
