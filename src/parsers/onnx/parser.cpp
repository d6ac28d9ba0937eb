// IParser implementation: protobuf decoding, error list, entry points.
//
// Lifetime: like TensorRT's nvonnxparser, the parser owns copies of the weights
// it hands to the network; keep the parser alive until the engine is built.
#include <google/protobuf/io/coded_stream.h>

#include <filesystem>

#include "importer.h"
#include "kiln/plugin.h"
#include "mapped_file.h"

namespace kiln::onnx {
namespace {

class ParserError final : public IParserError {
public:
    explicit ParserError(ErrorRecord r) : mRecord(std::move(r)) {}
    ErrorCode code() const noexcept override { return mRecord.code; }
    const char* desc() const noexcept override { return mRecord.desc.c_str(); }
    int32_t node() const noexcept override { return mRecord.node; }
    const char* nodeName() const noexcept override { return mRecord.nodeName.c_str(); }
    const char* nodeOperator() const noexcept override { return mRecord.nodeOp.c_str(); }
    ~ParserError() override = default;

private:
    ErrorRecord mRecord;
};

class Parser final : public IParser {
public:
    Parser(INetworkDefinition& network, ILogger& logger) : mNetwork(network), mLogger(logger) {}

    bool parse(const void* data, size_t size, const char* modelPath) noexcept override {
        try {
            pb::ModelProto model;
            if (!decode(data, size, model)) return false;
            // External data files are located relative to the model file's directory.
            std::string modelDir;
            if (modelPath) modelDir = std::filesystem::path(modelPath).parent_path().string();
            if (modelPath && modelDir.empty()) modelDir = ".";
            Importer importer(mNetwork, mLogger, mWeights, mRecords, modelDir);
            const bool ok = importer.importModel(model);
            syncErrors();
            return ok;
        } catch (const std::exception& e) {
            return internalError(e.what());
        } catch (...) {
            return internalError("unknown exception");
        }
    }

    bool parseFromFile(const char* file, int32_t verbosity) noexcept override {
        try {
            const std::string path = file ? file : "";
            // The model is mapped, not copied: protobuf reads it in place.
            MappedFile mapped;
            std::string error;
            if (!mapped.open(path, error)) {
                addError(ErrorCode::kMODEL_DESERIALIZE_FAILED, error);
                return false;
            }
            if (mapped.size() > static_cast<size_t>(INT32_MAX)) {
                addError(ErrorCode::kMODEL_DESERIALIZE_FAILED,
                         "'" + path + "' is " + std::to_string(mapped.size()) +
                             " bytes: protobuf cannot parse a model over 2 GiB; save its weights as external data "
                             "(onnx.save_model(model, path, save_as_external_data=True))");
                return false;
            }
            if (verbosity >= static_cast<int32_t>(ILogger::Severity::kINFO)) {
                std::string msg = "ONNX parser: parsing " + path + " (" + std::to_string(mapped.size()) + " bytes)";
                mLogger.log(ILogger::Severity::kINFO, msg.c_str());
            }
            if (mapped.size() == 0) {
                addError(ErrorCode::kMODEL_DESERIALIZE_FAILED, "'" + path + "' is empty");
                return false;
            }
            return parse(mapped.data(), mapped.size(), path.c_str());
        } catch (...) {
            return internalError("exception while reading the model file");
        }
    }

    bool supportsModel(const void* data, size_t size, const char* /*modelPath*/) noexcept override {
        try {
            pb::ModelProto model;
            if (!decode(data, size, model)) return false;
            Importer importer(mNetwork, mLogger, mWeights, mRecords);
            const bool ok = importer.checkSupport(model);
            syncErrors();
            return ok;
        } catch (...) {
            return internalError("exception while checking the model");
        }
    }

    bool supportsOperator(const char* opName) const noexcept override {
        try {
            // As TensorRT's parser: a registered plugin of that name (version "1") also counts.
            return opName && (findConverter(opName) != nullptr || getPluginRegistry()->getPluginCreator(opName, "1", ""));
        } catch (...) {
            return false;
        }
    }

    int32_t getNbErrors() const noexcept override { return static_cast<int32_t>(mErrors.size()); }
    const IParserError* getError(int32_t index) const noexcept override {
        return index >= 0 && index < getNbErrors() ? mErrors[index].get() : nullptr;
    }
    void clearErrors() noexcept override {
        mErrors.clear();
        mRecords.clear();
    }

private:
    bool decode(const void* data, size_t size, pb::ModelProto& model) {
        if (!data || size == 0) {
            addError(ErrorCode::kMODEL_DESERIALIZE_FAILED, "the model is empty");
            return false;
        }
        if (size > static_cast<size_t>(INT32_MAX)) {
            addError(ErrorCode::kMODEL_DESERIALIZE_FAILED,
                     "the model is over 2 GiB, protobuf's limit: keep its weights in external data files");
            return false;
        }
        google::protobuf::io::CodedInputStream stream(static_cast<const uint8_t*>(data), static_cast<int>(size));
        // The default total-bytes limit (64 MiB in old protobuf) is too small for
        // real models; allow the whole buffer.
        stream.SetTotalBytesLimit(INT32_MAX);
        if (!model.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage()) {
            addError(ErrorCode::kMODEL_DESERIALIZE_FAILED, "the bytes are not a valid ONNX ModelProto");
            return false;
        }
        return true;
    }

    void addError(ErrorCode code, const std::string& desc) {
        std::string msg = "ONNX parser: " + desc;
        mLogger.log(ILogger::Severity::kERROR, msg.c_str());
        mRecords.push_back(ErrorRecord{code, desc, -1, "", ""});
        syncErrors();
    }

    bool internalError(const char* what) noexcept {
        try {
            addError(ErrorCode::kINTERNAL_ERROR, std::string("internal error: ") + what);
        } catch (...) {
        }
        return false;
    }

    // Records accumulate in mRecords (filled by the importer); wrap the new ones.
    void syncErrors() {
        for (size_t i = mErrors.size(); i < mRecords.size(); ++i)
            mErrors.push_back(std::make_unique<ParserError>(mRecords[i]));
    }

    INetworkDefinition& mNetwork;
    ILogger& mLogger;
    WeightStore mWeights;
    std::vector<ErrorRecord> mRecords;
    std::vector<std::unique_ptr<ParserError>> mErrors;
};

}  // namespace

std::unique_ptr<IParser> createParser(INetworkDefinition& network, ILogger& logger) noexcept {
    try {
        return std::make_unique<Parser>(network, logger);
    } catch (...) {
        return nullptr;
    }
}

}  // namespace kiln::onnx
