// Chooses a CUDA tactic per node: every tactic that supports the node within
// the workspace limit is run on the node's real (max) shapes with random
// inputs and timed with CUDA events; the median of the timed runs decides.
// Results are cached per problem signature within a build. Nodes that compute
// shape tensors on the host get the "host" tactic and the boundary nodes of
// loops and conditionals "control" (backends/cuda/host_plan.h); shapes that
// depend on values are timed at their upper bounds (NonZero [rank, numel] ...),
// and layers whose shapes have no bound before the run are not timed.
#include <algorithm>
#include <map>
#include <random>

#include "backends/cpu/kernel.h"
#include "backends/cuda/cuda_check.h"
#include "backends/cuda/device_memory.h"
#include "backends/cuda/host_plan.h"
#include "backends/cuda/tactic.h"
#include "builder/build.h"
#include "builder/timing_cache.h"
#include "cuda_build.h"

namespace kiln::builder {
namespace {

// Device buffers for timing one node: random inputs, constants as they are.
struct TimingBuffers {
    std::vector<cuda::DeviceBuffer> storage;
    std::vector<cuda::DeviceTensor> in, out;
    cuda::DeviceBuffer extent;
};

// `inDescs`: the node's inputs at their bound shapes, with the values the host
// knows (constants, host-computed shape tensors), which are used as they are.
Status makeTimingBuffers(const ir::Graph& g, const ir::Node& n, const std::vector<ir::TensorDesc>& inDescs,
                         const std::vector<ir::TensorDesc>& outDescs, TimingBuffers& b) {
    std::mt19937 rng(1234);
    std::uniform_real_distribution<double> dist(-1.0, 1.0);
    for (size_t k = 0; k < n.inputs.size(); ++k) {
        const int v = n.inputs[k];
        if (v < 0) {
            b.in.push_back({});
            continue;
        }
        const auto& val = g.values[size_t(v)];
        const ir::TensorDesc& d = inDescs[k];
        const int64_t count = std::max<int64_t>(ir::volume(d.shape), 0);
        const size_t bytes = size_t(count) * ir::dtypeSize(val.dtype);
        cuda::DeviceBuffer buf;
        KILN_RETURN_IF_ERROR(cuda::DeviceBuffer::allocate(std::max<size_t>(bytes, 1), "tactic timing", buf));
        if (d.data) {
            KILN_RETURN_IF_ERROR(cuda::copyToDevice(buf.get(), d.data, bytes));
        } else {
            // Random values, made on the host for one block of at most 64Ki
            // elements and repeated on the device: an activation of 10^8
            // elements took seconds per layer to generate on the host.
            // Integer inputs (indices, say) get small non-negative values.
            const int64_t block = std::min<int64_t>(count, int64_t(1) << 16);
            std::vector<uint8_t> host(size_t(block) * ir::dtypeSize(val.dtype));
            for (int64_t i = 0; i < block; ++i)
                ir::storeFromDouble(host.data(), val.dtype, i,
                                    ir::dtypeIsFloat(val.dtype) ? dist(rng) : double(rng() % 2));
            KILN_RETURN_IF_ERROR(cuda::copyToDevice(buf.get(), host.data(), host.size()));
            auto* base = static_cast<uint8_t*>(buf.get());
            for (size_t filled = host.size(); filled < bytes; filled *= 2)
                KILN_CUDA_CHECK(
                    cudaMemcpy(base + filled, base, std::min(filled, bytes - filled), cudaMemcpyDeviceToDevice));
        }
        b.in.push_back({buf.get(), val.dtype, d.shape, d.data});
        b.storage.push_back(std::move(buf));
    }
    for (const auto& d : outDescs) {
        cuda::DeviceBuffer buf;
        const size_t bytes = size_t(std::max<int64_t>(ir::volume(d.shape), 0)) * ir::dtypeSize(d.dtype);
        KILN_RETURN_IF_ERROR(cuda::DeviceBuffer::allocate(std::max<size_t>(bytes, 1), "tactic timing", buf));
        b.out.push_back({buf.get(), d.dtype, d.shape, nullptr});
        b.storage.push_back(std::move(buf));
    }
    // Where a data-dependent op writes its extent.
    KILN_RETURN_IF_ERROR(cuda::DeviceBuffer::allocate(sizeof(int64_t), "tactic timing", b.extent));
    return Status::Ok();
}

struct Timer {
    cudaStream_t stream = nullptr;
    cudaEvent_t start = nullptr, stop = nullptr;
    ~Timer() {
        if (start) cudaEventDestroy(start);
        if (stop) cudaEventDestroy(stop);
        if (stream) cudaStreamDestroy(stream);
    }
    Status init() {
        KILN_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
        KILN_CUDA_CHECK(cudaEventCreate(&start));
        KILN_CUDA_CHECK(cudaEventCreate(&stop));
        return Status::Ok();
    }
};

// Median milliseconds of one enqueue of the tactic, measured with events.
// `createIn`: the inputs create() sees (data for the constants only, host_plan.h).
Status timeTactic(const cuda::Tactic& t, const ir::Node& n, const std::vector<ir::TensorDesc>& in,
                  const std::vector<ir::TensorDesc>& createIn, const std::vector<ir::TensorDesc>& out, TimingBuffers& b,
                  cuda::Handles& h, Timer& timer, int iterations, double& ms) {
    std::unique_ptr<cuda::Kernel> k;
    KILN_RETURN_IF_ERROR(t.create(n, createIn, out, k));
    const size_t wsBytes = t.workspace ? t.workspace(n, in, out) : 0;
    cuda::DeviceBuffer ws;
    KILN_RETURN_IF_ERROR(cuda::DeviceBuffer::allocate(wsBytes, "tactic timing workspace", ws));
    cuda::LaunchArgs args{n, b.in, b.out, timer.stream, ws.get(), wsBytes, h};
    args.outputExtent = static_cast<int64_t*>(b.extent.get());
    KILN_RETURN_IF_ERROR(k->enqueue(args));  // warm-up, and proof it runs
    KILN_CUDA_CHECK(cudaStreamSynchronize(timer.stream));
    std::vector<float> times;
    for (int i = 0; i < std::max(iterations, 3); ++i) {
        KILN_CUDA_CHECK(cudaEventRecord(timer.start, timer.stream));
        KILN_RETURN_IF_ERROR(k->enqueue(args));
        KILN_CUDA_CHECK(cudaEventRecord(timer.stop, timer.stream));
        KILN_CUDA_CHECK(cudaEventSynchronize(timer.stop));
        float t_ms = 0;
        KILN_CUDA_CHECK(cudaEventElapsedTime(&t_ms, timer.start, timer.stop));
        times.push_back(t_ms);
    }
    std::sort(times.begin(), times.end());
    ms = times[times.size() / 2];
    return Status::Ok();
}

// Nodes the host plan gives to the host (the CPU reference) or to the runtime
// (control flow) get those tactics and `done`; device nodes are left to the caller.
Status assignHostWork(const ir::Graph& g, const cuda::HostPlan& hp, size_t ni, ir::Node& n, bool& done) {
    done = hp.kind[ni] != cuda::NodeKind::kDevice;
    if (!done) return Status::Ok();
    const bool host = hp.kind[ni] == cuda::NodeKind::kHost;
    const cpu::Tactic* ref = host ? cpu::findCpuTactic(n.op, "ref") : nullptr;
    if (host && (!ref || !ref->supports(n, hp.inputs(g, n), hp.outputs(g, n))))
        return Status::Error("layer '" + n.name + "' (" + n.op +
                             "): its values are needed on the host, but the CPU reference kernel does not support it");
    n.tactic = std::string(host ? cuda::kHostTactic : cuda::kControlTactic);
    return Status::Ok();
}

// The tactics that support a device node within the workspace limit (sized
// only when `sized`: sizing may ask cuDNN, which needs a device).
Status supportingTactics(const ir::Node& n, const std::vector<ir::TensorDesc>& in,
                         const std::vector<ir::TensorDesc>& out, bool sized, const BuildOptions& opt,
                         const LogFn& log, std::vector<const cuda::Tactic*>& candidates) {
    candidates.clear();
    for (const auto& t : cuda::cudaTactics()) {
        if (t.op != n.op || !t.supports(n, in, out)) continue;
        const size_t ws = t.workspace && sized ? t.workspace(n, in, out) : 0;
        if (ws > opt.workspaceLimit) {
            log(kLogVerbose, "layer '" + n.name + "': CUDA tactic '" + std::string(t.name) + "' needs " +
                                 std::to_string(ws) + " bytes of workspace, over the limit");
            continue;
        }
        candidates.push_back(&t);
    }
    if (!candidates.empty()) return Status::Ok();
    std::string types;
    for (const auto& d : in) types += std::string(types.empty() ? "" : ", ") + std::string(ir::dtypeName(d.dtype));
    return Status::Error("layer '" + n.name + "' (" + n.op + "): no CUDA kernel supports it with inputs (" + types +
                         ") within the workspace limit");
}

// BuildOptions::supportOnly: the first supporting tactic of every layer, on no device.
Status chooseSupportedTactics(ir::Graph& g, const BuildOptions& opt, const LogFn& log) {
    cuda::HostPlan hp;
    KILN_RETURN_IF_ERROR(cuda::planHostWork(g, hp));
    for (size_t ni = 0; ni < g.nodes.size(); ++ni) {
        ir::Node& n = g.nodes[ni];
        bool done = false;
        KILN_RETURN_IF_ERROR(assignHostWork(g, hp, ni, n, done));
        if (done) continue;
        std::vector<const cuda::Tactic*> candidates;
        KILN_RETURN_IF_ERROR(supportingTactics(n, hp.inputs(g, n), hp.outputs(g, n), false, opt, log, candidates));
        n.tactic = std::string(candidates.front()->name);
    }
    return Status::Ok();
}

}  // namespace

Status chooseCudaTactics(ir::Graph& g, const BuildOptions& opt, const LogFn& log, size_t& workspaceBytes) {
    workspaceBytes = 0;
    if (opt.supportOnly) return chooseSupportedTactics(g, opt, log);
    if (cuda::deviceCount() == 0)
        return Status::Error("building for the CUDA backend needs a CUDA device; none was found");
    cuda::Handles handles;
    KILN_RETURN_IF_ERROR(cuda::Handles::create(handles));
    struct HandlesGuard {
        cuda::Handles& h;
        ~HandlesGuard() { cuda::Handles::destroy(h); }
    } guard{handles};
    Timer timer;
    KILN_RETURN_IF_ERROR(timer.init());
    std::map<std::string, std::string> cache;
    TimingCacheData* tc = opt.timingCache;
    const std::string device = cuda::deviceFingerprint();
    if (tc) KILN_RETURN_IF_ERROR(checkTimingCacheDevice(*tc, device, opt.timingCacheIgnoreMismatch));
    cuda::HostPlan hp;
    KILN_RETURN_IF_ERROR(cuda::planHostWork(g, hp));
    if (hp.dynamic()) log(kLogInfo, "CUDA: enqueue will wait for the device where needed: " + hp.dynamicReason);
    for (size_t ni = 0; ni < g.nodes.size(); ++ni) {
        ir::Node& n = g.nodes[ni];
        bool done = false;  // shape tensors on the host (the CPU reference), control flow in the runtime
        KILN_RETURN_IF_ERROR(assignHostWork(g, hp, ni, n, done));
        if (done) continue;
        const std::vector<ir::TensorDesc> in = hp.inputs(g, n), out = hp.outputs(g, n);
        // Shapes or parameters known only during the run: no timing, the workspace is sized then.
        const bool known = hp.bounded(g, n) && !hp.readsBack(n);
        std::vector<const cuda::Tactic*> candidates;
        KILN_RETURN_IF_ERROR(supportingTactics(n, in, out, known, opt, log, candidates));
        const cuda::Tactic* best = candidates.front();
        if (candidates.size() > 1 && opt.optimizationLevel > 0 && known) {
            const std::string key = problemKey(g, n);
            auto hit = cache.find(key);
            if (hit != cache.end()) {
                for (const auto* c : candidates)
                    if (c->name == hit->second) best = c;
            } else {
                std::unique_ptr<TimingBuffers> bufs;  // made only when a tactic is not in the timing cache
                double bestTime = -1.0;
                for (const auto* c : candidates) {
                    double ms = -1.0;
                    const bool cached = tc && tc->lookup(device, key, std::string(c->name), ms);
                    Status st = Status::Ok();
                    if (!cached) {
                        if (!bufs) {
                            bufs = std::make_unique<TimingBuffers>();
                            KILN_RETURN_IF_ERROR(
                                makeTimingBuffers(g, n, in, out, *bufs).withContext("layer '" + n.name + "': "));
                        }
                        st = timeTactic(*c, n, in, hp.createInputs(g, n), out, *bufs, handles, timer,
                                        opt.timingIterations, ms);
                        if (!st.ok()) {
                            (void)cudaDeviceSynchronize();
                            (void)cudaGetLastError();
                            ms = -1.0;
                        }
                        if (tc) tc->insert(device, key, std::string(c->name), ms);
                    }
                    log(kLogVerbose,
                        "layer '" + n.name + "': CUDA tactic '" + std::string(c->name) + "' " +
                            (cached ? (ms < 0 ? std::string("failed") : std::to_string(ms) + " ms") + " (timing cache)"
                             : st.ok() ? std::to_string(ms) + " ms"
                                       : "failed: " + st.message()));
                    if (ms >= 0 && (bestTime < 0 || ms < bestTime)) {
                        bestTime = ms;
                        best = c;
                    }
                }
                cache[key] = std::string(best->name);
            }
        }
        n.tactic = std::string(best->name);
        if (known) workspaceBytes = std::max(workspaceBytes, best->workspace ? best->workspace(n, in, out) : size_t(0));
    }
    return Status::Ok();
}

Status checkCudaTactics(const ir::Graph& g, const BuildOptions& opt, size_t& workspaceBytes) {
    cuda::HostPlan hp;
    KILN_RETURN_IF_ERROR(cuda::planHostWork(g, hp));
    for (size_t ni = 0; ni < g.nodes.size(); ++ni) {
        const ir::Node& n = g.nodes[ni];
        // Which nodes run on the host depends on the shapes (their sizes): it must not change.
        const std::string_view want = hp.kind[ni] == cuda::NodeKind::kHost      ? cuda::kHostTactic
                                      : hp.kind[ni] == cuda::NodeKind::kControl ? cuda::kControlTactic
                                                                                : std::string_view();
        if (!want.empty() || n.tactic == cuda::kHostTactic || n.tactic == cuda::kControlTactic) {
            if (n.tactic != want)
                return Status::Error("layer '" + n.name + "': tactic '" + n.tactic + "' does not hold at these shapes");
            continue;
        }
        const cuda::Tactic* t = cuda::findCudaTactic(n.op, n.tactic);
        if (!t) return Status::Error("layer '" + n.name + "': unknown CUDA tactic '" + n.tactic + "'");
        const std::vector<ir::TensorDesc> in = hp.inputs(g, n), out = hp.outputs(g, n);
        const bool known = hp.bounded(g, n) && !hp.readsBack(n);
        const size_t ws = t->workspace && known ? t->workspace(n, in, out) : 0;
        if (!t->supports(n, in, out) || ws > opt.workspaceLimit)
            return Status::Error("layer '" + n.name + "': CUDA tactic '" + n.tactic + "' does not hold at shapes " +
                                 (in.empty() ? std::string("[]") : ir::shapeToString(in[0].shape)));
        workspaceBytes = std::max(workspaceBytes, ws);
    }
    return Status::Ok();
}

std::string cudaFingerprint() { return cuda::deviceFingerprint(); }

bool cudaTacticRuns(const ir::Graph& g, const ir::Node& n, std::initializer_list<std::string_view> tactics) {
    const std::vector<ir::TensorDesc> in = ir::describeInputs(g, n), out = ir::describeOutputs(g, n);
    for (std::string_view name : tactics) {
        const cuda::Tactic* t = cuda::findCudaTactic(n.op, name);
        if (t && t->supports(n, in, out)) return true;
    }
    return false;
}

}  // namespace kiln::builder

