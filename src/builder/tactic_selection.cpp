// Chooses a CPU tactic per node: every tactic that supports the node on its
// real (max) shapes is timed on random inputs and the fastest kept. Results
// are cached per problem signature within a build.
#include <algorithm>
#include <chrono>
#include <map>
#include <random>

#include "backends/cpu/kernel.h"
#include "build.h"
#include "ir/control_flow.h"
#include "timing_cache.h"
#ifdef KILN_HAVE_CUDA
#include "cuda/cuda_build.h"
#endif

namespace kiln::builder {
namespace {

struct Buffers {
    std::vector<std::vector<uint8_t>> storage;
    std::vector<cpu::HostTensor> in, out;
};

// Random inputs for timing: floats in [-1, 1]; constants use their data.
Buffers makeBuffers(const ir::Graph& g, const ir::Node& n, const std::vector<ir::TensorDesc>& outDescs) {
    Buffers b;
    std::mt19937 rng(1234);
    std::uniform_real_distribution<double> dist(-1.0, 1.0);
    for (int v : n.inputs) {
        if (v < 0) {
            b.in.push_back({});
            continue;
        }
        const auto& val = g.values[size_t(v)];
        if (val.isConstant()) {
            b.in.push_back({const_cast<uint8_t*>(val.data->data()), val.dtype, val.shape});
            continue;
        }
        const int64_t count = std::max<int64_t>(ir::volume(val.shape), 0);
        b.storage.emplace_back(size_t(count) * ir::dtypeSize(val.dtype));
        for (int64_t i = 0; i < count; ++i) ir::storeFromDouble(b.storage.back().data(), val.dtype, i, dist(rng));
        b.in.push_back({b.storage.back().data(), val.dtype, val.shape});
    }
    for (const auto& d : outDescs) {
        b.storage.emplace_back(size_t(std::max<int64_t>(ir::volume(d.shape), 0)) * ir::dtypeSize(d.dtype));
        b.out.push_back({b.storage.back().data(), d.dtype, d.shape});
    }
    return b;
}

// Median time of one run of the kernel, or a negative value if it failed.
double timeTactic(const cpu::Tactic& t, const ir::Graph& g, const ir::Node& n, const std::vector<ir::TensorDesc>& in,
                  const std::vector<ir::TensorDesc>& out, int iterations, cpu::ThreadPool& pool) {
    std::unique_ptr<cpu::Kernel> k;
    if (!t.create(n, in, out, k).ok()) return -1.0;
    Buffers b = makeBuffers(g, n, out);
    std::vector<uint8_t> ws(t.workspace ? t.workspace(n, in, out) : 0);
    cpu::KernelArgs args{n, b.in, b.out, pool, ws.data(), ws.size()};
    if (!k->run(args).ok()) return -1.0;  // warm-up, and proof it runs
    std::vector<double> times;
    for (int i = 0; i < std::max(iterations, 1); ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        if (!k->run(args).ok()) return -1.0;
        times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

}  // namespace

Status chooseTactics(ir::Graph& g, const BuildOptions& opt, const LogFn& log, size_t& workspaceBytes) {
#ifdef KILN_HAVE_CUDA
    if (opt.backend == engine::Backend::kCUDA) return chooseCudaTactics(g, opt, log, workspaceBytes);
#endif
    if (opt.backend != engine::Backend::kCPU)
        return Status::Error(std::string("the ") + engine::backendName(opt.backend) +
                             " backend is not available in this kiln build");
    workspaceBytes = 0;
    std::map<std::string, std::string> cache;
    cpu::ThreadPool pool(0);
    TimingCacheData* tc = opt.timingCache;
    const std::string device = cpuFingerprint();
    if (tc) KILN_RETURN_IF_ERROR(checkTimingCacheDevice(*tc, device, opt.timingCacheIgnoreMismatch));
    for (auto& n : g.nodes) {
        if (ir::isLoopBoundaryOp(n.op)) {
            n.tactic = kControlTactic;  // run by the executor itself
            continue;
        }
        const std::vector<ir::TensorDesc> in = ir::describeInputs(g, n), out = ir::describeOutputs(g, n);

        std::vector<const cpu::Tactic*> candidates;
        for (const auto& t : cpu::cpuTactics()) {
            if (t.op != n.op || !t.supports(n, in, out)) continue;
            const size_t ws = t.workspace ? t.workspace(n, in, out) : 0;
            if (ws > opt.workspaceLimit) {
                log(kLogVerbose, "layer '" + n.name + "': tactic '" + std::string(t.name) + "' needs " +
                                     std::to_string(ws) + " bytes of workspace, over the limit");
                continue;
            }
            candidates.push_back(&t);
        }
        if (candidates.empty()) {
            std::string types;
            for (const auto& d : in)
                types += std::string(types.empty() ? "" : ", ") + std::string(ir::dtypeName(d.dtype));
            return Status::Error("layer '" + n.name + "' (" + n.op + "): no CPU kernel supports it with inputs (" +
                                 types + ") within the workspace limit");
        }
        const cpu::Tactic* best = candidates.front();
        if (candidates.size() > 1 && opt.optimizationLevel > 0 && !opt.supportOnly) {
            const std::string key = problemKey(g, n);
            auto hit = cache.find(key);
            if (hit != cache.end()) {
                for (const auto* c : candidates)
                    if (c->name == hit->second) best = c;
            } else {
                double bestTime = -1.0;
                for (const auto* c : candidates) {
                    double ms = -1.0;
                    const bool cached = tc && tc->lookup(device, key, std::string(c->name), ms);
                    if (!cached) {
                        const double t = timeTactic(*c, g, n, in, out, opt.timingIterations, pool);
                        ms = t < 0 ? -1.0 : t * 1e3;
                        if (tc) tc->insert(device, key, std::string(c->name), ms);
                    }
                    log(kLogVerbose, "layer '" + n.name + "': tactic '" + std::string(c->name) + "' " +
                                         (ms < 0 ? std::string("failed") : std::to_string(ms) + " ms") +
                                         (cached ? " (timing cache)" : ""));
                    if (ms >= 0 && (bestTime < 0 || ms < bestTime)) {
                        bestTime = ms;
                        best = c;
                    }
                }
                cache[key] = std::string(best->name);
            }
        }
        n.tactic = std::string(best->name);
        workspaceBytes = std::max(workspaceBytes, best->workspace ? best->workspace(n, in, out) : size_t(0));
    }
    return Status::Ok();
}

Status checkTactics(const ir::Graph& g, const BuildOptions& opt, size_t& workspaceBytes) {
#ifdef KILN_HAVE_CUDA
    if (opt.backend == engine::Backend::kCUDA) return checkCudaTactics(g, opt, workspaceBytes);
#endif
    for (const auto& n : g.nodes) {
        if (ir::isLoopBoundaryOp(n.op)) continue;
        const cpu::Tactic* t = cpu::findCpuTactic(n.op, n.tactic);
        if (!t) return Status::Error("layer '" + n.name + "': unknown CPU tactic '" + n.tactic + "'");
        const std::vector<ir::TensorDesc> in = ir::describeInputs(g, n), out = ir::describeOutputs(g, n);
        const size_t ws = t->workspace ? t->workspace(n, in, out) : 0;
        if (!t->supports(n, in, out) || ws > opt.workspaceLimit)
            return Status::Error("layer '" + n.name + "': tactic '" + n.tactic + "' does not hold at shapes " +
                                 (in.empty() ? std::string("[]") : ir::shapeToString(in[0].shape)));
        workspaceBytes = std::max(workspaceBytes, ws);
    }
    return Status::Ok();
}

}  // namespace kiln::builder
