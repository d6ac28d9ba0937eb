// The network definition: an IR graph in explicit-batch form, built in place
// by the add* calls. Layer objects own their IR node (or, for constants, their
// IR value). In an implicit-batch network (createNetwork()) the graph carries
// a leading batch dimension (-1 until the build) that the API hides: dims and
// axes are translated at the boundary (batchOffset() == 1).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "convert.h"
#include "ir/graph.h"
#include "kiln/network.h"
#include "logging.h"

namespace kiln::api {

class NetworkImpl;
class LoopImpl;
class IfConditionalImpl;

class TensorImpl final : public ITensor {
public:
    TensorImpl(NetworkImpl& net, int value) : net_(net), value_(value) {}
    int valueId() const { return value_; }
    const NetworkImpl& network() const { return net_; }

    void setName(const char* name) noexcept override;
    const char* getName() const noexcept override;
    void setDimensions(const Dims& dims) noexcept override;
    Dims getDimensions() const noexcept override;
    void setType(DataType type) noexcept override;
    DataType getType() const noexcept override;
    bool setDynamicRange(float min, float max) noexcept override;
    bool dynamicRangeIsSet() const noexcept override;
    float getDynamicRangeMin() const noexcept override;
    float getDynamicRangeMax() const noexcept override;
    bool isNetworkInput() const noexcept override;
    bool isNetworkOutput() const noexcept override;

private:
    NetworkImpl& net_;
    int value_;
};

// State and behaviour shared by every layer, independent of its interface.
class LayerCore {
public:
    LayerCore(NetworkImpl& net, LayerType type, int node, int visibleInputs)
        : net_(net), type_(type), node_(node), visibleInputs_(visibleInputs) {}
    virtual ~LayerCore() = default;

    NetworkImpl& net() const { return net_; }
    LayerType layerType() const { return type_; }
    int nodeIndex() const { return node_; }
    ir::Node& node() const;
    // Sets derived attributes and weight shapes before shape inference (for
    // example a convolution's kernel shape depends on the input channels).
    virtual Status finalize() { return Status::Ok(); }
    virtual ILayer* asLayer() = 0;
    // Marks this layer's shapes stale after a parameter change.
    void touch();
    int index() const { return index_; }

    // Requested output types (setOutputType), applied by the builder.
    std::vector<int> outputTypes;

protected:
    NetworkImpl& net_;
    LayerType type_;
    int node_;           // IR node index; -1 for constant layers
    int visibleInputs_;  // tensor inputs the user sees (weights are hidden)
    int index_ = 0;      // position in the network's layer list
    friend class NetworkImpl;
    template <class I>
    friend class LayerBase;
};

// Implements ILayer's common methods for a layer interface I.
template <class I>
class LayerBase : public I, public LayerCore {
public:
    LayerBase(NetworkImpl& net, LayerType type, int node, int visibleInputs)
        : LayerCore(net, type, node, visibleInputs) {}
    ILayer* asLayer() override { return this; }

    LayerType getType() const noexcept override { return type_; }
    void setName(const char* name) noexcept override;
    const char* getName() const noexcept override { return node().name.c_str(); }
    int32_t getNbInputs() const noexcept override;
    ITensor* getInput(int32_t index) const noexcept override;
    int32_t getNbOutputs() const noexcept override { return int32_t(node().outputs.size()); }
    ITensor* getOutput(int32_t index) const noexcept override;
    void setInput(int32_t index, ITensor& tensor) noexcept override;
    void setPrecision(DataType type) noexcept override { node().precision = int(type); }
    DataType getPrecision() const noexcept override {
        return node().precision < 0 ? DataType::kFLOAT : DataType(node().precision);
    }
    bool precisionIsSet() const noexcept override { return node().precision >= 0; }
    void resetPrecision() noexcept override { node().precision = -1; }
    void setOutputType(int32_t index, DataType type) noexcept override;
    DataType getOutputType(int32_t index) const noexcept override;
    bool outputTypeIsSet(int32_t index) const noexcept override;
    void resetOutputType(int32_t index) noexcept override;
};

class NetworkImpl final : public INetworkDefinition {
public:
    NetworkImpl(ILogger* logger, bool implicitBatch);
    ~NetworkImpl() override;

