// External data: locating, checking and reading the side files of a model.
#include "external_data.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace kiln::onnx {
namespace {

namespace fs = std::filesystem;

// Closes a file descriptor on every path out.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

bool parseUnsigned(const std::string& s, uint64_t& v) {
    if (s.empty() || s.size() > 20) return false;
    v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        const uint64_t digit = uint64_t(c - '0');
        if (v > (UINT64_MAX - digit) / 10) return false;
        v = v * 10 + digit;
    }
    return true;
}

// Bits per element of an ONNX type as stored in raw/external data (the
// sub-byte types are packed); 0 where the size is not fixed (strings) or the
// type is unknown here.
uint64_t elementBits(int32_t onnxType) {
    using P = pb::TensorProto;
    switch (onnxType) {
        case P::UINT8:
        case P::INT8:
        case P::BOOL:
        case P::FLOAT8E4M3FN:
        case P::FLOAT8E4M3FNUZ:
        case P::FLOAT8E5M2:
        case P::FLOAT8E5M2FNUZ:
            return 8;
        case P::UINT16:
        case P::INT16:
        case P::FLOAT16:
        case P::BFLOAT16:
            return 16;
        case P::FLOAT:
        case P::INT32:
        case P::UINT32:
            return 32;
        case P::INT64:
        case P::UINT64:
        case P::DOUBLE:
        case P::COMPLEX64:
            return 64;
        case P::COMPLEX128:
            return 128;
        case 24:  // FLOAT8E8M0
            return 8;
        case 21:
        case 22:
        case 23:  // UINT4, INT4, FLOAT4E2M1: two per byte
            return 4;
        case 25:
        case 26:  // UINT2, INT2: four per byte
            return 2;
        default:
            return 0;
    }
}

// The byte count the tensor's dims and type need; nullopt when unknown (the
// caller then checks the element count after decoding), or on overflow with
// `error` set.
std::optional<uint64_t> neededBytes(const pb::TensorProto& t, std::string& error) {
    const uint64_t bits = elementBits(t.data_type());
    if (bits == 0) return std::nullopt;
    uint64_t count = 1;
    for (int64_t d : t.dims()) {
        if (d < 0) {
            error = "tensor '" + t.name() + "' has a negative dimension";
            return std::nullopt;
        }
        if (d != 0 && count > UINT64_MAX / 128 / uint64_t(d)) {
            error = "tensor '" + t.name() + "': the element count of its dims overflows";
            return std::nullopt;
        }
        count *= uint64_t(d);
    }
    return (count * bits + 7) / 8;
}

// True if `path` is `dir` or lies below it (both canonical).
bool isInside(const fs::path& path, const fs::path& dir) {
    auto p = path.begin();
    for (auto d = dir.begin(); d != dir.end(); ++d, ++p)
        if (p == path.end() || *p != *d) return false;
    return true;
}

}  // namespace

bool parseExternalDataRef(const pb::TensorProto& t, ExternalDataRef& ref, std::string& error) {
    ref = ExternalDataRef{};
    bool hasLocation = false;
    for (const auto& e : t.external_data()) {
        uint64_t v = 0;
        if (e.key() == "location") {
            ref.location = e.value();
            hasLocation = true;
        } else if (e.key() == "offset" || e.key() == "length") {
            if (!parseUnsigned(e.value(), v)) {
                error = "tensor '" + t.name() + "': external data " + e.key() + " '" + e.value() +
                        "' is not a non-negative integer";
                return false;
            }
            if (e.key() == "offset")
                ref.offset = v;
            else
                ref.length = v;
        }
    }
    if (!hasLocation || ref.location.empty()) {
        error = "tensor '" + t.name() + "' is stored as external data but has no 'location'";
        return false;
    }
    return true;
}

bool readExternalData(const pb::TensorProto& t, const std::string& modelDir, std::string& out, std::string& error) {
    ExternalDataRef ref;
    if (!parseExternalDataRef(t, ref, error)) return false;
    const std::string where = "tensor '" + t.name() + "': external data file '" + ref.location + "'";

    // Lexical checks first: the location must be a plain relative path.
    const fs::path rel(ref.location);
    bool escapes = ref.location.find('\0') != std::string::npos || rel.is_absolute() || rel.has_root_path();
    for (const auto& part : rel) escapes = escapes || part == "..";
    if (escapes) {
        error = where + " must be a relative path inside the model's directory (no absolute path, no '..')";
        return false;
    }
    // Then the real location: a symbolic link must not lead outside either.
    std::error_code ec;
    const fs::path dir = fs::canonical(modelDir.empty() ? fs::path(".") : fs::path(modelDir), ec);
    if (ec) {
        error = where + ": the model's directory '" + modelDir + "' cannot be resolved: " + ec.message();
        return false;
    }
    const fs::path file = fs::canonical(dir / rel, ec);
    if (ec) {
        error = where + " cannot be opened (looked in '" + dir.string() + "'): " + ec.message();
        return false;
    }
    if (!isInside(file, dir)) {
        error = where + " resolves to '" + file.string() + "', outside the model's directory";
        return false;
    }

    Fd f;
    f.fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (f.fd < 0 || ::fstat(f.fd, &st) != 0) {
        error = where + " cannot be opened: " + std::strerror(errno);
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        error = where + " is not a regular file";
        return false;
    }
    const uint64_t size = uint64_t(st.st_size);
    if (ref.offset > size) {
        error = where + ": offset " + std::to_string(ref.offset) + " is past the end of the file (" +
                std::to_string(size) + " bytes)";
        return false;
    }
    const uint64_t length = ref.length ? *ref.length : size - ref.offset;
    if (length > size - ref.offset) {
        error = where + ": offset " + std::to_string(ref.offset) + " + length " + std::to_string(length) +
                " is past the end of the file (" + std::to_string(size) + " bytes)";
        return false;
    }
    std::string sizeError;
    const auto needed = neededBytes(t, sizeError);
    if (!sizeError.empty()) {
        error = sizeError;
        return false;
    }
    if (needed && *needed != length) {
        error = where + ": the range holds " + std::to_string(length) + " bytes (offset " + std::to_string(ref.offset) +
                "), the tensor's dims and type need " + std::to_string(*needed);
        return false;
    }
    try {
        out.resize(size_t(length));
    } catch (const std::exception&) {
        error = where + ": " + std::to_string(length) + " bytes do not fit in memory";
        return false;
    }
    // pread may return less than asked (large ranges, signals): loop.
    uint64_t done = 0;
    while (done < length) {
        const size_t chunk = size_t(std::min<uint64_t>(length - done, uint64_t(1) << 30));
        const ssize_t n = ::pread(f.fd, out.data() + done, chunk, off_t(ref.offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error = where + ": read failed at byte " + std::to_string(ref.offset + done) + ": " +
                    (n < 0 ? std::strerror(errno) : "unexpected end of file");
            return false;
        }
        done += uint64_t(n);
    }
    return true;
}

}  // namespace kiln::onnx
