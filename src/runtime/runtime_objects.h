// Implementations of IEngine, IExecutionContext and IRuntime.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine_core.h"
#include "executor.h"
#ifdef KILN_HAVE_CUDA
#include "cuda/cuda_engine.h"
#endif
#include "kiln/runtime.h"

namespace kiln::runtime {

// Host memory owned by kiln (serialized engines, engine information).
class HostMemory final : public IHostMemory {
public:
    explicit HostMemory(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
    void* data() const noexcept override { return const_cast<uint8_t*>(bytes_.data()); }
    size_t size() const noexcept override { return bytes_.size(); }
    DataType type() const noexcept override { return DataType::kUINT8; }

private:
    std::vector<uint8_t> bytes_;
};

class EngineImpl final : public IEngine {
public:
    // One core per optimization profile (at least one).
    EngineImpl(std::vector<std::shared_ptr<const EngineCore>> cores, ILogger* logger, IGpuAllocator* allocator = nullptr)
        : cores_(std::move(cores)), core_(cores_.front()), logger_(logger), allocator_(allocator) {}
    // Loads verified plans (one per profile) into an engine; nullptr after logging on failure.
    static std::unique_ptr<EngineImpl> fromPlans(engine::Plans plans, ILogger* logger,
                                                 IGpuAllocator* allocator = nullptr);

    int32_t getNbBindings() const noexcept override { return int32_t(core_->bindings().size()); }
    int32_t getBindingIndex(const char* name) const noexcept override;
    const char* getBindingName(int32_t i) const noexcept override;
    bool bindingIsInput(int32_t i) const noexcept override;
    Dims getBindingDimensions(int32_t i) const noexcept override;
    DataType getBindingDataType(int32_t i) const noexcept override;
    int32_t getMaxBatchSize() const noexcept override { return core_->plan().maxBatchSize; }
    bool hasImplicitBatchDimension() const noexcept override { return core_->plan().implicitBatch; }
    int32_t getNbIOTensors() const noexcept override { return getNbBindings(); }
    const char* getIOTensorName(int32_t i) const noexcept override { return getBindingName(i); }
    TensorIOMode getTensorIOMode(const char* name) const noexcept override;
    Dims getTensorShape(const char* name) const noexcept override;
    DataType getTensorDataType(const char* name) const noexcept override;
    int32_t getNbLayers() const noexcept override { return int32_t(core_->plan().graph.nodes.size()); }
    int32_t getNbOptimizationProfiles() const noexcept override { return int32_t(cores_.size()); }
    Dims getProfileShape(const char* tensorName, int32_t profileIndex, OptProfileSelector select) const noexcept override;
    size_t getDeviceMemorySize() const noexcept override;
    BackendKind getBackend() const noexcept override { return BackendKind(int(core_->plan().backend)); }
    std::unique_ptr<IExecutionContext> createExecutionContext() noexcept override;
    std::unique_ptr<IHostMemory> serialize() const noexcept override;
    std::unique_ptr<IHostMemory> getEngineInformation(bool json) const noexcept override;

    // Profile 0's core: bindings, dtypes and settings are the same in every profile.
    const EngineCore& core() const { return *core_; }
    const std::shared_ptr<const EngineCore>& corePtr(int profile = 0) const { return cores_[size_t(profile)]; }
    int nbProfiles() const { return int(cores_.size()); }
    ILogger* logger() const { return logger_; }
    IGpuAllocator* gpuAllocator() const { return allocator_; }
    // Binding index for a tensor name; logs an error naming `call` if absent.
    int findBinding(const char* name, const char* call) const;

private:
    // Declared shape of binding i over all profiles (-1 where it varies).
    ir::Shape declaredShape(int i) const;