    // ---- INetworkDefinition ----
    ITensor* addInput(const char* name, DataType type, const Dims& dims) noexcept override;
    void markOutput(ITensor& tensor) noexcept override;
    void unmarkOutput(ITensor& tensor) noexcept override;
    IConvolutionLayer* addConvolution(ITensor& input, int32_t nbOutputMaps, DimsHW kernelSize, Weights kernelWeights,
                                      Weights biasWeights) noexcept override;
    IConvolutionLayer* addConvolutionNd(ITensor& input, int64_t nbOutputMaps, const Dims& kernelSize,
                                        Weights kernelWeights, Weights biasWeights) noexcept override;
    IDeconvolutionLayer* addDeconvolution(ITensor& input, int32_t nbOutputMaps, DimsHW kernelSize,
                                          Weights kernelWeights, Weights biasWeights) noexcept override;
    IDeconvolutionLayer* addDeconvolutionNd(ITensor& input, int64_t nbOutputMaps, const Dims& kernelSize,
                                            Weights kernelWeights, Weights biasWeights) noexcept override;
    IFullyConnectedLayer* addFullyConnected(ITensor& input, int32_t nbOutputs, Weights kernelWeights,
                                            Weights biasWeights) noexcept override;
    IActivationLayer* addActivation(ITensor& input, ActivationType type) noexcept override;
    IPoolingLayer* addPooling(ITensor& input, PoolingType type, DimsHW windowSize) noexcept override;
    IPoolingLayer* addPoolingNd(ITensor& input, PoolingType type, const Dims& windowSize) noexcept override;
    ILRNLayer* addLRN(ITensor& input, int64_t window, float alpha, float beta, float k) noexcept override;
    IScaleLayer* addScale(ITensor& input, ScaleMode mode, Weights shift, Weights scale,
                          Weights power) noexcept override;
    IScaleLayer* addScaleNd(ITensor& input, ScaleMode mode, Weights shift, Weights scale, Weights power,
                            int32_t channelAxis) noexcept override;
    ISoftMaxLayer* addSoftMax(ITensor& input) noexcept override;
    IConcatenationLayer* addConcatenation(ITensor* const* inputs, int32_t nbInputs) noexcept override;
    IElementWiseLayer* addElementWise(ITensor& input1, ITensor& input2, ElementWiseOperation op) noexcept override;
    IUnaryLayer* addUnary(ITensor& input, UnaryOperation operation) noexcept override;
    IPaddingLayer* addPaddingNd(ITensor& input, const Dims& prePadding, const Dims& postPadding) noexcept override;
    IShuffleLayer* addShuffle(ITensor& input) noexcept override;
    IReduceLayer* addReduce(ITensor& input, ReduceOperation operation, uint32_t reduceAxes,
                            bool keepDimensions) noexcept override;
    ITopKLayer* addTopK(ITensor& input, TopKOperation op, int32_t k, uint32_t reduceAxes) noexcept override;
    IGatherLayer* addGather(ITensor& data, ITensor& indices, int32_t axis) noexcept override;
    IGatherLayer* addGatherV2(ITensor& data, ITensor& indices, GatherMode mode) noexcept override;
    IMatrixMultiplyLayer* addMatrixMultiply(ITensor& input0, MatrixOperation op0, ITensor& input1,
                                            MatrixOperation op1) noexcept override;
    IConstantLayer* addConstant(const Dims& dimensions, Weights weights) noexcept override;
    IIdentityLayer* addIdentity(ITensor& input) noexcept override;
    ICastLayer* addCast(ITensor& input, DataType toType) noexcept override;
    ISliceLayer* addSlice(ITensor& input, const Dims& start, const Dims& size, const Dims& stride) noexcept override;
    IShapeLayer* addShape(ITensor& input) noexcept override;
    IParametricReLULayer* addParametricReLU(ITensor& input, ITensor& slope) noexcept override;
    IResizeLayer* addResize(ITensor& input) noexcept override;
    ISelectLayer* addSelect(ITensor& condition, ITensor& thenInput, ITensor& elseInput) noexcept override;
    INormalizationLayer* addNormalization(ITensor& input, ITensor& scale, ITensor& bias,
                                          uint32_t axesMask) noexcept override;
    IFillLayer* addFill(const Dims& dimensions, FillOperation op, DataType outputType) noexcept override;
    INonZeroLayer* addNonZero(ITensor& input) noexcept override;
    INMSLayer* addNMS(ITensor& boxes, ITensor& scores, ITensor& maxOutputBoxesPerClass) noexcept override;
    IUniqueLayer* addUnique(ITensor& input) noexcept override;
    ILoop* addLoop() noexcept override;
    IIfConditional* addIfConditional() noexcept override;
    IQuantizeLayer* addQuantize(ITensor& input, ITensor& scale, DataType outputType) noexcept override;
    IDequantizeLayer* addDequantize(ITensor& input, ITensor& scale, DataType outputType) noexcept override;
    IBitCastLayer* addBitCast(ITensor& input, DataType toType) noexcept override;
    IScatterLayer* addScatter(ITensor& data, ITensor& indices, ITensor& updates, ScatterMode mode) noexcept override;
    ICumulativeLayer* addCumulative(ITensor& input, ITensor& axis, CumulativeOperation operation, bool exclusive,
                                    bool reverse) noexcept override;
    IOneHotLayer* addOneHot(ITensor& indices, ITensor& values, ITensor& depth, int32_t axis) noexcept override;
    IReverseSequenceLayer* addReverseSequence(ITensor& input, ITensor& sequenceLens) noexcept override;
    IEinsumLayer* addEinsum(ITensor* const* inputs, int32_t nbInputs, const char* equation) noexcept override;
    IDeterminantLayer* addDeterminant(ITensor& input) noexcept override;
    IGridSampleLayer* addGridSample(ITensor& input, ITensor& grid) noexcept override;
    IRNNLayer* addRNN(ITensor& input, RNNOperation op, int32_t hiddenSize, ITensor& weights,
                      ITensor& recurrentWeights) noexcept override;
    IDFTLayer* addDFT(ITensor& input, int32_t axis) noexcept override;
    ISTFTLayer* addSTFT(ITensor& signal, ITensor& frameStep) noexcept override;
    IWindowLayer* addWindow(ITensor& size, WindowType type) noexcept override;
    IMelWeightMatrixLayer* addMelWeightMatrix(ITensor& numMelBins, ITensor& dftLength, ITensor& sampleRate,
                                              ITensor& lowerEdgeHertz, ITensor& upperEdgeHertz) noexcept override;
    IRoiAlignLayer* addRoiAlign(ITensor& input, ITensor& rois, ITensor& batchIndices) noexcept override;
    ICol2ImLayer* addCol2Im(ITensor& input, const Dims& imageShape, const Dims& blockShape) noexcept override;
    IMaxUnpoolLayer* addMaxUnpool(ITensor& input, ITensor& indices, const Dims& windowSize) noexcept override;
    IAffineGridLayer* addAffineGrid(ITensor& theta, ITensor& size) noexcept override;
    IDeformConvolutionLayer* addDeformConvolution(ITensor& input, ITensor& weights, ITensor& offsets) noexcept override;
    ITfIdfVectorizerLayer* addTfIdfVectorizer(ITensor& input) noexcept override;
    IImageDecoderLayer* addImageDecoder(ITensor& encoded) noexcept override;
    ITreeEnsembleLayer* addTreeEnsemble(ITensor& input, int32_t nbTargets) noexcept override;
    IPluginV2Layer* addPluginV2(ITensor* const* inputs, int32_t nbInputs, IPluginV2& plugin) noexcept override;  // layers/plugin_layer.cpp
    int32_t getNbLayers() const noexcept override { return int32_t(layers_.size()); }
    ILayer* getLayer(int32_t index) const noexcept override;
    int32_t getNbInputs() const noexcept override { return int32_t(graph_.inputs.size()); }
    ITensor* getInput(int32_t index) const noexcept override;
    int32_t getNbOutputs() const noexcept override { return int32_t(graph_.outputs.size()); }
    ITensor* getOutput(int32_t index) const noexcept override;
    bool hasImplicitBatchDimension() const noexcept override { return implicitBatch_; }
    void setName(const char* name) noexcept override { name_ = name ? name : ""; }
    const char* getName() const noexcept override { return name_.c_str(); }

