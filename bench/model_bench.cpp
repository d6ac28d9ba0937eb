// Model benchmark: imports an ONNX model, builds kiln CUDA engines (FP32 and/or
// FP16), runs them once on the given inputs (.npy files), writes the outputs
// as float32 .npy files for the checker (bench/run_models.py), and times
// enqueueV3 with CUDA events, without and with CUDA graph replay (median of
// --iters runs after --warmup runs). Each engine is built twice: cold (an
// empty timing cache) and again with the timing cache the cold build filled,
// and the two builds' times and whether their engines are byte-identical are
// reported. One JSON object per precision goes to stdout, one line each, as
// soon as that precision is done (so a later failure loses nothing).
//
// Usage:
//   kiln_model_bench --model m.onnx --in NAME=file.npy [--in ...] [--precision fp32,fp16]
//                    [--out-dir DIR] [--timing-cache FILE (written as FILE.fp32/.fp16)]
//                    [--warmup 20] [--iters 100]
//                    [--no-graph] [--backend cuda|cpu] [--verbose] [--profile N]
//                    [--profile-shapes NAME=MIN:OPT:MAX ...]   (dims as 1x3x224x224)
//                    [--enable-pass NAME ...]   (builder passes that are off by default)
// An input with dynamic extents gets a profile fixed to its --in array's
// shape (a static engine), or the range --profile-shapes gives (a dynamic
// engine, run at the --in array's shape): bench/run_dynamic.py times both.
#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "kiln/kiln.h"
#include "kiln/onnx_parser.h"
#include "random_data.h"
#include "tensor_file.h"

