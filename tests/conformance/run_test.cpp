// One conformance test, run inside the forked child: parse model.onnx, build a
// CPU engine, run every test_data_set_N and compare with its reference outputs.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>

#include "conformance.h"
#ifdef KILN_HAVE_CUDA
#include <cuda_runtime.h>
#endif
#include "kiln/builder.h"
#include "kiln/onnx_parser.h"
#include "kiln/runtime.h"

namespace kiln::conformance {

namespace fs = std::filesystem;
using tool::ElemType;
using tool::TensorData;

namespace {

// Keeps the first error (the reason a build fails); prints all with --verbose.
class Logger : public ILogger {
public:
    explicit Logger(bool verbose) : verbose_(verbose) {}
    void log(Severity s, const char* msg) noexcept override {
        if (s <= Severity::kERROR && first.empty()) first = msg ? msg : "";
        if (verbose_ && s <= Severity::kWARNING) std::cerr << "  kiln: " << (msg ? msg : "") << "\n";
    }
    std::string first;

private:
    bool verbose_;
};

bool toElem(DataType t, ElemType& e) {
    switch (t) {
        case DataType::kFLOAT: e = ElemType::kF32; return true;
        case DataType::kHALF: e = ElemType::kF16; return true;
        case DataType::kINT8: e = ElemType::kI8; return true;
        case DataType::kINT32: e = ElemType::kI32; return true;
        case DataType::kBOOL: e = ElemType::kBool; return true;
        case DataType::kUINT8: e = ElemType::kU8; return true;
        case DataType::kFP8: e = ElemType::kF8E4M3FN; return true;
        case DataType::kBF16: e = ElemType::kBF16; return true;
        case DataType::kINT64: e = ElemType::kI64; return true;
        case DataType::kINT4: e = ElemType::kI4; return true;
        case DataType::kFP4: e = ElemType::kF4E2M1; return true;
        case DataType::kE8M0: e = ElemType::kF8E8M0; return true;
        case DataType::kDOUBLE: e = ElemType::kF64; return true;
        case DataType::kINT16: e = ElemType::kI16; return true;
        case DataType::kUINT16: e = ElemType::kU16; return true;
        case DataType::kUINT32: e = ElemType::kU32; return true;
        case DataType::kUINT64: e = ElemType::kU64; return true;
        case DataType::kFP8E5M2: e = ElemType::kF8E5M2; return true;
        case DataType::kFP8E4M3FNUZ: e = ElemType::kF8E4M3FNUZ; return true;
        case DataType::kFP8E5M2FNUZ: e = ElemType::kF8E5M2FNUZ; return true;
        case DataType::kUINT4: e = ElemType::kU4; return true;
        case DataType::kINT2: e = ElemType::kI2; return true;
        case DataType::kUINT2: e = ElemType::kU2; return true;
    }
    return false;
}

bool isInt(ElemType t) {
    return t == ElemType::kI8 || t == ElemType::kU8 || t == ElemType::kI16 || t == ElemType::kU16 ||
           t == ElemType::kI32 || t == ElemType::kU32 || t == ElemType::kI64 || t == ElemType::kU64;
}
// kiln has every ONNX element type but string and complex, so an engine's I/O
// type equals the test's; only integer widths may differ (an engine may carry
// an int64 index tensor as int32, as TensorRT's parser does), and such pairs
// are converted. A float type never stands in for another.
bool compatible(ElemType a, ElemType b) { return a == b || (isInt(a) && isInt(b)); }

bool toDims(const std::vector<int64_t>& shape, Dims& d) {
    if (shape.size() > static_cast<size_t>(Dims::MAX_DIMS)) return false;
    d.nbDims = static_cast<int32_t>(shape.size());
    for (size_t i = 0; i < shape.size(); ++i) d.d[i] = shape[i];
    return true;
}

std::string firstParserError(const onnx::IParser& p) {
    if (p.getNbErrors() == 0) return "parse failed (no error recorded)";
    const onnx::IParserError* e = p.getError(0);
    std::string s = "parse: ";
    if (e->nodeOperator() && *e->nodeOperator()) s += std::string(e->nodeOperator()) + ": ";
    return s + (e->desc() ? e->desc() : "");
}

// Reads test_data_set dir's input_K.pb / output_K.pb, K = 0, 1, ...
bool readSet(const fs::path& dir, const char* prefix, std::vector<TensorData>& out, std::string& error) {
    for (int k = 0;; ++k) {
        const fs::path p = dir / (prefix + std::to_string(k) + ".pb");
        if (!fs::exists(p)) return true;
        TensorData t;
        if (!tool::readTensorFile(p.string(), t, error)) return false;
        out.push_back(std::move(t));
    }
}

// Engine I/O tensor names of one mode, in engine order.
std::vector<std::string> ioNames(const IEngine& e, TensorIOMode mode) {
    std::vector<std::string> r;
    for (int32_t i = 0; i < e.getNbIOTensors(); ++i)
        if (e.getTensorIOMode(e.getIOTensorName(i)) == mode) r.push_back(e.getIOTensorName(i));
    return r;
}

// Binds the k-th ONNX graph input/output to an engine tensor: by name when the
// engine kept the ONNX name, else by position in the engine's I/O order.
std::string pick(const std::vector<std::string>& onnxNames, const std::vector<std::string>& engineNames, size_t k) {
    if (k < onnxNames.size() && std::find(engineNames.begin(), engineNames.end(), onnxNames[k]) != engineNames.end())
        return onnxNames[k];
    return k < engineNames.size() ? engineNames[k] : "";
}

TestResult fail(std::string why) { return {Status::kFail, std::move(why)}; }

// Receives an output of data-dependent shape into a TensorData.
class OutputBuffer final : public IOutputAllocator {
public:
    explicit OutputBuffer(TensorData& t) : t_(t) {}
    void* reallocateOutput(const char*, void*, uint64_t size, uint64_t) noexcept override {
        // Over-allocate by 64 so the returned pointer can be aligned.
        t_.bytes.assign(size_t(size) + 64, 0);
        auto p = reinterpret_cast<uintptr_t>(t_.bytes.data());
        offset_ = (64 - p % 64) % 64;
        return t_.bytes.data() + offset_;
    }
    void notifyShape(const char*, const Dims& dims) noexcept override {
        t_.shape.assign(dims.d, dims.d + std::max(0, std::min(dims.nbDims, Dims::MAX_DIMS)));
        t_.bytes.erase(t_.bytes.begin(), t_.bytes.begin() + std::ptrdiff_t(offset_));
    }

private:
    TensorData& t_;
    size_t offset_ = 0;
};

#ifdef KILN_HAVE_CUDA
// --backend cuda: receives an output of data-dependent shape in device memory,
// copied to the host after the run.
class DeviceOutputBuffer final : public IOutputAllocator {
public:
    explicit DeviceOutputBuffer(TensorData& t) : t_(t) {}
    ~DeviceOutputBuffer() override {
        if (p_) cudaFree(p_);
    }
    void* reallocateOutput(const char*, void*, uint64_t size, uint64_t) noexcept override {
        if (p_ && size <= cap_) return p_;
        if (p_) cudaFree(p_);
        p_ = nullptr;
        cap_ = 0;
        if (cudaMalloc(&p_, std::max<uint64_t>(size, 8)) != cudaSuccess) {
            p_ = nullptr;
            return nullptr;
        }
        cap_ = size;
        return p_;
    }
    void notifyShape(const char*, const Dims& dims) noexcept override {
        t_.shape.assign(dims.d, dims.d + std::max(0, std::min(dims.nbDims, Dims::MAX_DIMS)));
    }
    bool download() {
        size_t n = 0;
        if (!tool::elementCount(t_.shape, n)) return false;
        t_.bytes.resize(n * tool::elemSize(t_.type));
        return t_.bytes.empty() ||
               (p_ && cudaMemcpy(t_.bytes.data(), p_, t_.bytes.size(), cudaMemcpyDeviceToHost) == cudaSuccess);
    }

private:
    TensorData& t_;
    void* p_ = nullptr;
    uint64_t cap_ = 0;
};
#endif

}  // namespace

TestResult runTest(const std::string& dir, const ModelInfo& info, const RunOptions& opts) {
    std::vector<fs::path> sets;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
    std::sort(sets.begin(), sets.end());
    if (sets.empty()) return fail("no test_data_set_N directory");

    // Read all data first: a refused file (e.g. a Sequence proto) is an error
    // of the test data, reported before kiln is involved.
    std::vector<std::vector<TensorData>> ins(sets.size()), outs(sets.size());
    std::string error;
    for (size_t s = 0; s < sets.size(); ++s) {
        if (!readSet(sets[s], "input_", ins[s], error) || !readSet(sets[s], "output_", outs[s], error)) {
            // Paths relative to the test directory keep the table readable.
            for (size_t at; (at = error.find(dir + "/")) != std::string::npos;) error.erase(at, dir.size() + 1);
            return fail("test data: " + error);
        }
    }

    std::ifstream in(dir + "/model.onnx", std::ios::binary);
    const std::vector<char> model((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Logger logger(opts.verbose);
    auto builder = createInferBuilder(logger);
    if (!builder) return fail("createInferBuilder failed");
    auto network = builder->createNetworkV2(0);
    auto parser = onnx::createParser(*network, logger);
    if (!parser) return fail("createParser failed");
    const std::string modelPath = dir + "/model.onnx";
    if (!parser->parse(model.data(), model.size(), modelPath.c_str())) return fail(firstParserError(*parser));
    logger.first.clear();  // a build failure must report the builder's error, not a parse-time one

    auto config = builder->createBuilderConfig();
    config->setBackend(opts.cuda ? BackendKind::kCUDA : BackendKind::kCPU);
    config->setBuilderOptimizationLevel(0);  // no tactic timing: ~1,900 builds must stay fast
    // Dynamic inputs get one profile fitted to the test's input shapes.
    IOptimizationProfile* profile = nullptr;
    std::map<std::string, size_t> onnxIndex;
    for (size_t k = 0; k < info.inputs.size(); ++k) onnxIndex[info.inputs[k]] = k;
    for (int32_t i = 0; i < network->getNbInputs(); ++i) {
        ITensor* t = network->getInput(i);
        const Dims d = t->getDimensions();
        if (std::none_of(d.d, d.d + std::max(0, d.nbDims), [](int64_t x) { return x < 0; })) continue;
        auto it = onnxIndex.find(t->getName());
        const size_t k = it != onnxIndex.end() ? it->second : static_cast<size_t>(i);
        // min/max span every data set's shape (opt = the first), so each set
        // runs with the one engine.
        Dims opt, lo, hi;
        for (size_t s = 0; s < ins.size(); ++s) {
            Dims ds;
            if (k >= ins[s].size() || !toDims(ins[s][k].shape, ds))
                return fail(std::string("no usable test input for dynamic network input ") + t->getName());
            if (s == 0) opt = lo = hi = ds;
            for (int32_t j = 0; j < ds.nbDims && ds.nbDims == opt.nbDims; ++j)
                lo.d[j] = std::min(lo.d[j], ds.d[j]), hi.d[j] = std::max(hi.d[j], ds.d[j]);
        }
        if (opts.dynamicRange)  // only the dims the model leaves dynamic get a range
            for (int32_t j = 0; j < d.nbDims && j < lo.nbDims; ++j)
                if (d.d[j] < 0) lo.d[j] = std::min<int64_t>(lo.d[j], 1), hi.d[j] = std::max<int64_t>(2 * hi.d[j], 1);
        if (!profile) profile = builder->createOptimizationProfile();
        profile->setDimensions(t->getName(), OptProfileSelector::kMIN, lo);
        profile->setDimensions(t->getName(), OptProfileSelector::kOPT, opt);
        profile->setDimensions(t->getName(), OptProfileSelector::kMAX, hi);
    }
    if (profile && config->addOptimizationProfile(profile) < 0) return fail("optimization profile rejected");
    if (opts.supportOnly) {
        if (builder->isNetworkSupported(*network, *config)) return {Status::kPass, ""};
        return fail("support: " + (logger.first.empty() ? std::string("not supported") : logger.first));
    }
    auto engine = builder->buildEngineWithConfig(*network, *config);
    if (!engine) return fail("build: " + (logger.first.empty() ? std::string("failed") : logger.first));
    auto context = engine->createExecutionContext();
    if (!context) return fail("createExecutionContext failed: " + logger.first);

    const auto engIn = ioNames(*engine, TensorIOMode::kINPUT), engOut = ioNames(*engine, TensorIOMode::kOUTPUT);
    for (size_t s = 0; s < sets.size(); ++s) {
        const std::string where = sets.size() > 1 ? sets[s].filename().string() + ": " : "";
        if (ins[s].size() != engIn.size())
            return fail(where + std::to_string(ins[s].size()) + " test inputs, engine has " +
                        std::to_string(engIn.size()));
        if (outs[s].size() != engOut.size())
            return fail(where + std::to_string(outs[s].size()) + " reference outputs, engine has " +
                        std::to_string(engOut.size()));
        std::vector<TensorData> inBufs(ins[s].size());
        for (size_t k = 0; k < ins[s].size(); ++k) {
            const std::string name = pick(info.inputs, engIn, k);
            ElemType want;
            if (!toElem(engine->getTensorDataType(name.c_str()), want) || !compatible(want, ins[s][k].type))
                return fail(where + "input " + name + ": engine type " +
                            dataTypeName(engine->getTensorDataType(name.c_str())) + ", test data " +
                            tool::elemTypeName(ins[s][k].type));
            if (want == ins[s][k].type) inBufs[k] = ins[s][k];
            else if (!convertTensor(ins[s][k], want, inBufs[k], error)) return fail(where + error);
            Dims d;
            if (!toDims(inBufs[k].shape, d)) return fail(where + "input " + name + " has more than 8 dims");
            if (!context->setInputShape(name.c_str(), d)) return fail(where + "setInputShape(" + name + ") refused");
            // An empty tensor still needs a non-null address.
            if (inBufs[k].bytes.empty()) inBufs[k].bytes.resize(8);
            context->setTensorAddress(name.c_str(), inBufs[k].bytes.data());
        }
        std::vector<TensorData> got(outs[s].size());
        std::vector<std::unique_ptr<IOutputAllocator>> allocators(got.size());
#ifdef KILN_HAVE_CUDA
        std::vector<DeviceOutputBuffer*> deviceAllocators(got.size(), nullptr);
#endif
        for (size_t k = 0; k < outs[s].size(); ++k) {
            const std::string name = pick(info.outputs, engOut, k);
            if (!toElem(engine->getTensorDataType(name.c_str()), got[k].type) ||
                !compatible(got[k].type, outs[s][k].type))
                return fail(where + "output " + name + ": engine type " +
                            dataTypeName(engine->getTensorDataType(name.c_str())) + ", expected " +
                            tool::elemTypeName(outs[s][k].type));
            const Dims d = context->getTensorShape(name.c_str());
            size_t n = 0;
            got[k].shape.assign(d.d, d.d + std::max(0, std::min(d.nbDims, Dims::MAX_DIMS)));
            if (!tool::elementCount(got[k].shape, n)) {
                // A data-dependent shape: the engine asks for the buffer during the run.
                allocators[k] = std::make_unique<OutputBuffer>(got[k]);
#ifdef KILN_HAVE_CUDA
                if (opts.cuda) {
                    auto d = std::make_unique<DeviceOutputBuffer>(got[k]);
                    deviceAllocators[k] = d.get();
                    allocators[k] = std::move(d);
                }
#endif
                if (!context->setOutputAllocator(name.c_str(), allocators[k].get()))
                    return fail(where + "setOutputAllocator(" + name + ") refused");
                continue;
            }
            got[k].bytes.assign(std::max<size_t>(n * tool::elemSize(got[k].type), 8), 0);
            context->setTensorAddress(name.c_str(), got[k].bytes.data());
        }
#ifdef KILN_HAVE_CUDA
        // CUDA: the same bindings on device copies (inputs copied in, outputs copied back).
        std::vector<void*> device, outDevice(got.size(), nullptr);
        struct FreeAll {
            std::vector<void*>& p;
            ~FreeAll() {
                for (void* q : p) cudaFree(q);
            }
        } freeAll{device};
        if (opts.cuda) {
            auto toDevice = [&](const std::string& name, TensorData& t, bool copy, void** where) -> bool {
                void* d = nullptr;
                if (cudaMalloc(&d, std::max<size_t>(t.bytes.size(), 8)) != cudaSuccess) return false;
                device.push_back(d);
                if (where) *where = d;
                if (copy && cudaMemcpy(d, t.bytes.data(), t.bytes.size(), cudaMemcpyHostToDevice) != cudaSuccess) return false;
                return context->setTensorAddress(name.c_str(), d);
            };
            for (size_t k = 0; k < inBufs.size(); ++k)
                if (!toDevice(pick(info.inputs, engIn, k), inBufs[k], true, nullptr))
                    return fail(where + "device input copy failed");
            for (size_t k = 0; k < got.size(); ++k)
                if (!allocators[k] && !toDevice(pick(info.outputs, engOut, k), got[k], false, &outDevice[k]))
                    return fail(where + "device output allocation failed");
        }
#endif
        if (!context->enqueueV3(nullptr))
            return fail(where + "enqueueV3: " + (logger.first.empty() ? std::string("failed") : logger.first));
#ifdef KILN_HAVE_CUDA
        if (opts.cuda) {
            if (cudaDeviceSynchronize() != cudaSuccess) return fail(where + "device error: " + cudaGetErrorString(cudaGetLastError()));
            for (size_t k = 0; k < got.size(); ++k) {
                if (deviceAllocators[k] ? !deviceAllocators[k]->download()
                                        : cudaMemcpy(got[k].bytes.data(), outDevice[k], got[k].bytes.size(),
                                                     cudaMemcpyDeviceToHost) != cudaSuccess)
                    return fail(where + "device output copy failed");
            }
        }
#endif
        for (size_t k = 0; k < got.size(); ++k) {
            size_t n = 0;
            tool::elementCount(got[k].shape, n);
            got[k].bytes.resize(n * tool::elemSize(got[k].type));
            const std::string msg = compareOutput(pick(info.outputs, engOut, k), got[k], outs[s][k]);
            if (!msg.empty()) return fail(where + msg);
        }
    }
    // A pass records whether its engine served a range of shapes (the runner counts them).
    return {Status::kPass, profile && opts.dynamicRange ? kDynamicPass : ""};
}

}  // namespace kiln::conformance
