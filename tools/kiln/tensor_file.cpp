// Shared pieces of the tensor file code: element types, file I/O, dispatch by
// extension, and widening to double. The formats live in npy.cpp and
// tensor_proto.cpp.
#include "tensor_file.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace kiln::tool {

static_assert(std::endian::native == std::endian::little,
              "TensorData bytes are little-endian; a big-endian host needs byte swaps here");

size_t elemSize(ElemType type) {
    switch (type) {
        case ElemType::kF64:
        case ElemType::kI64:
        case ElemType::kU64:
            return 8;
        case ElemType::kF32:
        case ElemType::kI32:
        case ElemType::kU32:
            return 4;
        case ElemType::kF16:
        case ElemType::kBF16:
        case ElemType::kI16:
        case ElemType::kU16:
            return 2;
        case ElemType::kI8:
        case ElemType::kU8:
        case ElemType::kBool:
        case ElemType::kF8E4M3FN:
        case ElemType::kF8E4M3FNUZ:
        case ElemType::kF8E5M2:
        case ElemType::kF8E5M2FNUZ:
        case ElemType::kF8E8M0:
        case ElemType::kF4E2M1:
        case ElemType::kI4:
        case ElemType::kU4:
        case ElemType::kI2:
        case ElemType::kU2:
            return 1;
    }
    return 0;
}

int packedBits(ElemType type) {
    switch (type) {
        case ElemType::kF4E2M1:
        case ElemType::kI4:
        case ElemType::kU4:
            return 4;
        case ElemType::kI2:
        case ElemType::kU2:
            return 2;
        default:
            return 0;
    }
}

const char* elemTypeName(ElemType type) {
    switch (type) {
        case ElemType::kF32:
            return "f32";
        case ElemType::kF16:
            return "f16";
        case ElemType::kBF16:
            return "bf16";
        case ElemType::kF64:
            return "f64";
        case ElemType::kI8:
            return "i8";
        case ElemType::kU8:
            return "u8";
        case ElemType::kI16:
            return "i16";
        case ElemType::kU16:
            return "u16";
        case ElemType::kI32:
            return "i32";
        case ElemType::kU32:
            return "u32";
        case ElemType::kI64:
            return "i64";
        case ElemType::kU64:
            return "u64";
        case ElemType::kBool:
            return "bool";
        case ElemType::kF8E4M3FN:
            return "f8e4m3fn";
        case ElemType::kF8E4M3FNUZ:
            return "f8e4m3fnuz";
        case ElemType::kF8E5M2:
            return "f8e5m2";
        case ElemType::kF8E5M2FNUZ:
            return "f8e5m2fnuz";
        case ElemType::kF8E8M0:
            return "f8e8m0";
        case ElemType::kF4E2M1:
            return "f4e2m1";
        case ElemType::kI4:
            return "i4";
        case ElemType::kU4:
            return "u4";
        case ElemType::kI2:
            return "i2";
        case ElemType::kU2:
            return "u2";
    }
    return "?";
}

bool elementCount(const std::vector<int64_t>& shape, size_t& count) {
    // Capped well below SIZE_MAX so count * elemSize (<= 8) cannot overflow either.
    constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max() / 16;
    uint64_t n = 1;
    bool zero = false;
    for (int64_t d : shape) {
        if (d < 0) return false;
        if (d == 0) zero = true;
        // Keep checking the other dims for negatives and overflow even after a zero.
        const uint64_t ud = d == 0 ? 1 : static_cast<uint64_t>(d);
        if (n > kMax / ud) return false;
        n *= ud;
    }
    count = zero ? 0 : static_cast<size_t>(n);
    return true;
}

