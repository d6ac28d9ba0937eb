#include "nn_layers.h"

namespace kiln::api {

void ScatterLayer::setMode(ScatterMode mode) noexcept {
    node().attrs.set("mode", mode == ScatterMode::kND ? "nd" : "elements");
    touch();
}

ScatterMode ScatterLayer::getMode() const noexcept {
    return node().attrs.getString("mode", "elements") == "nd" ? ScatterMode::kND : ScatterMode::kELEMENT;
}

void ScatterLayer::setReduction(ScatterReduction r) noexcept {
    const char* name = "none";
    switch (r) {
        case ScatterReduction::kNONE:
            name = "none";
            break;
        case ScatterReduction::kSUM:
            name = "add";
            break;
        case ScatterReduction::kPROD:
            name = "mul";
            break;
        case ScatterReduction::kMAX:
            name = "max";
            break;
        case ScatterReduction::kMIN:
            name = "min";
            break;
        default:
            logError(net().logger(), "IScatterLayer::setReduction: invalid reduction for layer '" + node().name + "'");
            return;
    }
    node().attrs.set("reduction", name);
    touch();
}

ScatterReduction ScatterLayer::getReduction() const noexcept {
    const std::string r = node().attrs.getString("reduction", "none");
    if (r == "add") return ScatterReduction::kSUM;
    if (r == "mul") return ScatterReduction::kPROD;
    if (r == "max") return ScatterReduction::kMAX;
    if (r == "min") return ScatterReduction::kMIN;
    return ScatterReduction::kNONE;
}

bool CumulativeLayer::setOperation(CumulativeOperation op) noexcept {
    if (op != CumulativeOperation::kSUM && op != CumulativeOperation::kPROD) {
        logError(net().logger(), "ICumulativeLayer::setOperation: invalid operation for layer '" + node().name + "'");
        return false;
    }
    node().attrs.set("op", op == CumulativeOperation::kPROD ? "prod" : "sum");
    return true;
}

bool EinsumLayer::setEquation(const char* equation) noexcept {
    if (!equation) {
        logError(net().logger(), "IEinsumLayer::setEquation: null equation for layer '" + node().name + "'");
        return false;
    }
    node().attrs.set("equation", equation);
    touch();
    return true;
}

const char* EinsumLayer::getEquation() const noexcept {
    equation_ = node().attrs.getString("equation");
    return equation_.c_str();
}

}  // namespace kiln::api
