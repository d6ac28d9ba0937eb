// The INetworkDefinition::add* factories: each checks its arguments, creates
// the IR node (weights become constant inputs) and the layer object.
#include <algorithm>
#include <cmath>

#include "layers/control_flow_layers.h"
#include "layers/convolution_layer.h"
#include "layers/data_dependent_layers.h"
#include "layers/fill_layer.h"
#include "layers/pooling_layer.h"
#include "layers/simple_layers.h"
#include "network_impl.h"

namespace kiln::api {

int NetworkImpl::newNode(const char* op, const char* kind, std::vector<int> ins, int numOutputs) {
    const std::string name = defaultLayerName(kind);
    std::vector<std::string> outNames;
    for (int i = 0; i < numOutputs; ++i) {
        std::string out = name + "_output";
        if (i) out.append(1, '_').append(std::to_string(i));
        outNames.push_back(std::move(out));
    }
    return graph_.addNode(op, name, std::move(ins), numOutputs, std::move(outNames));
}

bool NetworkImpl::checkInput(const ITensor* t, const char* call, int index) {
    std::string what = std::string("INetworkDefinition::") + call + " (input " + std::to_string(index) + ")";
    return owns(t, what.c_str());
}

namespace {
bool kernelDimsValid(const Dims& k, ILogger* log, const char* call) {
    if (k.nbDims < 1 || k.nbDims > 3) {
        logError(log, std::string("INetworkDefinition::") + call + ": kernel must have 1 to 3 spatial dimensions, got " +
                          std::to_string(k.nbDims));
        return false;
    }
    for (int i = 0; i < k.nbDims; ++i) {
        if (k.d[i] <= 0) {
            logError(log, std::string("INetworkDefinition::") + call + ": kernel dimension " + std::to_string(i) +
                              " is " + std::to_string(k.d[i]));
            return false;
        }
    }
    return true;
}
}  // namespace

IConvolutionLayer* NetworkImpl::addConvolutionNd(ITensor& input, int64_t maps, const Dims& kernel, Weights kw,
                                                 Weights bw) noexcept {
    if (!checkInput(&input, "addConvolution", 0) || !kernelDimsValid(kernel, logger_, "addConvolution")) return nullptr;
    if (maps <= 0) {
        logError(logger_, "INetworkDefinition::addConvolution: nbOutputMaps must be positive, got " + std::to_string(maps));
        return nullptr;
    }
    // Empty kernel weights: the kernel comes later as a tensor, setInput(1, kernel).
    const std::string base = defaultLayerName("Convolution");
    const int w = addOptionalWeights(base + "_kernel", kw, "addConvolution");
    const int b = addOptionalWeights(base + "_bias", bw, "addConvolution");
    if (w == -2 || b == -2) return nullptr;
    const int n = newNode("Convolution", "Convolution", {valueOf(input), w, b}, 1);
    return adopt(std::make_unique<ConvolutionLayer>(*this, LayerType::kCONVOLUTION, n, kernel, maps, false));
}

IConvolutionLayer* NetworkImpl::addConvolution(ITensor& input, int32_t maps, DimsHW k, Weights kw, Weights bw) noexcept {
    return addConvolutionNd(input, maps, k, kw, bw);
}

IDeconvolutionLayer* NetworkImpl::addDeconvolutionNd(ITensor& input, int64_t maps, const Dims& kernel, Weights kw,
                                                     Weights bw) noexcept {
    if (!checkInput(&input, "addDeconvolution", 0) || !kernelDimsValid(kernel, logger_, "addDeconvolution"))
        return nullptr;
    if (maps <= 0) {
        logError(logger_,
                 "INetworkDefinition::addDeconvolution: nbOutputMaps must be positive, got " + std::to_string(maps));
        return nullptr;
    }
    // Empty kernel weights: the kernel comes later as a tensor, setInput(1, kernel).
    const std::string base = defaultLayerName("Deconvolution");
    const int w = addOptionalWeights(base + "_kernel", kw, "addDeconvolution");
    const int b = addOptionalWeights(base + "_bias", bw, "addDeconvolution");
    if (w == -2 || b == -2) return nullptr;
    const int n = newNode("Deconvolution", "Deconvolution", {valueOf(input), w, b}, 1);
    return adopt(std::make_unique<DeconvolutionLayer>(*this, LayerType::kDECONVOLUTION, n, kernel, maps, true));
}

IDeconvolutionLayer* NetworkImpl::addDeconvolution(ITensor& input, int32_t maps, DimsHW k, Weights kw,
                                                   Weights bw) noexcept {
    return addDeconvolutionNd(input, maps, k, kw, bw);
}

IFullyConnectedLayer* NetworkImpl::addFullyConnected(ITensor& input, int32_t k, Weights kw, Weights bw) noexcept {
    if (!checkInput(&input, "addFullyConnected", 0)) return nullptr;
    if (k <= 0 || kw.count == 0) {
        logError(logger_, "INetworkDefinition::addFullyConnected: needs positive nbOutputs and kernel weights");
        return nullptr;
    }
    const std::string base = defaultLayerName("FullyConnected");
    const int w = addWeights(base + "_kernel", kw, {}, "addFullyConnected");
    const int b = addOptionalWeights(base + "_bias", bw, "addFullyConnected");
    if (w < 0 || b == -2) return nullptr;
    const int n = newNode("FullyConnected", "FullyConnected", {valueOf(input), w, b}, 1);
    return adopt(std::make_unique<FullyConnectedLayer>(*this, n, k));
}

IActivationLayer* NetworkImpl::addActivation(ITensor& input, ActivationType type) noexcept {
    if (!checkInput(&input, "addActivation", 0)) return nullptr;
    const int n = newNode("Activation", "Activation", {valueOf(input)}, 1);
    auto* l = adopt(std::make_unique<ActivationLayer>(*this, n));
    l->setActivationType(type);
    return l;
}

IPoolingLayer* NetworkImpl::addPoolingNd(ITensor& input, PoolingType type, const Dims& window) noexcept {
    if (!checkInput(&input, "addPooling", 0) || !kernelDimsValid(window, logger_, "addPooling")) return nullptr;
    const int n = newNode("Pooling", "Pooling", {valueOf(input)}, 1);
    auto* l = adopt(std::make_unique<PoolingLayer>(*this, n));
    l->setPoolingType(type);
    l->setWindowSizeNd(window);
    return l;
}

IPoolingLayer* NetworkImpl::addPooling(ITensor& input, PoolingType type, DimsHW window) noexcept {
    return addPoolingNd(input, type, window);
}

ILRNLayer* NetworkImpl::addLRN(ITensor& input, int64_t window, float alpha, float beta, float k) noexcept {
    if (!checkInput(&input, "addLRN", 0)) return nullptr;
    const int n = newNode("LRN", "LRN", {valueOf(input)}, 1);
    auto* l = adopt(std::make_unique<LRNLayer>(*this, n));
    l->setWindowSize(window);
    l->setAlpha(alpha);
    l->setBeta(beta);
    l->setK(k);
    return l;
}

IScaleLayer* NetworkImpl::addScaleNd(ITensor& input, ScaleMode mode, Weights shift, Weights scale, Weights power,
                                     int32_t channelAxis) noexcept {
    if (!checkInput(&input, "addScale", 0)) return nullptr;
    const std::string base = defaultLayerName("Scale");
    const int s0 = addOptionalWeights(base + "_shift", shift, "addScale");
    const int s1 = addOptionalWeights(base + "_scale", scale, "addScale");
    const int s2 = addOptionalWeights(base + "_power", power, "addScale");
    if (s0 == -2 || s1 == -2 || s2 == -2) return nullptr;
    const int n = newNode("Scale", "Scale", {valueOf(input), s0, s1, s2}, 1);
    auto* l = adopt(std::make_unique<ScaleLayer>(*this, n));
    l->setMode(mode);
    l->setChannelAxis(channelAxis);
    return l;
}

IScaleLayer* NetworkImpl::addScale(ITensor& input, ScaleMode mode, Weights shift, Weights scale,
                                   Weights power) noexcept {
    // The classic layer's channel axis is the first non-batch dimension.
    return addScaleNd(input, mode, shift, scale, power, implicitBatch_ ? 0 : 1);
}

ISoftMaxLayer* NetworkImpl::addSoftMax(ITensor& input) noexcept {
    if (!checkInput(&input, "addSoftMax", 0)) return nullptr;
    const int n = newNode("Softmax", "SoftMax", {valueOf(input)}, 1);
    auto* l = adopt(std::make_unique<SoftMaxLayer>(*this, n));
    // TensorRT's default: the channel axis (third from the end) when there are
    // at least three non-batch dimensions, otherwise the last one.
    (void)inferShapes(valueOf(input));  // the default depends on the rank
    const int rank = int(graph_.values[size_t(valueOf(input))].shape.size());
    l->node().attrs.set("axis", int64_t(rank - 1 >= 3 ? rank - 3 : std::max(rank - 1, 0)));
    return l;
}

IConcatenationLayer* NetworkImpl::addConcatenation(ITensor* const* inputs, int32_t nb) noexcept {
    if (!inputs || nb <= 0) {
        logError(logger_, "INetworkDefinition::addConcatenation: needs at least one input");
        return nullptr;
    }
    std::vector<int> ins;
    for (int i = 0; i < nb; ++i) {
        if (!checkInput(inputs[i], "addConcatenation", i)) return nullptr;
        ins.push_back(valueOf(*inputs[i]));
    }
    const int n = newNode("Concat", "Concatenation", ins, 1);
    auto* l = adopt(std::make_unique<ConcatenationLayer>(*this, n, nb));
    (void)inferShapes(ins[0]);  // the default axis depends on the rank
    const int rank = int(graph_.values[size_t(ins[0])].shape.size()) - batchOffset();
    l->setAxis(rank >= 3 ? rank - 3 : 0);
    return l;
}

IElementWiseLayer* NetworkImpl::addElementWise(ITensor& a, ITensor& b, ElementWiseOperation op) noexcept {
    if (!checkInput(&a, "addElementWise", 0) || !checkInput(&b, "addElementWise", 1)) return nullptr;
    const int n = newNode("ElementWise", "ElementWise", {valueOf(a), valueOf(b)}, 1);
    auto* l = adopt(std::make_unique<ElementWiseLayer>(*this, n));
    l->setOperation(op);
    return l;
}

IUnaryLayer* NetworkImpl::addUnary(ITensor& input, UnaryOperation op) noexcept {
    if (!checkInput(&input, "addUnary", 0)) return nullptr;
    const int n = newNode("Unary", "Unary", {valueOf(input)}, 1);
    auto* l = adopt(std::make_unique<UnaryLayer>(*this, n));
    l->setOperation(op);
    return l;
}

IPaddingLayer* NetworkImpl::addPaddingNd(ITensor& input, const Dims& pre, const Dims& post) noexcept {
    if (!checkInput(&input, "addPaddingNd", 0)) return nullptr;
    if (!dimsValid(pre) || !dimsValid(post) || pre.nbDims != post.nbDims) {
        logError(logger_, "INetworkDefinition::addPaddingNd: pre and post padding need the same valid rank");
        return nullptr;
    }
    const int n = newNode("Pad", "Padding", {valueOf(input)}, 1);
    auto* l = adopt(std::make_unique<PaddingLayer>(*this, n));
    l->setPrePaddingNd(pre);
    l->setPostPaddingNd(post);
    return l;
}

IShuffleLayer* NetworkImpl::addShuffle(ITensor& input) noexcept {
    if (!checkInput(&input, "addShuffle", 0)) return nullptr;
    const int n = newNode("Shuffle", "Shuffle", {valueOf(input)}, 1);
    return adopt(std::make_unique<ShuffleLayer>(*this, n));
}

IReduceLayer* NetworkImpl::addReduce(ITensor& input, ReduceOperation op, uint32_t axes, bool keep) noexcept {
    if (!checkInput(&input, "addReduce", 0)) return nullptr;
    const int n = newNode("Reduce", "Reduce", {valueOf(input)}, 1);
    auto* l = adopt(std::make_unique<ReduceLayer>(*this, n));
    l->setOperation(op);
    l->setReduceAxes(axes);
    l->setKeepDimensions(keep);
    return l;
}

ITopKLayer* NetworkImpl::addTopK(ITensor& input, TopKOperation op, int32_t k, uint32_t axes) noexcept {
    if (!checkInput(&input, "addTopK", 0)) return nullptr;
    const int n = newNode("TopK", "TopK", {valueOf(input)}, 2);
    auto* l = adopt(std::make_unique<TopKLayer>(*this, n));
    l->setOperation(op);
    l->setK(k);
    l->setReduceAxes(axes);
    // TensorRT's TopK returns int32 indices.
    l->node().attrs.set("index_dtype", int64_t(ir::DType::kI32));
    return l;
}

IGatherLayer* NetworkImpl::addGatherV2(ITensor& data, ITensor& indices, GatherMode mode) noexcept {
    if (!checkInput(&data, "addGather", 0) || !checkInput(&indices, "addGather", 1)) return nullptr;
    const int n = newNode("Gather", "Gather", {valueOf(data), valueOf(indices)}, 1);
    auto* l = adopt(std::make_unique<GatherLayer>(*this, n));
    l->setMode(mode);
    l->setGatherAxis(0);
    return l;
}

IGatherLayer* NetworkImpl::addGather(ITensor& data, ITensor& indices, int32_t axis) noexcept {
    IGatherLayer* l = addGatherV2(data, indices, GatherMode::kDEFAULT);
    if (l) l->setGatherAxis(axis);
    return l;
}

IMatrixMultiplyLayer* NetworkImpl::addMatrixMultiply(ITensor& a, MatrixOperation opA, ITensor& b,
                                                     MatrixOperation opB) noexcept {
    if (!checkInput(&a, "addMatrixMultiply", 0) || !checkInput(&b, "addMatrixMultiply", 1)) return nullptr;
    const int n = newNode("MatMul", "MatrixMultiply", {valueOf(a), valueOf(b)}, 1);
    auto* l = adopt(std::make_unique<MatrixMultiplyLayer>(*this, n));
    l->setOperation(0, opA);
    l->setOperation(1, opB);
    return l;
}

IConstantLayer* NetworkImpl::addConstant(const Dims& dims, Weights w) noexcept {
    if (!dimsValid(dims)) {
        logError(logger_, "INetworkDefinition::addConstant: invalid rank " + std::to_string(dims.nbDims));
        return nullptr;
    }
    ir::Shape s = toShape(dims);
    for (int64_t d : s) {
        if (d < 0) {
            logError(logger_, "INetworkDefinition::addConstant: negative dimension in " + ir::shapeToString(s));
            return nullptr;
        }
    }
    if (ir::volume(s) != w.count) {
        logError(logger_, "INetworkDefinition::addConstant: dimensions " + ir::shapeToString(s) + " hold " +
                              std::to_string(ir::volume(s)) + " values but the weights have " + std::to_string(w.count));
        return nullptr;
    }
    // In an implicit-batch network a constant broadcasts over the batch.
    if (implicitBatch_) s.insert(s.begin(), 1);
    const int v = addWeights(defaultLayerName("Constant") + "_output", w, s, "addConstant");
    if (v < 0) return nullptr;
    graph_.values[size_t(v)].shape = s;  // addWeights reads an empty shape as flat; a scalar stays rank 0
    const std::string layerName = defaultLayerName("Constant");
    auto* l = adopt(std::make_unique<ConstantLayer>(*this, v));
    l->setName(layerName.c_str());
    return l;
}

IIdentityLayer* NetworkImpl::addIdentity(ITensor& input) noexcept {
    if (!checkInput(&input, "addIdentity", 0)) return nullptr;
    const int n = newNode("Identity", "Identity", {valueOf(input)}, 1);
    return adopt(std::make_unique<IdentityLayer>(*this, n));
}

ICastLayer* NetworkImpl::addCast(ITensor& input, DataType to) noexcept {
    if (!checkInput(&input, "addCast", 0)) return nullptr;
    if (!validDataType(to)) {
        logError(logger_, "INetworkDefinition::addCast: invalid target data type");
        return nullptr;
    }
    const int n = newNode("Cast", "Cast", {valueOf(input)}, 1);
    auto* l = adopt(std::make_unique<CastLayer>(*this, n));
    l->setToType(to);
    return l;
}

ISliceLayer* NetworkImpl::addSlice(ITensor& input, const Dims& start, const Dims& size, const Dims& stride) noexcept {
    if (!checkInput(&input, "addSlice", 0)) return nullptr;
    if (!dimsValid(start) || start.nbDims != size.nbDims || start.nbDims != stride.nbDims) {
        logError(logger_, "INetworkDefinition::addSlice: start, size and stride need the same valid rank");
        return nullptr;
    }
    const int n = newNode("Slice", "Slice", {valueOf(input)}, 1);
    auto* l = adopt(std::make_unique<SliceLayer>(*this, n));
    l->setStart(start);
    l->setSize(size);
    l->setStride(stride);
    l->setMode(SampleMode::kSTRICT_BOUNDS);
    return l;
}

IShapeLayer* NetworkImpl::addShape(ITensor& input) noexcept {
    if (!checkInput(&input, "addShape", 0)) return nullptr;
    const int n = newNode("Shape", "Shape", {valueOf(input)}, 1);
    return adopt(std::make_unique<ShapeLayer>(*this, n));
}

IParametricReLULayer* NetworkImpl::addParametricReLU(ITensor& input, ITensor& slope) noexcept {
    if (!checkInput(&input, "addParametricReLU", 0) || !checkInput(&slope, "addParametricReLU", 1)) return nullptr;
    const int n = newNode("PRelu", "ParametricReLU", {valueOf(input), valueOf(slope)}, 1);
    return adopt(std::make_unique<ParametricReLULayer>(*this, n));
}

IResizeLayer* NetworkImpl::addResize(ITensor& input) noexcept {
    if (!checkInput(&input, "addResize", 0)) return nullptr;
    const int n = newNode("Resize", "Resize", {valueOf(input)}, 1);
    auto* l = adopt(std::make_unique<ResizeLayer>(*this, n));
    // TensorRT's defaults (the IR's own are ONNX's half_pixel / round_prefer_floor).
    l->setResizeMode(InterpolationMode::kNEAREST);
    l->setCoordinateTransformation(ResizeCoordinateTransformation::kASYMMETRIC);
    l->setNearestRounding(ResizeRoundMode::kFLOOR);
    return l;
}

ISelectLayer* NetworkImpl::addSelect(ITensor& c, ITensor& a, ITensor& b) noexcept {
    if (!checkInput(&c, "addSelect", 0) || !checkInput(&a, "addSelect", 1) || !checkInput(&b, "addSelect", 2))
        return nullptr;
    const int n = newNode("Select", "Select", {valueOf(c), valueOf(a), valueOf(b)}, 1);
    return adopt(std::make_unique<SelectLayer>(*this, n));
}

INormalizationLayer* NetworkImpl::addNormalization(ITensor& input, ITensor& scale, ITensor& bias,
                                                   uint32_t axes) noexcept {
    if (!checkInput(&input, "addNormalization", 0) || !checkInput(&scale, "addNormalization", 1) ||
        !checkInput(&bias, "addNormalization", 2))
        return nullptr;
    const int n = newNode("Normalization", "Normalization", {valueOf(input), valueOf(scale), valueOf(bias)}, 1);
    auto* l = adopt(std::make_unique<NormalizationLayer>(*this, n));
    l->setAxes(axes);
    l->setEpsilon(1e-5f);
    return l;
}

IFillLayer* NetworkImpl::addFill(const Dims& dims, FillOperation op, DataType type) noexcept {
    if (implicitBatch_) {
        logError(logger_, "INetworkDefinition::addFill: needs an explicit-batch network (createNetworkV2)");
        return nullptr;
    }
    if (!validDataType(type)) {
        logError(logger_, "INetworkDefinition::addFill: invalid output type");
        return nullptr;
    }
    const int n = newNode("Fill", "Fill", {}, 1);
    auto* l = adopt(std::make_unique<FillLayer>(*this, n));
    l->setToType(type);
    l->setOperation(op);
    // A shape given later by setInput(0, ...) takes over from these dimensions.
    if (dims.nbDims >= 0) l->setDimensions(dims);
    return l;
}

INonZeroLayer* NetworkImpl::addNonZero(ITensor& input) noexcept {
    if (!checkInput(&input, "addNonZero", 0)) return nullptr;
    const int n = newNode("NonZero", "NonZero", {valueOf(input)}, 1);
    return adopt(std::make_unique<NonZeroLayer>(*this, n));
}

INMSLayer* NetworkImpl::addNMS(ITensor& boxes, ITensor& scores, ITensor& maxOut) noexcept {
    if (!checkInput(&boxes, "addNMS", 0) || !checkInput(&scores, "addNMS", 1) || !checkInput(&maxOut, "addNMS", 2))
        return nullptr;
    const int n = newNode("NMS", "NMS", {valueOf(boxes), valueOf(scores), valueOf(maxOut)}, 2);
    auto* l = adopt(std::make_unique<NMSLayer>(*this, n));
    l->node().attrs.set("index_dtype", int64_t(ir::DType::kI32));  // TensorRT's index type
    return l;
}

void NMSLayer::setTopKBoxLimit(int32_t limit) noexcept {
    if (limit < 0) {
        logError(net().logger(), "INMSLayer::setTopKBoxLimit: negative limit for layer '" + node().name + "'");
        return;
    }
    node().attrs.set("topk_limit", int64_t(limit));
}

IUniqueLayer* NetworkImpl::addUnique(ITensor& input) noexcept {
    if (!checkInput(&input, "addUnique", 0)) return nullptr;
    const int n = newNode("Unique", "Unique", {valueOf(input)}, 4);
    return adopt(std::make_unique<UniqueLayer>(*this, n));
}

ILoop* NetworkImpl::addLoop() noexcept {
    if (implicitBatch_) {
        logError(logger_, "INetworkDefinition::addLoop: needs an explicit-batch network (createNetworkV2)");
        return nullptr;
    }
    loops_.push_back(std::make_unique<LoopImpl>(*this, int64_t(loops_.size())));
    return loops_.back().get();
}

IIfConditional* NetworkImpl::addIfConditional() noexcept {
    if (implicitBatch_) {
        logError(logger_, "INetworkDefinition::addIfConditional: needs an explicit-batch network (createNetworkV2)");
        return nullptr;
    }
    conditionals_.push_back(std::make_unique<IfConditionalImpl>(*this, int64_t(conditionals_.size())));
    return conditionals_.back().get();
}

}  // namespace kiln::api
