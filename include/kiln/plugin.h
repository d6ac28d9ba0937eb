// kiln public API: plugins (custom layers), their creators and the plugin registry.
//
// The interfaces follow TensorRT's (NvInferRuntimeCommon.h / NvInferRuntime.h); a TensorRT
// plugin ports by the renames in docs/porting.md. What kiln does differently:
//
// - Ownership: plugin objects are deleted with `delete` (IPluginV2 has a virtual destructor;
//   there is no destroy()). Whoever receives a plugin pointer from createPlugin(),
//   deserializePlugin() or clone() owns it; hold it in a std::unique_ptr<IPluginV2>.
//   addPluginV2() keeps its own clone, so the plugin passed to it may be deleted right after.
// - Backends: kiln asks supportsBackend() before using a plugin. The default answer (CUDA
//   only) fits plugins ported from TensorRT, whose enqueue launches CUDA kernels; a plugin
//   that can run on the CPU backend says so, and there enqueue() receives host pointers and
//   a null stream, and must have finished its work when it returns.
// - Shape expressions (IExprBuilder) are evaluated as kiln infers shapes: an extent is
//   constant whenever its value is known, which it always is when an engine is built (at
//   the profile's maximum) and when it runs (the run's shapes); only while a network is
//   being defined can extents be unknown (-1 dimensions).
// - Plugins whose output shapes depend on the values of their inputs are not supported.
#pragma once
#include <cstddef>
#include <cstdint>

#include "types.h"

// Opaque handles of the CUDA libraries, declared as they declare them, for attachToContext.
struct cudnnContext;
struct cublasContext;

namespace kiln {

class IGpuAllocator;

//! Types of plugin field data. The numeric values match TensorRT's.
enum class PluginFieldType : int32_t {
    kFLOAT16 = 0,
    kFLOAT32 = 1,
    kFLOAT64 = 2,
    kINT8 = 3,
    kINT16 = 4,
    kINT32 = 5,
    kCHAR = 6,  //!< characters; `length` counts them (without a terminating zero)
    kDIMS = 7,  //!< kiln::Dims values
    kUNKNOWN = 8,
    kBF16 = 9,
    kINT64 = 10,
    kFP8 = 11,
};

//! One named parameter of a plugin: `length` elements of `type` at `data`. The creator
//! copies what it needs; the memory belongs to the caller.
class PluginField {
public:
    const char* name;
    const void* data;
    PluginFieldType type;
    int32_t length;

