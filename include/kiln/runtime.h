// kiln public API: engines, execution contexts and the runtime.
#pragma once
#include <cstdint>
#include <memory>

#include "types.h"

namespace kiln {

enum class TensorIOMode : int32_t { kNONE = 0, kINPUT = 1, kOUTPUT = 2 };

using AllocatorFlags = uint32_t;

//! kMIN, kOPT or kMAX of an optimization profile (defined in builder.h).
enum class OptProfileSelector : int32_t;

//! Device memory from the application (TensorRT's IGpuAllocator): when set on
//! the builder or the runtime, CUDA engines take their weights and each
//! context its activation arena and workspace from it. It must outlive the
//! engines and contexts that use it and may be called from several threads.
class IGpuAllocator {
public:
    virtual ~IGpuAllocator() = default;
    //! `size` bytes aligned to `alignment` (a power of two), or nullptr when
    //! there is not enough memory (kiln then reports out of device memory).
    virtual void* allocate(uint64_t size, uint64_t alignment, AllocatorFlags flags) noexcept = 0;
    //! Releases memory from allocate(); returns false if it was not ours.
    virtual bool deallocate(void* memory) noexcept = 0;
};

class IExecutionContext;

//! An optimized network, ready to run. Immutable and safe to share between
//! threads; each thread runs it through its own IExecutionContext.
class IEngine {
public:
    virtual ~IEngine() = default;

    // ---- classic bindings: inputs first, then outputs, in network order ----
    virtual int32_t getNbBindings() const noexcept = 0;
    //! Index of the binding named `name`, or -1 (reported to the logger).
    virtual int32_t getBindingIndex(const char* name) const noexcept = 0;
    virtual const char* getBindingName(int32_t bindingIndex) const noexcept = 0;
    virtual bool bindingIsInput(int32_t bindingIndex) const noexcept = 0;
    //! Dimensions of the binding; excludes the batch in implicit-batch engines.
    virtual Dims getBindingDimensions(int32_t bindingIndex) const noexcept = 0;
    virtual DataType getBindingDataType(int32_t bindingIndex) const noexcept = 0;
    virtual int32_t getMaxBatchSize() const noexcept = 0;
    virtual bool hasImplicitBatchDimension() const noexcept = 0;

    // ---- named I/O tensors ----
    virtual int32_t getNbIOTensors() const noexcept = 0;
    virtual const char* getIOTensorName(int32_t index) const noexcept = 0;
    virtual TensorIOMode getTensorIOMode(const char* tensorName) const noexcept = 0;
    //! Full shape (with the batch dimension; -1 where dynamic).
    virtual Dims getTensorShape(const char* tensorName) const noexcept = 0;
    virtual DataType getTensorDataType(const char* tensorName) const noexcept = 0;

    virtual int32_t getNbLayers() const noexcept = 0;
    //! Each optimization profile was compiled separately (tactics timed at its
    //! opt shapes, memory planned for its max shapes); contexts pick one with
    //! IExecutionContext::setOptimizationProfileAsync().
    virtual int32_t getNbOptimizationProfiles() const noexcept = 0;
    //! The min, opt or max shape that optimization profile `profileIndex` gives
    //! input `tensorName`; nbDims -1 (and an error logged) for an unknown name,
    //! an output or an index out of range.
    virtual Dims getProfileShape(const char* tensorName, int32_t profileIndex,
                                 OptProfileSelector select) const noexcept = 0;
    //! Scratch + activation memory one execution context needs, in bytes.
    virtual size_t getDeviceMemorySize() const noexcept = 0;
    virtual BackendKind getBackend() const noexcept = 0;

    virtual std::unique_ptr<IExecutionContext> createExecutionContext() noexcept = 0;
    virtual std::unique_ptr<IHostMemory> serialize() const noexcept = 0;
    //! kiln: the layers after optimization, their precisions, tactics and the
    //! memory plan, as text or JSON.
    virtual std::unique_ptr<IHostMemory> getEngineInformation(bool json) const noexcept = 0;
};

//! TensorRT's name for an engine.
using ICudaEngine = IEngine;

//! Supplies memory for outputs whose size is known only during inference (data-dependent
//! shapes: NonZero, Unique, a Reshape by computed dims ...), as TensorRT's IOutputAllocator.
//! When an allocator is set for an output, every run takes that output's buffer from it.
class IOutputAllocator {
public:
    virtual ~IOutputAllocator() = default;
    //! Returns a buffer of at least `size` bytes, aligned to `alignment`, for output
    //! `tensorName`; `currentMemory` is the buffer it returned last time (or nullptr).
    //! nullptr fails the run.
    virtual void* reallocateOutput(const char* tensorName, void* currentMemory, uint64_t size,
                                   uint64_t alignment) noexcept = 0;
    //! Stream-ordered form; by default calls reallocateOutput().
    virtual void* reallocateOutputAsync(const char* tensorName, void* currentMemory, uint64_t size, uint64_t alignment,
                                        cudaStream_t /*stream*/) noexcept {
        return reallocateOutput(tensorName, currentMemory, size, alignment);
    }
    //! Called after a successful run with the output's dimensions.
    virtual void notifyShape(const char* tensorName, const Dims& dims) noexcept = 0;
};

//! Receives per-layer times from a context (TensorRT's IProfiler). Layer names are
//! the engine's layer names (a fused layer is named after its first layer).
class IProfiler {
public:
    virtual ~IProfiler() = default;
    //! One call per layer and run, in execution order; `ms` is the layer's time in
    //! milliseconds (CUDA: measured with events around its launches; CPU: wall clock).
    virtual void reportLayerTime(const char* layerName, float ms) noexcept = 0;
};

//! Runs an engine. Not thread-safe: one context per thread.
class IExecutionContext {
public:
    virtual ~IExecutionContext() = default;
    virtual const IEngine& getEngine() const noexcept = 0;

