// The converter registry and the context every op converter works with.
//
// A converter turns one ONNX node into kiln layers through the public network
// API only. Contract: `inputs[i]` is the ITensor of the node's input i, or null
// when that input is absent (empty name) or is a constant not yet added to the
// network: call ctx.tensor(i) to get (and, for constants, materialize) it, and
// ctx.constant(i) to read a constant's values at parse time. A converter pushes
// one entry per node output onto `outputs` (null for an output it bound as a
// constant with ctx.setOutputConstant). It returns false after ctx.fail(...).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kiln/network.h"
#include "kiln/onnx_parser.h"
#include "onnx.pb.h"

namespace kiln::onnx {

namespace pb = kiln_onnx_pb;

//! d truncated toward zero, saturating at the int64 range, NaN 0 (a plain
//! cast of those is undefined behaviour): how float values become integers.
int64_t saturatingInt64(double d);

//! A value known at parse time (initializer, Constant node, folded Shape).
struct Constant {
    DataType type = DataType::kFLOAT;
    std::vector<int64_t> dims;
    std::vector<uint8_t> bytes;  //!< little-endian, dataTypeSize(type) per element

    int64_t count() const;
    std::vector<float> toFloats() const;
    std::vector<double> toDoubles() const;
    std::vector<int64_t> toInt64s() const;
    static Constant fromFloats(std::vector<int64_t> dims, const std::vector<float>& v);
    static Constant fromInt64s(std::vector<int64_t> dims, const std::vector<int64_t>& v);
};

class Importer;

class ConverterContext {
public:
    ConverterContext(Importer& importer, const pb::NodeProto& node, int32_t nodeIndex,
                     std::vector<ITensor*>& inputs)
        : mImporter(importer), mNode(node), mNodeIndex(nodeIndex), mInputs(inputs) {}

    INetworkDefinition& network();
    //! Opset version of the default ("" / "ai.onnx") domain.
    int64_t opset() const;
    const pb::NodeProto& node() const { return mNode; }

    // Attributes (the default is returned when the attribute is absent).
    bool hasAttr(const char* name) const;
    int64_t attrInt(const char* name, int64_t def) const;
    float attrFloat(const char* name, float def) const;
    std::vector<int64_t> attrInts(const char* name) const;
    std::vector<float> attrFloats(const char* name) const;
    std::string attrString(const char* name, const std::string& def) const;
    const pb::TensorProto* attrTensor(const char* name) const;
    //! A graph attribute (If's branches, Loop's and Scan's body), or null.
    const pb::GraphProto* attrGraph(const char* name) const;

    // Inputs.
    int32_t nbInputs() const { return static_cast<int32_t>(mInputs.size()); }
    bool hasInput(int32_t i) const;
    //! The tensor of input i (materializing a constant); null + error if absent.
    ITensor* tensor(int32_t i);
    //! The parse-time value of input i, or null when it is not a constant.
    const Constant* constant(int32_t i) const;

    // Outputs and errors.
    void setOutputConstant(int32_t outputIndex, Constant value);
    //! Records an error naming this node; always returns false.
    bool fail(ErrorCode code, const std::string& message);
    //! Names the layer after the node (plus a suffix for helper layers).
    void nameLayer(ILayer* layer, const char* suffix = "");
    //! Copies `values` into storage the parser keeps alive and returns a view.
    Weights keepWeights(const Constant& values);
    Weights keepFloats(const std::vector<float>& values);
    //! Adds a constant layer holding `value`; null + error on failure.
    ITensor* addConstantTensor(const Constant& value);
    //! Imports a graph attribute inline (see Importer::importSubgraph).
    bool importSubgraph(const pb::GraphProto& graph, const std::vector<ITensor*>& inputs,
                        std::vector<ITensor*>& outputs, const std::function<ITensor*(ITensor&)>& enter = {});
    //! The model's directory, for tensors stored as external data (null when
    //! the model was parsed from memory without a path).
    const char* modelDir() const;

private:
    Importer& mImporter;
    const pb::NodeProto& mNode;
    int32_t mNodeIndex;
    std::vector<ITensor*>& mInputs;
};

using ConverterFn = bool (*)(ConverterContext&, const pb::NodeProto&, std::vector<ITensor*>& inputs,
                             std::vector<ITensor*>& outputs);

//! The converter of an op type of the default domain, or null.
ConverterFn findConverter(const std::string& opType);
//! The converter of an op type of the ai.onnx.ml domain, or null.
ConverterFn findMLConverter(const std::string& opType);

}  // namespace kiln::onnx