namespace {

float bitsToFloat(uint32_t bits) { return std::bit_cast<float>(bits); }

float halfToFloat(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    if (exp == 0x1f) return bitsToFloat(sign | 0x7f800000u | (mant << 13));  // inf / nan
    if (exp != 0) return bitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    if (mant == 0) return bitsToFloat(sign);
    // Subnormal half: normalise into a float exponent.
    int e = -1;
    do {
        mant <<= 1;
        ++e;
    } while ((mant & 0x400u) == 0);
    return bitsToFloat(sign | static_cast<uint32_t>(112 - e) << 23 | ((mant & 0x3ffu) << 13));
}

// A float of `expBits` exponent and `manBits` mantissa bits; `ieee`: an
// all-ones exponent is infinity/NaN, `fn`: only all-ones is NaN, `uz`: the
// sign bit alone is NaN (and there is no -0).
double miniFloat(uint32_t bits, int expBits, int manBits, int bias, bool ieee, bool fn, bool uz) {
    const uint32_t signBit = 1u << (expBits + manBits), manMask = (1u << manBits) - 1u, expMax = (1u << expBits) - 1u;
    bits &= (signBit << 1) - 1u;
    const uint32_t exp = (bits >> manBits) & expMax, man = bits & manMask;
    const bool neg = (bits & signBit) != 0;
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    constexpr double kInf = std::numeric_limits<double>::infinity();
    if (ieee && exp == expMax) return man ? kNaN : (neg ? -kInf : kInf);
    if (fn && exp == expMax && man == manMask) return kNaN;
    if (uz && bits == signBit) return kNaN;
    const double v = exp == 0 ? std::ldexp(double(man), 1 - bias - manBits)
                              : std::ldexp(double(man | (1u << manBits)), int(exp) - bias - manBits);
    return neg ? -v : v;
}

template <typename T>
T load(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

double elementAsDouble(ElemType type, const uint8_t* p) {
    switch (type) {
        case ElemType::kF32:
            return load<float>(p);
        case ElemType::kF16:
            return halfToFloat(load<uint16_t>(p));
        case ElemType::kBF16:
            return bitsToFloat(static_cast<uint32_t>(load<uint16_t>(p)) << 16);
        case ElemType::kF64:
            return load<double>(p);
        case ElemType::kI8:
            return load<int8_t>(p);
        case ElemType::kU8:
            return load<uint8_t>(p);
        case ElemType::kI16:
            return load<int16_t>(p);
        case ElemType::kU16:
            return load<uint16_t>(p);
        case ElemType::kI32:
            return load<int32_t>(p);
        case ElemType::kU32:
            return load<uint32_t>(p);
        case ElemType::kI64:
            return static_cast<double>(load<int64_t>(p));
        case ElemType::kU64:
            return static_cast<double>(load<uint64_t>(p));
        case ElemType::kBool:
            return *p != 0 ? 1.0 : 0.0;
        case ElemType::kF8E4M3FN:
            return miniFloat(*p, 4, 3, 7, false, true, false);
        case ElemType::kF8E4M3FNUZ:
            return miniFloat(*p, 4, 3, 8, false, false, true);
        case ElemType::kF8E5M2:
            return miniFloat(*p, 5, 2, 15, true, false, false);
        case ElemType::kF8E5M2FNUZ:
            return miniFloat(*p, 5, 2, 16, false, false, true);
        case ElemType::kF8E8M0:
            return *p == 0xff ? std::numeric_limits<double>::quiet_NaN() : std::ldexp(1.0, *p - 127);
        case ElemType::kF4E2M1:
            return miniFloat(*p & 0xfu, 2, 1, 1, false, false, false);
        case ElemType::kI4:
            return static_cast<int8_t>(static_cast<uint8_t>(*p << 4)) >> 4;
        case ElemType::kU4:
            return *p & 0xf;
        case ElemType::kI2:
            return static_cast<int8_t>(static_cast<uint8_t>(*p << 6)) >> 6;
        case ElemType::kU2:
            return *p & 0x3;
    }
    return 0.0;
}

std::string lowerExtension(const std::string& path) {
    const size_t slash = path.find_last_of("/\\");
    const size_t dot = path.find_last_of('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
    std::string ext = path.substr(dot);
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ext;
}

bool readWholeFile(const std::string& path, std::vector<uint8_t>& bytes, std::string& error) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
        error = path + ": cannot open: " + std::strerror(errno);
        return false;
    }
    bytes.clear();
    uint8_t chunk[1 << 16];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) bytes.insert(bytes.end(), chunk, chunk + n);
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed) {
        error = path + ": read error";
        return false;
    }
    return true;
}

bool writeWholeFile(const std::string& path, const std::vector<uint8_t>& bytes, std::string& error) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) {
        error = path + ": cannot create: " + std::strerror(errno);
        return false;
    }
    const bool wrote = bytes.empty() || std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    const bool closed = std::fclose(f) == 0;
    if (!wrote || !closed) {
        error = path + ": write failed";
        return false;
    }
    return true;
}

}  // namespace

std::vector<double> toDoubles(const TensorData& t) {
    std::vector<double> out;
    size_t count = 0;
    const size_t es = elemSize(t.type);
    if (!elementCount(t.shape, count) || t.bytes.size() < count * es) return out;
    try {
        out.resize(count);
    } catch (...) {
        return {};
    }
    for (size_t i = 0; i < count; ++i) out[i] = elementAsDouble(t.type, t.bytes.data() + i * es);
    return out;
}

bool readTensorFile(const std::string& path, TensorData& out, std::string& error) {
    try {
        std::vector<uint8_t> bytes;
        if (!readWholeFile(path, bytes, error)) return false;
        const std::string ext = lowerExtension(path);
        bool npy;
        if (ext == ".npy") {
            npy = true;
        } else if (ext == ".pb") {
            npy = false;
        } else {
            npy = bytes.size() >= 6 && std::memcmp(bytes.data(), "\x93NUMPY", 6) == 0;
        }
        const bool ok = npy ? readNpy(bytes.data(), bytes.size(), out, error)
                            : readTensorProto(bytes.data(), bytes.size(), out, error);
        if (!ok) error = path + ": " + error;
        return ok;
    } catch (const std::exception& e) {
        error = path + ": " + e.what();
        return false;
    }
}

bool writeNpy(const std::string& path, const TensorData& t, std::string& error) {
    try {
        std::vector<uint8_t> bytes;
        if (!encodeNpy(t, bytes, error)) {
            error = path + ": " + error;
            return false;
        }
        return writeWholeFile(path, bytes, error);
    } catch (const std::exception& e) {
        error = path + ": " + e.what();
        return false;
    }
}

bool writeTensorProto(const std::string& path, const TensorData& t, std::string& error) {
    try {
        std::vector<uint8_t> bytes;
        if (!encodeTensorProto(t, bytes, error)) {
            error = path + ": " + error;
            return false;
        }
        return writeWholeFile(path, bytes, error);
    } catch (const std::exception& e) {
        error = path + ": " + e.what();
        return false;
    }
}

}  // namespace kiln::tool
