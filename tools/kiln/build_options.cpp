// Shared builder settings of the `kiln` command line; see build_options.h.
#include "build_options.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <optional>

#include "common.h"

namespace kiln::cli {

namespace {

bool isKnownPass(const std::string& name) {
    for (int32_t i = 0; const char* p = kiln::getBuilderPassName(i); ++i)
        if (name == p) return true;
    return false;
}

// "1x3x224x224" -> [1,3,224,224]; every dim a non-negative integer.
bool parseDims(const std::string& s, std::vector<int64_t>& dims) {
    dims.clear();
    size_t pos = 0;
    while (true) {
        const size_t x = s.find('x', pos);
        const std::string part = s.substr(pos, x == std::string::npos ? std::string::npos : x - pos);
        if (part.empty() || part.size() > 12 || part.find_first_not_of("0123456789") != std::string::npos) return false;
        dims.push_back(std::stoll(part));
        if (x == std::string::npos) return dims.size() <= size_t(Dims::MAX_DIMS);
        pos = x + 1;
    }
}

std::string inputNames(const INetworkDefinition& network) {
    std::string s;
    for (int32_t i = 0; i < network.getNbInputs(); ++i)
        s += std::string(s.empty() ? "" : ", ") + network.getInput(i)->getName();
    return s.empty() ? "(none)" : s;
}

// `shape` fits the declared dims: same rank, equal wherever the dim is fixed.
bool fits(const std::vector<int64_t>& declared, const std::vector<int64_t>& shape) {
    if (declared.size() != shape.size()) return false;
    for (size_t k = 0; k < shape.size(); ++k)
        if (declared[k] >= 0 && declared[k] != shape[k]) return false;
    return true;
}

// The range an input gets from the three flags, if any names it.
std::optional<ShapeRange> rangeFromFlags(const std::string& name, const ShapeMap& mins, const ShapeMap& opts,
                                         const ShapeMap& maxs) {
    auto get = [&name](const ShapeMap& m) -> const std::vector<int64_t>* {
        const auto it = m.find(name);
        return it == m.end() ? nullptr : &it->second;
    };
    const auto *lo = get(mins), *mid = get(opts), *hi = get(maxs);
    if (!lo && !mid && !hi) return std::nullopt;
    ShapeRange r;
    r.opt = mid ? *mid : hi ? *hi : *lo;
    r.min = lo ? *lo : r.opt;
    r.max = hi ? *hi : r.opt;
    return r;
}

}  // namespace

bool BuildOptions::anyGiven() const {
    for (const CLI::Option* o : all)
        if (o && o->count() > 0) return true;
    return false;
}

void addBuildOptions(CLI::App& app, BuildOptions& o, bool withInt8) {
    o.all.push_back(app.add_flag("--fp16", o.fp16, "Allow float16 kernels"));
    if (withInt8) o.all.push_back(app.add_flag("--int8", o.int8, "Allow int8 kernels"));
    o.all.push_back(app.add_option("--backend", o.backend, "Target device (default: the library's)")
                        ->check(CLI::IsMember({"cpu", "cuda"})));
    o.all.push_back(app.add_option("--max-batch", o.maxBatch, "Largest batch (and range of a dynamic first dim: 1..N)")
                        ->capture_default_str()
                        ->check(CLI::Range(1, 1 << 20)));
    o.workspaceOpt =
        app.add_option("--workspace", o.workspaceMb, "Workspace limit in MiB")->check(CLI::Range(0, 1 << 20));
    o.optLevelOpt = app.add_option("--opt-level", o.optLevel, "0: no tactic timing; 1+: time every candidate")
                        ->check(CLI::Range(0, 100));
    o.all.push_back(o.workspaceOpt);
    o.all.push_back(o.optLevelOpt);
    o.all.push_back(app.add_option("--disable-pass", o.disabledPasses, "Turn a builder pass off (repeatable)")
                        ->allow_extra_args(false));
    o.all.push_back(app.add_option("--enable-pass", o.enabledPasses,
                                   "Turn a builder pass on, e.g. one that is off by default (repeatable)")
                        ->allow_extra_args(false));
    const char* shapes = "NAME:1x3x224x224[,NAME2:...]: shape range of dynamic inputs (as trtexec's)";
    o.all.push_back(app.add_option("--min-shapes", o.minShapes, shapes)->allow_extra_args(false));
    o.all.push_back(app.add_option("--opt-shapes", o.optShapes, shapes)->allow_extra_args(false));
    o.all.push_back(app.add_option("--max-shapes", o.maxShapes, shapes)->allow_extra_args(false));
    o.all.push_back(app.add_option("--timing-cache", o.timingCache,
                                   "Timing cache file: read when it exists, written back with the build's new timings"));
}

bool loadTimingCache(const BuildOptions& o, IBuilderConfig& config, std::unique_ptr<ITimingCache>& cache,
                     std::string& error) {
    cache.reset();
    if (o.timingCache.empty()) return true;
    std::vector<uint8_t> bytes;
    std::error_code ec;
    if (std::filesystem::exists(o.timingCache, ec) && !readFileBytes(o.timingCache, bytes, error)) return false;
    cache = config.createTimingCache(bytes.data(), bytes.size());
    if (!cache) {
        error = "--timing-cache " + o.timingCache + ": not a kiln timing cache (see above)";
        return false;
    }
    config.setTimingCache(*cache, false);
    return true;
}

bool saveTimingCache(const BuildOptions& o, const ITimingCache* cache, std::string& error) {
    if (!cache) return true;
    auto blob = cache->serialize();
    if (!blob || !writeFileBytes(o.timingCache, blob->data(), blob->size(), error)) {
        error = "could not write the timing cache " + o.timingCache + (error.empty() ? "" : ": " + error);
        return false;
    }
    return true;
}

bool applyBuildOptions(const BuildOptions& o, IBuilder& builder, IBuilderConfig& config, std::string& error) {
    for (const auto* list : {&o.disabledPasses, &o.enabledPasses})
        for (const auto& p : *list)
            if (!isKnownPass(p)) {
                error = std::string(list == &o.disabledPasses ? "--disable-pass" : "--enable-pass") + " '" + p +
                        "' is not a builder pass (see kiln build --list-passes)";
                return false;
            }
    builder.setMaxBatchSize(o.maxBatch);
    if (o.fp16) config.setFlag(BuilderFlag::kFP16);
    if (o.int8) config.setFlag(BuilderFlag::kINT8);
    if (o.backend == "cuda") config.setBackend(BackendKind::kCUDA);
    if (o.backend == "cpu") config.setBackend(BackendKind::kCPU);
    if (o.workspaceOpt && *o.workspaceOpt) config.setMemoryPoolLimit(MemoryPoolType::kWORKSPACE, o.workspaceMb << 20);
    if (o.optLevelOpt && *o.optLevelOpt) config.setBuilderOptimizationLevel(o.optLevel);
    for (const auto& p : o.enabledPasses) config.setPassEnabled(p.c_str(), true);
    for (const auto& p : o.disabledPasses) config.setPassEnabled(p.c_str(), false);
    return true;
}

bool parseShapeList(const std::vector<std::string>& items, const char* flag, ShapeMap& out, std::string& error) {
    for (const auto& item : items) {
        size_t start = 0;
        while (start <= item.size()) {
            const size_t comma = item.find(',', start);
            const std::string one = item.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            const size_t colon = one.rfind(':');
            std::vector<int64_t> dims;
            if (colon == std::string::npos || colon == 0 || !parseDims(one.substr(colon + 1), dims)) {
                error = std::string(flag) + " '" + one + "': expected NAME:DIMS with DIMS like 1x3x224x224";
                return false;
            }
            const std::string name = one.substr(0, colon);
            if (!out.emplace(name, dims).second) {
                error = std::string(flag) + ": '" + name + "' is given twice";
                return false;
            }
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    }
    return true;
}

bool addShapeProfile(const BuildOptions& o, const ShapeMap& fixedShapes, IBuilder& builder, INetworkDefinition& network,
                     IBuilderConfig& config, std::map<std::string, ShapeRange>& ranges, std::string& error) {
    ShapeMap mins, opts, maxs;
    if (!parseShapeList(o.minShapes, "--min-shapes", mins, error) ||
        !parseShapeList(o.optShapes, "--opt-shapes", opts, error) ||
        !parseShapeList(o.maxShapes, "--max-shapes", maxs, error))
        return false;
    for (const ShapeMap* m : {&mins, &opts, &maxs})
        for (const auto& [name, dims] : *m) {
            ITensor* found = nullptr;
            for (int32_t i = 0; i < network.getNbInputs() && !found; ++i)
                if (name == network.getInput(i)->getName()) found = network.getInput(i);
            if (!found) {
                error = "the shape flags name '" + name +
                        "', which is not an input of the network (inputs: " + inputNames(network) + ")";
                return false;
            }
        }

    IOptimizationProfile* profile = nullptr;
    for (int32_t i = 0; i < network.getNbInputs(); ++i) {
        ITensor* in = network.getInput(i);
        const std::string name = in->getName();
        const std::vector<int64_t> declared = dimsToShape(in->getDimensions());
        const bool dynamic = std::any_of(declared.begin(), declared.end(), [](int64_t d) { return d < 0; });
        std::optional<ShapeRange> r = rangeFromFlags(name, mins, opts, maxs);
        if (r) {
            for (const auto* s : {&r->min, &r->opt, &r->max})
                if (!fits(declared, *s)) {
                    error = "input '" + name + "': shape " + shapeString(*s) + " from the shape flags does not fit " +
                            "its dims " + shapeString(declared) + " (-1: dynamic)";
                    return false;
                }
            for (size_t k = 0; k < declared.size(); ++k)
                if (r->min[k] > r->opt[k] || r->opt[k] > r->max[k]) {
                    error = "input '" + name + "': dim " + std::to_string(k) + " must satisfy min <= opt <= max, got " +
                            shapeString(r->min) + ", " + shapeString(r->opt) + ", " + shapeString(r->max);
                    return false;
                }
        } else if (!dynamic) {
            continue;
        } else if (const auto f = fixedShapes.find(name); f != fixedShapes.end() && fits(declared, f->second)) {
            r = ShapeRange{f->second, f->second, f->second};
        } else if (std::count_if(declared.begin(), declared.end(), [](int64_t d) { return d < 0; }) == 1 &&
                   declared[0] < 0) {
            r = ShapeRange{declared, declared, declared};
            r->min[0] = 1;
            r->opt[0] = r->max[0] = o.maxBatch;
        } else {
            std::string example;
            for (size_t k = 0; k < declared.size(); ++k)
                example += (k ? "x" : "") + std::to_string(declared[k] < 0 ? 1 : declared[k]);
            error = "input '" + name + "' has dynamic dims " + shapeString(declared) +
                    ": give its range with --min-shapes/--opt-shapes/--max-shapes " + name + ":" + example;
            return false;
        }
        ranges[name] = *r;
        if (!dynamic) continue;  // a fixed input needs no profile entry
        if (!profile) profile = builder.createOptimizationProfile();
        if (!profile) {
            error = "could not create an optimization profile";
            return false;
        }
        if (!profile->setDimensions(name.c_str(), OptProfileSelector::kMIN, shapeToDims(r->min)) ||
            !profile->setDimensions(name.c_str(), OptProfileSelector::kOPT, shapeToDims(r->opt)) ||
            !profile->setDimensions(name.c_str(), OptProfileSelector::kMAX, shapeToDims(r->max))) {
            error = "input '" + name + "': the optimization profile refused its shape range (see above)";
            return false;
        }
    }
    if (profile && config.addOptimizationProfile(profile) < 0) {
        error = "the optimization profile was refused (see above)";
        return false;
    }
    return true;
}

std::string buildFailure(const IBuilderConfig& config, const std::string& lastLoggedError) {
    if (config.getBackend() == BackendKind::kCUDA && lastLoggedError.find("CUDA") != std::string::npos)
        return "--backend cuda: the CUDA backend is not available in this kiln build (use --backend cpu)";
    return "the build failed (see above)";
}

}  // namespace kiln::cli