    PluginField(const char* name_ = nullptr, const void* data_ = nullptr,
                PluginFieldType type_ = PluginFieldType::kUNKNOWN, int32_t length_ = 0) noexcept
        : name(name_), data(data_), type(type_), length(length_) {}
};

//! A list of plugin fields (what a creator accepts, or what a plugin is created with).
struct PluginFieldCollection {
    int32_t nbFields = 0;
    const PluginField* fields = nullptr;
};

//! Memory layouts of plugin tensors (TensorRT's values). kiln's tensors are always
//! kLINEAR (row-major); the other values exist so that ported code compiles.
enum class TensorFormat : int32_t {
    kLINEAR = 0,
    kCHW2 = 1,
    kHWC8 = 2,
    kCHW4 = 3,
    kCHW16 = 4,
    kCHW32 = 5,
    kDHWC8 = 6,
    kCDHW32 = 7,
    kHWC = 8,
    kDLA_LINEAR = 9,
    kDLA_HWC4 = 10,
    kHWC16 = 11,
    kDHWC = 12,
    kNCHW = kLINEAR,  //!< TensorRT 5's PluginFormat::kNCHW
};
using PluginFormat = TensorFormat;

//! A plugin input or output as kiln passes it: full dimensions (with the batch dimension,
//! except for static-shape plugins in implicit-batch networks), element type and layout.
struct PluginTensorDesc {
    Dims dims;
    DataType type = DataType::kFLOAT;
    TensorFormat format = TensorFormat::kLINEAR;
    float scale = 1.f;  //!< INT8 quantization scale (unused: kiln runs plugins in their own types)
};

//! What configurePlugin() sees of a tensor of a dynamic-shape plugin: `desc.dims` (-1 where
//! unknown) and the range the dimensions take (when an engine is built: the shapes it is
//! built for; when it runs: the run's shapes).
struct DynamicPluginTensorDesc {
    PluginTensorDesc desc;
    Dims min;
    Dims max;
    Dims opt;
};

//! An extent in a dynamic-shape plugin's output dimensions (see IExprBuilder).
class IDimensionExpr {
public:
    //! True when the extent's value is known.
    virtual bool isConstant() const noexcept = 0;
    //! The value when isConstant(), else -1.
    virtual int64_t getConstantValue() const noexcept = 0;

protected:
    virtual ~IDimensionExpr() = default;
};

enum class DimensionOperation : int32_t {
    kSUM = 0,
    kPROD = 1,
    kMAX = 2,
    kMIN = 3,
    kSUB = 4,
    kEQUAL = 5,  //!< 1 if equal, else 0
    kLESS = 6,   //!< 1 if less, else 0
    kFLOOR_DIV = 7,
    kCEIL_DIV = 8,
};

//! Builds extents from constants and other extents. An operation on an unknown extent
//! gives an unknown extent; a division by zero gives an unknown extent. The expressions
//! live as long as the getOutputDimensions() call that received the builder.
class IExprBuilder {
public:
    virtual const IDimensionExpr* constant(int64_t value) noexcept = 0;
    virtual const IDimensionExpr* operation(DimensionOperation op, const IDimensionExpr& first,
                                            const IDimensionExpr& second) noexcept = 0;

protected:
    virtual ~IExprBuilder() = default;
};

//! Dimensions made of extents.
class DimsExprs {
public:
    int32_t nbDims = 0;
    const IDimensionExpr* d[Dims::MAX_DIMS] = {};
};

//! Which plugin interface an object implements (set by the interfaces; do not override).
enum class PluginInterfaceKind : int32_t {
    kV2 = 0,
    kV2_EXT = 1,
    kV2_DYNAMIC_EXT = 2,
};

//! The classic static-shape plugin. In an implicit-batch network its dimensions exclude the
//! batch and enqueue() gets the batch size; in an explicit-batch network it sees the full
//! dimensions and a batch size of 1. Its inputs and outputs share one type and format.
class IPluginV2 {
public:
    virtual ~IPluginV2() = default;

    //! Identity: type and version name the creator, with the namespace.
    virtual const char* getPluginType() const noexcept = 0;
    virtual const char* getPluginVersion() const noexcept = 0;
    virtual void setPluginNamespace(const char* pluginNamespace) noexcept = 0;
    virtual const char* getPluginNamespace() const noexcept = 0;

    virtual int32_t getNbOutputs() const noexcept = 0;
    //! Dimensions of output `index` from the input dimensions.
    virtual Dims getOutputDimensions(int32_t index, const Dims* inputs, int32_t nbInputDims) noexcept = 0;
    virtual bool supportsFormat(DataType type, PluginFormat format) const noexcept = 0;
    //! Called when an engine is built or loaded, before initialize().
    virtual void configureWithFormat(const Dims* inputDims, int32_t nbInputs, const Dims* outputDims, int32_t nbOutputs,
                                     DataType type, PluginFormat format, int32_t maxBatchSize) noexcept = 0;
    //! Acquires resources once configured; 0 on success. terminate() releases them.
    virtual int32_t initialize() noexcept = 0;
    virtual void terminate() noexcept = 0;
    virtual size_t getWorkspaceSize(int32_t maxBatchSize) const noexcept = 0;
    //! Runs the layer; 0 on success.
    virtual int32_t enqueue(int32_t batchSize, const void* const* inputs, void* const* outputs, void* workspace,
                            cudaStream_t stream) noexcept = 0;

    //! The bytes that deserializePlugin() of the creator turns back into this plugin.
    virtual size_t getSerializationSize() const noexcept = 0;
    virtual void serialize(void* buffer) const noexcept = 0;
    //! A new plugin with the same parameters (and configuration, if configured); the
    //! caller owns it. nullptr on failure.
    virtual IPluginV2* clone() const noexcept = 0;