    // ---- for layers, tensors and the builder ----
    ir::Graph& graph() { return graph_; }
    const ir::Graph& graph() const { return graph_; }
    ILogger* logger() const { return logger_; }
    int batchOffset() const { return implicitBatch_ ? 1 : 0; }
    TensorImpl* tensor(int value) const;  // the ITensor of a value id
    // True if `t` belongs to this network; logs an error naming `what` if not.
    bool owns(const ITensor* t, const char* what) const;
    int valueOf(const ITensor& t) const { return static_cast<const TensorImpl&>(t).valueId(); }
    // Adds a constant value from user weights (copied); -1 after logging on error.
    int addWeights(const std::string& name, const Weights& w, ir::Shape shape, const char* layerWhat);
    // Adds an empty optional input slot (-1) or the weights when count > 0.
    int addOptionalWeights(const std::string& name, const Weights& w, const char* layerWhat);
    // Re-runs shape inference for the layers from `layer` on.
    void invalidateFrom(int layer) {
        if (layer >= 0 && layer < int(posOf_.size())) inferredUpTo_ = std::min(inferredUpTo_, posOf_[size_t(layer)]);
    }
    void invalidateAll() { inferredUpTo_ = 0; }
    // A layer input was rewired: it may now read a layer added after it.
    void inputsRewired() {
        orderDirty_ = true;
        invalidateAll();
    }
    // Infers shapes of every layer up to and including the one producing
    // `value` (all layers when -1). Errors are logged once per change.
    Status inferShapes(int value = -1);
    // Layer index of the node producing `value`, -1 for inputs/constants.
    int layerOfNode(int node) const;
    const std::vector<std::unique_ptr<LayerCore>>& layers() const { return layers_; }
    std::string defaultLayerName(const char* kind) const;

private:
    friend class LoopImpl;  // they add their boundary layers
    friend class IfConditionalImpl;
    // Creates the IR node of a new layer named after `kind`; returns its index.
    int newNode(const char* op, const char* kind, std::vector<int> ins, int numOutputs);
    // Registers a layer object; returns it.
    template <class L>
    L* adopt(std::unique_ptr<L> layer) {
        layer->index_ = int(layers_.size());
        if (layer->nodeIndex() >= 0) {
            if (nodeLayer_.size() <= size_t(layer->nodeIndex())) nodeLayer_.resize(size_t(layer->nodeIndex()) + 1, -1);
            nodeLayer_[size_t(layer->nodeIndex())] = layer->index_;
        }
        L* raw = layer.get();
        posOf_.push_back(int(order_.size()));
        order_.push_back(raw->index_);
        layers_.push_back(std::move(layer));
        return raw;
    }
    // Checks a tensor argument of an add* call.
    bool checkInput(const ITensor* t, const char* call, int index);

