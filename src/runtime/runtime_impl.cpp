#include "engine/format.h"
#include "runtime_objects.h"

namespace kiln {

namespace {

class RuntimeImpl final : public IRuntime {
public:
    explicit RuntimeImpl(ILogger& logger) : logger_(&logger) {}
    std::unique_ptr<ICudaEngine> deserializeCudaEngine(const void* blob, size_t size, void*) noexcept override {
        return deserializeEngine(blob, size);
    }
    std::unique_ptr<ICudaEngine> deserializeEngine(const void* blob, size_t size) noexcept override {
        if (!blob || size == 0) {
            logger_->log(ILogger::Severity::kERROR, "deserializeCudaEngine: null or empty engine data");
            return nullptr;
        }
        engine::Plans plans;
        Status st;
        try {
            st = engine::readEngine(blob, size, plans);
        } catch (const std::bad_alloc&) {
            st = Status::Error("out of memory while reading the engine");
        }
        if (!st.ok()) {
            logger_->log(ILogger::Severity::kERROR, ("deserializeCudaEngine: " + st.message()).c_str());
            return nullptr;
        }
        return runtime::EngineImpl::fromPlans(std::move(plans), logger_, allocator_);
    }
    ILogger* getLogger() const noexcept override { return logger_; }
    void setGpuAllocator(IGpuAllocator* allocator) noexcept override { allocator_ = allocator; }

private:
    ILogger* logger_;
    IGpuAllocator* allocator_ = nullptr;
};

}  // namespace

std::unique_ptr<IRuntime> createInferRuntime(ILogger& logger) noexcept { return std::make_unique<RuntimeImpl>(logger); }

}  // namespace kiln
