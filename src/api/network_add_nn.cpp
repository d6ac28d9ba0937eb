// INetworkDefinition::add* for the Scatter, Cumulative, OneHot,
// ReverseSequence, Einsum and Determinant layers (explicit-batch networks only, as in
// TensorRT).
#include "layers/nn_layers.h"
#include "network_impl.h"

namespace kiln::api {

namespace {

bool explicitOnly(const NetworkImpl& net, const char* call) {
    if (!net.hasImplicitBatchDimension()) return true;
    logError(net.logger(), std::string("INetworkDefinition::") + call + ": needs an explicit-batch network");
    return false;
}

}  // namespace

IScatterLayer* NetworkImpl::addScatter(ITensor& data, ITensor& indices, ITensor& updates, ScatterMode mode) noexcept {
    if (!explicitOnly(*this, "addScatter") || !checkInput(&data, "addScatter", 0) ||
        !checkInput(&indices, "addScatter", 1) || !checkInput(&updates, "addScatter", 2))
        return nullptr;
    const int n = newNode("Scatter", "Scatter", {valueOf(data), valueOf(indices), valueOf(updates)}, 1);
    auto* l = adopt(std::make_unique<ScatterLayer>(*this, n));
    l->setMode(mode);
    return l;
}

ICumulativeLayer* NetworkImpl::addCumulative(ITensor& input, ITensor& axis, CumulativeOperation op, bool exclusive,
                                             bool reverse) noexcept {
    if (!explicitOnly(*this, "addCumulative") || !checkInput(&input, "addCumulative", 0) ||
        !checkInput(&axis, "addCumulative", 1))
        return nullptr;
    if (op != CumulativeOperation::kSUM && op != CumulativeOperation::kPROD) {
        logError(logger_, "INetworkDefinition::addCumulative: invalid operation");
        return nullptr;
    }
    const int n = newNode("Cumulative", "Cumulative", {valueOf(input), valueOf(axis)}, 1);
    auto* l = adopt(std::make_unique<CumulativeLayer>(*this, n));
    l->setOperation(op);
    l->setExclusive(exclusive);
    l->setReverse(reverse);
    return l;
}

IOneHotLayer* NetworkImpl::addOneHot(ITensor& indices, ITensor& values, ITensor& depth, int32_t axis) noexcept {
    if (!explicitOnly(*this, "addOneHot") || !checkInput(&indices, "addOneHot", 0) ||
        !checkInput(&values, "addOneHot", 1) || !checkInput(&depth, "addOneHot", 2))
        return nullptr;
    const int n = newNode("OneHot", "OneHot", {valueOf(indices), valueOf(values), valueOf(depth)}, 1);
    auto* l = adopt(std::make_unique<OneHotLayer>(*this, n));
    l->setAxis(axis);
    return l;
}

IReverseSequenceLayer* NetworkImpl::addReverseSequence(ITensor& input, ITensor& lens) noexcept {
    if (!explicitOnly(*this, "addReverseSequence") || !checkInput(&input, "addReverseSequence", 0) ||
        !checkInput(&lens, "addReverseSequence", 1))
        return nullptr;
    const int n = newNode("ReverseSequence", "ReverseSequence", {valueOf(input), valueOf(lens)}, 1);
    auto* l = adopt(std::make_unique<ReverseSequenceLayer>(*this, n));
    l->setBatchAxis(1);
    l->setSequenceAxis(0);
    return l;
}

IEinsumLayer* NetworkImpl::addEinsum(ITensor* const* inputs, int32_t nb, const char* equation) noexcept {
    if (!explicitOnly(*this, "addEinsum")) return nullptr;
    if (!inputs || nb <= 0 || !equation) {
        logError(logger_, "INetworkDefinition::addEinsum: needs at least one input and an equation");
        return nullptr;
    }
    std::vector<int> ins;
    for (int i = 0; i < nb; ++i) {
        if (!checkInput(inputs[i], "addEinsum", i)) return nullptr;
        ins.push_back(valueOf(*inputs[i]));
    }
    const int n = newNode("Einsum", "Einsum", ins, 1);
    auto* l = adopt(std::make_unique<EinsumLayer>(*this, n, nb));
    l->setEquation(equation);
    return l;
}

IDeterminantLayer* NetworkImpl::addDeterminant(ITensor& input) noexcept {
    if (!explicitOnly(*this, "addDeterminant") || !checkInput(&input, "addDeterminant", 0)) return nullptr;
    const int n = newNode("Det", "Determinant", {valueOf(input)}, 1);
    return adopt(std::make_unique<DeterminantLayer>(*this, n));
}

}  // namespace kiln::api
