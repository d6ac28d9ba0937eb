// NumPy .npy reader and writer (format versions 1.0, 2.0 and 3.0).
//
// The header is a Python dict literal; we parse a small subset of Python
// literals (strings, ints, True/False/None, tuples and lists) so that keys may
// come in any order, with any spacing and trailing commas.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <string_view>

#include "tensor_file.h"

namespace kiln::tool {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

// ---- Python literal subset -------------------------------------------------

struct PyValue {
    enum class Kind { kStr, kInt, kBool, kNone, kSeq } kind = Kind::kNone;
    std::string str;
    int64_t integer = 0;
    bool boolean = false;
    std::vector<PyValue> items;
};

class PyParser {
public:
    explicit PyParser(std::string_view text) : text_(text) {}

    bool parseDict(std::vector<std::pair<std::string, PyValue>>& entries, std::string& error) {
        skipSpace();
        if (!eat('{')) return fail("header does not start with '{'", error);
        for (;;) {
            skipSpace();
            if (eat('}')) break;
            PyValue key, value;
            if (!parseValue(key, 0, error)) return false;
            if (key.kind != PyValue::Kind::kStr) return fail("header dict key is not a string", error);
            skipSpace();
            if (!eat(':')) return fail("expected ':' after key '" + key.str + "'", error);
            if (!parseValue(value, 0, error)) return false;
            entries.emplace_back(key.str, std::move(value));
            skipSpace();
            if (eat('}')) break;
            if (!eat(',')) return fail("expected ',' or '}' in header dict", error);
        }
        skipSpace();
        if (pos_ != text_.size()) return fail("unexpected text after the header dict", error);
        return true;
    }

private:
    static constexpr int kMaxDepth = 16;  // hostile "((((..." must not blow the stack

    bool fail(const std::string& what, std::string& error) {
        error = "npy header: " + what + " (at header offset " + std::to_string(pos_) + ")";
        return false;
    }
    void skipSpace() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\r' ||
                                       text_[pos_] == '\n'))
            ++pos_;
    }
    bool eat(char c) {
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }

    bool parseValue(PyValue& v, int depth, std::string& error) {
        if (depth > kMaxDepth) return fail("literal nested too deeply", error);
        skipSpace();
        if (pos_ >= text_.size()) return fail("header ends inside a value", error);
        const char c = text_[pos_];
        if (c == '\'' || c == '"') return parseString(v, error);
        if (c == '(' || c == '[') return parseSeq(v, depth, error);
        if (c == '-' || c == '+' || (c >= '0' && c <= '9')) return parseInt(v, error);
        size_t end = pos_;
        while (end < text_.size() && std::isalpha(static_cast<unsigned char>(text_[end]))) ++end;
        const std::string_view word = text_.substr(pos_, end - pos_);
        if (word == "True" || word == "False") {
            v.kind = PyValue::Kind::kBool;
            v.boolean = word == "True";
        } else if (word == "None") {
            v.kind = PyValue::Kind::kNone;
        } else {
            return fail("unexpected character '" + std::string(1, c) + "'", error);
        }
        pos_ = end;
        return true;
    }

    bool parseString(PyValue& v, std::string& error) {
        const char quote = text_[pos_++];
        v.kind = PyValue::Kind::kStr;
        while (pos_ < text_.size() && text_[pos_] != quote) {
            if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;  // keep the escaped char
            v.str.push_back(text_[pos_++]);
        }
        if (!eat(quote)) return fail("unterminated string", error);
        return true;
    }

    bool parseInt(PyValue& v, std::string& error) {
        bool negative = false;
        if (text_[pos_] == '-' || text_[pos_] == '+') negative = text_[pos_++] == '-';
        if (pos_ >= text_.size() || !std::isdigit(static_cast<unsigned char>(text_[pos_])))
            return fail("malformed integer", error);
        uint64_t n = 0;
        while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
            n = n * 10 + static_cast<uint64_t>(text_[pos_++] - '0');
            if (n > static_cast<uint64_t>(INT64_MAX)) return fail("integer too large", error);
        }
        if (pos_ < text_.size() && (text_[pos_] == 'L' || text_[pos_] == 'l')) ++pos_;  // Python 2 long
        v.kind = PyValue::Kind::kInt;
        v.integer = negative ? -static_cast<int64_t>(n) : static_cast<int64_t>(n);
        return true;
    }

    bool parseSeq(PyValue& v, int depth, std::string& error) {
        const char close = text_[pos_++] == '(' ? ')' : ']';
        v.kind = PyValue::Kind::kSeq;
        for (;;) {
            skipSpace();
            if (eat(close)) return true;
            PyValue item;
            if (!parseValue(item, depth + 1, error)) return false;
            v.items.push_back(std::move(item));
            skipSpace();
            if (eat(close)) return true;
            if (!eat(',')) return fail(std::string("expected ',' or '") + close + "'", error);
        }
    }

    std::string_view text_;
    size_t pos_ = 0;
};

