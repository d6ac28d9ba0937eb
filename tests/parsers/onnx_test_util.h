// Test helpers for kiln_onnx: hand-written protobuf wire encoding/decoding
// (so the tests depend only on the parser's public API, not its generated
// code) and a runner for small models on the CPU backend.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "kiln/kiln.h"
#include "kiln/onnx_parser.h"

#ifndef KILN_SHARED_DATA
#define KILN_SHARED_DATA ""
#endif

namespace onnx_test {

struct CapturingLogger : kiln::ILogger {
    std::vector<std::string> errors;
    void log(Severity s, const char* msg) noexcept override {
        if (s <= Severity::kERROR) errors.push_back(msg);
    }
};

inline std::string readFile(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// ---- minimal protobuf wire format ----
inline bool readVarint(const std::string& b, size_t& pos, uint64_t& v) {
    v = 0;
    for (int shift = 0; pos < b.size() && shift < 64; shift += 7) {
        const uint8_t c = static_cast<uint8_t>(b[pos++]);
        v |= uint64_t(c & 0x7f) << shift;
        if (!(c & 0x80)) return true;
    }
    return false;
}

struct TensorFile {
    std::vector<int64_t> dims;
    std::vector<float> values;
};

// Decodes the float TensorProto fields the ONNX test data uses: dims (1),
// float_data (4), raw_data (9).
inline bool decodeFloatTensor(const std::string& b, TensorFile& t) {
    size_t pos = 0;
    while (pos < b.size()) {
        uint64_t key, v;
        if (!readVarint(b, pos, key)) return false;
        const int field = int(key >> 3), wire = int(key & 7);
        if (wire == 0) {
            if (!readVarint(b, pos, v)) return false;
            if (field == 1) t.dims.push_back(int64_t(v));
        } else if (wire == 2) {
            if (!readVarint(b, pos, v) || pos + v > b.size()) return false;
            const std::string payload = b.substr(pos, v);
            pos += v;
            if (field == 1) {  // packed dims
                for (size_t p = 0; p < payload.size();) {
                    uint64_t d;
                    if (!readVarint(payload, p, d)) return false;
                    t.dims.push_back(int64_t(d));
                }
            } else if (field == 4 || field == 9) {
                const size_t n = payload.size() / 4;
                const size_t old = t.values.size();
                t.values.resize(old + n);
                std::memcpy(t.values.data() + old, payload.data(), n * 4);
            }
        } else if (wire == 5) {
            if (pos + 4 > b.size()) return false;
            if (field == 4) {
                float f;
                std::memcpy(&f, b.data() + pos, 4);
                t.values.push_back(f);
            }
            pos += 4;
        } else if (wire == 1) {
            pos += 8;
        } else {
            return false;
        }
    }
    return true;
}

inline void putVarint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(char(v | 0x80));
        v >>= 7;
    }
    out.push_back(char(v));
}
inline void putBytes(std::string& out, int field, const std::string& payload) {
    putVarint(out, uint64_t(field) << 3 | 2);
    putVarint(out, payload.size());
    out += payload;
}
inline void putInt(std::string& out, int field, uint64_t v) {
    putVarint(out, uint64_t(field) << 3);
    putVarint(out, v);
}

inline std::string node(const std::vector<std::string>& in, const std::vector<std::string>& out, const std::string& name,
                 const std::string& op) {
    std::string n;
    for (const auto& s : in) putBytes(n, 1, s);
    for (const auto& s : out) putBytes(n, 2, s);
    putBytes(n, 3, name);
    putBytes(n, 4, op);
    return n;
}

// ValueInfoProto of a float tensor [1, 4].
inline std::string valueInfo(const std::string& name) {
    std::string shape, d0, d1, tensorType, type, vi;
    putInt(d0, 1, 1);
    putInt(d1, 1, 4);
    putBytes(shape, 1, d0);
    putBytes(shape, 1, d1);
    putInt(tensorType, 1, 1);  // FLOAT
    putBytes(tensorType, 2, shape);
    putBytes(type, 1, tensorType);
    putBytes(vi, 1, name);
    putBytes(vi, 2, type);
    return vi;
}

// A model x -> node(s) -> y, opset 13.
inline std::string model(const std::vector<std::string>& nodes, const std::string& output) {
    std::string graph, opset, m;
    for (const auto& n : nodes) putBytes(graph, 1, n);
    putBytes(graph, 2, "g");
    putBytes(graph, 11, valueInfo("x"));
    putBytes(graph, 12, valueInfo(output));
    putInt(m, 1, 8);
    putInt(opset, 2, 13);
    putBytes(m, 8, opset);
    putBytes(m, 7, graph);
    return m;
}

inline const std::filesystem::path kData = KILN_SHARED_DATA;

