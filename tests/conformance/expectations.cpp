// The expectations file and the static model scan behind its skip lines.
//
// The scan reads model.onnx with the hand-written wire reader (no protobuf
// dependency: the runner must work even while kiln_onnx is half written) and
// looks only for the three reasons a test may be skipped:
//   training op           a node in domain ai.onnx.preview.training (Adagrad, Adam,
//                         Momentum, Gradient), or Dropout in training mode with a
//                         ratio > 0 (test_training_dropout*, except *_zero_ratio*):
//                         its reference mask comes from numpy's RNG, which no
//                         implementation can reproduce
//   Sequence/Optional type a graph input/output/value_info of sequence, optional or
//                         map type, or a node of a Sequence*/Optional* op
//   string type           a string tensor anywhere in the I/O, initializers or
//                         attribute tensors
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "conformance.h"
#include "proto_wire.h"

namespace kiln::conformance {

const char* const kSkipReasonTraining = "training op";
const char* const kSkipReasonSequence = "Sequence/Optional type";
const char* const kSkipReasonString = "string type";

using tool::wire::WireReader;

namespace {

constexpr uint64_t kOnnxString = 8;  // TensorProto.DataType.STRING

struct Scan {
    std::string reason, why;
    void hit(const char* r, const std::string& w) {
        // Training outranks the rest: a training test is skipped for that first.
        if (reason.empty() || (r == kSkipReasonTraining && reason != kSkipReasonTraining)) reason = r, why = w;
    }
};

using Fields = std::vector<std::tuple<uint32_t, uint64_t, size_t, size_t>>;  // field, varint, begin, len

// Reads the top-level fields of the message in [begin, begin+len).
bool fields(const uint8_t* base, size_t begin, size_t len, Fields& out, std::string& error) {
    WireReader r(base, begin, begin + len);
    while (!r.done()) {
        const size_t tagPos = r.pos();
        uint32_t field, wire;
        if (!r.tag(field, wire, error)) return false;
        if (wire == tool::wire::kVarint) {
            uint64_t v;
            if (!r.varint(v, error)) return false;
            out.emplace_back(field, v, 0, 0);
        } else if (wire == tool::wire::kLen) {
            size_t b, n;
            if (!r.lengthDelimited(b, n, error)) return false;
            out.emplace_back(field, 0, b, n);
        } else if (!r.skip(field, wire, tagPos, error)) {
            return false;
        }
    }
    return true;
}

std::string str(const uint8_t* base, size_t b, size_t n) { return std::string(reinterpret_cast<const char*>(base + b), n); }

// TypeProto: tensor_type=1 {elem_type=1}, sequence_type=4, map_type=5, optional_type=9.
bool scanType(const uint8_t* base, size_t b, size_t n, const std::string& name, Scan& scan, std::string& err) {
    Fields f;
    if (!fields(base, b, n, f, err)) return false;
    for (auto& [field, v, fb, fn] : f) {
        if (field == 4 || field == 5 || field == 9) scan.hit(kSkipReasonSequence, "value " + name + " is a sequence/map/optional");
        if (field == 1) {
            Fields t;
            if (!fields(base, fb, fn, t, err)) return false;
            for (auto& [tf, tv, tb, tn] : t)
                if (tf == 1 && tv == kOnnxString) scan.hit(kSkipReasonString, "value " + name + " is a string tensor");
        }
    }
    return true;
}

bool scanGraph(const uint8_t* base, size_t b, size_t n, Scan& scan, ModelInfo* top, std::string& err);

// NodeProto: op_type=4, attribute=5 {t=5, g=6, tensors=10, graphs=11}, domain=7.
bool scanNode(const uint8_t* base, size_t b, size_t n, Scan& scan, std::string& err) {
    Fields f;
    if (!fields(base, b, n, f, err)) return false;
    std::string op, domain;
    for (auto& [field, v, fb, fn] : f) {
        if (field == 4) op = str(base, fb, fn);
        if (field == 7) domain = str(base, fb, fn);
    }
    if (domain == "ai.onnx.preview.training") scan.hit(kSkipReasonTraining, "op " + op + " (" + domain + ")");
    if (op.rfind("Sequence", 0) == 0 || op.rfind("Optional", 0) == 0 || op == "SplitToSequence" ||
        op == "ConcatFromSequence")
        scan.hit(kSkipReasonSequence, "op " + op);
    for (auto& [field, v, fb, fn] : f) {
        if (field != 5) continue;
        Fields a;
        if (!fields(base, fb, fn, a, err)) return false;
        for (auto& [af, av, ab, an] : a) {
            if (af == 6 || af == 11) {
                if (!scanGraph(base, ab, an, scan, nullptr, err)) return false;
            } else if (af == 5 || af == 10) {
                Fields t;
                if (!fields(base, ab, an, t, err)) return false;
                for (auto& [tf, tv, tb, tn] : t)
                    if (tf == 2 && tv == kOnnxString) scan.hit(kSkipReasonString, "op " + op + " has a string attribute tensor");
            }
        }
    }
    return true;
}

// GraphProto: node=1, initializer=5, input=11, output=12, value_info=13.
bool scanGraph(const uint8_t* base, size_t b, size_t n, Scan& scan, ModelInfo* top, std::string& err) {
    Fields f;
    if (!fields(base, b, n, f, err)) return false;
    std::set<std::string> initializers;
    for (auto& [field, v, fb, fn] : f) {
        if (field != 5) continue;
        Fields t;
        if (!fields(base, fb, fn, t, err)) return false;
        for (auto& [tf, tv, tb, tn] : t) {
            if (tf == 8) initializers.insert(str(base, tb, tn));
            if (tf == 2 && tv == kOnnxString) scan.hit(kSkipReasonString, "a string initializer");
        }
    }
    for (auto& [field, v, fb, fn] : f) {
        if (field == 1 && !scanNode(base, fb, fn, scan, err)) return false;
        if (field != 11 && field != 12 && field != 13) continue;
        Fields vi;
        if (!fields(base, fb, fn, vi, err)) return false;
        std::string name;
        for (auto& [vf, vv, vb, vn] : vi)
            if (vf == 1) name = str(base, vb, vn);
        for (auto& [vf, vv, vb, vn] : vi)
            if (vf == 2 && !scanType(base, vb, vn, name, scan, err)) return false;
        if (top && field == 11 && !initializers.count(name)) top->inputs.push_back(name);
        if (top && field == 12) top->outputs.push_back(name);
    }
    return true;
}

}  // namespace

bool scanModel(const std::string& modelPath, ModelInfo& out, std::string& error) {
    std::ifstream in(modelPath, std::ios::binary);
    if (!in) {
        error = "cannot open " + modelPath;
        return false;
    }
    const std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Fields f;
    if (!fields(data.data(), 0, data.size(), f, error)) return false;
    Scan scan;
    for (auto& [field, v, fb, fn] : f)  // ModelProto.graph = 7
        if (field == 7 && !scanGraph(data.data(), fb, fn, scan, &out, error)) return false;
    // Dropout with training_mode=true draws a random mask (see the top comment).
    const std::string test = modelPath.substr(0, modelPath.rfind('/'));
    const std::string leaf = test.substr(test.rfind('/') + 1);
    if (leaf.rfind("test_training_dropout", 0) == 0 && leaf.find("zero_ratio") == std::string::npos)
        scan.hit(kSkipReasonTraining, "Dropout in training mode with ratio > 0 (random mask)");
    out.skipReason = scan.reason;
    out.skipWhy = scan.why;
    return true;
}

static bool allowedReason(const std::string& r) {
    return r == kSkipReasonTraining || r == kSkipReasonSequence || r == kSkipReasonString;
}

bool readExpectations(const std::string& path, Expectations& out, std::string& error) {
    std::ifstream in(path);
    if (!in) {
        error = "cannot open expectations file " + path;
        return false;
    }
    std::string line;
    for (int no = 1; std::getline(in, line); ++no) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ls(line);
        std::string kind, test, reason;
        ls >> kind >> test;
        std::getline(ls >> std::ws, reason);
        const std::string where = path + ":" + std::to_string(no) + ": ";
        if (kind == "min-passed:") {
            try {
                out.minPassed = std::stoi(test);
            } catch (...) {
                error = where + "bad min-passed value '" + test + "'";
                return false;
            }
        } else if (kind == "skip") {
            if (!allowedReason(reason)) {
                error = where + "skip reason must be 'training op', 'Sequence/Optional type' or 'string type', not '" +
                        reason + "'";
                return false;
            }
            out.skips[test] = reason;
        } else if (kind == "fail" && !test.empty()) {
            out.fails[test] = reason;
        } else {
            error = where + "expected 'min-passed: K', 'skip SUITE/TEST REASON' or 'fail SUITE/TEST REASON'";
            return false;
        }
    }
    return true;
}

