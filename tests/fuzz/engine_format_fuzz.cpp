// libFuzzer target for the engine file format alone (src/engine): readEngine
// on the bytes as they are and with the header's checksum recomputed. Much
// faster per input than engine_loader_fuzz (no runtime, no kernels), so the
// metadata parser and validatePlan get many more executions. Invariants: a
// refusal carries a message; a plan that reads back writes (writeEngine
// applies the same checks), and what it writes reads back and writes to the
// same bytes again.
//
// Built only with -DKILN_FUZZ=ON (clang); scripts/fuzz.sh builds and runs it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "engine/format.h"

namespace {

[[noreturn]] void broken() { std::abort(); }

void check(const uint8_t* data, size_t size) {
    kiln::engine::Plan plan;
    kiln::Status st;
    try {
        st = kiln::engine::readEngine(data, size, plan);
    } catch (const std::bad_alloc&) {
        return;  // the runtime reports this as an error (counts are bounded by the bytes present)
    }
    if (!st.ok()) {
        if (st.message().empty()) broken();
        return;
    }
    std::vector<uint8_t> once, twice;
    if (!kiln::engine::writeEngine(plan, once).ok()) broken();
    kiln::engine::Plan back;
    if (!kiln::engine::readEngine(once.data(), once.size(), back).ok()) broken();
    if (!kiln::engine::writeEngine(back, twice).ok() || once != twice) broken();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    check(data, size);
    if (size < kiln::engine::kEngineHeaderSize) return 0;
    std::vector<uint8_t> forged(data, data + size);
    const uint64_t sum = kiln::engine::engineChecksum(forged.data(), forged.size());
    std::memcpy(forged.data() + kiln::engine::header_offset::kChecksum, &sum, 8);
    check(forged.data(), forged.size());
    return 0;
}
