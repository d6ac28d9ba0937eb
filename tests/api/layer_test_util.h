// Shared helpers of the layer tests (tests/api/layers_*_test.cpp): build a
// network through the public API in explicit-batch (createNetworkV2(0)) or
// classic implicit-batch (createNetwork(), max batch 3, run with batch 2)
// mode, run it on given inputs and return the outputs and the logged errors.
//
// Every tensor handed to or returned by NetHarness::run() carries its FULL
// shape, batch included, so that one expected value serves both modes.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kiln/kiln.h"

namespace layertest {

constexpr int kBatch = 2;     // the batch every test runs
constexpr int kMaxBatch = 3;  // the implicit-batch engines' maximum batch

struct CapturingLogger : kiln::ILogger {
    std::vector<std::string> errors;
    void log(Severity s, const char* msg) noexcept override;
    std::string joined() const;  // all errors, one per line (for failure messages)
};

// A host tensor: element type, full shape and raw bytes.
struct HostTensor {
    kiln::DataType type = kiln::DataType::kFLOAT;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;

    int64_t volume() const;
    // Every element converted to double (float, half, bf16, int8/32/64, uint8, bool).
    std::vector<double> values() const;
    template <class T>
    std::vector<T> as() const {
        std::vector<T> v(bytes.size() / sizeof(T));
        if (!v.empty()) std::memcpy(v.data(), bytes.data(), v.size() * sizeof(T));
        return v;
    }
};

HostTensor floatTensor(std::vector<int64_t> shape, const std::vector<float>& v);
HostTensor floatTensor(std::vector<int64_t> shape, const std::vector<double>& v);
HostTensor int32Tensor(std::vector<int64_t> shape, const std::vector<int32_t>& v);
HostTensor boolTensor(std::vector<int64_t> shape, const std::vector<int>& v);

// Deterministic values in [lo, hi): a hash of (seed, index).
std::vector<double> detValues(size_t n, uint32_t seed, double lo = -1.0, double hi = 1.0);
int64_t volumeOf(const std::vector<int64_t>& shape);
float halfBitsToFloat(uint16_t h);  // IEEE binary16 -> float, written independently of kiln
double roundToHalf(double v);       // nearest binary16 value (ties to even), normal range only

// got == want (shape exactly, values within atol + rtol*|want|; NaN matches NaN).
::testing::AssertionResult allClose(const HostTensor& got, const std::vector<int64_t>& shape,
                                    const std::vector<double>& want, double atol = 1e-5, double rtol = 1e-5);
::testing::AssertionResult dimsAre(const kiln::Dims& d, const std::vector<int64_t>& want);

enum class Mode { kExplicit, kImplicit };
const char* modeName(Mode m);
std::string modeParamName(const ::testing::TestParamInfo<Mode>& info);

struct RunResult {
    bool built = false;
    bool ran = false;
    std::vector<std::string> errors;
    std::map<std::string, HostTensor> outputs;  // by output tensor name, full shapes
    std::string errorText() const;
    // The output named `name`; an empty tensor (and a test failure) if there is none.
    const HostTensor& out(const std::string& name) const;
};

// One network in one mode. Dimensions given as "item" dims exclude the batch;
// the harness adds it where the mode needs it.
class NetHarness {
public:
    explicit NetHarness(Mode mode);

    Mode mode() const { return mode_; }
    bool implicit() const { return mode_ == Mode::kImplicit; }
    kiln::INetworkDefinition& net() { return *network_; }
    kiln::IBuilder& builder() { return *builder_; }
    CapturingLogger& logger() { return log_; }

    // A network input of per-item dims `item` (explicit mode prepends kBatch).
    kiln::ITensor* input(const char* name, const std::vector<int64_t>& item,
                         kiln::DataType type = kiln::DataType::kFLOAT);
    // Dims of one item in this mode's layer parameters (explicit mode prepends `batchValue`).
    kiln::Dims dims(const std::vector<int64_t>& item, int64_t batchValue) const;
    // An axes bitmask over item dims, as this mode's layers take it.
    uint32_t axes(uint32_t itemMask) const { return implicit() ? itemMask : itemMask << 1; }
    // An axis index over item dims, as this mode's layers take it.
    int32_t axis(int32_t itemAxis) const { return implicit() ? itemAxis : itemAxis + 1; }
    // A constant broadcast over the batch: item dims as given in implicit mode
    // (the network adds the batch), with a leading 1 in explicit mode.
    kiln::ITensor* batchConstant(const std::vector<int64_t>& item, const std::vector<double>& v,
                                 kiln::DataType type = kiln::DataType::kFLOAT);
    // A constant of exactly the dims given (addConstant's own dims).
    kiln::IConstantLayer* constant(const std::vector<int64_t>& dims, const std::vector<double>& v,
                                   kiln::DataType type = kiln::DataType::kFLOAT);
    // Weights that live as long as the harness.
    kiln::Weights weights(const std::vector<double>& v, kiln::DataType type = kiln::DataType::kFLOAT);
    // Names the tensor and marks it as a network output.
    void output(kiln::ITensor* t, const char* name);

    // Builds the engine and runs it once on `inputs` (full shapes, batch first).
    RunResult run(const std::map<std::string, HostTensor>& inputs);

private:
    Mode mode_;
    CapturingLogger log_;
    std::unique_ptr<kiln::IBuilder> builder_;
    std::unique_ptr<kiln::INetworkDefinition> network_;
    std::deque<std::vector<uint8_t>> storage_;
};

// Base fixture of the tests that run in both modes.
class LayerModeTest : public ::testing::TestWithParam<Mode> {
protected:
    NetHarness h{GetParam()};
    // Full (batch-first) shape of a tensor whose per-item dims are `item`.
    static std::vector<int64_t> full(std::vector<int64_t> item) {
        item.insert(item.begin(), kBatch);
        return item;
    }
};

#define LAYER_INSTANTIATE_MODES(Suite)                                                                        \
    INSTANTIATE_TEST_SUITE_P(Layers, Suite,                                                                   \
                             ::testing::Values(::layertest::Mode::kExplicit, ::layertest::Mode::kImplicit), \
                             ::layertest::modeParamName)

// Fails the current test (and returns) when the run did not build or run.
#define ASSERT_RAN(r) ASSERT_TRUE((r).built && (r).ran) << (r).errorText()

}  // namespace layertest
