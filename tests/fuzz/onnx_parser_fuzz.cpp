// libFuzzer target for the ONNX parser (kiln_onnx): any bytes go to
// IParser::parse; when they parse, the network is built into a CPU engine with
// a small workspace. Nothing may crash, hang or leak, and a failed parse must
// say why (at least one error with a description).
//
// Built only with -DKILN_FUZZ=ON (clang); scripts/fuzz.sh builds and runs it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "kiln/kiln.h"
#include "kiln/onnx_parser.h"

namespace {

// Messages are dropped: the fuzzer produces millions of them.
struct QuietLogger final : kiln::ILogger {
    void log(Severity, const char*) noexcept override {}
};

// An invariant the parser broke: abort so libFuzzer keeps the input.
[[noreturn]] void broken() { std::abort(); }

// Dynamic input dims get a small range [1, 2], so the builder sees them too.
void addSmallProfile(kiln::IBuilder& builder, kiln::INetworkDefinition& network, kiln::IBuilderConfig& config) {
    kiln::IOptimizationProfile* profile = nullptr;
    for (int32_t i = 0; i < network.getNbInputs(); ++i) {
        kiln::ITensor* in = network.getInput(i);
        kiln::Dims d = in->getDimensions();
        bool dynamic = false;
        kiln::Dims lo = d, hi = d;
        for (int32_t k = 0; k < d.nbDims && k < kiln::Dims::MAX_DIMS; ++k) {
            if (d.d[k] >= 0) continue;
            dynamic = true;
            lo.d[k] = 1;
            hi.d[k] = 2;
        }
        if (!dynamic) continue;
        if (!profile) profile = builder.createOptimizationProfile();
        if (!profile) return;
        profile->setDimensions(in->getName(), kiln::OptProfileSelector::kMIN, lo);
        profile->setDimensions(in->getName(), kiln::OptProfileSelector::kOPT, lo);
        profile->setDimensions(in->getName(), kiln::OptProfileSelector::kMAX, hi);
    }
    if (profile) config.addOptimizationProfile(profile);
}

void checkErrors(const kiln::onnx::IParser& parser) {
    if (parser.getNbErrors() < 1) broken();
    for (int32_t i = 0; i < parser.getNbErrors(); ++i) {
        const auto* e = parser.getError(i);
        if (!e || !e->desc() || !e->desc()[0] || !e->nodeName() || !e->nodeOperator()) broken();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    QuietLogger logger;
    auto builder = kiln::createInferBuilder(logger);
    if (!builder) broken();
    {
        // supportsModel only looks at op types; it must not choke either.
        auto network = builder->createNetworkV2(1u << uint32_t(kiln::NetworkDefinitionCreationFlag::kEXPLICIT_BATCH));
        auto parser = kiln::onnx::createParser(*network, logger);
        if (!network || !parser) broken();
        if (!parser->supportsModel(data, size)) checkErrors(*parser);
    }
    auto network = builder->createNetworkV2(1u << uint32_t(kiln::NetworkDefinitionCreationFlag::kEXPLICIT_BATCH));
    auto parser = kiln::onnx::createParser(*network, logger);
    if (!network || !parser) broken();
    // No model path: external data is refused, so the fuzzer never reads files.
    if (!parser->parse(data, size)) {
        checkErrors(*parser);
        return 0;
    }
    auto config = builder->createBuilderConfig();
    if (!config) broken();
    config->setBackend(kiln::BackendKind::kCPU);
    config->setMemoryPoolLimit(kiln::MemoryPoolType::kWORKSPACE, size_t(16) << 20);
    config->setBuilderOptimizationLevel(0);  // no tactic timing: one candidate per layer
    addSmallProfile(*builder, *network, *config);
    // A refused build is fine (the reason is logged); only crashes and leaks count.
    auto engine = builder->buildEngineWithConfig(*network, *config);
    return 0;
}
