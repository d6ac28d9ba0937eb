#include "byte_io.h"

#include <cstring>

namespace kiln::engine {

// Explicit little-endian encoding: the metadata reads the same on any host.
void ByteWriter::u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(uint8_t(v >> (8 * i)));
}

void ByteWriter::u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(uint8_t(v >> (8 * i)));
}

void ByteWriter::f32(float v) {
    uint32_t b;
    std::memcpy(&b, &v, 4);
    u32(b);
}

void ByteWriter::f64(double v) {
    uint64_t b;
    std::memcpy(&b, &v, 8);
    u64(b);
}

void ByteWriter::str(const std::string& s) {
    u32(uint32_t(s.size()));
    bytes(s.data(), s.size());
}

void ByteWriter::bytes(const void* data, size_t n) {
    const auto* b = static_cast<const uint8_t*>(data);
    out_.insert(out_.end(), b, b + n);
}

void ByteWriter::alignTo(size_t alignment) {
    const size_t rem = out_.size() % alignment;
    if (rem) zeros(alignment - rem);
}

void ByteWriter::patchU64(size_t at, uint64_t v) {
    for (int i = 0; i < 8; ++i) out_[at + i] = uint8_t(v >> (8 * i));
}

Status ByteReader::need(size_t n) const {
    if (n > remaining())
        return Status::Error("unexpected end of data at byte " + std::to_string(base_ + pos_) + " (needs " +
                             std::to_string(n) + " more bytes, " + std::to_string(remaining()) + " left)");
    return Status::Ok();
}

Status ByteReader::u8(uint8_t& v) {
    KILN_RETURN_IF_ERROR(need(1));
    v = p_[pos_++];
    return Status::Ok();
}

Status ByteReader::u32(uint32_t& v) {
    KILN_RETURN_IF_ERROR(need(4));
    v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t(p_[pos_ + i]) << (8 * i);
    pos_ += 4;
    return Status::Ok();
}

Status ByteReader::i32(int32_t& v) {
    uint32_t u;
    KILN_RETURN_IF_ERROR(u32(u));
    v = int32_t(u);
    return Status::Ok();
}

Status ByteReader::u64(uint64_t& v) {
    KILN_RETURN_IF_ERROR(need(8));
    v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t(p_[pos_ + i]) << (8 * i);
    pos_ += 8;
    return Status::Ok();
}

Status ByteReader::i64(int64_t& v) {
    uint64_t u;
    KILN_RETURN_IF_ERROR(u64(u));
    v = int64_t(u);
    return Status::Ok();
}

Status ByteReader::f32(float& v) {
    uint32_t b;
    KILN_RETURN_IF_ERROR(u32(b));
    std::memcpy(&v, &b, 4);
    return Status::Ok();
}

Status ByteReader::f64(double& v) {
    uint64_t b;
    KILN_RETURN_IF_ERROR(u64(b));
    std::memcpy(&v, &b, 8);
    return Status::Ok();
}

Status ByteReader::str(std::string& s) {
    uint32_t len;
    KILN_RETURN_IF_ERROR(count(len, 1));
    s.assign(reinterpret_cast<const char*>(p_ + pos_), len);
    pos_ += len;
    return Status::Ok();
}

Status ByteReader::count(uint32_t& n, size_t minElemBytes) {
    const size_t at = base_ + pos_;
    KILN_RETURN_IF_ERROR(u32(n));
    // n < 2^32 and minElemBytes is small, so the product cannot overflow size_t.
    if (uint64_t(n) * minElemBytes > remaining())
        return Status::Error("count " + std::to_string(n) + " at byte " + std::to_string(at) +
                             " exceeds the remaining " + std::to_string(remaining()) + " bytes");
    return Status::Ok();
}

}  // namespace kiln::engine
