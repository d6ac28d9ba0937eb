#include "build.h"

#include <algorithm>

#include "backends/cpu/shape_eval.h"
#include "ir/control_flow.h"
#include "ir/op_schema.h"
#include "pass.h"
#ifdef KILN_HAVE_CUDA
#include "cuda/cuda_build.h"
#endif

namespace kiln::builder {

std::string cpuFingerprint() {
    std::string s = "x86_64";
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) s += " avx2";
    if (__builtin_cpu_supports("fma")) s += " fma";
    if (__builtin_cpu_supports("avx512f")) s += " avx512f";
    if (__builtin_cpu_supports("avx512bw")) s += " avx512bw";
    if (__builtin_cpu_supports("avx512vnni")) s += " avx512vnni";
#endif
    return s;
}

namespace {

// The profile of every input: from the optimization profile, or the max batch
// size for the leading dimension of an implicit-batch network. The graph keeps
// -1 for the dimensions that vary over the profile until the passes have run
// (so that no pass folds a shape that varies); useShapes() then gives them
// their maximum.
Status resolveInputShapes(ir::Graph& g, const BuildOptions& opt, std::vector<engine::Profile>& profiles) {
    engine::Profile p;
    for (size_t i = 0; i < g.inputs.size(); ++i) {
        ir::Value& v = g.values[size_t(g.inputs[i])];
        ir::Shape mn = v.shape, op = v.shape, mx = v.shape;
        if (!opt.profiles.empty() && i < opt.profiles[0].max.size() && !opt.profiles[0].max[i].empty()) {
            mn = opt.profiles[0].min[i];
            op = opt.profiles[0].opt[i];
            mx = opt.profiles[0].max[i];
            if (mx.size() != v.shape.size())
                return Status::Error("the profile for input '" + v.name + "' has rank " + std::to_string(mx.size()) +
                                     " but the input has rank " + std::to_string(v.shape.size()));
        } else if (opt.implicitBatch && !v.shape.empty()) {
            mn[0] = 1;
            op[0] = mx[0] = opt.maxBatchSize;
        }
        for (size_t d = 0; d < mx.size(); ++d) {
            if (mx[d] < 0)
                return Status::Error("input '" + v.name + "' has a dynamic dimension " + std::to_string(d) +
                                     " but no optimization profile gives its range");
            if (mn[d] < 0 || mn[d] > op[d] || op[d] > mx[d])
                return Status::Error("input '" + v.name + "': profile min/opt/max of dimension " + std::to_string(d) +
                                     " are not ordered");
            if (v.shape[d] >= 0 && (mn[d] != v.shape[d] || mx[d] != v.shape[d]))
                return Status::Error("input '" + v.name + "': the profile changes static dimension " +
                                     std::to_string(d));
            // enqueue(batchSize) has no way to give other extents (the runtime refuses such engines too).
            if (opt.implicitBatch && d > 0 && (mn[d] != mx[d] || op[d] != mx[d]))
                return Status::Error("input '" + v.name + "': dimension " + std::to_string(d) +
                                     " varies, but an implicit-batch network fixes every dimension but the batch");
        }
        // An extent the profile fixes does not vary: the passes may fold what is
        // computed from it (Shape, and the arithmetic on it).
        for (size_t d = 0; d < mx.size(); ++d)
            if (mn[d] == mx[d]) v.shape[d] = mx[d];
        p.min.push_back(mn);
        p.opt.push_back(op);
        p.max.push_back(mx);
    }
    profiles = {p};
    return Status::Ok();
}

// Gives the graph's inputs these shapes and infers the rest, with the shape
// tensors evaluated on the host (backends/cpu/shape_eval.h): a Reshape whose
// dims are computed from an input's shape gets them, so tactics are timed on
// real shapes and, at the max shapes, such tensors get arena slots (and can be
// views). The runtime refuses a run where a tensor outgrows its recorded
// shape. Extents that depend on data, and values inside loops, stay -1.
Status useShapes(ir::Graph& g, const std::vector<ir::Shape>& inputs) {
    for (size_t i = 0; i < g.inputs.size(); ++i) g.values[size_t(g.inputs[i])].shape = inputs[i];
    KILN_RETURN_IF_ERROR(ir::inferGraph(g));
    ir::Schedule sched;
    KILN_RETURN_IF_ERROR(ir::buildSchedule(g, sched));
    const std::vector<ir::Shape> shapes = cpu::inferWithHostValues(g, inputs);
    for (size_t v = 0; v < g.values.size(); ++v) {
        ir::Value& val = g.values[v];
        if (val.producer < 0 || sched.inLoop[size_t(val.producer)] || ir::isStatic(val.shape)) continue;
        if (ir::isStatic(shapes[v]) && shapes[v].size() == val.shape.size()) val.shape = shapes[v];
    }
    return Status::Ok();
}

// Tactics are timed at the profile's opt shapes (the shapes the user says are
// typical) and must hold over the whole range: each is checked at the min and
// max shapes, where the workspace is sized. If one does not hold there, the
// tactics are chosen again at the max shapes. Leaves the graph at the max shapes.
Status chooseProfileTactics(ir::Graph& g, const BuildOptions& opt, const engine::Profile& p, const LogFn& log,
                            size_t& workspace) {
    workspace = 0;
    if (p.opt == p.max || opt.supportOnly) {  // a support check needs the tactics at one set of shapes
        KILN_RETURN_IF_ERROR(useShapes(g, p.max));
        return chooseTactics(g, opt, log, workspace);
    }
    KILN_RETURN_IF_ERROR(useShapes(g, p.opt));
    size_t atOpt = 0;
    KILN_RETURN_IF_ERROR(chooseTactics(g, opt, log, atOpt));
    Status held = useShapes(g, p.min);
    if (held.ok()) held = checkTactics(g, opt, workspace);
    KILN_RETURN_IF_ERROR(useShapes(g, p.max));
    if (held.ok()) held = checkTactics(g, opt, workspace);
    if (held.ok()) return Status::Ok();
    log(kLogVerbose, "tactics timed at the opt shapes do not hold over the profile (" + held.message() +
                         "); choosing them at the max shapes");
    workspace = 0;
    return chooseTactics(g, opt, log, workspace);
}

Status checkNames(const ir::Graph& g) {
    std::vector<std::string> io;
    for (int v : g.inputs) io.push_back(g.values[size_t(v)].name);
    for (int v : g.outputs) io.push_back(g.values[size_t(v)].name);
    for (size_t i = 0; i < io.size(); ++i)
        for (size_t j = i + 1; j < io.size(); ++j)
            if (io[i] == io[j]) return Status::Error("two network inputs/outputs are both named '" + io[i] + "'");
    return Status::Ok();
}

}  // namespace