    std::vector<std::shared_ptr<const EngineCore>> cores_;
    std::shared_ptr<const EngineCore> core_;  // cores_[0]
    ILogger* logger_;
    IGpuAllocator* allocator_ = nullptr;
};

class ContextImpl final : public IExecutionContext {
public:
    explicit ContextImpl(const EngineImpl& engine);
    const IEngine& getEngine() const noexcept override { return engine_; }
    bool enqueue(int32_t batchSize, void* const* bindings, cudaStream_t stream, cudaEvent_t* ev) noexcept override;
    bool execute(int32_t batchSize, void* const* bindings) noexcept override;
    bool enqueueV2(void* const* bindings, cudaStream_t stream, cudaEvent_t* ev) noexcept override;
    bool executeV2(void* const* bindings) noexcept override;
    bool setTensorAddress(const char* name, void* data) noexcept override;
    void* getTensorAddress(const char* name) const noexcept override;
    bool setOutputAllocator(const char* name, IOutputAllocator* allocator) noexcept override;
    IOutputAllocator* getOutputAllocator(const char* name) const noexcept override;
    bool setInputShape(const char* name, const Dims& dims) noexcept override;
    Dims getTensorShape(const char* name) const noexcept override;
    bool enqueueV3(cudaStream_t stream) noexcept override;
    bool execute() noexcept override;
    bool setOptimizationProfile(int32_t index) noexcept override;
    bool setOptimizationProfileAsync(int32_t index, cudaStream_t stream) noexcept override;
    int32_t getOptimizationProfile() const noexcept override { return profile_; }
    void setName(const char* name) noexcept override { name_ = name ? name : ""; }
    const char* getName() const noexcept override { return name_.c_str(); }
    bool setCudaGraphCapture(bool enabled) noexcept override;
    bool getCudaGraphCapture() const noexcept override;
    void setProfiler(IProfiler* profiler) noexcept override;
    IProfiler* getProfiler() const noexcept override { return profiler_; }
    bool setEnqueueEmitsProfile(bool on) noexcept override;
    bool getEnqueueEmitsProfile() const noexcept override { return emitsProfile_; }
    bool reportToProfiler() const noexcept override;

    // Why the context could not be made (device memory, say); checked by createExecutionContext().
    const Status& initStatus() const { return init_; }

private:
    // `sync`: wait for the result (execute*); otherwise only enqueue on `stream` (CUDA).
    bool runWith(const std::vector<void*>& io, const char* call, cudaStream_t stream = nullptr,
                 cudaEvent_t* inputConsumed = nullptr, bool sync = true);
    bool runBatch(int32_t batchSize, void* const* bindings, const char* call, cudaStream_t stream,
                  cudaEvent_t* inputConsumed, bool sync);
    void error(const std::string& msg) const;
    // Reports the active profile's last run to the profiler (waits for it on CUDA).
    Status report() const;
    void applyProfiling(int k);
    // Creates profile k's executor (and CUDA state) if this context has none yet.
    Status prepareProfile(int k);
    Executor& exec() { return *execs_[size_t(profile_)]; }
    const Executor& exec() const { return *execs_[size_t(profile_)]; }

    const EngineImpl& engine_;
    // Per optimization profile, made when the context first switches to it and
    // kept, so that switching back costs nothing: its own arena (sized for that
    // profile's max shapes) and kernels' state. The thread pool is shared.
    std::shared_ptr<cpu::ThreadPool> pool_;
    std::vector<std::unique_ptr<Executor>> execs_;
    int profile_ = 0;
    bool graphCapture_ = false;
    IProfiler* profiler_ = nullptr;
    bool emitsProfile_ = true;
    mutable bool pendingProfile_ = false;  // a profiled run not reported yet
    std::vector<ir::Shape> inputShapes_;
    std::vector<void*> addresses_;
    std::vector<IOutputAllocator*> allocators_;  // per binding; only outputs may have one
    std::string name_;
    Status init_;
#ifdef KILN_HAVE_CUDA
    std::vector<std::unique_ptr<cuda::ContextState>> cudas_;  // per profile, for CUDA engines
    cuda::ContextState* cuda_ = nullptr;                      // the active profile's
#endif
};

}  // namespace kiln::runtime