// ---- dtype descriptors -----------------------------------------------------

bool parseDescr(const std::string& descr, ElemType& type, bool& bigEndian, std::string& error) {
    std::string_view d = descr;
    bigEndian = false;
    if (!d.empty() && std::string_view("<>|=!").find(d[0]) != std::string_view::npos) {
        bigEndian = d[0] == '>' || d[0] == '!';
        d.remove_prefix(1);
    }
    struct Entry {
        std::string_view code;
        ElemType type;
    };
    static constexpr Entry kTable[] = {
        {"f2", ElemType::kF16}, {"f4", ElemType::kF32}, {"f8", ElemType::kF64}, {"i1", ElemType::kI8},
        {"u1", ElemType::kU8},  {"i2", ElemType::kI16}, {"u2", ElemType::kU16}, {"i4", ElemType::kI32},
        {"u4", ElemType::kU32}, {"i8", ElemType::kI64}, {"u8", ElemType::kU64}, {"b1", ElemType::kBool},
        {"?", ElemType::kBool},
    };
    for (const Entry& e : kTable) {
        if (d == e.code) {
            type = e.type;
            return true;
        }
    }
    error = "unsupported npy dtype '" + descr + "' (supported: f2 f4 f8 i1 u1 i2 u2 i4 u4 i8 u8 b1)";
    return false;
}

const char* descrFor(ElemType type) {
    switch (type) {
        case ElemType::kF16: return "<f2";
        case ElemType::kF32: return "<f4";
        case ElemType::kF64: return "<f8";
        case ElemType::kI8: return "|i1";
        case ElemType::kU8: return "|u1";
        case ElemType::kI16: return "<i2";
        case ElemType::kU16: return "<u2";
        case ElemType::kI32: return "<i4";
        case ElemType::kU32: return "<u4";
        case ElemType::kI64: return "<i8";
        case ElemType::kU64: return "<u8";
        case ElemType::kBool: return "|b1";
        default: return nullptr;  // bfloat16, float8, sub-byte: no npy dtype
    }
}

uint32_t readLe(const uint8_t* p, size_t n) {
    uint32_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
    return v;
}

// Reorders column-major elements into row-major order.
std::vector<uint8_t> fortranToC(const std::vector<uint8_t>& src, const std::vector<int64_t>& shape,
                                size_t count, size_t es) {
    std::vector<uint8_t> dst(src.size());
    std::vector<int64_t> index(shape.size(), 0);  // row-major multi-index of element i
    for (size_t i = 0; i < count; ++i) {
        size_t f = 0;  // column-major offset: first dim varies fastest
        for (size_t k = shape.size(); k-- > 0;) f = f * static_cast<size_t>(shape[k]) + static_cast<size_t>(index[k]);
        std::memcpy(dst.data() + i * es, src.data() + f * es, es);
        for (size_t k = shape.size(); k-- > 0;) {
            if (++index[k] < shape[k]) break;
            index[k] = 0;
        }
    }
    return dst;
}

