// Host buffers for an engine's inputs and outputs; see io_tensors.h.
#include "io_tensors.h"

#include <algorithm>
#include <cstring>

#include "common.h"
#include "random_data.h"

namespace kiln::cli {

void AlignedBuffer::resize(size_t bytes) {
    storage_.assign(bytes + 64, 0);
    size_ = bytes;
}

uint8_t* AlignedBuffer::data() {
    if (storage_.empty()) storage_.assign(64, 0);
    const auto p = reinterpret_cast<uintptr_t>(storage_.data());
    return storage_.data() + (64 - p % 64) % 64;
}

const uint8_t* AlignedBuffer::data() const { return const_cast<AlignedBuffer*>(this)->data(); }

namespace {

// Bytes for `shape` of `type`; false on negative dims or overflow.
bool byteSize(DataType type, const std::vector<int64_t>& shape, size_t& bytes) {
    size_t count = 0;
    if (!tool::elementCount(shape, count)) return false;
    bytes = count * dataTypeSize(type);
    return true;
}

// Checks a file against an input's expected type and copies it into `t`.
bool loadFileInput(const tool::TensorData& file, IoTensor& t, std::vector<std::string>& notices, std::string& error) {
    const auto want = elemTypeOf(t.type);
    size_t count = 0;
    if (!want || !tool::elementCount(file.shape, count)) {
        error = "input '" + t.name + "': cannot load a " + dataTypeName(t.type) + " tensor from a file";
        return false;
    }
    if (file.bytes.size() != count * tool::elemSize(file.type)) {
        error = "input '" + t.name + "': the file holds " + std::to_string(file.bytes.size()) +
                " bytes, its header implies " + std::to_string(count * tool::elemSize(file.type));
        return false;
    }
    t.buffer.resize(count * dataTypeSize(t.type));
    if (file.type == *want) {
        std::memcpy(t.buffer.data(), file.bytes.data(), file.bytes.size());
        return true;
    }
    if (file.type == tool::ElemType::kF64 && *want == tool::ElemType::kF32) {
        notices.push_back("input '" + t.name + "': converting the file's float64 values to float32");
        const std::vector<double> values = tool::toDoubles(file);
        for (size_t i = 0; i < count; ++i) {
            const float f = float(values[i]);
            std::memcpy(t.buffer.data() + i * 4, &f, 4);
        }
        return true;
    }
    error = "input '" + t.name + "': the file holds " + tool::elemTypeName(file.type) + " values, the engine expects " +
            tool::elemTypeName(*want) + " (" + dataTypeName(t.type) + ")";
    return false;
}

// Every --input name must be an input of the engine.
bool checkInputNames(const IEngine& engine, const InputSpec& spec, std::string& error) {
    std::string inputs;
    for (int32_t i = 0; i < engine.getNbIOTensors(); ++i) {
        const char* n = engine.getIOTensorName(i);
        if (n && engine.getTensorIOMode(n) == TensorIOMode::kINPUT)
            inputs += std::string(inputs.empty() ? "" : ", ") + n;
    }
    std::vector<std::string> names;
    for (const auto& [name, file] : spec.files) names.push_back(name);
    for (const auto& [name, shape] : spec.shapes) names.push_back(name);
    for (const auto& name : names) {
        const TensorIOMode mode = engine.getTensorIOMode(name.c_str());
        if (mode == TensorIOMode::kINPUT) continue;
        error = mode == TensorIOMode::kOUTPUT ? "'" + name + "' is an output of the engine, not an input"
                                              : "the engine has no input named '" + name + "'";
        error += " (inputs: " + inputs + ")";
        return false;
    }
    return true;
}

// Implicit batch: file shape = [batch] + binding dims; all files share the batch.
bool resolveImplicitBatch(const IEngine& engine, const InputSpec& spec, int32_t& batch, std::string& error) {
    std::optional<int64_t> fromFiles;
    for (const auto& [name, file] : spec.files) {
        const auto dims = dimsToShape(engine.getBindingDimensions(engine.getBindingIndex(name.c_str())));
        const bool fits =
            file.shape.size() == dims.size() + 1 && std::equal(dims.begin(), dims.end(), file.shape.begin() + 1);
        if (!fits) {
            error = "input '" + name + "': the file has shape " + shapeString(file.shape) + ", the engine expects [N" +
                    (dims.empty() ? "" : ",") + shapeString(dims).substr(1) + " with the batch N first";
            return false;
        }
        if (fromFiles && *fromFiles != file.shape[0]) {
            error = "input '" + name + "': batch " + std::to_string(file.shape[0]) + " differs from another input's " +
                    std::to_string(*fromFiles);
            return false;
        }
        fromFiles = file.shape[0];
    }
    if (spec.batch && fromFiles && *spec.batch != *fromFiles) {
        error = "--batch " + std::to_string(*spec.batch) + " differs from the input files' batch " +
                std::to_string(*fromFiles);
        return false;
    }
    const int64_t b = spec.batch ? *spec.batch : fromFiles ? *fromFiles : 1;
    if (b < 1 || b > engine.getMaxBatchSize()) {
        error = "batch " + std::to_string(b) + " is outside [1, " + std::to_string(engine.getMaxBatchSize()) +
                "], the engine's maximum batch size";
        return false;
    }
    batch = int32_t(b);
    return true;
}

// Explicit batch: the input's shape from its file (checked against the
// engine's fixed dims) or from the engine with --batch for a dynamic dim 0.
bool resolveExplicitShape(const IEngine& engine, const IExecutionContext& ctx, const InputSpec& spec,
                          const std::string& name, std::vector<int64_t>& shape, std::string& error) {
    const auto declared = dimsToShape(engine.getTensorShape(name.c_str()));
    const auto it = spec.files.find(name);
    if (it != spec.files.end()) {
        shape = it->second.shape;
        bool fits = shape.size() == declared.size();
        for (size_t d = 0; fits && d < shape.size(); ++d) fits = declared[d] < 0 || declared[d] == shape[d];
        if (!fits) {
            error = "input '" + name + "': the file has shape " + shapeString(shape) + ", the engine expects " +
                    shapeString(declared) + " (-1: any)";
            return false;
        }
        if (spec.batch && !shape.empty() && shape[0] != *spec.batch) {
            error = "--batch " + std::to_string(*spec.batch) + " differs from input '" + name + "' leading dim " +
                    std::to_string(shape[0]);
            return false;
        }
        const auto given = spec.shapes.find(name);
        if (given != spec.shapes.end() && given->second != shape) {
            error = "--shapes gives input '" + name + "' shape " + shapeString(given->second) + " but its file has " +
                    shapeString(shape);
            return false;
        }
        return true;
    }
    const auto given = spec.shapes.find(name);
    if (given != spec.shapes.end()) {
        shape = given->second;
        bool fits = shape.size() == declared.size();
        for (size_t d = 0; fits && d < shape.size(); ++d) fits = declared[d] < 0 || declared[d] == shape[d];
        if (!fits) {
            error = "--shapes " + name + ":" + shapeString(shape) + ": the engine expects " + shapeString(declared) +
                    " (-1: any)";
            return false;
        }
        if (spec.batch && !shape.empty() && shape[0] != *spec.batch) {
            error = "--batch " + std::to_string(*spec.batch) + " differs from --shapes " + name + " leading dim " +
                    std::to_string(shape[0]);
            return false;
        }
        return true;
    }
    // The context starts at the profile's opt shape: the default for dynamic dims.
    shape = dimsToShape(ctx.getTensorShape(name.c_str()));
    if (spec.batch && !declared.empty() && declared[0] < 0) shape[0] = *spec.batch;
    return true;
}

}  // namespace

bool prepareIo(const IEngine& engine, IExecutionContext& ctx, const InputSpec& spec, IoSet& io,
               std::vector<std::string>& notices, std::string& error) {
    io = IoSet{};
    io.implicitBatch = engine.hasImplicitBatchDimension();
    if (!checkInputNames(engine, spec, error)) return false;
    if (io.implicitBatch && !spec.shapes.empty()) {
        error = "--shapes: the engine has an implicit batch dimension and static input shapes; use --batch";
        return false;
    }
    if (io.implicitBatch && !resolveImplicitBatch(engine, spec, io.batch, error)) return false;

    // Bindings are inputs first, then outputs; shapes of outputs need all inputs set.
    const int32_t nb = engine.getNbBindings();
    io.tensors.resize(size_t(nb));
    io.bindings.assign(size_t(nb), nullptr);
    for (int32_t i = 0; i < nb; ++i) {
        IoTensor& t = io.tensors[size_t(i)];
        const char* name = engine.getBindingName(i);
        if (!name) {
            error = "binding " + std::to_string(i) + " has no name";
            return false;
        }
        t.name = name;
        t.bindingIndex = i;
        t.isInput = engine.bindingIsInput(i);
        t.type = engine.getBindingDataType(i);
        if (!t.isInput) continue;
        if (io.implicitBatch) {
            t.shape = dimsToShape(engine.getBindingDimensions(i));
            t.shape.insert(t.shape.begin(), io.batch);
        } else {
            if (!resolveExplicitShape(engine, ctx, spec, t.name, t.shape, error)) return false;
            if (!ctx.setInputShape(name, shapeToDims(t.shape))) {
                error = "input '" + t.name + "': the engine refused shape " + shapeString(t.shape) + " (see above)";
                return false;
            }
        }
        const auto file = spec.files.find(t.name);
        if (file != spec.files.end()) {
            if (!loadFileInput(file->second, t, notices, error)) return false;
            continue;
        }
        size_t bytes = 0;
        if (!byteSize(t.type, t.shape, bytes)) {
            error = "input '" + t.name + "': shape " + shapeString(t.shape) + " is not concrete; give it with --input";
            return false;
        }
        t.buffer.resize(bytes);
        if (!fillRandom(t.type, t.buffer.data(), bytes / dataTypeSize(t.type), spec.seed + uint32_t(i))) {
            error = "input '" + t.name + "': cannot make random " + dataTypeName(t.type) + " data";
            return false;
        }
    }
    if (!io.implicitBatch && nb > 0 && !io.tensors[0].shape.empty()) io.batch = int32_t(io.tensors[0].shape[0]);
    for (auto& t : io.tensors) {
        if (!t.isInput) {
            if (io.implicitBatch) {
                t.shape = dimsToShape(engine.getBindingDimensions(t.bindingIndex));
                t.shape.insert(t.shape.begin(), io.batch);
            } else {
                t.shape = dimsToShape(ctx.getTensorShape(t.name.c_str()));
            }
            size_t bytes = 0;
            if (!byteSize(t.type, t.shape, bytes)) {
                if (io.implicitBatch) {
                error = "output '" + t.name + "': could not work out its shape (got " + shapeString(t.shape) + ")";
                return false;
            }
                // A data-dependent shape: the engine sizes the buffer during the run.
                io.sinks.push_back(std::make_unique<OutputSink>(t));
                if (!ctx.setOutputAllocator(t.name.c_str(), io.sinks.back().get())) {
                    error = "could not give output '" + t.name + "' an allocator (see above)";
                    return false;
                }
                continue;
            }
            t.buffer.resize(bytes);
        }
        io.bindings[size_t(t.bindingIndex)] = t.buffer.data();
        if (!io.implicitBatch && !ctx.setTensorAddress(t.name.c_str(), t.buffer.data())) {
            error = "could not bind '" + t.name + "' (see above)";
            return false;
        }
    }
    return true;
}

void* OutputSink::reallocateOutput(const char*, void*, uint64_t size, uint64_t) noexcept {
    t_.buffer.resize(size_t(size));  // AlignedBuffer: 64-byte aligned
    return t_.buffer.data();
}

void OutputSink::notifyShape(const char*, const Dims& dims) noexcept { t_.shape = dimsToShape(dims); }

bool runInference(IExecutionContext& ctx, IoSet& io) {
    if (io.implicitBatch) return ctx.enqueue(io.batch, io.bindings.data(), nullptr, nullptr);
    return ctx.enqueueV3(nullptr);
}

bool toTensorData(const IoTensor& t, tool::TensorData& out, std::string& error) {
    const auto type = elemTypeOf(t.type);
    if (!type) {
        error = "'" + t.name + "' is " + dataTypeName(t.type) + ", which no tensor file format holds";
        return false;
    }
    out.type = *type;
    out.shape = t.shape;
    out.name = t.name;
    out.bytes.assign(t.buffer.data(), t.buffer.data() + t.buffer.size());
    return true;
}

}  // namespace kiln::cli