namespace {

using namespace kiln;

struct Logger : ILogger {
    bool verbose = false;
    std::string firstError;
    void log(Severity s, const char* msg) noexcept override {
        if (s <= Severity::kERROR && firstError.empty()) firstError = msg;
        if (s <= Severity::kWARNING || verbose) std::fprintf(stderr, "kiln: %s\n", msg);
    }
};

// Engine type <-> tool::ElemType (the tensor files' element types).
bool toElem(DataType t, tool::ElemType& e) {
    switch (t) {
        case DataType::kFLOAT:
            e = tool::ElemType::kF32;
            return true;
        case DataType::kHALF:
            e = tool::ElemType::kF16;
            return true;
        case DataType::kBF16:
            e = tool::ElemType::kBF16;
            return true;
        case DataType::kINT8:
            e = tool::ElemType::kI8;
            return true;
        case DataType::kUINT8:
            e = tool::ElemType::kU8;
            return true;
        case DataType::kINT32:
            e = tool::ElemType::kI32;
            return true;
        case DataType::kINT64:
            e = tool::ElemType::kI64;
            return true;
        case DataType::kBOOL:
            e = tool::ElemType::kBool;
            return true;
        default:
            return false;
    }
}

template <typename T>
void put(std::vector<uint8_t>& b, size_t i, T v) {
    std::memcpy(b.data() + i * sizeof(T), &v, sizeof(T));
}

// The input's values in the engine's type (the exports keep int64 ids; an
// engine may take int32). Integers pass through double, exact below 2^53.
bool convertInput(const tool::TensorData& a, DataType t, std::vector<uint8_t>& out, std::string& err) {
    tool::ElemType e;
    if (!toElem(t, e))
        return err = std::string("engine input type ") + dataTypeName(t) + " is not supported here", false;
    if (e == a.type) {
        out = a.bytes;
        return true;
    }
    const std::vector<double> v = tool::toDoubles(a);
    out.assign(v.size() * tool::elemSize(e), 0);
    for (size_t i = 0; i < v.size(); ++i) {
        switch (e) {
            case tool::ElemType::kF32:
                put(out, i, float(v[i]));
                break;
            case tool::ElemType::kF16:
                put(out, i, cli::floatToHalf(float(v[i])));
                break;
            case tool::ElemType::kBF16:
                put(out, i, cli::floatToBf16(float(v[i])));
                break;
            case tool::ElemType::kI8:
                put(out, i, int8_t(v[i]));
                break;
            case tool::ElemType::kU8:
                put(out, i, uint8_t(v[i]));
                break;
            case tool::ElemType::kI32:
                put(out, i, int32_t(v[i]));
                break;
            case tool::ElemType::kI64:
                put(out, i, int64_t(v[i]));
                break;
            case tool::ElemType::kBool:
                put(out, i, uint8_t(v[i] != 0));
                break;
            default:
                return err = "unsupported conversion", false;
        }
    }
    return true;
}

// A raw .bin file: the bytes of the engine input, in its type and shape.
bool readInput(const std::string& path, tool::TensorData& t, std::string& err) {
    if (path.size() < 4 || path.compare(path.size() - 4, 4, ".bin") != 0) return tool::readTensorFile(path, t, err);
    std::ifstream f(path, std::ios::binary);
    if (!f) return err = "cannot open " + path, false;
    t.bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    t.shape.clear();  // filled from the engine
    t.name = "bin";
    return true;
}

float median(std::vector<float> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? -1.0f : v[v.size() / 2];
}

std::string jsonEscape(const std::string& s) {
    std::string o;
    for (char c : s) {
        if (c == '"' || c == '\\')
            o += '\\', o += c;
        else if (c == '\n')
            o += "\\n";
        else if (uint8_t(c) < 0x20)
            o += ' ';
        else
            o += c;
    }
    return o;
}

double secondsSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

#define CK(call)                                                                                \
    do {                                                                                        \
        const cudaError_t e_ = (call);                                                          \
        if (e_ != cudaSuccess) {                                                                \
            result["error"] = std::string("\"") + #call + ": " + cudaGetErrorString(e_) + "\""; \
            return false;                                                                       \
        }                                                                                       \
    } while (0)

struct Options {
    std::string model, outDir = ".", timingCacheFile;
    std::vector<std::pair<std::string, std::string>> inputs;
    std::vector<std::string> precisions{"fp32", "fp16"};
    int warmup = 20, iters = 100;
    int profileRuns = 0;  // --profile N: N more runs with an IProfiler, written to <out-dir>/profile_<prec>.txt
    bool graph = true, verbose = false;
    bool cpu = false;  // --backend cpu: host buffers and a host clock (to try the pipeline without a GPU)
    std::map<std::string, std::array<Dims, 3>> profileShapes;  // --profile-shapes: min, opt, max per input
    std::vector<std::string> enabledPasses;                    // --enable-pass: builder passes off by default
    // --fp32-layers: layers pinned to float32 in an fp16 engine: names containing a
    // given text, or "@A-B" for the network's layers A..B (by index, inclusive).
    std::vector<std::string> fp32Layers;
};

// Whether layer `index` named `name` matches one of --fp32-layers' entries.
bool pinnedToFp32(const Options& o, int32_t index, const std::string& name) {
    for (const auto& e : o.fp32Layers) {
        long a = 0, b = 0;
        if (e.size() > 1 && e[0] == '@' && std::sscanf(e.c_str() + 1, "%ld-%ld", &a, &b) == 2) {
            if (index >= a && index <= b) return true;
        } else if (!e.empty() && name.find(e) != std::string::npos) {
            return true;
        }
    }
    return false;
}

// "1x3x224x224" -> Dims; false when malformed.
bool parseDims(const std::string& text, Dims& d) {
    d.nbDims = 0;
    std::stringstream ss(text);
    for (std::string part; std::getline(ss, part, 'x');) {
        if (part.empty() || d.nbDims == Dims::MAX_DIMS || part.find_first_not_of("0123456789") != std::string::npos)
            return false;
        d.d[d.nbDims++] = std::stoll(part);
    }
    return d.nbDims > 0;
}

// "NAME=MIN:OPT:MAX" into o.profileShapes.
bool parseProfileShapes(const std::string& v, Options& o) {
    const size_t eq = v.find('=');
    if (eq == std::string::npos) return false;
    std::array<Dims, 3> dims;
    std::stringstream ss(v.substr(eq + 1));
    std::string part;
    for (auto& d : dims)
        if (!std::getline(ss, part, ':') || !parseDims(part, d)) return false;
    o.profileShapes[v.substr(0, eq)] = dims;
    return !std::getline(ss, part, ':');
}

using Result = std::map<std::string, std::string>;  // key -> JSON value text

// Builds one engine from a fresh network (parsed from `model`).
std::unique_ptr<ICudaEngine> build(IBuilder& builder, const std::vector<char>& model, const Options& o, bool fp16,
                                   const std::map<std::string, tool::TensorData>& inputs, ITimingCache* cache,
                                   Logger& log, double& parseS, double& buildS, std::string& err) {
    auto t0 = std::chrono::steady_clock::now();
    auto net = builder.createNetworkV2(0);
    auto parser = onnx::createParser(*net, log);
    if (!parser->parse(model.data(), model.size(), o.model.c_str())) {
        err = "parse: ";
        for (int32_t i = 0; i < parser->getNbErrors() && i < 3; ++i)
            err += std::string(parser->getError(i)->desc()) + " (node " + parser->getError(i)->nodeName() + ", " +
                   parser->getError(i)->nodeOperator() + "); ";
        return nullptr;
    }
    parseS = secondsSince(t0);
    auto cfg = builder.createBuilderConfig();
    cfg->setBackend(o.cpu ? BackendKind::kCPU : BackendKind::kCUDA);
    if (fp16) cfg->setFlag(BuilderFlag::kFP16);
    if (fp16 && !o.fp32Layers.empty()) {
        cfg->setFlag(BuilderFlag::kOBEY_PRECISION_CONSTRAINTS);
        for (int32_t i = 0; i < net->getNbLayers(); ++i)
            if (pinnedToFp32(o, i, net->getLayer(i)->getName())) net->getLayer(i)->setPrecision(DataType::kFLOAT);
    }
    for (const auto& p : o.enabledPasses) cfg->setPassEnabled(p.c_str(), true);
    if (cache) cfg->setTimingCache(*cache, false);
    // Inputs with dynamic extents get a profile fixed to the given arrays' shapes.
    IOptimizationProfile* profile = nullptr;
    for (int32_t i = 0; i < net->getNbInputs(); ++i) {
        ITensor* t = net->getInput(i);
        const Dims d = t->getDimensions();
        if (std::none_of(d.d, d.d + std::max(0, d.nbDims), [](int64_t x) { return x < 0; })) continue;
        auto it = inputs.find(t->getName());
        if (it == inputs.end() || it->second.name == "bin") {
            err = std::string("dynamic input '") + t->getName() + "' needs an --in array with a shape (.npy)";
            return nullptr;
        }
        Dims s;
        s.nbDims = int32_t(it->second.shape.size());
        for (int32_t k = 0; k < s.nbDims; ++k) s.d[k] = it->second.shape[size_t(k)];
        if (!profile) profile = builder.createOptimizationProfile();
        const auto range = o.profileShapes.find(t->getName());
        const OptProfileSelector sels[] = {OptProfileSelector::kMIN, OptProfileSelector::kOPT,
                                           OptProfileSelector::kMAX};
        for (int k = 0; k < 3; ++k)
            profile->setDimensions(t->getName(), sels[k],
                                   range == o.profileShapes.end() ? s : range->second[size_t(k)]);
    }
    if (profile) cfg->addOptimizationProfile(profile);
    t0 = std::chrono::steady_clock::now();
    auto engine = builder.buildEngineWithConfig(*net, *cfg);
    buildS = secondsSince(t0);
    if (!engine) err = "build: " + (log.firstError.empty() ? std::string("failed") : log.firstError);
    return engine;
}

// Per-layer times (median over --profile runs) next to each layer's op,
// tactic and output, slowest first, then the totals per op and tactic.
struct LayerTimes final : IProfiler {
    std::map<std::string, std::vector<float>> ms;
    std::vector<std::string> order;
    void reportLayerTime(const char* name, float t) noexcept override {
        auto& v = ms[name];
        if (v.empty()) order.push_back(name);
        v.push_back(t);
    }
};

bool profileLayers(const Options& o, const std::string& prec, ICudaEngine& engine, IExecutionContext& ctx,
                   cudaStream_t s, Logger& log, Result& result) {
    // What each layer is, from the engine's text description ("  name  [op, tactic t]" then "      out ...").
    std::map<std::string, std::string> what;
    auto info = engine.getEngineInformation(false);
    std::istringstream lines(std::string(static_cast<const char*>(info->data()), info->size()));
    std::string line, current;
    while (std::getline(lines, line)) {
        if (line.rfind("      out ", 0) == 0 && !current.empty())
            what[current] += " -> " + line.substr(10);
        else if (line.rfind("  ", 0) == 0 && line.rfind("      ", 0) != 0) {
            const size_t br = line.rfind("  [");
            if (br == std::string::npos) continue;
            current = line.substr(2, br - 2);
            what[current] = line.substr(br + 2);
        }
    }
    LayerTimes prof;
    ctx.setProfiler(&prof);
    for (int i = 0; i < o.profileRuns; ++i)
        if (!ctx.enqueueV3(s)) {
            result["error"] = "\"enqueueV3 (profile): " + jsonEscape(log.firstError) + "\"";
            ctx.setProfiler(nullptr);
            return false;
        }
    ctx.setProfiler(nullptr);
    std::vector<std::pair<float, std::string>> rows;
    std::map<std::string, float> perKind;
    float total = 0;
    for (const auto& name : prof.order) {
        std::vector<float> v = prof.ms[name];
        const float m = median(v);
        rows.emplace_back(m, name);
        total += m;
        const std::string& w = what[name];
        perKind[w.substr(0, w.find(']') + 1)] += m;
    }
    std::sort(rows.rbegin(), rows.rend());
    std::ofstream f(o.outDir + "/profile_" + prec + ".txt");
    f << "# " << prec << ": " << rows.size() << " layers, sum of per-layer medians " << total << " ms over "
      << o.profileRuns << " profiled runs (no CUDA graph)\n# per op and tactic:\n";
    std::vector<std::pair<float, std::string>> kinds;
    for (const auto& [k, m] : perKind) kinds.emplace_back(m, k);
    std::sort(kinds.rbegin(), kinds.rend());
    for (const auto& [m, k] : kinds)
        f << std::fixed << m << " ms  " << (total > 0 ? 100 * m / total : 0) << "%  " << k << "\n";
    f << "# per layer:\n";
    for (const auto& [m, name] : rows) f << std::fixed << m << " ms  " << name << "  " << what[name] << "\n";
    result["profile_ms"] = std::to_string(total);
    return true;
}

bool runPrecision(const Options& o, const std::vector<char>& model,
                  const std::map<std::string, tool::TensorData>& inputs, const std::string& prec, Result& result) {
    Logger log;
    log.verbose = o.verbose;
    auto builder = createInferBuilder(log);
    std::string err;
    // Cold: an empty timing cache, which the build fills; warm: the same
    // cache again, so no tactic is timed.
    auto cache = builder->createBuilderConfig()->createTimingCache(nullptr, 0);
    double parseS = 0, buildS = 0, warmParseS = 0, warmS = 0;
    auto engine = build(*builder, model, o, prec == "fp16", inputs, cache.get(), log, parseS, buildS, err);
    if (!engine) {
        result["error"] = "\"" + jsonEscape(err) + "\"";
        return false;
    }
    result["parse_s"] = std::to_string(parseS);
    result["build_cold_s"] = std::to_string(buildS);
    if (cache) {
        auto warm = build(*builder, model, o, prec == "fp16", inputs, cache.get(), log, warmParseS, warmS, err);
        if (!warm) {
            result["error"] = "\"warm build: " + jsonEscape(err) + "\"";
            return false;
        }
        result["build_warm_s"] = std::to_string(warmS);
        auto a = engine->serialize(), b = warm->serialize();
        result["identical"] =
            a && b && a->size() == b->size() && std::memcmp(a->data(), b->data(), a->size()) == 0 ? "true" : "false";
        result["engine_bytes"] = std::to_string(a ? a->size() : 0);
        auto blob = cache->serialize();
        if (blob) {
            result["timing_cache_bytes"] = std::to_string(blob->size());
            if (!o.timingCacheFile.empty()) {
                std::ofstream f(o.timingCacheFile + "." + prec, std::ios::binary);
                f.write(static_cast<const char*>(blob->data()), std::streamsize(blob->size()));
            }
        }
    }
    result["layers"] = std::to_string(engine->getNbLayers());
    result["device_memory_bytes"] = std::to_string(engine->getDeviceMemorySize());

    auto ctx = engine->createExecutionContext();
    if (!ctx) {
        result["error"] = "\"createExecutionContext: " + jsonEscape(log.firstError) + "\"";
        return false;
    }
    std::vector<void*> device;
    struct FreeAll {
        std::vector<void*>& p;
        bool cpu;
        ~FreeAll() {
            for (void* q : p) cpu ? std::free(q) : (void)cudaFree(q);
        }
    } freeAll{device, o.cpu};
    // Device buffers (host ones with --backend cpu).
    auto alloc = [&](void** p, size_t bytes) {
        if (!o.cpu) return cudaMalloc(p, bytes);
        *p = std::malloc(bytes);
        return *p ? cudaSuccess : cudaErrorMemoryAllocation;
    };
    auto copy = [&](void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
        if (!o.cpu) return cudaMemcpy(dst, src, bytes, kind);
        std::memcpy(dst, src, bytes);
        return cudaSuccess;
    };
    for (int32_t i = 0; i < engine->getNbIOTensors(); ++i) {
        const char* name = engine->getIOTensorName(i);
        if (engine->getTensorIOMode(name) != TensorIOMode::kINPUT) continue;
        auto it = inputs.find(name);
        if (it == inputs.end()) {
            result["error"] = std::string("\"no --in array for engine input '") + jsonEscape(name) + "'\"";
            return false;
        }
        std::vector<uint8_t> host;
        const DataType type = engine->getTensorDataType(name);
        if (it->second.name == "bin") {  // raw bytes in the engine's type and shape
            const Dims d = engine->getTensorShape(name);
            size_t n = dataTypeSize(type);
            for (int32_t k = 0; k < d.nbDims; ++k) n *= size_t(std::max<int64_t>(d.d[k], 0));
            if (n != it->second.bytes.size()) {
                result["error"] = std::string("\"input '") + jsonEscape(name) + "': .bin has " +
                                  std::to_string(it->second.bytes.size()) + " bytes, the engine takes " +
                                  std::to_string(n) + "\"";
                return false;
            }
            host = it->second.bytes;
        } else {
            Dims d;
            d.nbDims = int32_t(it->second.shape.size());
            for (int32_t k = 0; k < d.nbDims; ++k) d.d[k] = it->second.shape[size_t(k)];
            if (!ctx->setInputShape(name, d)) {
                result["error"] = std::string("\"setInputShape(") + jsonEscape(name) + ") refused\"";
                return false;
            }
            if (!convertInput(it->second, type, host, err)) {
                result["error"] = "\"input '" + jsonEscape(name) + "': " + jsonEscape(err) + "\"";
                return false;
            }
        }
        void* p = nullptr;
        CK(alloc(&p, std::max<size_t>(host.size(), 16)));
        device.push_back(p);
        CK(copy(p, host.data(), host.size(), cudaMemcpyHostToDevice));
        ctx->setTensorAddress(name, p);
    }
    struct Out {
        std::string name;
        void* p;
        size_t bytes;
        DataType type;
        std::vector<int64_t> shape;
    };
    std::vector<Out> outs;
    for (int32_t i = 0; i < engine->getNbIOTensors(); ++i) {
        const char* name = engine->getIOTensorName(i);
        if (engine->getTensorIOMode(name) != TensorIOMode::kOUTPUT) continue;
        const Dims d = ctx->getTensorShape(name);
        Out out{name, nullptr, dataTypeSize(engine->getTensorDataType(name)), engine->getTensorDataType(name), {}};
        for (int32_t k = 0; k < d.nbDims; ++k) {
            if (d.d[k] < 0) {
                result["error"] = std::string("\"output '") + jsonEscape(name) + "' has a data-dependent shape\"";
                return false;
            }
            out.shape.push_back(d.d[k]);
            out.bytes *= size_t(d.d[k]);
        }
        CK(alloc(&out.p, std::max<size_t>(out.bytes, 16)));
        device.push_back(out.p);
        // Poisoned (all-ones bytes: NaN for floats) so an unwritten element fails the check.
        if (o.cpu)
            std::memset(out.p, 0xff, out.bytes);
        else
            CK(cudaMemset(out.p, 0xff, out.bytes));
        ctx->setTensorAddress(name, out.p);
        outs.push_back(out);
    }
    cudaStream_t s = nullptr;
    if (!o.cpu) CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    struct StreamGuard {
        cudaStream_t s;
        ~StreamGuard() {
            if (s) cudaStreamDestroy(s);
        }
    } sg{s};
    if (!ctx->enqueueV3(s)) {
        result["error"] = "\"enqueueV3: " + jsonEscape(log.firstError) + "\"";
        return false;
    }
    if (!o.cpu) {
        CK(cudaStreamSynchronize(s));
        CK(cudaGetLastError());
    }
    std::string files = "[";
    for (const auto& out : outs) {
        tool::TensorData t;
        t.shape = out.shape;
        t.bytes.resize(out.bytes);
        if (!toElem(out.type, t.type) || t.type == tool::ElemType::kBF16) {
            result["error"] = std::string("\"output '") + jsonEscape(out.name) + "' has type " +
                              dataTypeName(out.type) + ", which .npy cannot hold\"";
            return false;
        }
        CK(copy(t.bytes.data(), out.p, out.bytes, cudaMemcpyDeviceToHost));
        std::string safe = out.name;
        for (char& c : safe)
            if (!std::isalnum(uint8_t(c)) && c != '_' && c != '-') c = '_';
        const std::string path = o.outDir + "/" + prec + "_" + safe + ".npy";
        if (!tool::writeNpy(path, t, err)) {
            result["error"] = "\"" + jsonEscape(err) + "\"";
            return false;
        }
        files += std::string(files.size() > 1 ? "," : "") + "{\"name\":\"" + jsonEscape(out.name) + "\",\"file\":\"" +
                 jsonEscape(path) + "\"}";
    }
    result["outputs"] = files + "]";

    cudaEvent_t e0 = nullptr, e1 = nullptr;
    if (!o.cpu) {
        CK(cudaEventCreate(&e0));
        CK(cudaEventCreate(&e1));
    }
    struct EventGuard {
        cudaEvent_t a, b;
        ~EventGuard() {
            if (a) cudaEventDestroy(a);
            if (b) cudaEventDestroy(b);
        }
    } eg{e0, e1};
    for (int mode = 0; mode < (o.graph && !o.cpu ? 2 : 1); ++mode) {
        if (!o.cpu && !ctx->setCudaGraphCapture(mode == 1)) {
            result["error"] = "\"setCudaGraphCapture refused\"";
            return false;
        }
        std::vector<float> times;
        for (int i = 0; i < o.warmup + o.iters; ++i) {
            const auto h0 = std::chrono::steady_clock::now();
            if (!o.cpu) CK(cudaEventRecord(e0, s));
            if (!ctx->enqueueV3(s)) {
                result["error"] = "\"enqueueV3 (timing): " + jsonEscape(log.firstError) + "\"";
                return false;
            }
            float ms = 0;
            if (!o.cpu) {
                CK(cudaEventRecord(e1, s));
                CK(cudaEventSynchronize(e1));
                CK(cudaEventElapsedTime(&ms, e0, e1));
            } else {
                ms = float(secondsSince(h0) * 1e3);
            }
            if (i >= o.warmup) times.push_back(ms);
        }
        std::vector<float> sorted = times;
        std::sort(sorted.begin(), sorted.end());
        const std::string key = mode == 0 ? "ms" : "ms_graph";
        result[key] = std::to_string(median(times));
        result[key + "_p10"] = std::to_string(sorted[sorted.size() / 10]);
        result[key + "_p90"] = std::to_string(sorted[sorted.size() * 9 / 10]);
    }
    result["timed_runs"] = std::to_string(o.iters);
    if (o.profileRuns > 0) return profileLayers(o, prec, *engine, *ctx, s, log, result);
    return true;
}

int usage() {
    std::fprintf(stderr,
                 "usage: kiln_model_bench --model m.onnx --in NAME=file.npy [...] [--precision fp32,fp16]\n"
                 "       [--out-dir DIR] [--timing-cache FILE] [--warmup N] [--iters N] [--no-graph]\n"
                 "       [--backend cuda|cpu] [--verbose] [--profile N] [--profile-shapes NAME=MIN:OPT:MAX ...]\n"
                 "       [--enable-pass NAME ...] [--fp32-layers TEXT|@A-B,...]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : std::string(); };
        if (a == "--model")
            o.model = next();
        else if (a == "--in") {
            const std::string v = next();
            const size_t eq = v.find('=');
            if (eq == std::string::npos) return usage();
            o.inputs.emplace_back(v.substr(0, eq), v.substr(eq + 1));
        } else if (a == "--precision") {
            o.precisions.clear();
            std::stringstream ss(next());
            for (std::string p; std::getline(ss, p, ',');) o.precisions.push_back(p);
        } else if (a == "--out-dir")
            o.outDir = next();
        else if (a == "--timing-cache")
            o.timingCacheFile = next();
        else if (a == "--warmup")
            o.warmup = std::atoi(next().c_str());
        else if (a == "--iters")
            o.iters = std::max(1, std::atoi(next().c_str()));
        else if (a == "--no-graph")
            o.graph = false;
        else if (a == "--backend") {
            const std::string b = next();
            if (b != "cpu" && b != "cuda") return usage();
            o.cpu = b == "cpu";
        } else if (a == "--profile")
            o.profileRuns = std::atoi(next().c_str());
        else if (a == "--verbose")
            o.verbose = true;
        else if (a == "--enable-pass")
            o.enabledPasses.push_back(next());
        else if (a == "--fp32-layers") {
            std::stringstream ss(next());
            for (std::string e; std::getline(ss, e, ',');) o.fp32Layers.push_back(e);
        }
        else if (a == "--profile-shapes") {
            if (!parseProfileShapes(next(), o)) return usage();
        } else
            return usage();
    }
    if (o.model.empty()) return usage();
    int devices = 0;
    if (!o.cpu && (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0)) {
        std::printf("{\"error\":\"no CUDA device\"}\n");
        return 1;
    }
    std::map<std::string, tool::TensorData> inputs;
    for (const auto& [name, path] : o.inputs) {
        std::string err;
        if (!readInput(path, inputs[name], err)) {
            std::printf("{\"error\":\"%s\"}\n", jsonEscape(err).c_str());
            return 1;
        }
    }
    std::ifstream f(o.model, std::ios::binary);
    const std::vector<char> model((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (model.empty()) {
        std::printf("{\"error\":\"cannot read %s\"}\n", jsonEscape(o.model).c_str());
        return 1;
    }
    int rc = 0;
    for (const auto& prec : o.precisions) {
        Result r;
        r["precision"] = "\"" + jsonEscape(prec) + "\"";
        if (prec != "fp32" && prec != "fp16")
            r["error"] = "\"unknown precision\"";
        else if (!runPrecision(o, model, inputs, prec, r))
            rc = 1;
        std::string line = "{";
        for (const auto& [k, v] : r) line += std::string(line.size() > 1 ? "," : "") + "\"" + k + "\":" + v;
        std::printf("%s}\n", line.c_str());
        std::fflush(stdout);
    }
    return rc;
}
