// ConverterContext and the one registry table of op converters.
#include "converter.h"

#include <cstring>
#include <map>

#include "importer.h"
#include "ops/ops.h"

namespace kiln::onnx {
namespace {

const pb::AttributeProto* findAttr(const pb::NodeProto& node, const char* name) {
    for (const auto& a : node.attribute())
        if (a.name() == name) return &a;
    return nullptr;
}

const char* attrTypeName(int t) {
    using A = pb::AttributeProto;
    switch (t) {
        case A::FLOAT: return "FLOAT";
        case A::INT: return "INT";
        case A::STRING: return "STRING";
        case A::TENSOR: return "TENSOR";
        case A::GRAPH: return "GRAPH";
        case A::FLOATS: return "FLOATS";
        case A::INTS: return "INTS";
        case A::STRINGS: return "STRINGS";
        case A::TENSORS: return "TENSORS";
        case A::GRAPHS: return "GRAPHS";
        default: return "an unknown type";
    }
}

// The attribute `name` when its declared type is `want` (or undeclared, as
// some old exporters leave it). One of another type is a malformed model: the
// error is recorded against the node, which then fails to import, and the
// attribute reads as absent.
const pb::AttributeProto* typedAttr(Importer& importer, const pb::NodeProto& node, int32_t nodeIndex,
                                    const char* name, pb::AttributeProto::AttributeType want) {
    const pb::AttributeProto* a = findAttr(node, name);
    if (!a || a->type() == pb::AttributeProto::UNDEFINED || a->type() == want) return a;
    importer.recordError(ErrorCode::kINVALID_NODE,
                         std::string("attribute '") + name + "' has type " + attrTypeName(a->type()) + ", expected " +
                             attrTypeName(want),
                         nodeIndex, &node);
    return nullptr;
}

// The registry: ONE explicit table, op type -> converter.
const std::map<std::string, ConverterFn>& registry() {
    static const std::map<std::string, ConverterFn> table = {
        {"Conv", convertConv},
        {"ConvTranspose", convertConvTranspose},
        {"MaxPool", convertMaxPool},
        {"AveragePool", convertAveragePool},
        {"GlobalAveragePool", convertGlobalAveragePool},
        {"GlobalMaxPool", convertGlobalMaxPool},
        {"Add", convertElementWise}, {"Sub", convertElementWise}, {"Mul", convertElementWise},
        {"Div", convertElementWise}, {"Pow", convertElementWise}, {"Max", convertElementWise},
        {"Min", convertElementWise}, {"Sum", convertElementWise}, {"Equal", convertElementWise},
        {"Greater", convertElementWise}, {"Less", convertElementWise}, {"And", convertElementWise},
        {"Or", convertElementWise}, {"Xor", convertElementWise}, {"Mean", convertElementWise},
        {"GreaterOrEqual", convertElementWise}, {"LessOrEqual", convertElementWise},
        {"Relu", convertActivation}, {"Sigmoid", convertActivation}, {"Tanh", convertActivation},
        {"LeakyRelu", convertActivation}, {"Elu", convertActivation}, {"Selu", convertActivation},
        {"Softplus", convertActivation}, {"Softsign", convertActivation}, {"HardSigmoid", convertActivation},
        {"ThresholdedRelu", convertActivation}, {"Gelu", convertActivation},
        {"HardSwish", convertActivation}, {"Swish", convertActivation},
        {"Clip", convertClip},
        {"PRelu", convertPRelu},
        {"Exp", convertUnary}, {"Log", convertUnary}, {"Sqrt", convertUnary}, {"Abs", convertUnary},
        {"Neg", convertUnary}, {"Reciprocal", convertUnary}, {"Floor", convertUnary}, {"Ceil", convertUnary},
        {"Sin", convertUnary}, {"Cos", convertUnary}, {"Tan", convertUnary}, {"Erf", convertUnary},
        {"Not", convertUnary}, {"Sign", convertUnary}, {"Round", convertUnary}, {"IsNaN", convertUnary},
        {"IsInf", convertUnary},
        {"MatMul", convertMatMul},
        {"Gemm", convertGemm},
        {"Reshape", convertReshape},
        {"Flatten", convertFlatten},
        {"Squeeze", convertSqueeze},
        {"Unsqueeze", convertUnsqueeze},
        {"Transpose", convertTranspose},
        {"Identity", convertIdentity},
        {"Dropout", convertDropout},
        {"Concat", convertConcat},
        {"Slice", convertSlice},
        {"Gather", convertGather},
        {"Shape", convertShape},
        {"Cast", convertCast},
        {"Softmax", convertSoftmax},
        {"LogSoftmax", convertSoftmax},
        {"ReduceSum", convertReduce}, {"ReduceMean", convertReduce}, {"ReduceMax", convertReduce},
        {"ReduceMin", convertReduce}, {"ReduceProd", convertReduce}, {"ReduceSumSquare", convertReduce},
        {"ReduceL1", convertReduce}, {"ReduceL2", convertReduce}, {"ReduceLogSum", convertReduce},
        {"ReduceLogSumExp", convertReduce},
        {"Size", convertSize},
        {"CastLike", convertCastLike},
        {"GatherElements", convertGatherElements},
        {"BatchNormalization", convertBatchNormalization},
        {"InstanceNormalization", convertInstanceNormalization},
        {"LayerNormalization", convertLayerNormalization},
        {"Where", convertWhere},
        {"Constant", convertConstant},
        {"Pad", convertPad},
        {"Resize", convertResize}, {"Upsample", convertResize},
        {"TopK", convertTopK},
        {"ArgMax", convertArgMinMaxLastIndex}, {"ArgMin", convertArgMinMaxLastIndex},
        {"Split", convertSplit},
        {"ConstantOfShape", convertConstantOfShape},
        {"Range", convertRange},
        {"Expand", convertExpand},
        {"Tile", convertTile},
        {"NonZero", convertNonZero},
        {"Unique", convertUnique},
        {"NonMaxSuppression", convertNonMaxSuppression},
        {"Compress", convertCompress},
        {"If", convertIf},
        {"Loop", convertLoop},
        {"Scan", convertScan},
        {"QuantizeLinear", convertQuantizeLinear},
        {"DequantizeLinear", convertDequantizeLinear},
        {"DynamicQuantizeLinear", convertDynamicQuantizeLinear},
        {"MatMulInteger", convertMatMulInteger},
        {"QLinearMatMul", convertQLinearMatMul},
        {"ConvInteger", convertConvInteger},
        {"QLinearConv", convertQLinearConv},
        {"BitShift", convertBitShift},
        {"BitwiseAnd", convertBitwiseBinary}, {"BitwiseOr", convertBitwiseBinary}, {"BitwiseXor", convertBitwiseBinary},
        {"BitwiseNot", convertBitwiseNot},
        {"BitCast", convertBitCast},
        {"Mod", convertMod},
        {"Attention", convertAttention},
        {"RMSNormalization", convertRMSNormalization},
        {"SwiGLU", convertSwiGLU},
        {"RotaryEmbedding", convertRotaryEmbedding},
        {"TensorScatter", convertTensorScatter},
        {"CausalConvWithState", convertCausalConvWithState},
        {"ai.onnx.preview:FlexAttention", convertFlexAttention},
        {"LinearAttention", convertLinearAttention},
        {"NegativeLogLikelihoodLoss", convertNegativeLogLikelihoodLoss},
        {"SoftmaxCrossEntropyLoss", convertSoftmaxCrossEntropyLoss},
        {"LRN", convertLRN},
        {"GatherND", convertGatherND},
        {"Trilu", convertTrilu},
        {"Hardmax", convertHardmax},
        {"EyeLike", convertEyeLike},
        {"Celu", convertCelu},
        {"Mish", convertMish},
        {"Shrink", convertShrink},
        {"MeanVarianceNormalization", convertMeanVarianceNormalization},
        {"GroupNormalization", convertGroupNormalization},
        {"LpNormalization", convertLpNormalization},
        {"DepthToSpace", convertDepthToSpace},
        {"SpaceToDepth", convertSpaceToDepth},
        {"Asin", convertUnary}, {"Acos", convertUnary}, {"Atan", convertUnary}, {"Sinh", convertUnary},
        {"Cosh", convertUnary}, {"Asinh", convertUnary}, {"Acosh", convertUnary}, {"Atanh", convertUnary},
        {"ScatterElements", convertScatter}, {"ScatterND", convertScatter}, {"Scatter", convertScatter},
        {"CumSum", convertCumulative}, {"CumProd", convertCumulative},
        {"OneHot", convertOneHot},
        {"ReverseSequence", convertReverseSequence},
        {"Einsum", convertEinsum},
        {"Det", convertDet},
        {"LpPool", convertLpPool},
        {"GridSample", convertGridSample},
        {"RNN", convertRNN}, {"GRU", convertGRU}, {"LSTM", convertLSTM},
        {"DFT", convertDFT},
        {"STFT", convertSTFT},
        {"HannWindow", convertWindow}, {"HammingWindow", convertWindow}, {"BlackmanWindow", convertWindow},
        {"MelWeightMatrix", convertMelWeightMatrix},
        {"RoiAlign", convertRoiAlign},
        {"Col2Im", convertCol2Im},
        {"MaxUnpool", convertMaxUnpool},
        {"AffineGrid", convertAffineGrid},
        {"DeformConv", convertDeformConv},
        {"TfIdfVectorizer", convertTfIdfVectorizer},
        {"ImageDecoder", convertImageDecoder},
        {"CenterCropPad", convertCenterCropPad},
        {"RandomUniform", convertRandom}, {"RandomNormal", convertRandom},
        {"RandomUniformLike", convertRandomLike}, {"RandomNormalLike", convertRandomLike},
        {"Bernoulli", convertBernoulli},
        {"Multinomial", convertMultinomial},
    };
    return table;
}

// The ai.onnx.ml domain's converters (a table of their own: op names may
// repeat across domains).
const std::map<std::string, ConverterFn>& mlRegistry() {
    static const std::map<std::string, ConverterFn> table = {
        {"Binarizer", convertBinarizer},
        {"ArrayFeatureExtractor", convertArrayFeatureExtractor},
        {"TreeEnsemble", convertTreeEnsemble},
    };
    return table;
}

}  // namespace

ConverterFn findConverter(const std::string& opType) {
    const auto& t = registry();
    auto it = t.find(opType);
    return it == t.end() ? nullptr : it->second;
}

ConverterFn findMLConverter(const std::string& opType) {
    const auto& t = mlRegistry();
    auto it = t.find(opType);
    return it == t.end() ? nullptr : it->second;
}

INetworkDefinition& ConverterContext::network() { return mImporter.network(); }
int64_t ConverterContext::opset() const { return mImporter.opset(); }

bool ConverterContext::hasAttr(const char* name) const { return findAttr(mNode, name) != nullptr; }

int64_t ConverterContext::attrInt(const char* name, int64_t def) const {
    const auto* a = typedAttr(mImporter, mNode, mNodeIndex, name, pb::AttributeProto::INT);
    return a ? a->i() : def;
}

float ConverterContext::attrFloat(const char* name, float def) const {
    const auto* a = typedAttr(mImporter, mNode, mNodeIndex, name, pb::AttributeProto::FLOAT);
    return a ? a->f() : def;
}

std::vector<int64_t> ConverterContext::attrInts(const char* name) const {
    const auto* a = typedAttr(mImporter, mNode, mNodeIndex, name, pb::AttributeProto::INTS);
    return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : std::vector<int64_t>{};
}

std::vector<float> ConverterContext::attrFloats(const char* name) const {
    const auto* a = typedAttr(mImporter, mNode, mNodeIndex, name, pb::AttributeProto::FLOATS);
    return a ? std::vector<float>(a->floats().begin(), a->floats().end()) : std::vector<float>{};
}

std::string ConverterContext::attrString(const char* name, const std::string& def) const {
    const auto* a = typedAttr(mImporter, mNode, mNodeIndex, name, pb::AttributeProto::STRING);
    return a ? a->s() : def;
}

const pb::TensorProto* ConverterContext::attrTensor(const char* name) const {
    const auto* a = typedAttr(mImporter, mNode, mNodeIndex, name, pb::AttributeProto::TENSOR);
    return a && a->has_t() ? &a->t() : nullptr;
}

const pb::GraphProto* ConverterContext::attrGraph(const char* name) const {
    const auto* a = findAttr(mNode, name);
    return a && a->has_g() ? &a->g() : nullptr;
}

bool ConverterContext::importSubgraph(const pb::GraphProto& graph, const std::vector<ITensor*>& inputs,
                                      std::vector<ITensor*>& outputs, const std::function<ITensor*(ITensor&)>& enter) {
    return mImporter.importSubgraph(graph, inputs, outputs, mNodeIndex, mNode, enter);
}

bool ConverterContext::hasInput(int32_t i) const {
    return i >= 0 && i < mNode.input_size() && !mNode.input(i).empty();
}

ITensor* ConverterContext::tensor(int32_t i) {
    if (!hasInput(i)) {
        fail(ErrorCode::kINVALID_NODE, "missing required input " + std::to_string(i));
        return nullptr;
    }
    if (mInputs[i]) return mInputs[i];
    const Constant* c = mImporter.findConstant(mNode.input(i));
    if (c && c->dims.size() > static_cast<size_t>(Dims::MAX_DIMS)) {
        fail(ErrorCode::kUNSUPPORTED_NODE, "constant input '" + mNode.input(i) + "' has " +
                                               std::to_string(c->dims.size()) + " dimensions, more than kiln's " +
                                               std::to_string(Dims::MAX_DIMS));
        return nullptr;
    }
    mInputs[i] = mImporter.materialize(mNode.input(i));
    if (!mInputs[i]) fail(ErrorCode::kINVALID_NODE, "cannot add constant input '" + mNode.input(i) + "'");
    return mInputs[i];
}

const Constant* ConverterContext::constant(int32_t i) const {
    return hasInput(i) ? mImporter.findConstant(mNode.input(i)) : nullptr;
}

void ConverterContext::setOutputConstant(int32_t outputIndex, Constant value) {
    if (outputIndex < mNode.output_size()) mImporter.bindConstant(mNode.output(outputIndex), std::move(value));
}

bool ConverterContext::fail(ErrorCode code, const std::string& message) {
    mImporter.recordError(code, message, mNodeIndex, &mNode);
    return false;
}

void ConverterContext::nameLayer(ILayer* layer, const char* suffix) {
    if (!layer) return;
    std::string n = mNode.name().empty() ? mNode.op_type() + "_" + std::to_string(mNodeIndex) : mNode.name();
    layer->setName((n + suffix).c_str());
}

Weights ConverterContext::keepWeights(const Constant& values) {
    mImporter.store().push_back(values.bytes);
    return Weights{values.type, mImporter.store().back().data(), values.count()};
}

Weights ConverterContext::keepFloats(const std::vector<float>& values) {
    return keepWeights(Constant::fromFloats({static_cast<int64_t>(values.size())}, values));
}

ITensor* ConverterContext::addConstantTensor(const Constant& value) {
    if (value.dims.size() > static_cast<size_t>(Dims::MAX_DIMS)) {
        fail(ErrorCode::kUNSUPPORTED_NODE, "constant has too many dimensions");
        return nullptr;
    }
    Dims d;
    d.nbDims = static_cast<int32_t>(value.dims.size());
    for (int i = 0; i < d.nbDims; ++i) d.d[i] = value.dims[i];
    IConstantLayer* layer = network().addConstant(d, keepWeights(value));
    if (!layer) {
        fail(ErrorCode::kINVALID_NODE, "network rejected a constant");
        return nullptr;
    }
    nameLayer(layer, "_const");
    return layer->getOutput(0);
}

const char* ConverterContext::modelDir() const {
    return mImporter.modelDir().empty() ? nullptr : mImporter.modelDir().c_str();
}

}  // namespace kiln::onnx
