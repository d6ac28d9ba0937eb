// The engine file: a fixed header, a metadata section and aligned weight
// sections. See docs/engine-format.md.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "plan.h"

namespace kiln::engine {

// 2: several optimization profiles (one compiled plan each) per file.
constexpr uint32_t kFormatVersion = 2;
constexpr size_t kEngineHeaderSize = 96;  // fixed header (docs/engine-format.md)
constexpr size_t kEngineAlignment = 64;   // weights section and each constant in it

// Byte offsets of the header fields. Magic through checksum (bytes 0..55) keep
// their place in every format version, so any kiln can say what a file is.
namespace header_offset {
constexpr size_t kMagic = 0;           // "KILNENG1"
constexpr size_t kEndianMarker = 8;    // u32 0x01020304, native byte order
constexpr size_t kFormatVersion = 12;  // u32
constexpr size_t kProducerMajor = 16;  // u32 x3: kiln version that wrote the file
constexpr size_t kProducerMinor = 20;
constexpr size_t kProducerPatch = 24;
constexpr size_t kBackend = 28;        // u32 Backend
constexpr size_t kHeaderSize = 32;     // u32, kEngineHeaderSize
constexpr size_t kFlags = 36;          // u32, 0 (reserved)
constexpr size_t kFileSize = 40;       // u64 total file size
constexpr size_t kChecksum = 48;       // u64 checksum64 with this field as zero
constexpr size_t kMetadataOffset = 56; // u64 x2
constexpr size_t kMetadataSize = 64;
constexpr size_t kWeightsOffset = 72;  // u64 x2
constexpr size_t kWeightsSize = 80;
constexpr size_t kReserved = 88;       // u64, 0
}  // namespace header_offset

// The semantic checks writeEngine applies before writing and readEngine after
// parsing (value ids, dtypes, shapes, constant sizes, profiles, memory plan,
// Graph::validate), so that every plan that can be written can be read back.
// Defined in plan.cpp.
Status validatePlan(const Plan& plan);
// validatePlan on each plan, plus what one engine's plans must share (at least
// one plan; same backend, producer, device, build info, batch mode, I/O
// tensor names, dtypes and ranks).
Status validatePlans(const Plans& plans);

// Serializes the plan (one profile) or the plans (one per profile), constant
// buffers shared between plans stored once. Deterministic: the same plans give
// the same bytes.
Status writeEngine(const Plan& plan, std::vector<uint8_t>& out);
Status writeEngine(const Plans& plans, std::vector<uint8_t>& out);

// Verifies and reads an engine file. Refuses, with a message that says which
// check failed: too short / truncated, bad magic, wrong format version, other
// endianness, checksum mismatch, malformed metadata (every count and offset is
// bounds-checked), `expected` backend mismatch.
Status readEngine(const void* data, size_t size, Plans& out);
// The same for a file of exactly one profile (refuses engines with more).
Status readEngine(const void* data, size_t size, Plan& out);

// Reads just the header fields (for `kiln inspect` and error messages).
struct EngineHeaderInfo {
    uint32_t formatVersion = 0;
    uint32_t producerMajor = 0, producerMinor = 0, producerPatch = 0;
    Backend backend = Backend::kCPU;
    uint64_t fileSize = 0;
    uint64_t checksum = 0;
    // Meaningful only when formatVersion == kFormatVersion.
    uint64_t metadataOffset = 0, metadataSize = 0;
    uint64_t weightsOffset = 0, weightsSize = 0;
};
// Checks only the size, magic and byte order, so that it also describes files
// of other format versions; does not verify the checksum.
Status readEngineHeader(const void* data, size_t size, EngineHeaderInfo& out);

// The checksum of a file image (size >= kEngineHeaderSize) with its checksum
// field taken as zero: what the header's checksum field must hold.
uint64_t engineChecksum(const void* data, size_t size);

}  // namespace kiln::engine
