// The engine file format; the byte layout is documented field by field in
// docs/engine-format.md. Writing is deterministic (vectors in order, maps in
// key order); reading trusts nothing: every size, count, offset and id is
// checked before use.
#include "format.h"

#include <bit>
#include <cstring>
#include <map>
#include <memory>
#include <utility>

#include "byte_io.h"
#include "checksum.h"

#ifndef KILN_VERSION_MAJOR
#define KILN_VERSION_MAJOR 0
#define KILN_VERSION_MINOR 0
#define KILN_VERSION_PATCH 0
#endif

namespace kiln::engine {
namespace {

namespace off = header_offset;

constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'E', 'N', 'G', '1'};
constexpr uint32_t kEndianMarker = 0x01020304;
constexpr uint32_t kEndianSwapped = 0x04030201;

// Bits of the per-value and per-node flag bytes; other bits must be zero.
constexpr uint8_t kValueHasRange = 1, kValueConstant = 2;
constexpr uint8_t kNodeDead = 1;

// Smallest encodings, for checking counts before allocating.
constexpr size_t kMinValueBytes = 4 + 1 + 1 + 4 + 4 + 4;  // name, dtype, flags, rank, min, max
constexpr size_t kMinNodeBytes = 4 * 7 + 1;               // 4 strings/vectors, attrs, precision, flags
constexpr size_t kMinAttrBytes = 4 + 1 + 4;               // key, tag, smallest payload
constexpr size_t kMinProfileBytes = 3 * 4;
// values, nodes, inputs, outputs, profiles counts; arena, workspace; offsets count.
constexpr size_t kMinPlanBytes = 5 * 4 + 2 * 8 + 4;

uint64_t alignUp(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

uint32_t loadU32(const uint8_t* p) {
    ByteReader r(p, 4);
    uint32_t v = 0;
    (void)r.u32(v);
    return v;
}

uint64_t loadU64(const uint8_t* p) {
    ByteReader r(p, 8);
    uint64_t v = 0;
    (void)r.u64(v);
    return v;
}

// ---------------------------------------------------------------- writing

void writeShape(ByteWriter& w, const ir::Shape& s) {
    w.u32(uint32_t(s.size()));
    for (int64_t d : s) w.i64(d);
}

void writeIds(ByteWriter& w, const std::vector<int>& ids) {
    w.u32(uint32_t(ids.size()));
    for (int v : ids) w.i32(v);
}

void writeShapes(ByteWriter& w, const std::vector<ir::Shape>& shapes) {
    w.u32(uint32_t(shapes.size()));
    for (const auto& s : shapes) writeShape(w, s);
}

// The variant index is the tag, so adding an alternative at the end of
// AttrValue keeps old tags valid.
void writeAttr(ByteWriter& w, const ir::AttrValue& a) {
    w.u8(uint8_t(a.index()));
    if (auto* i = std::get_if<int64_t>(&a)) w.i64(*i);
    else if (auto* d = std::get_if<double>(&a)) w.f64(*d);
    else if (auto* s = std::get_if<std::string>(&a)) w.str(*s);
    else if (auto* is = std::get_if<std::vector<int64_t>>(&a)) {
        w.u32(uint32_t(is->size()));
        for (int64_t x : *is) w.i64(x);
    } else if (auto* ds = std::get_if<std::vector<double>>(&a)) {
        w.u32(uint32_t(ds->size()));
        for (double x : *ds) w.f64(x);
    }
}

void writeValue(ByteWriter& w, const ir::Value& v, uint64_t weightOffset) {
    w.str(v.name);
    w.u8(uint8_t(v.dtype));
    w.u8(uint8_t((v.hasRange ? kValueHasRange : 0) | (v.isConstant() ? kValueConstant : 0)));
    writeShape(w, v.shape);
    w.f32(v.rangeMin);
    w.f32(v.rangeMax);
    if (v.isConstant()) {
        w.u64(weightOffset);
        w.u64(v.data->size());
    }
}

void writeNode(ByteWriter& w, const ir::Node& n) {
    w.str(n.op);
    w.str(n.name);
    writeIds(w, n.inputs);
    writeIds(w, n.outputs);
    w.u32(uint32_t(n.attrs.all().size()));
    for (const auto& [key, value] : n.attrs.all()) {
        w.str(key);
        writeAttr(w, value);
    }
    w.i32(n.precision);
    w.str(n.tactic);
    w.u8(n.dead ? kNodeDead : 0);
}

// Settings shared by every plan of the engine, once; then per profile its
// graph, shape ranges and memory plan.
void writeMetadata(ByteWriter& w, const Plans& plans, const std::vector<std::vector<uint64_t>>& weightOffsets) {
    const Plan& first = plans[0];
    w.str(first.producer);
    w.str(first.deviceFingerprint);
    w.u32(uint32_t(first.buildInfo.size()));
    for (const auto& [k, v] : first.buildInfo) {
        w.str(k);
        w.str(v);
    }
    w.u8(first.implicitBatch ? 1 : 0);
    w.i32(first.maxBatchSize);

    w.u32(uint32_t(plans.size()));
    for (size_t k = 0; k < plans.size(); ++k) {
        const Plan& plan = plans[k];
        const ir::Graph& g = plan.graph;
        w.u32(uint32_t(g.values.size()));
        for (size_t i = 0; i < g.values.size(); ++i) writeValue(w, g.values[i], weightOffsets[k][i]);
        w.u32(uint32_t(g.nodes.size()));
        for (const auto& n : g.nodes) writeNode(w, n);
        writeIds(w, g.inputs);
        writeIds(w, g.outputs);

        w.u32(uint32_t(plan.profiles.size()));
        for (const auto& p : plan.profiles) {
            writeShapes(w, p.min);
            writeShapes(w, p.opt);
            writeShapes(w, p.max);
        }
        w.u64(plan.memory.arenaBytes);
        w.u64(plan.memory.workspaceBytes);
        w.u32(uint32_t(plan.memory.offsets.size()));
        for (int64_t o : plan.memory.offsets) w.i64(o);
    }
}

// Counts are u32 on disk.
Status checkCounts(const Plan& plan) {
    constexpr size_t kMax = UINT32_MAX;
    const ir::Graph& g = plan.graph;
    bool big = g.values.size() > kMax || g.nodes.size() > kMax || plan.buildInfo.size() > kMax ||
               plan.profiles.size() > kMax || plan.memory.offsets.size() > kMax ||
               plan.producer.size() > kMax || plan.deviceFingerprint.size() > kMax;
    for (const auto& v : g.values) big = big || v.name.size() > kMax;
    for (const auto& n : g.nodes) {
        big = big || n.name.size() > kMax || n.op.size() > kMax || n.tactic.size() > kMax ||
              n.attrs.all().size() > kMax;
        for (const auto& [k, a] : n.attrs.all()) {
            big = big || k.size() > kMax;
            if (auto* s = std::get_if<std::string>(&a)) big = big || s->size() > kMax;
            if (auto* is = std::get_if<std::vector<int64_t>>(&a)) big = big || is->size() > kMax;
            if (auto* ds = std::get_if<std::vector<double>>(&a)) big = big || ds->size() > kMax;
        }
    }
    for (const auto& [k, v] : plan.buildInfo) big = big || k.size() > kMax || v.size() > kMax;
    return big ? Status::Error("a string or list is too long for the engine format (2^32 - 1 elements at most)")
               : Status::Ok();
}

// ---------------------------------------------------------------- reading

struct Header {
    uint32_t marker = 0, version = 0, major = 0, minor = 0, patch = 0, backend = 0, headerSize = 0, flags = 0;
    uint64_t fileSize = 0, checksum = 0, metaOffset = 0, metaSize = 0, weightsOffset = 0, weightsSize = 0,
             reserved = 0;
};

Header decodeHeader(const uint8_t* p) {
    Header h;
    std::memcpy(&h.marker, p + off::kEndianMarker, 4);  // native, on purpose
    h.version = loadU32(p + off::kFormatVersion);
    h.major = loadU32(p + off::kProducerMajor);
    h.minor = loadU32(p + off::kProducerMinor);
    h.patch = loadU32(p + off::kProducerPatch);
    h.backend = loadU32(p + off::kBackend);
    h.headerSize = loadU32(p + off::kHeaderSize);
    h.flags = loadU32(p + off::kFlags);
    h.fileSize = loadU64(p + off::kFileSize);
    h.checksum = loadU64(p + off::kChecksum);
    h.metaOffset = loadU64(p + off::kMetadataOffset);
    h.metaSize = loadU64(p + off::kMetadataSize);
    h.weightsOffset = loadU64(p + off::kWeightsOffset);
    h.weightsSize = loadU64(p + off::kWeightsSize);
    h.reserved = loadU64(p + off::kReserved);
    return h;
}

std::string versionString(const Header& h) {
    return std::to_string(h.major) + "." + std::to_string(h.minor) + "." + std::to_string(h.patch);
}

// Size, magic and byte order: the checks that hold for every format version.
Status checkIdentity(const uint8_t* p, size_t size, Header& h) {
    if (size < kEngineHeaderSize)
        return Status::Error("engine file is truncated: " + std::to_string(size) + " bytes, the header alone needs " +
                             std::to_string(kEngineHeaderSize));
    if (std::memcmp(p + off::kMagic, kMagic, sizeof(kMagic)) != 0)
        return Status::Error("not a kiln engine file (bad magic)");
    h = decodeHeader(p);
    if (h.marker == kEndianSwapped) {
        const bool hostLittle = std::endian::native == std::endian::little;
        return Status::Error(std::string("engine written on a ") + (hostLittle ? "big" : "little") +
                             "-endian machine; it cannot be read on this " + (hostLittle ? "little" : "big") +
                             "-endian one (rebuild the engine here)");
    }
    if (h.marker != kEndianMarker) return Status::Error("engine file is corrupted: bad byte-order marker");
    return Status::Ok();
}

// A section [offset, offset + size) inside [lo, hi), without overflow.
bool sectionWithin(uint64_t offset, uint64_t size, uint64_t lo, uint64_t hi) {
    return offset >= lo && offset <= hi && size <= hi - offset;
}

Status checkLayout(const Header& h, size_t size) {
    if (h.fileSize > size)
        return Status::Error("engine file is truncated: header says " + std::to_string(h.fileSize) + " bytes, got " +
                             std::to_string(size));
    if (h.fileSize < size)
        return Status::Error("engine file size mismatch: header says " + std::to_string(h.fileSize) +
                             " bytes, got " + std::to_string(size) + " (trailing data)");
    if (h.headerSize != kEngineHeaderSize)
        return Status::Error("engine file is corrupted: header size " + std::to_string(h.headerSize) +
                             " (expected " + std::to_string(kEngineHeaderSize) + ")");
    if (!sectionWithin(h.metaOffset, h.metaSize, kEngineHeaderSize, h.fileSize))
        return Status::Error("engine file is corrupted: the metadata section lies outside the file");
    if (h.weightsOffset % kEngineAlignment != 0 ||
        !sectionWithin(h.weightsOffset, h.weightsSize, h.metaOffset + h.metaSize, h.fileSize) ||
        h.weightsOffset + h.weightsSize != h.fileSize)
        return Status::Error("engine file is corrupted: the weights section is misplaced");
    return Status::Ok();
}

class MetadataReader {
public:
    MetadataReader(const uint8_t* meta, size_t metaSize, size_t metaOffset, const uint8_t* weights,
                   uint64_t weightsSize)
        : r_(meta, metaSize, metaOffset), weights_(weights), weightsSize_(weightsSize) {}

    Status read(Plans& plans);

private:
    Status readShape(ir::Shape& s);
    Status readShapes(std::vector<ir::Shape>& shapes);
    Status readIds(std::vector<int>& ids);
    Status readAttr(ir::AttrValue& a);
    Status readValue(ir::Value& v);
    Status readNode(ir::Node& n);
    Status readGraph(ir::Graph& g);
    Status readConstant(ir::Value& v);
    Status readPlan(Plan& plan);

    ByteReader r_;
    const uint8_t* weights_;
    uint64_t weightsSize_;
    std::map<std::pair<uint64_t, uint64_t>, ir::ConstData> shared_;  // (offset, size) -> data
};

Status MetadataReader::readShape(ir::Shape& s) {
    uint32_t rank;
    KILN_RETURN_IF_ERROR(r_.count(rank, 8));
    if (rank > uint32_t(ir::kMaxRank))
        return Status::Error("a shape has rank " + std::to_string(rank) + " (at most " +
                             std::to_string(ir::kMaxRank) + ")");
    s.resize(rank);
    for (auto& d : s) KILN_RETURN_IF_ERROR(r_.i64(d));
    return Status::Ok();
}

Status MetadataReader::readShapes(std::vector<ir::Shape>& shapes) {
    uint32_t n;
    KILN_RETURN_IF_ERROR(r_.count(n, 4));
    shapes.resize(n);
    for (auto& s : shapes) KILN_RETURN_IF_ERROR(readShape(s));
    return Status::Ok();
}

Status MetadataReader::readIds(std::vector<int>& ids) {
    uint32_t n;
    KILN_RETURN_IF_ERROR(r_.count(n, 4));
    ids.resize(n);
    for (int& v : ids) {
        int32_t x;
        KILN_RETURN_IF_ERROR(r_.i32(x));
        v = x;
    }
    return Status::Ok();
}

Status MetadataReader::readAttr(ir::AttrValue& a) {
    uint8_t tag;
    KILN_RETURN_IF_ERROR(r_.u8(tag));
    uint32_t n;
    switch (tag) {
        case 0: {
            int64_t x;
            KILN_RETURN_IF_ERROR(r_.i64(x));
            a = x;
            return Status::Ok();
        }
        case 1: {
            double x;
            KILN_RETURN_IF_ERROR(r_.f64(x));
            a = x;
            return Status::Ok();
        }
        case 2: {
            std::string s;
            KILN_RETURN_IF_ERROR(r_.str(s));
            a = std::move(s);
            return Status::Ok();
        }
        case 3: {
            KILN_RETURN_IF_ERROR(r_.count(n, 8));
            std::vector<int64_t> xs(n);
            for (auto& x : xs) KILN_RETURN_IF_ERROR(r_.i64(x));
            a = std::move(xs);
            return Status::Ok();
        }
        case 4: {
            KILN_RETURN_IF_ERROR(r_.count(n, 8));
            std::vector<double> xs(n);
            for (auto& x : xs) KILN_RETURN_IF_ERROR(r_.f64(x));
            a = std::move(xs);
            return Status::Ok();
        }
    }
    return Status::Error("unknown attribute type tag " + std::to_string(tag));
}

// Constants point into the weights section; ranges that are byte-identical
// share one buffer, as they did when written.
Status MetadataReader::readConstant(ir::Value& v) {
    uint64_t offset, size;
    KILN_RETURN_IF_ERROR(r_.u64(offset));
    KILN_RETURN_IF_ERROR(r_.u64(size));
    if (offset % kEngineAlignment != 0 || !sectionWithin(offset, size, 0, weightsSize_))
        return Status::Error("constant '" + v.name + "' has bytes [" + std::to_string(offset) + ", +" +
                             std::to_string(size) + ") outside the " + std::to_string(weightsSize_) +
                             "-byte weights section or misaligned");
    auto& data = shared_[{offset, size}];
    if (!data) data = std::make_shared<const ir::Bytes>(weights_ + offset, weights_ + offset + size);
    v.data = data;
    return Status::Ok();
}

Status MetadataReader::readValue(ir::Value& v) {
    KILN_RETURN_IF_ERROR(r_.str(v.name));
    uint8_t dtype, flags;
    KILN_RETURN_IF_ERROR(r_.u8(dtype));
    if (!ir::dtypeValid(dtype))
        return Status::Error("tensor '" + v.name + "' has invalid dtype " + std::to_string(dtype));
    v.dtype = ir::DType(dtype);
    KILN_RETURN_IF_ERROR(r_.u8(flags));
    if (flags & ~(kValueHasRange | kValueConstant))
        return Status::Error("tensor '" + v.name + "' has unknown flags " + std::to_string(flags));
    v.hasRange = flags & kValueHasRange;
    KILN_RETURN_IF_ERROR(readShape(v.shape));
    KILN_RETURN_IF_ERROR(r_.f32(v.rangeMin));
    KILN_RETURN_IF_ERROR(r_.f32(v.rangeMax));
    if (flags & kValueConstant) KILN_RETURN_IF_ERROR(readConstant(v));
    return Status::Ok();
}

Status MetadataReader::readNode(ir::Node& n) {
    KILN_RETURN_IF_ERROR(r_.str(n.op));
    KILN_RETURN_IF_ERROR(r_.str(n.name));
    KILN_RETURN_IF_ERROR(readIds(n.inputs));
    KILN_RETURN_IF_ERROR(readIds(n.outputs));
    uint32_t numAttrs;
    KILN_RETURN_IF_ERROR(r_.count(numAttrs, kMinAttrBytes));
    auto& attrs = n.attrs.all();
    for (uint32_t i = 0; i < numAttrs; ++i) {
        std::string key;
        ir::AttrValue value;
        KILN_RETURN_IF_ERROR(r_.str(key));
        KILN_RETURN_IF_ERROR(readAttr(value));
        // Canonical form: keys strictly increasing (no duplicates to drop).
        if (!attrs.empty() && !(attrs.rbegin()->first < key))
            return Status::Error("node '" + n.name + "' has attributes out of order");
        attrs.emplace_hint(attrs.end(), std::move(key), std::move(value));
    }
    int32_t precision;
    KILN_RETURN_IF_ERROR(r_.i32(precision));
    n.precision = precision;
    KILN_RETURN_IF_ERROR(r_.str(n.tactic));
    uint8_t flags;
    KILN_RETURN_IF_ERROR(r_.u8(flags));
    if (flags & ~kNodeDead) return Status::Error("node '" + n.name + "' has unknown flags " + std::to_string(flags));
    n.dead = flags & kNodeDead;
    return Status::Ok();
}

Status MetadataReader::readGraph(ir::Graph& g) {
    uint32_t n;
    KILN_RETURN_IF_ERROR(r_.count(n, kMinValueBytes));
    g.values.resize(n);
    for (auto& v : g.values) KILN_RETURN_IF_ERROR(readValue(v));
    KILN_RETURN_IF_ERROR(r_.count(n, kMinNodeBytes));
    g.nodes.resize(n);
    for (auto& node : g.nodes) KILN_RETURN_IF_ERROR(readNode(node));
    KILN_RETURN_IF_ERROR(readIds(g.inputs));
    KILN_RETURN_IF_ERROR(readIds(g.outputs));
    return Status::Ok();
}

Status MetadataReader::read(Plans& plans) {
    Plan shared;
    KILN_RETURN_IF_ERROR(r_.str(shared.producer));
    KILN_RETURN_IF_ERROR(r_.str(shared.deviceFingerprint));
    uint32_t n;
    KILN_RETURN_IF_ERROR(r_.count(n, 8));
    for (uint32_t i = 0; i < n; ++i) {
        std::string k, v;
        KILN_RETURN_IF_ERROR(r_.str(k));
        KILN_RETURN_IF_ERROR(r_.str(v));
        if (!shared.buildInfo.empty() && !(shared.buildInfo.rbegin()->first < k))
            return Status::Error("build info keys out of order");
        shared.buildInfo.emplace_hint(shared.buildInfo.end(), std::move(k), std::move(v));
    }
    uint8_t implicitBatch;
    KILN_RETURN_IF_ERROR(r_.u8(implicitBatch));
    if (implicitBatch > 1) return Status::Error("implicitBatch flag is " + std::to_string(implicitBatch));
    shared.implicitBatch = implicitBatch == 1;
    KILN_RETURN_IF_ERROR(r_.i32(shared.maxBatchSize));

    KILN_RETURN_IF_ERROR(r_.count(n, kMinPlanBytes));
    if (n == 0) return Status::Error("the engine has no optimization profile");
    plans.clear();
    plans.reserve(n);
    for (uint32_t k = 0; k < n; ++k) {
        Plan& plan = plans.emplace_back();
        plan.producer = shared.producer;
        plan.deviceFingerprint = shared.deviceFingerprint;
        plan.buildInfo = shared.buildInfo;
        plan.implicitBatch = shared.implicitBatch;
        plan.maxBatchSize = shared.maxBatchSize;
        KILN_RETURN_IF_ERROR(readPlan(plan).withContext(n > 1 ? "profile " + std::to_string(k) + ": " : ""));
    }
    if (r_.remaining() != 0)
        return Status::Error(std::to_string(r_.remaining()) + " unread bytes at the end of the metadata");
    return Status::Ok();
}

Status MetadataReader::readPlan(Plan& plan) {
    KILN_RETURN_IF_ERROR(readGraph(plan.graph));
    uint32_t n;
    KILN_RETURN_IF_ERROR(r_.count(n, kMinProfileBytes));
    plan.profiles.resize(n);
    for (auto& p : plan.profiles) {
        KILN_RETURN_IF_ERROR(readShapes(p.min));
        KILN_RETURN_IF_ERROR(readShapes(p.opt));
        KILN_RETURN_IF_ERROR(readShapes(p.max));
    }
    KILN_RETURN_IF_ERROR(r_.u64(plan.memory.arenaBytes));
    KILN_RETURN_IF_ERROR(r_.u64(plan.memory.workspaceBytes));
    KILN_RETURN_IF_ERROR(r_.count(n, 8));
    plan.memory.offsets.resize(n);
    for (auto& o : plan.memory.offsets) KILN_RETURN_IF_ERROR(r_.i64(o));
    return Status::Ok();
}

// Value::producer is derived, not stored.
void setProducers(ir::Graph& g) {
    for (auto& v : g.values) v.producer = -1;
    for (int i = 0; i < int(g.nodes.size()); ++i)
        for (int v : g.nodes[i].outputs) g.values[v].producer = i;
}

}  // namespace

uint64_t engineChecksum(const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    uint8_t header[kEngineHeaderSize];
    std::memcpy(header, p, kEngineHeaderSize);
    std::memset(header + off::kChecksum, 0, 8);
    Checksum64 c;
    c.update(header, kEngineHeaderSize);
    c.update(p + kEngineHeaderSize, size - kEngineHeaderSize);
    return c.finish();
}

Status writeEngine(const Plan& plan, std::vector<uint8_t>& out) { return writeEngine(Plans{plan}, out); }

Status writeEngine(const Plans& plans, std::vector<uint8_t>& out) {
    Status st = validatePlans(plans);
    for (size_t k = 0; st.ok() && k < plans.size(); ++k) st = checkCounts(plans[k]);
    if (!st.ok()) return st.withContext("cannot write the engine: ");

    // Lay out the weights first: each distinct buffer once (across all the
    // profiles' plans), 64-byte aligned.
    std::vector<std::vector<uint64_t>> weightOffsets(plans.size());
    std::vector<const ir::Bytes*> blobs;  // in placement order
    std::map<const ir::Bytes*, uint64_t> placed;
    uint64_t weightsSize = 0;
    for (size_t k = 0; k < plans.size(); ++k) {
        const auto& values = plans[k].graph.values;
        weightOffsets[k].assign(values.size(), 0);
        for (size_t i = 0; i < values.size(); ++i) {
            if (!values[i].isConstant()) continue;
            const ir::Bytes* b = values[i].data.get();
            auto [it, fresh] = placed.emplace(b, alignUp(weightsSize, kEngineAlignment));
            if (fresh) {
                blobs.push_back(b);
                weightsSize = it->second + b->size();
            }
            weightOffsets[k][i] = it->second;
        }
    }
    const Plan& plan = plans[0];

    std::vector<uint8_t> file;
    ByteWriter w(file);
    w.zeros(kEngineHeaderSize);
    writeMetadata(w, plans, weightOffsets);
    const uint64_t metaSize = w.size() - kEngineHeaderSize;
    w.alignTo(kEngineAlignment);
    const uint64_t weightsOffset = w.size();
    for (const ir::Bytes* b : blobs) {
        w.zeros(weightsOffset + placed[b] - w.size());
        w.bytes(b->data(), b->size());
    }

    std::vector<uint8_t> header;
    ByteWriter h(header);
    h.bytes(kMagic, sizeof(kMagic));
    h.bytes(&kEndianMarker, 4);  // native order: tells readers the byte order of the raw weights
    h.u32(kFormatVersion);
    h.u32(KILN_VERSION_MAJOR);
    h.u32(KILN_VERSION_MINOR);
    h.u32(KILN_VERSION_PATCH);
    h.u32(uint32_t(plan.backend));
    h.u32(uint32_t(kEngineHeaderSize));
    h.u32(0);  // flags
    h.u64(file.size());
    h.u64(0);  // checksum, patched below
    h.u64(kEngineHeaderSize);
    h.u64(metaSize);
    h.u64(weightsOffset);
    h.u64(weightsSize);
    h.u64(0);  // reserved
    std::memcpy(file.data(), header.data(), kEngineHeaderSize);
    w.patchU64(off::kChecksum, engineChecksum(file.data(), file.size()));
    out = std::move(file);
    return Status::Ok();
}

Status readEngineHeader(const void* data, size_t size, EngineHeaderInfo& out) {
    Header h;
    KILN_RETURN_IF_ERROR(checkIdentity(static_cast<const uint8_t*>(data), size, h));
    out.formatVersion = h.version;
    out.producerMajor = h.major;
    out.producerMinor = h.minor;
    out.producerPatch = h.patch;
    out.backend = Backend(h.backend);
    out.fileSize = h.fileSize;
    out.checksum = h.checksum;
    out.metadataOffset = h.metaOffset;
    out.metadataSize = h.metaSize;
    out.weightsOffset = h.weightsOffset;
    out.weightsSize = h.weightsSize;
    return Status::Ok();
}

Status readEngine(const void* data, size_t size, Plans& out) {
    const auto* p = static_cast<const uint8_t*>(data);
    Header h;
    KILN_RETURN_IF_ERROR(checkIdentity(p, size, h));
    if (h.version != kFormatVersion)
        return Status::Error("engine format version " + std::to_string(h.version) +
                             " is not supported by this kiln (reads version " + std::to_string(kFormatVersion) +
                             "); rebuild the engine (it was written by kiln " + versionString(h) + ")");
    KILN_RETURN_IF_ERROR(checkLayout(h, size));
    if (engineChecksum(p, size) != h.checksum) return Status::Error("engine file is corrupted: checksum mismatch");
    if (h.flags != 0 || h.reserved != 0)
        return Status::Error("engine file uses header flags this kiln does not know; rebuild the engine");
    if (h.backend != uint32_t(Backend::kCPU) && h.backend != uint32_t(Backend::kCUDA))
        return Status::Error("engine file names unknown backend " + std::to_string(h.backend));

    Plans plans;
    MetadataReader meta(p + h.metaOffset, size_t(h.metaSize), size_t(h.metaOffset), p + h.weightsOffset,
                        h.weightsSize);
    KILN_RETURN_IF_ERROR(meta.read(plans).withContext("engine metadata is malformed: "));
    for (Plan& plan : plans) plan.backend = Backend(h.backend);
    KILN_RETURN_IF_ERROR(validatePlans(plans).withContext("engine metadata is invalid: "));
    for (Plan& plan : plans) setProducers(plan.graph);
    out = std::move(plans);
    return Status::Ok();
}

Status readEngine(const void* data, size_t size, Plan& out) {
    Plans plans;
    KILN_RETURN_IF_ERROR(readEngine(data, size, plans));
    if (plans.size() != 1)
        return Status::Error("the engine has " + std::to_string(plans.size()) +
                             " optimization profiles; this reader takes engines of one");
    out = std::move(plans[0]);
    return Status::Ok();
}

}  // namespace kiln::engine
