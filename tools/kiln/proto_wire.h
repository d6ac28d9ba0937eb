// Minimal protobuf wire-format primitives for the hand-written TensorProto codec.
// Every read is bounds-checked against the cursor's range; failures return false
// and describe the problem with its byte offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kiln::tool::wire {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kStartGroup = 3, kEndGroup = 4, kFixed32 = 5 };

// A cursor over [pos, end) of one buffer; offsets in messages are from the buffer start.
class WireReader {
public:
    WireReader(const uint8_t* base, size_t pos, size_t end) : base_(base), pos_(pos), end_(end) {}

    bool done() const { return pos_ >= end_; }
    size_t pos() const { return pos_; }

    bool varint(uint64_t& v, std::string& error) {
        const size_t start = pos_;
        v = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (pos_ >= end_) return fail("truncated varint at byte " + std::to_string(start), error);
            const uint8_t b = base_[pos_++];
            if (shift < 64) v |= static_cast<uint64_t>(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return true;
        }
        return fail("varint longer than 10 bytes at byte " + std::to_string(start), error);
    }

    bool fixed(size_t n, uint64_t& v, std::string& error) {
        if (end_ - pos_ < n)
            return fail("truncated " + std::to_string(n * 8) + "-bit value at byte " + std::to_string(pos_), error);
        v = 0;
        for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(base_[pos_ + i]) << (8 * i);
        pos_ += n;
        return true;
    }

    // A length-delimited payload: returns its range and steps over it.
    bool lengthDelimited(size_t& begin, size_t& len, std::string& error) {
        const size_t start = pos_;
        uint64_t n;
        if (!varint(n, error)) return false;
        if (n > end_ - pos_)
            return fail("length " + std::to_string(n) + " at byte " + std::to_string(start) +
                            " runs past the end (" + std::to_string(end_ - pos_) + " bytes left)",
                        error);
        begin = pos_;
        len = static_cast<size_t>(n);
        pos_ += len;
        return true;
    }

    bool tag(uint32_t& field, uint32_t& wire, std::string& error) {
        const size_t start = pos_;
        uint64_t t;
        if (!varint(t, error)) return false;
        field = static_cast<uint32_t>(t >> 3);
        wire = static_cast<uint32_t>(t & 7);
        if ((t >> 3) == 0 || (t >> 3) > 0x1fffffff)
            return fail("invalid field number " + std::to_string(t >> 3) + " at byte " + std::to_string(start), error);
        return true;
    }

    // Skips one field whose tag was just read; groups are skipped to their matching end.
    bool skip(uint32_t field, uint32_t wire, size_t tagPos, std::string& error) {
        std::vector<uint32_t> openGroups;
        for (;;) {
            uint64_t v;
            size_t b, n;
            switch (wire) {
                case kVarint:
                    if (!varint(v, error)) return false;
                    break;
                case kFixed64:
                    if (!fixed(8, v, error)) return false;
                    break;
                case kLen:
                    if (!lengthDelimited(b, n, error)) return false;
                    break;
                case kFixed32:
                    if (!fixed(4, v, error)) return false;
                    break;
                case kStartGroup: openGroups.push_back(field); break;
                case kEndGroup:
                    if (openGroups.empty() || openGroups.back() != field)
                        return fail("unmatched end-group tag for field " + std::to_string(field) + " at byte " +
                                        std::to_string(tagPos),
                                    error);
                    openGroups.pop_back();
                    break;
                default:
                    return fail("invalid wire type " + std::to_string(wire) + " at byte " + std::to_string(tagPos),
                                error);
            }
            if (openGroups.empty()) return true;
            if (done()) return fail("group opened before byte " + std::to_string(tagPos) + " is never closed", error);
            tagPos = pos_;
            if (!tag(field, wire, error)) return false;
        }
    }

private:
    static bool fail(const std::string& what, std::string& error) {
        error = what;
        return false;
    }

    const uint8_t* base_;
    size_t pos_;
    size_t end_;
};

inline void putVarint(std::vector<uint8_t>& out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<uint8_t>(v | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<uint8_t>(v));
}

inline void putTag(std::vector<uint8_t>& out, uint32_t field, uint32_t wire) { putVarint(out, (field << 3) | wire); }

}  // namespace kiln::tool::wire