bool readNpyImpl(const uint8_t* data, size_t size, TensorData& out, std::string& error) {
    if (size < kMagicLen || std::memcmp(data, kMagic, kMagicLen) != 0) {
        error = "not an npy file (missing \\x93NUMPY magic)";
        return false;
    }
    if (size < 8) {
        error = "npy file truncated in its version bytes";
        return false;
    }
    const int major = data[6], minor = data[7];
    const size_t lenBytes = major == 1 ? 2 : (major == 2 || major == 3) ? 4 : 0;
    if (lenBytes == 0) {
        error = "unsupported npy version " + std::to_string(major) + "." + std::to_string(minor);
        return false;
    }
    if (size < 8 + lenBytes) {
        error = "npy file truncated in its header length";
        return false;
    }
    const size_t headerLen = readLe(data + 8, lenBytes);
    const size_t headerStart = 8 + lenBytes;
    if (headerLen > size - headerStart) {
        error = "npy header declares " + std::to_string(headerLen) + " bytes but only " +
                std::to_string(size - headerStart) + " follow";
        return false;
    }
    const std::string_view header(reinterpret_cast<const char*>(data + headerStart), headerLen);

    std::vector<std::pair<std::string, PyValue>> entries;
    if (!PyParser(header).parseDict(entries, error)) return false;
    const PyValue* descr = nullptr;
    const PyValue* fortran = nullptr;
    const PyValue* shape = nullptr;
    for (const auto& [key, value] : entries) {  // unknown keys are ignored
        if (key == "descr") descr = &value;
        if (key == "fortran_order") fortran = &value;
        if (key == "shape") shape = &value;
    }
    if (!descr || !fortran || !shape) {
        error = std::string("npy header lacks the '") + (!descr ? "descr" : !fortran ? "fortran_order" : "shape") +
                "' key";
        return false;
    }
    if (descr->kind == PyValue::Kind::kSeq) {
        error = "structured npy dtypes are not supported";
        return false;
    }
    if (descr->kind != PyValue::Kind::kStr) {
        error = "npy header 'descr' is not a string";
        return false;
    }
    if (fortran->kind != PyValue::Kind::kBool) {
        error = "npy header 'fortran_order' is not True or False";
        return false;
    }
    if (shape->kind != PyValue::Kind::kSeq) {
        error = "npy header 'shape' is not a tuple";
        return false;
    }
    TensorData t;
    bool bigEndian = false;
    if (!parseDescr(descr->str, t.type, bigEndian, error)) return false;
    for (const PyValue& d : shape->items) {
        if (d.kind != PyValue::Kind::kInt || d.integer < 0) {
            error = "npy shape entries must be non-negative integers";
            return false;
        }
        t.shape.push_back(d.integer);
    }
    size_t count = 0;
    if (!elementCount(t.shape, count)) {
        error = "npy shape element count overflows";
        return false;
    }
    const size_t es = elemSize(t.type);
    const size_t dataStart = headerStart + headerLen;
    const size_t present = size - dataStart;
    if (present != count * es) {
        error = "npy shape says " + std::to_string(count) + " elements (" + std::to_string(count * es) +
                " bytes) but the file holds " + std::to_string(present) + " data bytes";
        return false;
    }
    t.bytes.assign(data + dataStart, data + size);
    if (bigEndian && es > 1) {
        for (size_t i = 0; i < count; ++i) std::reverse(t.bytes.begin() + i * es, t.bytes.begin() + (i + 1) * es);
    }
    if (t.type == ElemType::kBool) {
        for (uint8_t& b : t.bytes) b = b != 0;
    }
    if (fortran->boolean && t.shape.size() > 1) t.bytes = fortranToC(t.bytes, t.shape, count, es);
    out = std::move(t);
    return true;
}

}  // namespace

bool readNpy(const uint8_t* data, size_t size, TensorData& out, std::string& error) {
    try {
        if (!data && size) {
            error = "null buffer";
            return false;
        }
        return readNpyImpl(data, size, out, error);
    } catch (const std::exception& e) {
        error = std::string("npy: ") + e.what();
        return false;
    }
}

bool encodeNpy(const TensorData& t, std::vector<uint8_t>& out, std::string& error) {
    try {
        const char* descr = descrFor(t.type);
        if (!descr) {
            error = std::string("npy has no ") + elemTypeName(t.type) + " dtype; write a .pb file instead";
            return false;
        }
        size_t count = 0;
        if (!elementCount(t.shape, count)) {
            error = "shape has a negative dim or overflows";
            return false;
        }
        if (t.bytes.size() != count * elemSize(t.type)) {
            error = "tensor holds " + std::to_string(t.bytes.size()) + " bytes but its shape needs " +
                    std::to_string(count * elemSize(t.type));
            return false;
        }
        std::string shape = "(";
        for (size_t i = 0; i < t.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(t.shape[i]);
        shape += t.shape.size() == 1 ? ",)" : ")";
        std::string header =
            std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        // Pad with spaces and a newline so the data starts 64-byte aligned, as numpy does.
        const bool v2 = header.size() + 1 + 10 + 63 > 0xffff;
        const size_t prefix = v2 ? 12 : 10;
        const size_t total = (prefix + header.size() + 1 + 63) / 64 * 64;
        header.append(total - prefix - header.size() - 1, ' ');
        header.push_back('\n');

        out.clear();
        out.reserve(total + t.bytes.size());
        out.insert(out.end(), kMagic, kMagic + kMagicLen);
        out.push_back(v2 ? 2 : 1);
        out.push_back(0);
        for (size_t i = 0; i < prefix - 8; ++i) out.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
        out.insert(out.end(), header.begin(), header.end());
        out.insert(out.end(), t.bytes.begin(), t.bytes.end());
        return true;
    } catch (const std::exception& e) {
        error = std::string("npy: ") + e.what();
        return false;
    }
}

}  // namespace kiln::tool
