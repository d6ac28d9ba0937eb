// Host buffers for an engine's inputs and outputs, shared by `kiln run` and
// `kiln bench`: inputs come from tensor files or seeded random data, shapes
// are checked against the engine, and one call runs the context over them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kiln/kiln.h"
#include "tensor_file.h"

namespace kiln::cli {

// A 64-byte aligned byte buffer (kernels may use aligned vector loads); never
// null, even when empty, because kiln refuses null tensor addresses.
class AlignedBuffer {
public:
    void resize(size_t bytes);
    uint8_t* data();
    const uint8_t* data() const;
    size_t size() const { return size_; }

private:
    std::vector<uint8_t> storage_;
    size_t size_ = 0;
};

struct IoTensor {
    std::string name;
    bool isInput = false;
    int32_t bindingIndex = -1;
    DataType type = DataType::kFLOAT;
    std::vector<int64_t> shape;  // full shape, batch included
    AlignedBuffer buffer;
};

// What the user asked for; tensors not in `files` get random data.
struct InputSpec {
    std::map<std::string, tool::TensorData> files;
    std::optional<int32_t> batch;  // --batch
    // --shapes: the shape of dynamic inputs (within the context's profile).
    std::map<std::string, std::vector<int64_t>> shapes;
    uint32_t seed = 1234;
};

// Receives an output of data-dependent shape into its IoTensor.
class OutputSink final : public IOutputAllocator {
public:
    explicit OutputSink(IoTensor& t) : t_(t) {}
    void* reallocateOutput(const char*, void*, uint64_t size, uint64_t) noexcept override;
    void notifyShape(const char*, const Dims& dims) noexcept override;

private:
    IoTensor& t_;
};

struct IoSet {
    bool implicitBatch = false;
    int32_t batch = 1;              // items per inference (implicit batch, or the leading dim)
    std::vector<IoTensor> tensors;  // inputs first, then outputs
    std::vector<void*> bindings;    // by binding index, for enqueue(batch, ...)
    std::vector<std::unique_ptr<OutputSink>> sinks;  // outputs of data-dependent shape
};

// Fills `io` for one context: checks every file against the engine (name,
// type, shape), converts float64 files to float32 (noted in `notices`), sets
// the input shapes and tensor addresses on `ctx` and sizes the outputs.
bool prepareIo(const IEngine& engine, IExecutionContext& ctx, const InputSpec& spec, IoSet& io,
               std::vector<std::string>& notices, std::string& error);

// One inference over `io` (enqueue(batch, ...) for implicit-batch engines,
// enqueueV3 otherwise). On the CPU backend the results are ready on return.
bool runInference(IExecutionContext& ctx, IoSet& io);

// A copy of a tensor in tensor-file form; false for types no file can hold.
bool toTensorData(const IoTensor& t, tool::TensorData& out, std::string& error);

}  // namespace kiln::cli
