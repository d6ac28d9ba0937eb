// `kiln bench`: latency and throughput of an engine, optionally with several
// threads, each running its own execution context at the same time.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <latch>
#include <nlohmann/json.hpp>
#include <thread>

#include "common.h"
#include "engine_source.h"
#include "io_tensors.h"

namespace kiln::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct BenchArgs {
    EngineSource src;
    std::string json;
    int32_t iterations = 100, warmup = 10, threads = 1, batch = 1;
    CLI::Option* batchOpt = nullptr;
    std::vector<std::string> shapes;  // --shapes NAME:DxD,...
};

// One thread's context, buffers and measured latencies (ms).
struct Worker {
    std::unique_ptr<IExecutionContext> ctx;
    IoSet io;
    std::vector<double> latencies;
};

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    const size_t rank = size_t(std::ceil(p * double(sorted.size())));
    return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

struct Stats {
    double min = 0, median = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
    double wallS = 0, inferencesPerS = 0, itemsPerS = 0;
};

Stats summarize(std::vector<double> all, double wallS, int32_t batch) {
    Stats s;
    std::sort(all.begin(), all.end());
    if (!all.empty()) {
        s.min = all.front();
        s.max = all.back();
        s.median = percentile(all, 0.5);
        s.p90 = percentile(all, 0.9);
        s.p99 = percentile(all, 0.99);
        double sum = 0;
        for (double v : all) sum += v;
        s.mean = sum / double(all.size());
    }
    s.wallS = wallS;
    if (wallS > 0) {
        s.inferencesPerS = double(all.size()) / wallS;
        s.itemsPerS = s.inferencesPerS * batch;
    }
    return s;
}

bool writeJson(const std::string& path, const BenchArgs& a, int32_t batch, const Stats& s, std::string& error) {
    nlohmann::ordered_json j = {
        {a.src.onnxFile.empty() ? "engine" : "onnx", a.src.label()},
        {"threads", a.threads},
        {"batch", batch},
        {"iterations", a.iterations},
        {"warmup", a.warmup},
        {"latency_ms",
         {{"min", s.min}, {"median", s.median}, {"p90", s.p90}, {"p99", s.p99}, {"max", s.max}, {"mean", s.mean}}},
        {"throughput", {{"inferences_per_s", s.inferencesPerS}, {"items_per_s", s.itemsPerS}}},
        {"wall_s", s.wallS},
    };
    std::ofstream f(path);
    f << j.dump(2) << "\n";
    if (!f.flush()) {
        error = path + ": cannot write";
        return false;
    }
    return true;
}

int runBench(const BenchArgs& a) {
    ConsoleLogger logger(a.src.verbose ? ILogger::Severity::kVERBOSE : ILogger::Severity::kWARNING);
    LoadedEngine loaded;
    std::string error;
    if (!obtainEngine(a.src, {}, logger, loaded, error)) return fail(error);

    InputSpec spec;  // random inputs: bench measures speed, not results
    if (*a.batchOpt) spec.batch = a.batch;
    if (!parseShapeList(a.shapes, "--shapes", spec.shapes, error)) return fail(error);
    std::vector<Worker> workers(size_t(a.threads));
    for (auto& w : workers) {
        w.ctx = loaded.engine->createExecutionContext();
        if (!w.ctx) return fail("could not create an execution context (see above)");
        std::vector<std::string> notices;
        if (!prepareIo(*loaded.engine, *w.ctx, spec, w.io, notices, error)) return fail(error);
        w.latencies.reserve(size_t(a.iterations));
    }
    const int32_t batch = workers[0].io.batch;

    // Every thread warms up, then all start timing together.
    std::atomic<bool> failed{false};
    std::latch ready(a.threads + 1), go(1);
    std::atomic<int64_t> lastEndNs{0};
    auto body = [&](Worker& w) {
        for (int32_t i = 0; i < a.warmup && !failed; ++i)
            if (!runInference(*w.ctx, w.io)) failed = true;
        ready.count_down();
        go.wait();
        for (int32_t i = 0; i < a.iterations && !failed; ++i) {
            const auto t0 = Clock::now();
            if (!runInference(*w.ctx, w.io)) failed = true;
            const auto t1 = Clock::now();
            w.latencies.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        }
        const int64_t end = Clock::now().time_since_epoch().count();
        int64_t prev = lastEndNs.load();
        while (prev < end && !lastEndNs.compare_exchange_weak(prev, end)) {
        }
    };
    std::vector<std::thread> threads;
    for (auto& w : workers) threads.emplace_back(body, std::ref(w));
    ready.arrive_and_wait();
    const auto start = Clock::now();
    go.count_down();
    for (auto& t : threads) t.join();
    if (failed) return fail("inference failed (see above)");

    const double wallS =
        std::chrono::duration<double>(Clock::duration(lastEndNs.load()) - start.time_since_epoch()).count();
    std::vector<double> all;
    for (const auto& w : workers) all.insert(all.end(), w.latencies.begin(), w.latencies.end());
    const Stats s = summarize(std::move(all), wallS, batch);

    std::printf("engine: %s, %d thread(s), batch %d, %d iterations per thread after %d warm-up\n",
                a.src.label().c_str(), a.threads, batch, a.iterations, a.warmup);
    std::printf("latency (ms): min %.4f, median %.4f, p90 %.4f, p99 %.4f, max %.4f (mean %.4f)\n", s.min, s.median,
                s.p90, s.p99, s.max, s.mean);
    std::printf("throughput: %.1f inferences/s, %.1f items/s (wall %.3f s)\n", s.inferencesPerS, s.itemsPerS, s.wallS);
    if (!a.json.empty()) {
        if (!writeJson(a.json, a, batch, s, error)) return fail(error);
        std::printf("wrote %s\n", a.json.c_str());
    }
    return kExitOk;
}

}  // namespace

Command addBenchCommand(CLI::App& parent) {
    auto a = std::make_shared<BenchArgs>();
    CLI::App* app = parent.add_subcommand("bench", "Measure latency and throughput (random inputs)");
    addEngineSource(*app, a->src);
    app->add_option("--shapes", a->shapes, "NAME:1x3x224x224,...: shapes of dynamic inputs (within the profile)")
        ->allow_extra_args(false);
    app->add_option("--iterations", a->iterations, "Timed runs per thread")
        ->capture_default_str()
        ->check(CLI::Range(1, 10000000));
    app->add_option("--warmup", a->warmup, "Untimed runs per thread first")
        ->capture_default_str()
        ->check(CLI::Range(0, 10000000));
    app->add_option("--threads", a->threads, "Threads, each with its own context, running concurrently")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    a->batchOpt =
        app->add_option("--batch", a->batch, "Batch size (default 1; a dynamic explicit batch: the profile's opt)")
            ->check(CLI::Range(1, 1 << 30));
    app->add_option("--json", a->json, "Also write the results as JSON to this file");
    return {app, [a] { return runBench(*a); }};
}

}  // namespace kiln::cli
