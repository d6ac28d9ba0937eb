// libFuzzer target for the tensor file readers of the kiln tool and the ONNX
// conformance runner (tools/kiln/tensor_file.h): any bytes go to readNpy and to
// readTensorProto. A refusal must carry a message; an accepted tensor must be
// self-consistent (its byte count matches its type and shape) and survive a
// round trip through the matching writer unchanged.
//
// Built only with -DKILN_FUZZ=ON (clang); scripts/fuzz.sh builds and runs it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "tensor_file.h"

namespace {

using kiln::tool::TensorData;

[[noreturn]] void broken() { std::abort(); }

void checkConsistent(const TensorData& t) {
    size_t count = 0;
    if (!kiln::tool::elementCount(t.shape, count)) broken();
    if (t.bytes.size() != count * kiln::tool::elemSize(t.type)) broken();
    if (kiln::tool::toDoubles(t).size() != count) broken();
}

bool same(const TensorData& a, const TensorData& b) {
    return a.type == b.type && a.shape == b.shape && a.bytes == b.bytes;
}

using Reader = bool (*)(const uint8_t*, size_t, TensorData&, std::string&);
using Encoder = bool (*)(const TensorData&, std::vector<uint8_t>&, std::string&);

void check(const uint8_t* data, size_t size, Reader read, Encoder encode, bool keepsName) {
    TensorData t;
    std::string error;
    if (!read(data, size, t, error)) {
        if (error.empty()) broken();  // refused without saying why
        return;
    }
    checkConsistent(t);
    std::vector<uint8_t> bytes;
    error.clear();
    if (!encode(t, bytes, error)) {
        if (error.empty()) broken();  // e.g. bfloat16 has no .npy dtype: refused with a message
        return;
    }
    TensorData back;
    if (!read(bytes.data(), bytes.size(), back, error)) broken();  // what we write, we read
    if (!same(t, back) || (keepsName && t.name != back.name)) broken();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    check(data, size, kiln::tool::readNpy, kiln::tool::encodeNpy, false);
    check(data, size, kiln::tool::readTensorProto, kiln::tool::encodeTensorProto, true);
    return 0;
}
