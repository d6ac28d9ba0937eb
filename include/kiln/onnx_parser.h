// kiln ONNX parser (library kiln_onnx): imports an ONNX model into a network
// definition. Mirrors TensorRT's nvonnxparser: `nvonnxparser::` -> `kiln::onnx::`.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "network.h"
#include "types.h"

namespace kiln::onnx {

enum class ErrorCode : int32_t {
    kSUCCESS = 0,
    kINTERNAL_ERROR = 1,
    kMEM_ALLOC_FAILED = 2,
    kMODEL_DESERIALIZE_FAILED = 3,  //!< not a valid ONNX protobuf
    kINVALID_VALUE = 4,             //!< a value or attribute is out of range
    kINVALID_GRAPH = 5,             //!< dangling names, cycles, missing initializers
    kINVALID_NODE = 6,              //!< a node's inputs/attributes do not fit its op
    kUNSUPPORTED_GRAPH = 7,
    kUNSUPPORTED_NODE = 8,          //!< no converter (and no plugin) for the op
};

//! One problem found while parsing.
class IParserError {
public:
    virtual ErrorCode code() const noexcept = 0;
    virtual const char* desc() const noexcept = 0;
    //! Index of the node in the graph, or -1 when the error is not about one node.
    virtual int32_t node() const noexcept = 0;
    virtual const char* nodeName() const noexcept = 0;
    virtual const char* nodeOperator() const noexcept = 0;

protected:
    virtual ~IParserError() = default;
};

class IParser {
public:
    virtual ~IParser() = default;
    //! Parses a serialized ModelProto into the network. `modelPath` locates
    //! external data files (may be null for self-contained models).
    virtual bool parse(const void* serializedOnnxModel, size_t serializedOnnxModelSize,
                       const char* modelPath = nullptr) noexcept = 0;
    //! Reads and parses a model file; `verbosity` is an ILogger::Severity level.
    virtual bool parseFromFile(const char* onnxModelFile, int32_t verbosity) noexcept = 0;
    //! True if every node of the model has a converter; the errors list the rest.
    virtual bool supportsModel(const void* serializedOnnxModel, size_t serializedOnnxModelSize,
                               const char* modelPath = nullptr) noexcept = 0;
    virtual bool supportsOperator(const char* opName) const noexcept = 0;
    virtual int32_t getNbErrors() const noexcept = 0;
    virtual const IParserError* getError(int32_t index) const noexcept = 0;
    virtual void clearErrors() noexcept = 0;
};

//! Creates a parser that adds layers to `network` (which must outlive it).
std::unique_ptr<IParser> createParser(INetworkDefinition& network, ILogger& logger) noexcept;

}  // namespace kiln::onnx