bool writeExpectations(const std::string& path, const std::string& regenerate, int minPassed,
                       const std::vector<std::pair<std::string, TestResult>>& results, std::string& error) {
    std::ofstream out(path);
    if (!out) {
        error = "cannot write " + path;
        return false;
    }
    out << "# ONNX backend conformance expectations (tests/conformance/runner.cpp).\n"
        << "# Regenerate: " << regenerate << "\n"
        << "#\n"
           "#   min-passed: K             the run fails (exit 1) when fewer than K tests pass\n"
           "#   skip SUITE/TEST REASON    not run; REASON is exactly one of: training op,\n"
           "#                             Sequence/Optional type, string type (found by scanning\n"
           "#                             model.onnx; the runner refuses any other reason)\n"
           "#   fail SUITE/TEST REASON    known failure: counted as failed, does not fail the run;\n"
           "#                             REASON is the first error seen when it was recorded\n"
           "#\n"
        << "min-passed: " << minPassed << "\n";
    for (const auto& [test, r] : results)
        if (r.status == Status::kSkip) out << "skip " << test << " " << r.detail << "\n";
    for (const auto& [test, r] : results) {
        if (r.status != Status::kFail) continue;
        std::string reason = r.detail;
        for (char& c : reason)
            if (c == '\n' || c == '\r') c = ' ';
        if (reason.size() > 200) reason = reason.substr(0, 200) + "...";
        out << "fail " << test << " " << reason << "\n";
    }
    return static_cast<bool>(out);
}

}  // namespace kiln::conformance
