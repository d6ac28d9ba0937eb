#include "network_impl.h"

#include "ir/control_flow.h"
#include "layers/control_flow_layers.h"

#include <algorithm>
#include <cmath>

#include "ir/op_schema.h"

namespace kiln::api {

// ---- LayerCore ----

ir::Node& LayerCore::node() const { return net_.graph().nodes[size_t(node_)]; }
void LayerCore::touch() { net_.invalidateFrom(index_); }

// ---- TensorImpl ----

void TensorImpl::setName(const char* name) noexcept {
    if (!name || !*name) {
        logError(net_.logger(), "ITensor::setName: empty or null name for tensor '" + net_.graph().values[value_].name + "'");
        return;
    }
    net_.graph().values[value_].name = name;
}

const char* TensorImpl::getName() const noexcept { return net_.graph().values[value_].name.c_str(); }

void TensorImpl::setDimensions(const Dims& dims) noexcept {
    auto& v = net_.graph().values[value_];
    if (!isNetworkInput()) {
        logError(net_.logger(), "ITensor::setDimensions: '" + v.name + "' is not a network input");
        return;
    }
    if (!dimsValid(dims) || dims.nbDims + net_.batchOffset() > Dims::MAX_DIMS) {
        logError(net_.logger(), "ITensor::setDimensions: invalid rank " + std::to_string(dims.nbDims) + " for '" + v.name + "'");
        return;
    }
    ir::Shape s = toShape(dims);
    if (net_.hasImplicitBatchDimension()) s.insert(s.begin(), -1);
    v.shape = s;
    net_.invalidateAll();
}

Dims TensorImpl::getDimensions() const noexcept {
    if (!net_.inferShapes(value_).ok()) return invalidDims();
    ir::Shape s = net_.graph().values[value_].shape;
    if (net_.hasImplicitBatchDimension() && !s.empty()) s.erase(s.begin());
    return toDims(s);
}

void TensorImpl::setType(DataType type) noexcept {
    auto& v = net_.graph().values[value_];
    if (!validDataType(type)) {
        logError(net_.logger(), "ITensor::setType: invalid data type for '" + v.name + "'");
        return;
    }
    if (isNetworkInput()) {
        v.dtype = toIR(type);
        net_.invalidateAll();
        return;
    }
    const int layer = v.producer >= 0 ? net_.layerOfNode(v.producer) : -1;
    if (layer < 0) {
        logError(net_.logger(), "ITensor::setType: '" + v.name + "' is neither an input nor a layer output");
        return;
    }
    const auto& outs = net_.graph().nodes[v.producer].outputs;
    const int idx = int(std::find(outs.begin(), outs.end(), value_) - outs.begin());
    net_.layers()[layer]->asLayer()->setOutputType(idx, type);
}

DataType TensorImpl::getType() const noexcept {
    const auto& v = net_.graph().values[value_];
    if (v.producer >= 0) {
        const int layer = net_.layerOfNode(v.producer);
        const auto& outs = net_.graph().nodes[v.producer].outputs;
        const int idx = int(std::find(outs.begin(), outs.end(), value_) - outs.begin());
        if (layer >= 0 && net_.layers()[layer]->asLayer()->outputTypeIsSet(idx))
            return net_.layers()[layer]->asLayer()->getOutputType(idx);
        (void)net_.inferShapes(value_);
    }
    return fromIR(net_.graph().values[value_].dtype);
}

bool TensorImpl::setDynamicRange(float min, float max) noexcept {
    auto& v = net_.graph().values[value_];
    if (!std::isfinite(min) || !std::isfinite(max) || min > max) {
        logError(net_.logger(), "ITensor::setDynamicRange: invalid range [" + std::to_string(min) + ", " +
                                    std::to_string(max) + "] for '" + v.name + "'");
        return false;
    }
    v.hasRange = true;
    v.rangeMin = min;
    v.rangeMax = max;
    return true;
}

bool TensorImpl::dynamicRangeIsSet() const noexcept { return net_.graph().values[value_].hasRange; }
float TensorImpl::getDynamicRangeMin() const noexcept { return net_.graph().values[value_].rangeMin; }
float TensorImpl::getDynamicRangeMax() const noexcept { return net_.graph().values[value_].rangeMax; }

bool TensorImpl::isNetworkInput() const noexcept {
    const auto& in = net_.graph().inputs;
    return std::find(in.begin(), in.end(), value_) != in.end();
}

bool TensorImpl::isNetworkOutput() const noexcept { return net_.graph().isGraphOutput(value_); }

// ---- NetworkImpl: bookkeeping ----

NetworkImpl::NetworkImpl(ILogger* logger, bool implicitBatch) : logger_(logger), implicitBatch_(implicitBatch) {}
NetworkImpl::~NetworkImpl() = default;

TensorImpl* NetworkImpl::tensor(int value) const {
    if (value < 0 || value >= int(graph_.values.size())) return nullptr;
    if (tensors_.size() < graph_.values.size()) tensors_.resize(graph_.values.size());
    auto& t = tensors_[size_t(value)];
    if (!t) t = std::make_unique<TensorImpl>(const_cast<NetworkImpl&>(*this), value);
    return t.get();
}

bool NetworkImpl::owns(const ITensor* t, const char* what) const {
    if (!t) {
        logError(logger_, std::string(what) + ": null tensor");
        return false;
    }
    // O(1): parsers add thousands of layers, each checking its inputs.
    const auto* impl = dynamic_cast<const TensorImpl*>(t);
    if (impl && &impl->network() == this) return true;
    logError(logger_, std::string(what) + ": tensor does not belong to this network");
    return false;
}

int NetworkImpl::layerOfNode(int node) const {
    return node >= 0 && node < int(nodeLayer_.size()) ? nodeLayer_[size_t(node)] : -1;
}

std::string NetworkImpl::defaultLayerName(const char* kind) const {
    return "(Unnamed Layer* " + std::to_string(layers_.size()) + ") [" + kind + "]";
}

int NetworkImpl::addWeights(const std::string& name, const Weights& w, ir::Shape shape, const char* layerWhat) {
    std::string err;
    ir::ConstData data = copyWeights(w, err);
    if (!data) {
        logError(logger_, std::string(layerWhat) + ": " + name + ": " + err);
        return -1;
    }
    if (shape.empty()) shape = {w.count};
    return graph_.addConstant(graph_.uniqueName(name), toIR(w.type), std::move(shape), std::move(data));
}

int NetworkImpl::addOptionalWeights(const std::string& name, const Weights& w, const char* layerWhat) {
    if (w.count == 0) return -1;
    const int v = addWeights(name, w, {}, layerWhat);
    return v < 0 ? -2 : v;  // -2: invalid weights (already logged)
}

ILayer* NetworkImpl::getLayer(int32_t index) const noexcept {
    if (index < 0 || index >= int32_t(layers_.size())) {
        logError(logger_, "INetworkDefinition::getLayer: index " + std::to_string(index) + " out of range");
        return nullptr;
    }
    return layers_[size_t(index)]->asLayer();
}

ITensor* NetworkImpl::getInput(int32_t index) const noexcept {
    if (index < 0 || index >= int32_t(graph_.inputs.size())) return nullptr;
    return tensor(graph_.inputs[size_t(index)]);
}

ITensor* NetworkImpl::getOutput(int32_t index) const noexcept {
    if (index < 0 || index >= int32_t(graph_.outputs.size())) return nullptr;
    return tensor(graph_.outputs[size_t(index)]);
}

ITensor* NetworkImpl::addInput(const char* name, DataType type, const Dims& dims) noexcept {
    if (!name || !*name) {
        logError(logger_, "INetworkDefinition::addInput: an input needs a non-empty name");
        return nullptr;
    }
    if (!validDataType(type)) {
        logError(logger_, std::string("INetworkDefinition::addInput: invalid data type for input '") + name + "'");
        return nullptr;
    }
    if (!dimsValid(dims) || dims.nbDims + batchOffset() > Dims::MAX_DIMS) {
        logError(logger_, std::string("INetworkDefinition::addInput: invalid rank ") + std::to_string(dims.nbDims) +
                              " for input '" + name + "'");
        return nullptr;
    }
    for (int i = 0; i < dims.nbDims; ++i) {
        if (dims.d[i] < -1) {
            logError(logger_, std::string("INetworkDefinition::addInput: dimension ") + std::to_string(i) + " of '" +
                                  name + "' is " + std::to_string(dims.d[i]) + " (must be >= 0, or -1 for dynamic)");
            return nullptr;
        }
    }
    for (int v : graph_.inputs) {
        if (graph_.values[v].name == name) {
            logError(logger_, std::string("INetworkDefinition::addInput: an input named '") + name + "' already exists");
            return nullptr;
        }
    }
    ir::Shape s = toShape(dims);
    if (implicitBatch_) s.insert(s.begin(), -1);
    const int v = graph_.addValue(name, toIR(type), s);
    graph_.inputs.push_back(v);
    return tensor(v);
}

void NetworkImpl::markOutput(ITensor& t) noexcept {
    if (!owns(&t, "INetworkDefinition::markOutput")) return;
    const int v = valueOf(t);
    if (graph_.isGraphOutput(v)) return;
    graph_.outputs.push_back(v);
}

void NetworkImpl::unmarkOutput(ITensor& t) noexcept {
    if (!owns(&t, "INetworkDefinition::unmarkOutput")) return;
    auto& o = graph_.outputs;
    o.erase(std::remove(o.begin(), o.end(), valueOf(t)), o.end());
}

Status NetworkImpl::sortLayers() {
    // Dependency order over layers; an acyclic network keeps insertion order where it can.
    const int n = int(layers_.size());
    std::vector<std::vector<int>> next(static_cast<size_t>(n));
    std::vector<int> indeg(static_cast<size_t>(n), 0);
    for (int li = 0; li < n; ++li) {
        if (layers_[size_t(li)]->nodeIndex() < 0) continue;
        const ir::Node& node = layers_[size_t(li)]->node();
        for (size_t k = 0; k < node.inputs.size(); ++k) {
            const int v = node.inputs[k];
            if (ir::isBackEdge(node, k)) continue;  // a recurrence's next value comes later
            const int p = v >= 0 ? graph_.values[size_t(v)].producer : -1;
            const int lp = p >= 0 ? layerOfNode(p) : -1;
            if (lp < 0) continue;
            next[size_t(lp)].push_back(li);
            ++indeg[size_t(li)];
        }
    }
    std::vector<int> order = ir::stableTopologicalOrder(next, indeg);
    if (int(order.size()) != n) {
        for (int li = 0; li < n; ++li)
            if (indeg[size_t(li)] > 0)
                return Status::Error("the network has a cycle through layer '" +
                                     std::string(layers_[size_t(li)]->asLayer()->getName()) + "'");
    }
    order_ = std::move(order);
    for (int pos = 0; pos < n; ++pos) posOf_[size_t(order_[size_t(pos)])] = pos;
    orderDirty_ = false;
    return Status::Ok();
}

Status NetworkImpl::inferShapes(int value) {
    if (orderDirty_) {
        Status st = sortLayers();
        if (!st.ok()) {
            if (st.message() != lastInferError_) logError(logger_, st.message());
            lastInferError_ = st.message();
            return st;
        }
    }
    const int stopPos = [&] {
        if (value < 0) return int(layers_.size()) - 1;
        const int p = graph_.values[size_t(value)].producer;
        const int layer = p < 0 ? -1 : layerOfNode(p);
        return layer < 0 ? -1 : posOf_[size_t(layer)];
    }();
    for (int pos = inferredUpTo_; pos <= stopPos; ++pos) {
        const int li = order_[size_t(pos)];
        LayerCore& layer = *layers_[size_t(li)];
        if (layer.nodeIndex() < 0) {
            inferredUpTo_ = pos + 1;
            continue;
        }
        Status st = layer.finalize();
        const ir::Node& n = layer.node();
        std::vector<ir::TensorDesc> out;
        if (st.ok()) {
            st = ir::inferNode(n, ir::describeInputs(graph_, n), out);
        } else {
            st = st.withContext("layer '" + n.name + "': ");
        }
        if (!st.ok()) {
            if (st.message() != lastInferError_) logError(logger_, st.message());
            lastInferError_ = st.message();
            return st;
        }
        for (size_t i = 0; i < n.outputs.size(); ++i) {
            auto& v = graph_.values[size_t(n.outputs[i])];
            v.dtype = out[i].dtype;
            v.shape = out[i].shape;
        }
        inferredUpTo_ = pos + 1;
    }
    return Status::Ok();
}

}  // namespace kiln::api
