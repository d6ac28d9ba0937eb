// Shared pieces of the `kiln` command line; see common.h.
#include "common.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace kiln::cli {

namespace {
const char* severityLabel(ILogger::Severity s) {
    switch (s) {
        case ILogger::Severity::kINTERNAL_ERROR:
            return "internal error";
        case ILogger::Severity::kERROR:
            return "error";
        case ILogger::Severity::kWARNING:
            return "warning";
        case ILogger::Severity::kINFO:
            return "info";
        case ILogger::Severity::kVERBOSE:
            return "verbose";
    }
    return "log";
}

std::string lowerExtension(const std::string& path) {
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext;
}
}  // namespace

void ConsoleLogger::log(Severity severity, const char* msg) noexcept {
    try {
        std::lock_guard<std::mutex> lock(mu_);
        if (severity <= Severity::kERROR) lastError_ = msg ? msg : "";
        if (severity > threshold_) return;
        std::fprintf(stderr, "[kiln] %s: %s\n", severityLabel(severity), msg ? msg : "(null)");
    } catch (...) {
        // A logger must not throw; losing one message is the lesser evil.
    }
}

std::string ConsoleLogger::lastError() const {
    std::lock_guard<std::mutex> lock(mu_);
    return lastError_;
}

int fail(const std::string& msg) {
    std::fprintf(stderr, "error: %s\n", msg.c_str());
    return kExitError;
}

bool readFileBytes(const std::string& path, std::vector<uint8_t>& out, std::string& error) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        error = path + ": no such file";
        return false;
    }
    if (!std::filesystem::is_regular_file(path, ec)) {
        error = path + ": not a regular file";
        return false;
    }
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
        error = path + ": cannot open: " + std::strerror(errno);
        return false;
    }
    out.clear();
    uint8_t chunk[1 << 16];
    size_t n;
    try {
        while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) out.insert(out.end(), chunk, chunk + n);
    } catch (const std::bad_alloc&) {
        std::fclose(f);
        error = path + ": out of memory reading the file";
        return false;
    }
    const bool bad = std::ferror(f) != 0;
    std::fclose(f);
    if (bad) {
        error = path + ": read error";
        return false;
    }
    return true;
}

bool writeFileBytes(const std::string& path, const void* data, size_t size, std::string& error) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) {
        error = path + ": cannot create: " + std::strerror(errno);
        return false;
    }
    const bool wrote = size == 0 || std::fwrite(data, 1, size, f) == size;
    const bool closed = std::fclose(f) == 0;
    if (!wrote || !closed) {
        error = path + ": write failed";
        return false;
    }
    return true;
}

bool loadEngine(const std::string& path, ILogger& logger, LoadedEngine& out, std::string& error) {
    std::vector<uint8_t> blob;
    if (!readFileBytes(path, blob, error)) return false;
    if (blob.empty()) {
        error = path + ": the file is empty";
        return false;
    }
    out.runtime = createInferRuntime(logger);
    if (!out.runtime) {
        error = "could not create a kiln runtime";
        return false;
    }
    out.engine = out.runtime->deserializeEngine(blob.data(), blob.size());
    if (!out.engine) {
        error = path + ": not a loadable kiln engine (the reason is logged above)";
        return false;
    }
    return true;
}

bool splitNameFile(const std::string& arg, std::string& name, std::string& file) {
    // Split at the last '=' so a tensor name may contain '=' but a file name may not.
    const size_t eq = arg.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size()) return false;
    name = arg.substr(0, eq);
    file = arg.substr(eq + 1);
    return true;
}

std::string shapeString(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ',';
        s += std::to_string(shape[i]);
    }
    s += ']';
    return s;
}

std::vector<int64_t> dimsToShape(const Dims& d) {
    std::vector<int64_t> s;
    for (int32_t i = 0; i < d.nbDims && i < Dims::MAX_DIMS; ++i) s.push_back(d.d[i]);
    return s;
}

std::string dimsString(const Dims& d) { return d.nbDims < 0 ? "(invalid)" : shapeString(dimsToShape(d)); }