    // ---- classic, binding indices ----
    //! Runs `batchSize` items (<= the engine's max batch) with buffers[i] for
    //! binding i. On the CPU backend the call completes before it returns.
    virtual bool enqueue(int32_t batchSize, void* const* bindings, cudaStream_t stream,
                         cudaEvent_t* inputConsumed) noexcept = 0;
    //! Synchronous form of enqueue().
    virtual bool execute(int32_t batchSize, void* const* bindings) noexcept = 0;
    //! Explicit-batch forms: shapes come from setInputShape().
    virtual bool enqueueV2(void* const* bindings, cudaStream_t stream, cudaEvent_t* inputConsumed) noexcept = 0;
    virtual bool executeV2(void* const* bindings) noexcept = 0;

    // ---- named tensors ----
    virtual bool setTensorAddress(const char* tensorName, void* data) noexcept = 0;
    virtual void* getTensorAddress(const char* tensorName) const noexcept = 0;
    //! Sets (or, with nullptr, clears) the allocator of output `tensorName`; outputs of
    //! data-dependent shape need one. The allocator must outlive its use by this context.
    virtual bool setOutputAllocator(const char* tensorName, IOutputAllocator* allocator) noexcept = 0;
    virtual IOutputAllocator* getOutputAllocator(const char* tensorName) const noexcept = 0;
    //! Shape of a dynamic input for the next run; must lie in the active profile.
    virtual bool setInputShape(const char* tensorName, const Dims& dims) noexcept = 0;
    //! Current shape of an input or output (outputs follow the input shapes; -1 marks an
    //! output dimension that depends on computed values, which IOutputAllocator::notifyShape reports).
    virtual Dims getTensorShape(const char* tensorName) const noexcept = 0;
    //! Runs with the addresses set by setTensorAddress(); asynchronous on CUDA.
    virtual bool enqueueV3(cudaStream_t stream) noexcept = 0;
    bool enqueue(cudaStream_t stream) noexcept { return enqueueV3(stream); }
    //! Runs with the addresses set by setTensorAddress() and waits for the result.
    virtual bool execute() noexcept = 0;

    //! Makes profile `profileIndex` the active one: setInputShape() checks
    //! against its ranges and runs use its compiled plan. Input shapes start at
    //! the profile's opt shapes. The first switch to a profile allocates that
    //! profile's activation memory; later switches back are free. Returns false
    //! (and logs) for an index out of range.
    virtual bool setOptimizationProfileAsync(int32_t profileIndex, cudaStream_t stream) noexcept = 0;
    //! setOptimizationProfileAsync() without a stream.
    virtual bool setOptimizationProfile(int32_t profileIndex) noexcept = 0;
    virtual int32_t getOptimizationProfile() const noexcept = 0;
    virtual void setName(const char* name) noexcept = 0;
    virtual const char* getName() const noexcept = 0;

    //! kiln (CUDA engines): capture the whole inference into a CUDA graph on the
    //! next enqueue and replay that graph on later enqueues, which removes the
    //! per-layer launch cost. The graph is captured again (updated in place)
    //! when the bound addresses or input shapes change. Enqueues on the legacy
    //! default stream (nullptr) run without a graph. Returns false (and logs)
    //! when enabling it on an engine of another backend, or on an engine whose
    //! enqueue waits for the device (data-dependent shapes, shape tensors read
    //! back from the device, loops, conditionals), which then runs without one.
    virtual bool setCudaGraphCapture(bool enabled) noexcept = 0;
    virtual bool getCudaGraphCapture() const noexcept = 0;

    // ---- per-layer profiling (TensorRT's setProfiler) ----
    //! Sets (nullptr: clears) the profiler that receives each layer's time. While a
    //! profiler is set, runs are timed layer by layer and do not use a CUDA graph.
    virtual void setProfiler(IProfiler* profiler) noexcept = 0;
    virtual IProfiler* getProfiler() const noexcept = 0;
    //! true (the default): enqueue*() waits for its run and reports it to the profiler;
    //! false: enqueue*() stays asynchronous and reportToProfiler() reports the last run.
    virtual bool setEnqueueEmitsProfile(bool enqueueEmitsProfile) noexcept = 0;
    virtual bool getEnqueueEmitsProfile() const noexcept = 0;
    //! Waits for the last profiled run and reports its layer times; false (and logs)
    //! when no profiler is set or nothing was profiled since the last report.
    virtual bool reportToProfiler() const noexcept = 0;
};

class IRuntime {
public:
    virtual ~IRuntime() = default;
    //! Verifies and loads a serialized engine; nullptr (with the reason logged)
    //! for a truncated, corrupted, wrong-version or wrong-backend file.
    virtual std::unique_ptr<ICudaEngine> deserializeCudaEngine(const void* blob, size_t size,
                                                               void* pluginFactory = nullptr) noexcept = 0;
    virtual std::unique_ptr<ICudaEngine> deserializeEngine(const void* blob, size_t size) noexcept = 0;
    virtual ILogger* getLogger() const noexcept = 0;
    //! Device memory of the engines this runtime loads (nullptr: cudaMalloc).
    virtual void setGpuAllocator(IGpuAllocator* allocator) noexcept = 0;
};

//! Creates a runtime that reports to `logger` (which must outlive it).
std::unique_ptr<IRuntime> createInferRuntime(ILogger& logger) noexcept;

}  // namespace kiln