Status buildPlan(ir::Graph g, const BuildOptions& opt, const LogFn& log, engine::Plan& plan) {
    if (g.outputs.empty()) return Status::Error("the network has no outputs: mark at least one with markOutput()");
    if (g.inputs.empty()) log(kLogWarning, "the network has no inputs");
    if (opt.implicitBatch && opt.maxBatchSize < 1)
        return Status::Error("the max batch size must be at least 1, got " + std::to_string(opt.maxBatchSize));
    KILN_RETURN_IF_ERROR(checkNames(g));
    for (int v : g.outputs)
        if (g.values[size_t(v)].isConstant() && g.values[size_t(v)].producer < 0)
            log(kLogVerbose, "output '" + g.values[size_t(v)].name + "' is a constant");
    std::vector<engine::Profile> profiles;
    KILN_RETURN_IF_ERROR(resolveInputShapes(g, opt, profiles));
    KILN_RETURN_IF_ERROR(g.topoSort());
    KILN_RETURN_IF_ERROR(g.validate());
    KILN_RETURN_IF_ERROR(ir::inferGraph(g));

    for (auto& pass : passPipeline(opt.optimizationLevel)) {
        if (opt.disabledPasses.count(pass->name())) continue;
        bool changed = false;
        KILN_RETURN_IF_ERROR(pass->run(g, changed).withContext(std::string("pass ") + pass->name() + ": "));
        if (changed) {
            KILN_RETURN_IF_ERROR(g.topoSort());
            KILN_RETURN_IF_ERROR(ir::inferGraph(g).withContext(std::string("after pass ") + pass->name() + ": "));
            log(kLogVerbose,
                std::string("pass ") + pass->name() + ": " + std::to_string(g.nodes.size()) + " layers left");
        }
    }
    // 16-bit CUDA engines run patch convolutions as GEMMs (passes/patch_embedding.cpp):
    // on the graph's own shapes still, so that a dynamic batch stays a placeholder.
    if (opt.backend == engine::Backend::kCUDA && (opt.fp16 || opt.bf16) && !opt.int8 &&
        opt.optimizationLevel > 0 && !opt.disabledPasses.count("patch-embedding")) {
        bool changed = false;
        auto pass = makePatchEmbedding();
        KILN_RETURN_IF_ERROR(pass->run(g, changed).withContext("pass patch-embedding: "));
        if (changed) {
            KILN_RETURN_IF_ERROR(g.topoSort());
            KILN_RETURN_IF_ERROR(ir::inferGraph(g).withContext("after pass patch-embedding: "));
            log(kLogVerbose, "pass patch-embedding: convolutions with kernel = stride made Shuffle + FullyConnected");
        }
    }
    KILN_RETURN_IF_ERROR(g.validate());
    KILN_RETURN_IF_ERROR(useShapes(g, profiles[0].max));

#ifdef KILN_HAVE_CUDA
    if (opt.backend == engine::Backend::kCUDA && !opt.disabledPasses.count("cuda-conv-fusion")) {
        KILN_RETURN_IF_ERROR(fuseConvolutions(g, log));
        KILN_RETURN_IF_ERROR(g.topoSort());
        KILN_RETURN_IF_ERROR(ir::inferGraph(g).withContext("after cuda-conv-fusion: "));
    }
    if (opt.backend == engine::Backend::kCUDA && !opt.disabledPasses.count("cuda-matmul-bias")) {
        KILN_RETURN_IF_ERROR(fuseMatMulBias(g, log));
        KILN_RETURN_IF_ERROR(g.topoSort());
        KILN_RETURN_IF_ERROR(ir::inferGraph(g).withContext("after cuda-matmul-bias: "));
    }
    if (opt.backend == engine::Backend::kCUDA && (opt.fp16 || opt.bf16)) {
        KILN_RETURN_IF_ERROR(applyReducedPrecision(g, opt, log));
        KILN_RETURN_IF_ERROR(g.topoSort());
        KILN_RETURN_IF_ERROR(ir::inferGraph(g).withContext("after reduced precision: "));
        if (!opt.disabledPasses.count("cuda-attention-fusion")) {
            KILN_RETURN_IF_ERROR(fuseAttention(g, log));
            KILN_RETURN_IF_ERROR(g.topoSort());
            KILN_RETURN_IF_ERROR(ir::inferGraph(g).withContext("after cuda-attention-fusion: "));
        }
        if (!opt.disabledPasses.count("cuda-attention-layout") && profiles.size() == 1) {
            KILN_RETURN_IF_ERROR(opt.disabledPasses.count("cuda-row-shuffle-motion")
                                     ? layOutAttention(g, profiles[0].min, log)
                                     : layOutAttentionMovingRows(g, profiles[0].min, log));
            KILN_RETURN_IF_ERROR(g.topoSort());
            KILN_RETURN_IF_ERROR(ir::inferGraph(g).withContext("after cuda-attention-layout: "));
        }
        if (!opt.disabledPasses.count("cuda-channels-last")) {
            KILN_RETURN_IF_ERROR(applyChannelsLast(g, log));
            KILN_RETURN_IF_ERROR(g.topoSort());
            KILN_RETURN_IF_ERROR(ir::inferGraph(g).withContext("after cuda-channels-last: "));
        }
    }
    if (opt.backend == engine::Backend::kCUDA && !opt.disabledPasses.count("cuda-conv-clip-fusion")) {
        KILN_RETURN_IF_ERROR(fuseConvClips(g, log));
        KILN_RETURN_IF_ERROR(g.topoSort());
        KILN_RETURN_IF_ERROR(ir::inferGraph(g).withContext("after cuda-conv-clip-fusion: "));
    }
    if (opt.backend == engine::Backend::kCUDA && !opt.disabledPasses.count("cuda-conv-input-clip-fusion")) {
        KILN_RETURN_IF_ERROR(fuseConvInputClips(g, log));
        KILN_RETURN_IF_ERROR(g.topoSort());
        KILN_RETURN_IF_ERROR(ir::inferGraph(g).withContext("after cuda-conv-input-clip-fusion: "));
    }
    if (opt.backend == engine::Backend::kCUDA && !opt.disabledPasses.count("cuda-fc-epilogue")) {
        KILN_RETURN_IF_ERROR(fuseFcEpilogues(g, log));
        KILN_RETURN_IF_ERROR(g.topoSort());
        KILN_RETURN_IF_ERROR(ir::inferGraph(g).withContext("after cuda-fc-epilogue: "));
    }
#endif
    size_t workspace = 0;
    KILN_RETURN_IF_ERROR(chooseProfileTactics(g, opt, profiles[0], log, workspace));  // leaves the max shapes
    plan.memory = {};
    KILN_RETURN_IF_ERROR(planMemory(g, engine::fixedShapes(profiles), plan.memory));
    plan.memory.workspaceBytes = workspace;

    plan.backend = opt.backend;
    plan.deviceFingerprint = cpuFingerprint();
#ifdef KILN_HAVE_CUDA
    if (opt.backend == engine::Backend::kCUDA && !opt.supportOnly) plan.deviceFingerprint = cudaFingerprint();
#endif
    plan.producer = "kiln " + std::to_string(KILN_VERSION_MAJOR) + "." + std::to_string(KILN_VERSION_MINOR) + "." +
                    std::to_string(KILN_VERSION_PATCH);
    plan.implicitBatch = opt.implicitBatch;
    plan.maxBatchSize = opt.maxBatchSize;
    plan.profiles = std::move(profiles);
    plan.buildInfo = {{"fp16", opt.fp16 ? "1" : "0"},
                      {"bf16", opt.bf16 ? "1" : "0"},
                      {"int8", opt.int8 ? "1" : "0"},
                      {"optimization_level", std::to_string(opt.optimizationLevel)},
                      {"workspace_limit", std::to_string(opt.workspaceLimit)}};
    plan.graph = std::move(g);
    log(kLogInfo, "built engine: " + std::to_string(plan.graph.nodes.size()) + " layers, arena " +
                      std::to_string(plan.memory.arenaBytes) + " bytes, workspace " +
                      std::to_string(plan.memory.workspaceBytes) + " bytes");
    return Status::Ok();
}

Status buildPlans(const ir::Graph& network, const BuildOptions& opt, const LogFn& log, engine::Plans& plans) {
    plans.clear();
    if (opt.profiles.size() <= 1) {
        KILN_RETURN_IF_ERROR(buildPlan(network, opt, log, plans.emplace_back()));
        return Status::Ok();
    }
    for (size_t k = 0; k < opt.profiles.size(); ++k) {
        BuildOptions one = opt;
        one.profiles = {opt.profiles[k]};
        log(kLogInfo,
            "building optimization profile " + std::to_string(k) + " of " + std::to_string(opt.profiles.size()));
        KILN_RETURN_IF_ERROR(buildPlan(network, one, log, plans.emplace_back())
                                 .withContext("optimization profile " + std::to_string(k) + ": "));
    }
    return Status::Ok();
}

}  // namespace kiln::builder
