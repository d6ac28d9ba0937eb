// Walks an ONNX graph and adds the equivalent layers to a kiln network.
#pragma once
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "converter.h"

namespace kiln::onnx {

//! One recorded problem (the parser exposes these as IParserError).
struct ErrorRecord {
    ErrorCode code = ErrorCode::kSUCCESS;
    std::string desc;
    int32_t node = -1;
    std::string nodeName;
    std::string nodeOp;
};

//! Storage for weight copies handed to the network; owned by the parser so the
//! memory lives at least as long as the parser (as with TensorRT's parser, keep
//! the parser alive until the engine is built).
using WeightStore = std::deque<std::vector<uint8_t>>;

//! Converts a TensorProto into a Constant; false + message when it cannot.
//! External data is read relative to `modelDir` (null: external data is an error).
bool tensorProtoToConstant(const pb::TensorProto& t, Constant& out, std::string& error,
                           const char* modelDir = nullptr);
//! Maps an ONNX TensorProto::DataType value to kiln's; false if unsupported.
bool onnxTypeToKiln(int32_t onnxType, DataType& out);

class Importer {
public:
    //! `modelDir`: directory that external data locations are relative to ("" = none given).
    Importer(INetworkDefinition& network, ILogger& logger, WeightStore& store, std::vector<ErrorRecord>& errors,
             std::string modelDir = "")
        : mNetwork(network), mLogger(logger), mStore(store), mErrors(errors), mModelDir(std::move(modelDir)) {}

    //! Imports the whole model; false when any error was recorded.
    bool importModel(const pb::ModelProto& model);
    //! Checks converters only (supportsModel): no layers are added.
    bool checkSupport(const pb::ModelProto& model);

    // Used by ConverterContext.
    INetworkDefinition& network() { return mNetwork; }
    int64_t opset() const { return mOpset; }
    WeightStore& store() { return mStore; }
    const std::string& modelDir() const { return mModelDir; }
    const Constant* findConstant(const std::string& name) const;
    ITensor* materialize(const std::string& name);
    void bindConstant(const std::string& name, Constant value);
    void recordError(ErrorCode code, const std::string& desc, int32_t node, const pb::NodeProto* proto);
    //! Imports a subgraph's nodes into the network (subgraph.cpp): its formal inputs
    //! take `bindings` (null or missing: the input stays unbound), names it does not
    //! define resolve to the enclosing scopes, and each outer tensor it reads first goes
    //! through `enter` when given (a conditional's inputs). The subgraph's own names are
    //! visible only while it is imported; errors name the owning node.
    bool importSubgraph(const pb::GraphProto& body, const std::vector<ITensor*>& bindings,
                        std::vector<ITensor*>& outputs, int32_t ownerIndex, const pb::NodeProto& owner,
                        const std::function<ITensor*(ITensor&)>& enter = {});

private:
    bool readOpset(const pb::ModelProto& model);
    bool addInputs(const pb::GraphProto& graph);
    bool importNode(const pb::NodeProto& node, int32_t index);
    // Evaluates a node whose inputs are all parse-time constants into
    // constants (constant_fold.cpp); false leaves it to the converter.
    bool tryFold(const pb::NodeProto& node, int32_t index);
    bool markOutputs(const pb::GraphProto& graph);

    INetworkDefinition& mNetwork;
    ILogger& mLogger;
    WeightStore& mStore;
    std::vector<ErrorRecord>& mErrors;
    std::string mModelDir;
    int64_t mOpset = 1;
    std::map<std::string, ITensor*> mTensors;
    std::map<std::string, Constant> mConstants;
    bool mFoldConstants = true;
};

}  // namespace kiln::onnx
