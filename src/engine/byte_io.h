// Little-endian byte writer and bounds-checked reader for the engine file.
// The reader never reads past its end: every read checks the remaining bytes
// and returns an error, and counts are checked against the remaining bytes
// before anything is allocated, so a hostile count cannot cause a huge
// allocation.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../ir/status.h"

namespace kiln::engine {

class ByteWriter {
public:
    explicit ByteWriter(std::vector<uint8_t>& out) : out_(out) {}

    size_t size() const { return out_.size(); }
    void u8(uint8_t v) { out_.push_back(v); }
    void u32(uint32_t v);
    void i32(int32_t v) { u32(uint32_t(v)); }
    void u64(uint64_t v);
    void i64(int64_t v) { u64(uint64_t(v)); }
    void f32(float v);  // IEEE bits, so NaN payloads survive
    void f64(double v);
    void str(const std::string& s);  // u32 length + bytes
    void bytes(const void* data, size_t n);
    void zeros(size_t n) { out_.insert(out_.end(), n, 0); }
    void alignTo(size_t alignment);  // zero padding up to a multiple of alignment
    // Overwrites a u64 written earlier (section offsets known only later).
    void patchU64(size_t at, uint64_t v);

private:
    std::vector<uint8_t>& out_;
};

class ByteReader {
public:
    // `base` is added to positions in error messages (the reader may cover a
    // section that starts inside a larger file).
    ByteReader(const uint8_t* data, size_t size, size_t base = 0) : p_(data), n_(size), base_(base) {}

    size_t remaining() const { return n_ - pos_; }
    size_t position() const { return pos_; }

    Status u8(uint8_t& v);
    Status u32(uint32_t& v);
    Status i32(int32_t& v);
    Status u64(uint64_t& v);
    Status i64(int64_t& v);
    Status f32(float& v);
    Status f64(double& v);
    Status str(std::string& s);
    // Reads a u32 element count and checks that `count * minElemBytes` fits in
    // the remaining bytes, so the caller may reserve `count` elements safely.
    Status count(uint32_t& n, size_t minElemBytes);

private:
    Status need(size_t n) const;

    const uint8_t* p_;
    size_t n_;
    size_t base_;
    size_t pos_ = 0;
};

}  // namespace kiln::engine