Dims shapeToDims(const std::vector<int64_t>& shape) {
    Dims d;
    d.nbDims = int32_t(std::min<size_t>(shape.size(), Dims::MAX_DIMS));
    for (int32_t i = 0; i < d.nbDims; ++i) d.d[i] = shape[size_t(i)];
    return d;
}

std::optional<tool::ElemType> elemTypeOf(DataType t) {
    switch (t) {
        case DataType::kFLOAT: return tool::ElemType::kF32;
        case DataType::kHALF: return tool::ElemType::kF16;
        case DataType::kINT8: return tool::ElemType::kI8;
        case DataType::kINT32: return tool::ElemType::kI32;
        case DataType::kBOOL: return tool::ElemType::kBool;
        case DataType::kUINT8: return tool::ElemType::kU8;
        case DataType::kFP8: return tool::ElemType::kF8E4M3FN;
        case DataType::kBF16: return tool::ElemType::kBF16;
        case DataType::kINT64: return tool::ElemType::kI64;
        case DataType::kINT4: return tool::ElemType::kI4;
        case DataType::kFP4: return tool::ElemType::kF4E2M1;
        case DataType::kE8M0: return tool::ElemType::kF8E8M0;
        case DataType::kDOUBLE: return tool::ElemType::kF64;
        case DataType::kINT16: return tool::ElemType::kI16;
        case DataType::kUINT16: return tool::ElemType::kU16;
        case DataType::kUINT32: return tool::ElemType::kU32;
        case DataType::kUINT64: return tool::ElemType::kU64;
        case DataType::kFP8E5M2: return tool::ElemType::kF8E5M2;
        case DataType::kFP8E4M3FNUZ: return tool::ElemType::kF8E4M3FNUZ;
        case DataType::kFP8E5M2FNUZ: return tool::ElemType::kF8E5M2FNUZ;
        case DataType::kUINT4: return tool::ElemType::kU4;
        case DataType::kINT2: return tool::ElemType::kI2;
        case DataType::kUINT2: return tool::ElemType::kU2;
    }
    return std::nullopt;
}

bool isTensorFileExtension(const std::string& path) {
    const std::string ext = lowerExtension(path);
    return ext == ".npy" || ext == ".pb";
}

bool writeTensorFile(const std::string& path, const tool::TensorData& t, std::string& error) {
    const std::string ext = lowerExtension(path);
    if (ext == ".npy") return tool::writeNpy(path, t, error);
    if (ext == ".pb") return tool::writeTensorProto(path, t, error);
    error = path + ": unknown tensor file extension (use .npy or .pb)";
    return false;
}

bool parseShapeList(const std::string& arg, const std::string& option,
                    std::map<std::string, std::vector<int64_t>>& out, std::string& error) {
    size_t start = 0;
    while (start <= arg.size()) {
        const size_t comma = std::min(arg.find(',', start), arg.size());
        const std::string item = arg.substr(start, comma - start);
        start = comma + 1;
        // The last ':' splits, so that names may contain ':' themselves.
        const size_t colon = item.rfind(':');
        const std::string name = colon == std::string::npos ? "" : item.substr(0, colon);
        const std::string dims = colon == std::string::npos ? "" : item.substr(colon + 1);
        std::vector<int64_t> shape;
        bool ok = !name.empty() && !dims.empty();
        for (size_t p = 0; ok && p <= dims.size();) {
            const size_t x = std::min(dims.find('x', p), dims.size());
            const std::string num = dims.substr(p, x - p);
            ok = !num.empty() && num.size() < 12 && num.find_first_not_of("0123456789") == std::string::npos;
            if (ok) shape.push_back(std::stoll(num));
            p = x + 1;
        }
        if (!ok) {
            error = option + " '" + item + "': expected NAME:DxDx...D with non-negative integer dims";
            return false;
        }
        if (!out.emplace(name, shape).second) {
            error = option + ": input '" + name + "' is given twice";
            return false;
        }
    }
    return true;
}

}  // namespace kiln::cli
