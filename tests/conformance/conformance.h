// ONNX backend conformance runner (kiln_conformance): shared declarations.
//
// runner.cpp       command line, one forked child per test (crash and time-out
//                  isolation), one test's parse/build/run, summary and table
// compare.cpp      per-dtype tolerances, element comparison, dtype conversion
// expectations.cpp the expectations file and the static model scan that finds
//                  the only allowed skip reasons (training op, Sequence/Optional, string)
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tensor_file.h"

namespace kiln::conformance {

enum class Status { kPass, kFail, kSkip };
const char* statusName(Status s);

// The detail of a pass whose engine was built with a dynamic-dim profile (--dynamic-range).
inline constexpr const char* kDynamicPass = "dynamic profile";

struct TestResult {
    Status status = Status::kFail;
    std::string detail;  // the first error for a failure, the reason for a skip
};

// ---- expectations.cpp ----
struct Expectations {
    int minPassed = 0;
    std::map<std::string, std::string> skips;  // "suite/test" -> reason
    std::map<std::string, std::string> fails;  // "suite/test" -> reason (known failures)
};
// The three reasons a skip may give; anything else in the file is an error.
extern const char* const kSkipReasonTraining;
extern const char* const kSkipReasonSequence;
extern const char* const kSkipReasonString;

bool readExpectations(const std::string& path, Expectations& out, std::string& error);
// Writes min-passed, the statically found skips and every failure as a `fail` line.
// `regenerate`: the command that wrote it, for the file's header.
bool writeExpectations(const std::string& path, const std::string& regenerate, int minPassed,
                       const std::vector<std::pair<std::string, TestResult>>& results, std::string& error);

// What the model itself says about a test, read from model.onnx without protobuf.
struct ModelInfo {
    std::vector<std::string> inputs;   // graph inputs that are not initializers, in order
    std::vector<std::string> outputs;  // graph outputs, in order
    std::string skipReason;            // empty, or one of the kSkipReason* values
    std::string skipWhy;               // e.g. "op Adagrad (ai.onnx.preview.training)"
};
bool scanModel(const std::string& modelPath, ModelInfo& out, std::string& error);

// ---- compare.cpp ----
struct Tolerance {
    double rtol = 0, atol = 0;
    bool exact = false;
};
Tolerance toleranceFor(tool::ElemType expected);
// Compares `got` with `want` elementwise; shapes must already match. Returns
// an empty string on success, else the first mismatch described.
std::string compareOutput(const std::string& name, const tool::TensorData& got, const tool::TensorData& want);
// Converts `in` to `type` through double (for an engine whose I/O type differs
// from the file's, e.g. int64 -> int32 or float64 -> float32).
bool convertTensor(const tool::TensorData& in, tool::ElemType type, tool::TensorData& out, std::string& error);

// ---- runner.cpp ----
struct RunOptions {
    bool verbose = false;
    bool cuda = false;  // --backend cuda: build for CUDA, run on device copies of the tensors
    // --dynamic-range: each dynamic dim's profile spans [1, 2 x its largest test extent]
    // (opt: the first data set's) instead of exactly the test's extents.
    bool dynamicRange = false;
    // --support-only: pass when the builder finds a kernel for every layer; nothing runs.
    bool supportOnly = false;
};
// Runs one test directory; never throws.
TestResult runTest(const std::string& dir, const ModelInfo& info, const RunOptions& opts);

}  // namespace kiln::conformance