    ILogger* logger_;
    bool implicitBatch_;
    std::string name_;
    ir::Graph graph_;
    std::vector<std::unique_ptr<LayerCore>> layers_;
    std::vector<std::unique_ptr<LoopImpl>> loops_;
    std::vector<std::unique_ptr<IfConditionalImpl>> conditionals_;
    mutable std::vector<std::unique_ptr<TensorImpl>> tensors_;  // by value id, created on demand
    std::vector<int> nodeLayer_;  // node index -> layer index
    // Shape inference runs in dependency order: order_ lists layer indices
    // (insertion order until setInput rewires a layer to a later one) and
    // posOf_ is its inverse. Layers order_[0, inferredUpTo_) have current shapes.
    Status sortLayers();
    std::vector<int> order_, posOf_;
    bool orderDirty_ = false;
    int inferredUpTo_ = 0;
    std::string lastInferError_;
};

}  // namespace kiln::api

// ---- LayerBase methods (templates, so defined here) ----
namespace kiln::api {

template <class I>
void LayerBase<I>::setName(const char* name) noexcept {
    if (!name) {
        logError(net_.logger(), "ILayer::setName: null name for layer '" + node().name + "'");
        return;
    }
    node().name = name;
}

template <class I>
int32_t LayerBase<I>::getNbInputs() const noexcept {
    return visibleInputs_;
}

template <class I>
ITensor* LayerBase<I>::getInput(int32_t index) const noexcept {
    // Weights slots past the visible inputs are not layer inputs (as in TensorRT).
    if (node_ < 0 || index < 0 || index >= visibleInputs_ || index >= int32_t(node().inputs.size())) return nullptr;
    const int v = node().inputs[index];
    return v < 0 ? nullptr : net_.tensor(v);
}

template <class I>
ITensor* LayerBase<I>::getOutput(int32_t index) const noexcept {
    if (node_ < 0 || index < 0 || index >= int32_t(node().outputs.size())) return nullptr;
    return net_.tensor(node().outputs[index]);
}

template <class I>
void LayerBase<I>::setInput(int32_t index, ITensor& tensor) noexcept {
    if (!net_.owns(&tensor, "ILayer::setInput")) return;
    if (index < 0 || index > 8) {
        logError(net_.logger(), "ILayer::setInput: input index " + std::to_string(index) + " is out of range for layer '" +
                                    node().name + "'");
        return;
    }
    auto& ins = node().inputs;
    if (size_t(index) >= ins.size()) ins.resize(size_t(index) + 1, -1);
    ins[index] = net_.valueOf(tensor);
    if (index >= visibleInputs_) visibleInputs_ = index + 1;
    net_.inputsRewired();
}

template <class I>
void LayerBase<I>::setOutputType(int32_t index, DataType type) noexcept {
    if (index < 0 || index >= getNbOutputs()) {
        logError(net_.logger(), "ILayer::setOutputType: output index " + std::to_string(index) +
                                    " is out of range for layer '" + std::string(getName()) + "'");
        return;
    }
    if (outputTypes.size() <= size_t(index)) outputTypes.resize(size_t(index) + 1, -1);
    outputTypes[index] = int(type);
}

template <class I>
DataType LayerBase<I>::getOutputType(int32_t index) const noexcept {
    if (outputTypeIsSet(index)) return DataType(outputTypes[index]);
    ITensor* t = getOutput(index);
    return t ? t->getType() : DataType::kFLOAT;
}

template <class I>
bool LayerBase<I>::outputTypeIsSet(int32_t index) const noexcept {
    return index >= 0 && size_t(index) < outputTypes.size() && outputTypes[index] >= 0;
}

template <class I>
void LayerBase<I>::resetOutputType(int32_t index) noexcept {
    if (outputTypeIsSet(index)) outputTypes[index] = -1;
}

}  // namespace kiln::api