    //! kiln: whether this plugin runs on `backend`. The default, CUDA only, fits plugins
    //! ported from TensorRT; see the header comment for the CPU backend's contract.
    virtual bool supportsBackend(BackendKind backend) const noexcept { return backend == BackendKind::kCUDA; }
    //! kiln: the backend that the following configure and enqueue calls are for.
    virtual void setBackend(BackendKind /*backend*/) noexcept {}
    //! kiln: why the last call failed (a rejected shape or field, a failed enqueue), or
    //! nullptr; kiln adds it to the error it reports.
    virtual const char* getErrorMessage() const noexcept { return nullptr; }
    //! kiln: the interface this object implements.
    virtual PluginInterfaceKind getInterfaceKind() const noexcept { return PluginInterfaceKind::kV2; }
};

//! A static-shape plugin with per-output data types.
class IPluginV2Ext : public IPluginV2 {
public:
    virtual DataType getOutputDataType(int32_t index, const DataType* inputTypes, int32_t nbInputs) const noexcept = 0;
    //! kiln never broadcasts plugin tensors across the batch; kept for ported code.
    virtual bool isOutputBroadcastAcrossBatch(int32_t /*outputIndex*/, const bool* /*inputIsBroadcasted*/,
                                              int32_t /*nbInputs*/) const noexcept {
        return false;
    }
    virtual bool canBroadcastInputAcrossBatch(int32_t /*inputIndex*/) const noexcept { return false; }
    //! Called when an engine is built or loaded, before initialize(); the broadcast flags are
    //! always false.
    virtual void configurePlugin(const Dims* inputDims, int32_t nbInputs, const Dims* outputDims, int32_t nbOutputs,
                                 const DataType* inputTypes, const DataType* outputTypes, const bool* inputIsBroadcast,
                                 const bool* outputIsBroadcast, PluginFormat floatFormat,
                                 int32_t maxBatchSize) noexcept = 0;
    //! CUDA backend only: the libraries' handles of the context.
    virtual void attachToContext(cudnnContext* /*cudnn*/, cublasContext* /*cublas*/,
                                 IGpuAllocator* /*allocator*/) noexcept {}
    virtual void detachFromContext() noexcept {}
    IPluginV2Ext* clone() const noexcept override = 0;
    PluginInterfaceKind getInterfaceKind() const noexcept override { return PluginInterfaceKind::kV2_EXT; }

protected:
    // configurePlugin() replaces it.
    void configureWithFormat(const Dims*, int32_t, const Dims*, int32_t, DataType, PluginFormat,
                             int32_t) noexcept override {}
};

//! A plugin whose output dimensions are expressions of its input dimensions, with full
//! (batch-inclusive) dimensions everywhere. The shape kiln builds for and each run's shape
//! reach configurePlugin(), and enqueue() sees the run's descriptors.
class IPluginV2DynamicExt : public IPluginV2Ext {
public:
    IPluginV2DynamicExt* clone() const noexcept override = 0;
    virtual DimsExprs getOutputDimensions(int32_t outputIndex, const DimsExprs* inputs, int32_t nbInputs,
                                          IExprBuilder& exprBuilder) noexcept = 0;
    //! Whether tensor `pos` (inputs first, then outputs) may have the type and format of
    //! inOut[pos], given those of the tensors before it.
    virtual bool supportsFormatCombination(int32_t pos, const PluginTensorDesc* inOut, int32_t nbInputs,
                                           int32_t nbOutputs) noexcept = 0;
    virtual void configurePlugin(const DynamicPluginTensorDesc* in, int32_t nbInputs,
                                 const DynamicPluginTensorDesc* out, int32_t nbOutputs) noexcept = 0;
    virtual size_t getWorkspaceSize(const PluginTensorDesc* inputs, int32_t nbInputs, const PluginTensorDesc* outputs,
                                    int32_t nbOutputs) const noexcept = 0;
    virtual int32_t enqueue(const PluginTensorDesc* inputDesc, const PluginTensorDesc* outputDesc,
                            const void* const* inputs, void* const* outputs, void* workspace,
                            cudaStream_t stream) noexcept = 0;
    PluginInterfaceKind getInterfaceKind() const noexcept override { return PluginInterfaceKind::kV2_DYNAMIC_EXT; }

private:
    // The static-shape methods; kiln never calls them on a dynamic plugin.
    Dims getOutputDimensions(int32_t, const Dims*, int32_t) noexcept final { return Dims{}; }
    bool supportsFormat(DataType, PluginFormat) const noexcept final { return false; }
    void configurePlugin(const Dims*, int32_t, const Dims*, int32_t, const DataType*, const DataType*, const bool*,
                         const bool*, PluginFormat, int32_t) noexcept final {}
    size_t getWorkspaceSize(int32_t) const noexcept final { return 0; }
    int32_t enqueue(int32_t, const void* const*, void* const*, void*, cudaStream_t) noexcept final { return -1; }
};

//! Creates plugins of one type and version, from fields or from serialized bytes.
class IPluginCreator {
public:
    virtual ~IPluginCreator() = default;
    virtual const char* getPluginName() const noexcept = 0;
    virtual const char* getPluginVersion() const noexcept = 0;
    //! The fields createPlugin() accepts (data pointers may be null).
    virtual const PluginFieldCollection* getFieldNames() noexcept = 0;
    //! A new plugin for layer `name`; the caller owns it. nullptr when the fields are invalid.
    virtual IPluginV2* createPlugin(const char* name, const PluginFieldCollection* fc) noexcept = 0;
    //! The plugin whose serialize() wrote `serialData`; the caller owns it. nullptr when the
    //! bytes are invalid.
    virtual IPluginV2* deserializePlugin(const char* name, const void* serialData, size_t serialLength) noexcept = 0;
    //! The namespace the creator's plugins get (set by the registry when it is registered).
    virtual void setPluginNamespace(const char* pluginNamespace) noexcept = 0;
    virtual const char* getPluginNamespace() const noexcept = 0;
};

//! The process-wide table of plugin creators, keyed by (name, version, namespace).
//! Thread-safe. It does not own the creators: each must stay alive while registered.
class IPluginRegistry {
public:
    //! Registers `creator` under `pluginNamespace` (setting the creator's namespace); false
    //! if a creator with the same name, version and namespace is registered already.
    virtual bool registerCreator(IPluginCreator& creator, const char* pluginNamespace) noexcept = 0;
    virtual bool deregisterCreator(const IPluginCreator& creator) noexcept = 0;
    //! The registered creators; the array stays valid until the next (de)registration.
    virtual IPluginCreator* const* getPluginCreatorList(int32_t* numCreators) const noexcept = 0;
    //! nullptr when none is registered.
    virtual IPluginCreator* getPluginCreator(const char* pluginName, const char* pluginVersion,
                                             const char* pluginNamespace = "") noexcept = 0;
    //! kiln: the logger that creators and library loading report to (may be null; must
    //! outlive its use). initBuiltinPlugins() sets it when none is set.
    virtual void setLogger(ILogger* logger) noexcept = 0;
    virtual ILogger* getLogger() const noexcept = 0;

protected:
    virtual ~IPluginRegistry() = default;
};

//! The registry of this process (never null).
IPluginRegistry* getPluginRegistry() noexcept;

//! Loads a plugin library (dlopen); its creators register themselves while it loads (with
//! KILN_REGISTER_PLUGIN). The library stays loaded. False, with the reason logged to
//! `logger` (or the registry's logger), when it cannot be loaded.
bool loadPluginLibrary(const char* path, ILogger* logger = nullptr) noexcept;

//! Registers the built-in plugins (RPROI_TRT, Normalize_TRT, PriorBox_TRT, GridAnchor_TRT,
//! NMS_TRT, LReLU_TRT, Reorg_TRT, Region_TRT, Clip_TRT, ROIAlign_TRT, BatchedNMS_TRT; version
//! "1") under `libNamespace`, TensorRT's initLibNvInferPlugins. Defined in the library
//! kiln_plugins (link it). Calling it again for the same namespace does nothing.
bool initBuiltinPlugins(ILogger* logger, const char* libNamespace) noexcept;

//! Registers one creator of type T for the lifetime of the program (or of the library
//! holding it); see KILN_REGISTER_PLUGIN.
template <typename T>
class PluginRegistrar {
public:
    PluginRegistrar() noexcept { getPluginRegistry()->registerCreator(instance_, ""); }
    ~PluginRegistrar() { getPluginRegistry()->deregisterCreator(instance_); }
    PluginRegistrar(const PluginRegistrar&) = delete;
    PluginRegistrar& operator=(const PluginRegistrar&) = delete;

private:
    T instance_{};
};

}  // namespace kiln

#define KILN_PLUGIN_CONCAT_(a, b) a##b
#define KILN_PLUGIN_CONCAT(a, b) KILN_PLUGIN_CONCAT_(a, b)
//! Registers a creator class with the default namespace when the program or library loads
//! (TensorRT's REGISTER_TENSORRT_PLUGIN). Use it once per creator, at namespace scope.
#define KILN_REGISTER_PLUGIN(...) \
    static ::kiln::PluginRegistrar<__VA_ARGS__> KILN_PLUGIN_CONCAT(kilnPluginRegistrar_, __LINE__) {}
