// Graph walk: opset, network inputs, initializers, nodes, outputs.
#include "importer.h"

#include "plugin_fallback.h"

namespace kiln::onnx {

void Importer::recordError(ErrorCode code, const std::string& desc, int32_t node, const pb::NodeProto* proto) {
    ErrorRecord e{code, desc, node, proto ? proto->name() : "", proto ? proto->op_type() : ""};
    std::string msg = "ONNX parser: ";
    if (proto) msg += "node " + std::to_string(node) + " '" + e.nodeName + "' (" + e.nodeOp + "): ";
    msg += desc;
    mLogger.log(ILogger::Severity::kERROR, msg.c_str());
    mErrors.push_back(std::move(e));
}

bool Importer::readOpset(const pb::ModelProto& model) {
    bool found = false;
    for (const auto& id : model.opset_import()) {
        if (id.domain().empty() || id.domain() == "ai.onnx") {
            mOpset = id.version();
            found = true;
        }
    }
    // A model without an opset_import for the default domain is malformed,
    // but old exporters did that; assume opset 1 semantics rather than fail.
    if (!found) mLogger.log(ILogger::Severity::kWARNING, "ONNX parser: no opset for the default domain; using 1");
    return true;
}

const Constant* Importer::findConstant(const std::string& name) const {
    auto it = mConstants.find(name);
    return it == mConstants.end() ? nullptr : &it->second;
}

void Importer::bindConstant(const std::string& name, Constant value) {
    mConstants[name] = std::move(value);
}

ITensor* Importer::materialize(const std::string& name) {
    if (auto it = mTensors.find(name); it != mTensors.end()) return it->second;
    const Constant* c = findConstant(name);
    if (!c) return nullptr;
    if (c->dims.size() > static_cast<size_t>(Dims::MAX_DIMS)) return nullptr;
    Dims dims;
    dims.nbDims = static_cast<int32_t>(c->dims.size());
    for (size_t i = 0; i < c->dims.size(); ++i) dims.d[i] = c->dims[i];
    mStore.push_back(c->bytes);
    Weights w{c->type, mStore.back().data(), c->count()};
    IConstantLayer* layer = mNetwork.addConstant(dims, w);
    if (!layer) return nullptr;
    layer->setName(name.c_str());
    ITensor* t = layer->getOutput(0);
    t->setName(name.c_str());
    mTensors[name] = t;
    return t;
}

bool Importer::addInputs(const pb::GraphProto& graph) {
    for (const auto& init : graph.initializer()) {
        Constant c;
        std::string err;
        if (!tensorProtoToConstant(init, c, err, mModelDir.empty() ? nullptr : mModelDir.c_str())) {
            recordError(ErrorCode::kINVALID_VALUE, "initializer: " + err, -1, nullptr);
            return false;
        }
        mConstants[init.name()] = std::move(c);
    }
    for (const auto& in : graph.input()) {
        if (mConstants.count(in.name())) continue;  // an initializer listed as input (IR < 4)
        const auto& tt = in.type().tensor_type();
        if (!in.type().has_tensor_type()) {
            recordError(ErrorCode::kUNSUPPORTED_GRAPH, "input '" + in.name() + "' is not a tensor", -1, nullptr);
            return false;
        }
        DataType type;
        if (!onnxTypeToKiln(tt.elem_type(), type)) {
            recordError(ErrorCode::kUNSUPPORTED_GRAPH,
                        "input '" + in.name() + "' has unsupported element type " + std::to_string(tt.elem_type()),
                        -1, nullptr);
            return false;
        }
        Dims dims;
        if (tt.shape().dim_size() > Dims::MAX_DIMS) {
            recordError(ErrorCode::kUNSUPPORTED_GRAPH, "input '" + in.name() + "' has too many dimensions", -1, nullptr);
            return false;
        }
        dims.nbDims = tt.shape().dim_size();
        for (int i = 0; i < dims.nbDims; ++i) {
            const auto& d = tt.shape().dim(i);
            dims.d[i] = d.has_dim_value() ? d.dim_value() : -1;  // dim_param / unknown: dynamic
        }
        ITensor* t = mNetwork.addInput(in.name().c_str(), type, dims);
        if (!t) {
            recordError(ErrorCode::kINVALID_GRAPH, "network rejected input '" + in.name() + "'", -1, nullptr);
            return false;
        }
        mTensors[in.name()] = t;
    }
    return true;
}

namespace {

bool isDefaultDomain(const pb::NodeProto& node) { return node.domain().empty() || node.domain() == "ai.onnx"; }

// ai.onnx.ml has its own table; ops of other domains are registered as
// "domain:op" (e.g. ai.onnx.preview:FlexAttention).
ConverterFn converterFor(const pb::NodeProto& node) {
    if (node.domain() == "ai.onnx.ml") return findMLConverter(node.op_type());
    return findConverter(isDefaultDomain(node) ? node.op_type() : node.domain() + ":" + node.op_type());
}

}  // namespace

bool Importer::importNode(const pb::NodeProto& node, int32_t index) {
    // An op kiln does not map runs as the registered plugin of that name (plugin_fallback.h).
    ConverterFn fn = converterFor(node);
    const bool plugin = !fn && findPluginCreator(node);
    if (plugin) fn = &importPluginNode;
    if (!fn && !isDefaultDomain(node) && node.domain() != "ai.onnx.ml") {
        recordError(ErrorCode::kUNSUPPORTED_NODE, "no converter for domain '" + node.domain() + "'", index, &node);
        return false;
    }
    if (!fn) {
        recordError(ErrorCode::kUNSUPPORTED_NODE, "no converter for op '" + node.op_type() + "'", index, &node);
        return false;
    }
    // ONNX graphs are in SSA form: every name is defined once.
    for (const auto& name : node.output())
        if (!name.empty() && (mTensors.count(name) || mConstants.count(name))) {
            recordError(ErrorCode::kINVALID_GRAPH, "output '" + name + "' is already defined by an earlier node, "
                        "graph input or initializer", index, &node);
            return false;
        }
    if (!plugin && tryFold(node, index)) return true;
    std::vector<ITensor*> inputs;
    for (const auto& name : node.input()) {
        if (name.empty()) { inputs.push_back(nullptr); continue; }
        auto it = mTensors.find(name);
        if (it != mTensors.end()) {
            // The network refused the layers behind this tensor (and logged
            // why); converters need the shapes of their inputs, so stop here.
            if (it->second->getDimensions().nbDims < 0) {
                recordError(ErrorCode::kINVALID_NODE, "input '" + name + "' has no valid shape: the network refused "
                            "the layers that produce it (the reason is logged before)", index, &node);
                return false;
            }
            inputs.push_back(it->second);
            continue;
        }
        if (!mConstants.count(name)) {
            recordError(ErrorCode::kINVALID_GRAPH, "input '" + name + "' is not defined by any earlier node, "
                        "graph input or initializer", index, &node);
            return false;
        }
        inputs.push_back(nullptr);  // constant: materialized on demand by ctx.tensor()
    }
    ConverterContext ctx(*this, node, index, inputs);
    std::vector<ITensor*> outputs;
    const size_t errorsBefore = mErrors.size();
    if (!fn(ctx, node, inputs, outputs)) {
        if (mErrors.size() == errorsBefore) ctx.fail(ErrorCode::kINVALID_NODE, "conversion failed");
        return false;
    }
    if (mErrors.size() > errorsBefore) return false;  // e.g. an attribute of the wrong type
    for (int i = 0; i < node.output_size(); ++i) {
        const std::string& name = node.output(i);
        if (name.empty()) continue;
        // Optional outputs a converter does not produce (Dropout's mask) stay
        // unbound; a later use of them is reported as an undefined input.
        if (i >= static_cast<int>(outputs.size())) continue;
        ITensor* t = outputs[i];
        if (t) {
            t->setName(name.c_str());
            mTensors[name] = t;
        } else if (!mConstants.count(name)) {
            return ctx.fail(ErrorCode::kINTERNAL_ERROR, "converter produced no output " + std::to_string(i));
        }
    }
    return true;
}

bool Importer::markOutputs(const pb::GraphProto& graph) {
    for (const auto& out : graph.output()) {
        ITensor* t = materialize(out.name());
        if (!t) {
            recordError(ErrorCode::kINVALID_GRAPH, "graph output '" + out.name() + "' is not produced", -1, nullptr);
            return false;
        }
        if (t->isNetworkInput() || t->isNetworkOutput()) {
            // An output that is also an input (or another output) needs its own tensor.
            IIdentityLayer* id = mNetwork.addIdentity(*t);
            if (!id) return false;
            t = id->getOutput(0);
        }
        t->setName(out.name().c_str());
        mNetwork.markOutput(*t);
    }
    return true;
}

bool Importer::importModel(const pb::ModelProto& model) {
    if (!model.has_graph()) {
        recordError(ErrorCode::kINVALID_GRAPH, "model has no graph", -1, nullptr);
        return false;
    }
    if (!readOpset(model) || !addInputs(model.graph())) return false;
    const auto& nodes = model.graph().node();
    for (int i = 0; i < nodes.size(); ++i)
        if (!importNode(nodes[i], i)) return false;
    return markOutputs(model.graph());
}

bool Importer::checkSupport(const pb::ModelProto& model) {
    bool ok = true;
    const auto& nodes = model.graph().node();
    for (int i = 0; i < nodes.size(); ++i) {
        const auto& n = nodes[i];
        if (!converterFor(n) && !findPluginCreator(n)) {
            recordError(ErrorCode::kUNSUPPORTED_NODE, "no converter for op '" + n.op_type() + "'", i, &n);
            ok = false;
        }
    }
    return ok;
}

}  // namespace kiln::onnx