// ---- single-op models run on the CPU against references computed in the tests ----
struct Attr {
    std::string bytes;
};
inline Attr attrI(const std::string& name, int64_t v) {
    Attr a;
    putBytes(a.bytes, 1, name);
    putInt(a.bytes, 3, uint64_t(v));
    putInt(a.bytes, 20, 2);
    return a;
}
inline Attr attrIs(const std::string& name, const std::vector<int64_t>& v) {
    Attr a;
    putBytes(a.bytes, 1, name);
    for (int64_t x : v) putInt(a.bytes, 8, uint64_t(x));
    putInt(a.bytes, 20, 7);
    return a;
}
inline Attr attrF(const std::string& name, float v) {
    Attr a;
    putBytes(a.bytes, 1, name);
    putVarint(a.bytes, 2 << 3 | 5);
    a.bytes.append(reinterpret_cast<const char*>(&v), 4);
    putInt(a.bytes, 20, 1);
    return a;
}

inline std::string opNode(const std::vector<std::string>& in, const std::string& op, const std::vector<Attr>& attrs) {
    std::string n = node(in, {"y"}, "op0", op);
    for (const auto& a : attrs) putBytes(n, 5, a.bytes);
    return n;
}

inline std::string floatInit(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& v) {
    std::string t;
    for (int64_t d : dims) putInt(t, 1, uint64_t(d));
    putInt(t, 2, 1);
    putBytes(t, 8, name);
    putBytes(t, 9, std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4));
    return t;
}

inline std::string int64Init(const std::string& name, const std::vector<int64_t>& v) {
    std::string t;
    putInt(t, 1, v.size());
    putInt(t, 2, 7);
    putBytes(t, 8, name);
    for (int64_t x : v) putInt(t, 7, uint64_t(x));
    return t;
}

inline std::string typedInfo(const std::string& name, const std::vector<int64_t>& dims) {
    std::string shape, tensorType, type, vi;
    for (int64_t d : dims) {
        std::string dim;
        putInt(dim, 1, uint64_t(d));
        putBytes(shape, 1, dim);
    }
    putInt(tensorType, 1, 1);
    putBytes(tensorType, 2, shape);
    putBytes(type, 1, tensorType);
    putBytes(vi, 1, name);
    putBytes(vi, 2, type);
    return vi;
}

// x (float, xDims) -> one node (+ initializers) -> y; returns y's values.
inline std::vector<float> runNodes(const std::vector<std::string>& nodes, const std::vector<std::string>& inits,
                            const std::vector<int64_t>& xDims, const std::vector<float>& x, int64_t opset) {
    std::string graph, opsetBytes, m;
    for (const auto& n : nodes) putBytes(graph, 1, n);
    putBytes(graph, 2, "g");
    for (const auto& i : inits) putBytes(graph, 5, i);
    putBytes(graph, 11, typedInfo("x", xDims));
    putBytes(graph, 12, typedInfo("y", {}));
    putInt(m, 1, 8);
    putInt(opsetBytes, 2, uint64_t(opset));
    putBytes(m, 8, opsetBytes);
    putBytes(m, 7, graph);

    CapturingLogger log;
    auto builder = kiln::createInferBuilder(log);
    auto network = builder->createNetworkV2(0);
    auto parser = kiln::onnx::createParser(*network, log);
    if (!parser->parse(m.data(), m.size())) {
        ADD_FAILURE() << parser->getError(0)->desc();
        return {};
    }
    auto config = builder->createBuilderConfig();
    config->setBackend(kiln::BackendKind::kCPU);
    auto engine = builder->buildEngineWithConfig(*network, *config);
    if (!engine) {
        ADD_FAILURE() << (log.errors.empty() ? "build failed" : log.errors.back());
        return {};
    }
    const kiln::Dims od = engine->getTensorShape("y");
    int64_t n = 1;
    for (int i = 0; i < od.nbDims; ++i) n *= od.d[i];
    std::vector<float> y(size_t(n), NAN), xin = x;
    auto ctx = engine->createExecutionContext();
    ctx->setTensorAddress("x", xin.data());
    ctx->setTensorAddress("y", y.data());
    EXPECT_TRUE(ctx->enqueueV3(nullptr)) << (log.errors.empty() ? "" : log.errors.back());
    return y;
}

inline std::vector<float> runOp(const std::string& opNodeBytes, const std::vector<std::string>& inits,
                         const std::vector<int64_t>& xDims, const std::vector<float>& x, int64_t opset) {
    return runNodes({opNodeBytes}, inits, xDims, x, opset);
}

inline std::string chainNode(const std::vector<std::string>& in, const std::string& out, const std::string& op,
                      const std::vector<Attr>& attrs = {}) {
    std::string n = node(in, {out}, "n_" + out, op);
    for (const auto& a : attrs) putBytes(n, 5, a.bytes);
    return n;
}

inline void expectNear(const std::vector<float>& got, const std::vector<float>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5f + 1e-5f * std::fabs(want[i])) << i;
}

}  // namespace onnx_test
