#include "runtime_objects.h"

#include <algorithm>

namespace kiln::runtime {

namespace {
Dims toDims(const ir::Shape& s) {
    Dims d;
    d.nbDims = int32_t(s.size());
    for (size_t k = 0; k < s.size(); ++k) d.d[k] = s[k];
    return d;
}
}  // namespace

ContextImpl::ContextImpl(const EngineImpl& engine) : engine_(engine), pool_(std::make_shared<cpu::ThreadPool>(0)) {
    const auto& core = engine.core();
    addresses_.assign(core.bindings().size(), nullptr);
    allocators_.assign(core.bindings().size(), nullptr);
    execs_.resize(size_t(engine.nbProfiles()));
#ifdef KILN_HAVE_CUDA
    cudas_.resize(size_t(engine.nbProfiles()));
#endif
    init_ = prepareProfile(0);
    // Inputs start at the profile's opt shape (the only shape for static engines).
    for (int i = 0; i < core.nbInputs(); ++i) inputShapes_.push_back(core.plan().profiles[0].opt[size_t(i)]);
}

Status ContextImpl::prepareProfile(int k) {
    const auto& core = engine_.corePtr(k);
    if (!execs_[size_t(k)]) execs_[size_t(k)] = std::make_unique<Executor>(core, pool_);
#ifdef KILN_HAVE_CUDA
    if (core->cudaState() && !cudas_[size_t(k)]) {
        std::unique_ptr<cuda::ContextState> state;
        KILN_RETURN_IF_ERROR(
            cuda::ContextState::create(core->plan(), core->cudaState(), engine_.gpuAllocator(), state));
        state->setGraphCapture(graphCapture_);
        cudas_[size_t(k)] = std::move(state);
    }
    cuda_ = cudas_[size_t(k)].get();
#endif
    applyProfiling(k);
    return Status::Ok();
}

void ContextImpl::applyProfiling(int k) {
    execs_[size_t(k)]->setProfiling(profiler_ != nullptr);
#ifdef KILN_HAVE_CUDA
    if (cudas_[size_t(k)]) cudas_[size_t(k)]->setProfiling(profiler_ != nullptr);
#endif
}

void ContextImpl::setProfiler(IProfiler* profiler) noexcept {
    profiler_ = profiler;
    pendingProfile_ = false;
    for (size_t k = 0; k < execs_.size(); ++k)
        if (execs_[k]) applyProfiling(int(k));
}

bool ContextImpl::setEnqueueEmitsProfile(bool on) noexcept {
    emitsProfile_ = on;
    return true;
}

Status ContextImpl::report() const {
    std::vector<float> ms;
#ifdef KILN_HAVE_CUDA
    if (cuda_)
        KILN_RETURN_IF_ERROR(cuda_->layerTimes(ms));
    else
#endif
        ms = exec().layerTimes();
    const auto& nodes = engine_.corePtr(profile_)->plan().graph.nodes;
    for (size_t i = 0; i < ms.size() && i < nodes.size(); ++i)
        if (ms[i] >= 0) profiler_->reportLayerTime(nodes[i].name.c_str(), ms[i]);
    return Status::Ok();
}

bool ContextImpl::reportToProfiler() const noexcept {
    if (!profiler_ || !pendingProfile_) {
        error(profiler_ ? "reportToProfiler: no profiled run since the last report"
                        : "reportToProfiler: no profiler is set (setProfiler)");
        return false;
    }
    pendingProfile_ = false;
    const Status st = report();
    if (!st.ok()) error("reportToProfiler: " + st.message());
    return st.ok();
}

void ContextImpl::error(const std::string& msg) const {
    if (engine_.logger()) engine_.logger()->log(ILogger::Severity::kERROR, msg.c_str());
}

bool ContextImpl::runWith(const std::vector<void*>& io, const char* call, cudaStream_t stream,
                          cudaEvent_t* inputConsumed, bool sync) {
    const auto& bindings = engine_.core().bindings();
    const size_t nIn = size_t(engine_.core().nbInputs());
    for (size_t i = 0; i < io.size(); ++i) {
        if (!io[i] && !allocators_[i]) {
            error(std::string(call) + ": no buffer for " + (bindings[i].isInput ? "input" : "output") + " '" +
                  bindings[i].name + "'");
            return false;
        }
    }
    std::vector<bool> allocated(bindings.size() - nIn);
    for (size_t o = 0; o < allocated.size(); ++o) allocated[o] = allocators_[nIn + o] != nullptr;
    const OutputAllocFn alloc = [&](size_t o, const ir::Shape&, size_t bytes) -> void* {
        const Binding& b = bindings[nIn + o];
        void* p = allocators_[nIn + o]->reallocateOutputAsync(b.name.c_str(), addresses_[nIn + o], bytes, 64, stream);
        if (p) addresses_[nIn + o] = p;
        return p;
    };
    Status st;
    try {
#ifdef KILN_HAVE_CUDA
        if (cuda_) {
            st = sync ? cuda_->execute(io, inputShapes_, allocated, alloc)
                      : cuda_->enqueue(io, inputShapes_, stream, inputConsumed, allocated, alloc);
        } else
#endif
            st = exec().run(io, inputShapes_, allocated, alloc);
    } catch (const std::bad_alloc&) {
        st = Status::Error("out of host memory");
    }
    if (!st.ok()) {
        error(std::string(call) + ": " + st.message());
        return false;
    }
    for (size_t o = 0; o < allocated.size(); ++o) {
        if (!allocated[o]) continue;
        const ir::Shape* shape = &exec().lastOutputShape(o);
#ifdef KILN_HAVE_CUDA
        if (cuda_) shape = &cuda_->lastOutputShape(o);
#endif
        allocators_[nIn + o]->notifyShape(bindings[nIn + o].name.c_str(), toDims(*shape));
    }
    if (profiler_) {
        pendingProfile_ = true;
        if (sync || emitsProfile_) return reportToProfiler();
    }
    return true;
}

bool ContextImpl::enqueue(int32_t batchSize, void* const* bindings, cudaStream_t stream, cudaEvent_t* ev) noexcept {
    return runBatch(batchSize, bindings, "enqueue", stream, ev, false);
}

bool ContextImpl::execute(int32_t batchSize, void* const* bindings) noexcept {
    return runBatch(batchSize, bindings, "execute", nullptr, nullptr, true);
}

bool ContextImpl::runBatch(int32_t batchSize, void* const* bindings, const char* call, cudaStream_t stream,
                           cudaEvent_t* ev, bool sync) {
    const auto& plan = engine_.core().plan();
    if (!bindings) {
        error("enqueue: null bindings array");
        return false;
    }
    if (!plan.implicitBatch) {
        error(
            "enqueue(batchSize, ...): the engine has an explicit batch dimension; use enqueueV2/executeV2 "
            "or setTensorAddress + enqueueV3");
        return false;
    }
    if (batchSize < 1 || batchSize > plan.maxBatchSize) {
        error("enqueue: batch size " + std::to_string(batchSize) + " is outside [1, " +
              std::to_string(plan.maxBatchSize) + "], the engine's maximum batch size");
        return false;
    }
    for (auto& s : inputShapes_)
        if (!s.empty()) s[0] = batchSize;
    std::vector<void*> io(bindings, bindings + engine_.core().bindings().size());
    return runWith(io, call, stream, ev, sync);
}

bool ContextImpl::enqueueV2(void* const* bindings, cudaStream_t stream, cudaEvent_t* ev) noexcept {
    if (!bindings) {
        error("enqueueV2: null bindings array");
        return false;
    }
    std::vector<void*> io(bindings, bindings + engine_.core().bindings().size());
    return runWith(io, "enqueueV2", stream, ev, false);
}

bool ContextImpl::executeV2(void* const* bindings) noexcept {
    if (!bindings) {
        error("executeV2: null bindings array");
        return false;
    }
    std::vector<void*> io(bindings, bindings + engine_.core().bindings().size());
    return runWith(io, "executeV2");
}

bool ContextImpl::setTensorAddress(const char* name, void* data) noexcept {
    const int i = engine_.findBinding(name, "setTensorAddress");
    if (i < 0) return false;
    if (!data) {
        error(std::string("setTensorAddress: null address for '") + name + "'");
        return false;
    }
    addresses_[size_t(i)] = data;
    return true;
}

void* ContextImpl::getTensorAddress(const char* name) const noexcept {
    const int i = name ? engine_.core().bindingIndex(name) : -1;
    return i < 0 ? nullptr : addresses_[size_t(i)];
}

bool ContextImpl::setOutputAllocator(const char* name, IOutputAllocator* allocator) noexcept {
    const int i = engine_.findBinding(name, "setOutputAllocator");
    if (i < 0) return false;
    if (engine_.core().bindings()[size_t(i)].isInput) {
        error(std::string("setOutputAllocator: '") + name + "' is an input");
        return false;
    }
    allocators_[size_t(i)] = allocator;
    return true;
}

IOutputAllocator* ContextImpl::getOutputAllocator(const char* name) const noexcept {
    const int i = name ? engine_.core().bindingIndex(name) : -1;
    return i < 0 ? nullptr : allocators_[size_t(i)];
}

bool ContextImpl::setInputShape(const char* name, const Dims& dims) noexcept {
    const int i = engine_.findBinding(name, "setInputShape");
    if (i < 0) return false;
    if (!engine_.core().bindings()[size_t(i)].isInput) {
        error(std::string("setInputShape: '") + name + "' is an output");
        return false;
    }
    if (dims.nbDims < 0 || dims.nbDims > Dims::MAX_DIMS) {
        error(std::string("setInputShape: invalid rank for '") + name + "'");
        return false;
    }
    ir::Shape s(dims.d, dims.d + dims.nbDims);
    Status st = exec().checkInputShape(i, s);
    if (!st.ok()) {
        error("setInputShape: " + st.message());
        return false;
    }
    inputShapes_[size_t(i)] = s;
    return true;
}

Dims ContextImpl::getTensorShape(const char* name) const noexcept {
    Dims d;
    d.nbDims = -1;
    const int i = engine_.findBinding(name, "getTensorShape");
    if (i < 0) return d;
    if (i < int(inputShapes_.size())) return toDims(inputShapes_[size_t(i)]);
    std::vector<ir::Shape> outs;
    if (!const_cast<Executor&>(exec()).inferOutputShapes(inputShapes_, outs).ok()) return d;
    return toDims(outs[size_t(i) - inputShapes_.size()]);
}

bool ContextImpl::enqueueV3(cudaStream_t stream) noexcept {
    return runWith(addresses_, "enqueueV3", stream, nullptr, false);
}

bool ContextImpl::execute() noexcept { return runWith(addresses_, "enqueueV3"); }

bool ContextImpl::setOptimizationProfile(int32_t index) noexcept { return setOptimizationProfileAsync(index, nullptr); }

// Each profile has its own arena, so work still queued on `stream` for the
// previous profile cannot be overwritten by the next one: no wait is needed.
bool ContextImpl::setOptimizationProfileAsync(int32_t index, cudaStream_t) noexcept {
    if (index < 0 || index >= engine_.nbProfiles()) {
        error("setOptimizationProfile: the engine has " + std::to_string(engine_.nbProfiles()) +
              " optimization profile(s); index " + std::to_string(index) + " is out of range");
        return false;
    }
    Status st;
    try {
        st = prepareProfile(index);
    } catch (const std::bad_alloc&) {
        st = Status::Error("out of memory allocating the profile's activations");
    }
    if (!st.ok()) {
#ifdef KILN_HAVE_CUDA
        cuda_ = cudas_[size_t(profile_)].get();
#endif
        error("setOptimizationProfile(" + std::to_string(index) + "): " + st.message());
        return false;
    }
    profile_ = index;
    const auto& prof = engine_.corePtr(index)->plan().profiles[0];
    for (size_t i = 0; i < inputShapes_.size(); ++i) inputShapes_[i] = prof.opt[i];
    return true;
}

}  // namespace kiln::runtime

namespace kiln::runtime {

bool ContextImpl::setCudaGraphCapture(bool enabled) noexcept {
#ifdef KILN_HAVE_CUDA
    if (cuda_) {
        const auto& reason = engine_.core().cudaState()->dynamicReason();
        if (enabled && !reason.empty()) {
            // Syncs and host decisions during the run cannot be captured once and replayed.
            if (engine_.logger())
                engine_.logger()->log(ILogger::Severity::kWARNING,
                                      ("setCudaGraphCapture: refused, enqueue runs without a CUDA graph: " + reason)
                                          .c_str());
            return false;
        }
        graphCapture_ = enabled;
        for (auto& c : cudas_)
            if (c) c->setGraphCapture(enabled);
        return true;
    }
#endif
    if (enabled) error("setCudaGraphCapture: CUDA graphs need an engine built for the CUDA backend");
    return !enabled;
}

bool ContextImpl::getCudaGraphCapture() const noexcept {
#ifdef KILN_HAVE_CUDA
    return cuda_ && cuda_->graphCapture();
#else
    return false;
#endif
}

}  // namespace kiln::runtime
