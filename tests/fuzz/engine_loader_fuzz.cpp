// libFuzzer target for the engine loader: any bytes go to
// IRuntime::deserializeCudaEngine twice, once as they are and once with the
// header's checksum recomputed, so that mutations get past the integrity check
// into the metadata parser, the plan validation and the runtime's consistency
// checks (a forged checksum is what a hostile file would carry). An engine that
// loads is then run once on the CPU with small inputs: whatever the loader
// accepts must run, or refuse to run, within its buffers. Nothing may crash,
// hang or leak, and every refusal must be logged.
//
// Built only with -DKILN_FUZZ=ON (clang); scripts/fuzz.sh builds and runs it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "engine/format.h"
#include "kiln/kiln.h"

namespace {

// Counts errors so that a silent refusal can be told from a logged one.
struct CountingLogger final : kiln::ILogger {
    int errors = 0;
    void log(Severity s, const char*) noexcept override {
        if (s <= Severity::kERROR) ++errors;
    }
};

// An invariant the loader broke: abort so libFuzzer keeps the input.
[[noreturn]] void broken() { std::abort(); }

// Engines with an input larger than this are not run: the fuzzer would spend
// its time in kernels on big tensors, not in the loader (an ONNX conformance
// convolution's engine, [20, 16, 50, 40], took 13 s a run under ASan, near
// the 30 s timeout that would count as a finding).
constexpr int64_t kMaxElements = int64_t(1) << 16;

// Buffers for outputs whose shape depends on computed values.
struct GrowingAllocator final : kiln::IOutputAllocator {
    std::vector<std::vector<uint8_t>> buffers;
    void* reallocateOutput(const char*, void*, uint64_t size, uint64_t) noexcept override {
        if (size > uint64_t(64) << 20) return nullptr;  // refuse absurd outputs: the run must fail cleanly
        buffers.emplace_back(size_t(size) + 64);
        return buffers.back().data();
    }
    void notifyShape(const char*, const kiln::Dims&) noexcept override {}
};

// The harness runs engines whose I/O buffers it can hold: an I/O tensor of
// more than 64 MiB (a loaded engine may legitimately declare one) is not run,
// which keeps the harness's own allocations out of the findings.
bool smallEnough(int64_t count, size_t elem) {
    return count >= 0 && elem > 0 && uint64_t(count) <= (uint64_t(64) << 20) / elem;
}

// Runs the engine once with every dynamic input dimension at 1 and small
// deterministic inputs (floats in [0, 1.5], integers and booleans zero).
void runOnce(kiln::IEngine& engine, CountingLogger& logger) {
    auto ctx = engine.createExecutionContext();
    if (!ctx) {
        if (logger.errors == 0) broken();
        return;
    }
    std::vector<std::vector<uint8_t>> buffers;
    GrowingAllocator allocator;
    const int32_t n = engine.getNbIOTensors();
    if (engine.hasImplicitBatchDimension()) {
        std::vector<void*> bindings(size_t(engine.getNbBindings()), nullptr);
        for (int32_t b = 0; b < engine.getNbBindings(); ++b) {
            // A dimension the binding leaves open (-1) is sized 1, as a caller
            // told nothing more would: the engine must then not read or write
            // past the buffer (a forged profile once made it).
            kiln::Dims d = engine.getBindingDimensions(b);
            for (int32_t k = 0; k < d.nbDims; ++k)
                if (d.d[k] < 0) d.d[k] = 1;
            const int64_t v = kiln::volume(d);
            const size_t elem = kiln::dataTypeSize(engine.getBindingDataType(b));
            if (v < 0 || elem == 0) return;
            if (engine.bindingIsInput(b) && v > kMaxElements) return;
            buffers.emplace_back(size_t(v) * elem + 64);
            bindings[size_t(b)] = buffers.back().data();
        }
        const int before = logger.errors;
        if (!ctx->execute(1, bindings.data()) && logger.errors == before) broken();
        return;
    }
    for (int32_t i = 0; i < n; ++i) {
        const char* name = engine.getIOTensorName(i);
        if (!name || engine.getTensorIOMode(name) != kiln::TensorIOMode::kINPUT) continue;
        kiln::Dims d = engine.getTensorShape(name);
        for (int32_t k = 0; k < d.nbDims; ++k)
            if (d.d[k] < 0) d.d[k] = 1;
        if (!ctx->setInputShape(name, d)) return;  // outside the profile: refused (and logged)
        const int64_t v = kiln::volume(d);
        const kiln::DataType t = engine.getTensorDataType(name);
        const size_t elem = kiln::dataTypeSize(t);
        if (v > kMaxElements || !smallEnough(v, elem)) return;
        buffers.emplace_back(size_t(v) * elem + 64);
        if (t == kiln::DataType::kFLOAT) {
            auto* f = reinterpret_cast<float*>(buffers.back().data());
            for (int64_t k = 0; k < v; ++k) f[k] = float(k % 7) * 0.25f;
        }
        if (!ctx->setTensorAddress(name, buffers.back().data())) return;
    }
    for (int32_t i = 0; i < n; ++i) {
        const char* name = engine.getIOTensorName(i);
        if (!name || engine.getTensorIOMode(name) != kiln::TensorIOMode::kOUTPUT) continue;
        const kiln::Dims d = ctx->getTensorShape(name);
        bool dataDependent = d.nbDims < 0;
        for (int32_t k = 0; k < d.nbDims; ++k) dataDependent = dataDependent || d.d[k] < 0;
        if (dataDependent) {
            if (!ctx->setOutputAllocator(name, &allocator)) return;
            continue;
        }
        const int64_t v = kiln::volume(d);
        const size_t elem = kiln::dataTypeSize(engine.getTensorDataType(name));
        if (!smallEnough(v, elem)) return;
        buffers.emplace_back(size_t(v) * elem + 64);
        if (!ctx->setTensorAddress(name, buffers.back().data())) return;
    }
    const int before = logger.errors;
    if (!ctx->execute() && logger.errors == before) broken();  // a failed run must say why
}

void load(const uint8_t* data, size_t size, bool run) {
    CountingLogger logger;
    auto runtime = kiln::createInferRuntime(logger);
    if (!runtime) broken();
    auto engine = runtime->deserializeCudaEngine(data, size, nullptr);
    if (!engine) {
        if (logger.errors == 0) broken();  // refused silently
        return;
    }
    // Whatever loads describes itself and serializes back.
    if (auto info = engine->getEngineInformation(true); !info) broken();
    if (auto again = engine->serialize(); !again) broken();
    if (run) runOnce(*engine, logger);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // The bytes as they are: mostly refused by the size/magic/checksum checks.
    load(data, size, /*run=*/false);
    if (size < kiln::engine::kEngineHeaderSize) return 0;
    // The same bytes with a forged checksum (and the file size they claim left
    // as is): the metadata parser, validatePlan and the runtime checks see them.
    std::vector<uint8_t> forged(data, data + size);
    const uint64_t sum = kiln::engine::engineChecksum(forged.data(), forged.size());
    std::memcpy(forged.data() + kiln::engine::header_offset::kChecksum, &sum, 8);
    load(forged.data(), forged.size(), /*run=*/true);
    return 0;
}
