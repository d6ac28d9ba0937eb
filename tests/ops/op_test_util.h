// Runs one IR op in isolation: shape inference from the schema, then a CPU
// tactic (the reference by default). Op tests compare the result against
// values computed independently in the test (by hand or in float64).
#pragma once
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backends/cpu/kernel.h"
#include "ir/op_schema.h"

namespace kiln::test {

struct TestTensor {
    ir::DType dtype = ir::DType::kF32;
    ir::Shape shape;
    std::vector<uint8_t> bytes;
    bool absent = false;  // an omitted optional input

    static TestTensor none();
    static TestTensor fromDoubles(ir::DType t, ir::Shape s, const std::vector<double>& v);
    static TestTensor f32(ir::Shape s, const std::vector<float>& v);
    static TestTensor i32(ir::Shape s, const std::vector<int32_t>& v);
    static TestTensor i64(ir::Shape s, const std::vector<int64_t>& v);
    static TestTensor boolean(ir::Shape s, const std::vector<bool>& v);
    // Uniform random values in [lo, hi) from a fixed seed.
    static TestTensor random(ir::DType t, ir::Shape s, uint32_t seed, double lo = -1.0, double hi = 1.0);

    int64_t numel() const { return ir::volume(shape); }
    std::vector<double> toDoubles() const;
    std::vector<float> toFloats() const;
    std::vector<int64_t> toInts() const;
};

// [A, B, S1, S2] -> [A, S1, S2, B] element by element: a tensor (or a
// convolution's W) in the channels_last layout (ir/ops/channels_last.h).
TestTensor toChannelsLast(const TestTensor& t);

struct OpResult {
    Status status;
    std::vector<TestTensor> outputs;
};

// Runs `op` with the named CPU tactic ("ref" by default). Inputs that are
// constants in a real network (weights) are passed as known data to shape
// inference, like the builder does, when `constInputs` marks them.
OpResult runOp(const std::string& op, const ir::Attrs& attrs, const std::vector<TestTensor>& inputs,
               int numOutputs = 1, const std::string& tactic = "ref");

// Added to every TestTensor::random seed: KILN_TEST_SEED, or 0.
uint32_t testSeedSalt();

#ifdef KILN_OP_TEST_CUDA
// Runs the op with every CUDA tactic that supports it (ops/cuda/op_test_cuda.cpp),
// compares each with `reference` (the CPU result) and returns the first one's outputs.
OpResult runOpOnCuda(const std::string& op, const ir::Attrs& attrs, const std::vector<TestTensor>& inputs,
                     int numOutputs, const OpResult& reference);
#endif

// Names of every CPU tactic registered for `op`.
std::vector<std::string> tacticsFor(const std::string& op);

// Max |a-b| / (atol + rtol*|b|) style check; returns "" when close, else a
// message naming the first bad element. NaN must match NaN.
std::string compareClose(const std::vector<double>& got, const std::vector<double>& want, double rtol,
                         double atol);

}  // namespace kiln::test

// gtest helper: EXPECT that got ≈ want.
#define EXPECT_CLOSE(got, want, rtol, atol)                                            \
    do {                                                                               \
        std::string kiln_msg_ = ::kiln::test::compareClose((got), (want), (rtol), (atol)); \
        EXPECT_TRUE(kiln_msg_.empty()) << kiln_msg_;                                   \
    } while (0)
