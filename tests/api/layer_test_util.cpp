#include "layer_test_util.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace layertest {

using kiln::DataType;

void CapturingLogger::log(Severity s, const char* msg) noexcept {
    if (s <= Severity::kERROR) errors.push_back(msg ? msg : "");
}

std::string CapturingLogger::joined() const {
    std::string s;
    for (const auto& e : errors) s += e + "\n";
    return s;
}

namespace {

size_t elemSize(DataType t) {
    switch (t) {
        case DataType::kFLOAT: return 4;
        case DataType::kHALF: return 2;
        case DataType::kINT8: return 1;
        case DataType::kINT32: return 4;
        case DataType::kBOOL: return 1;
        case DataType::kUINT8: return 1;
        case DataType::kFP8: return 1;
        case DataType::kBF16: return 2;
        case DataType::kINT64: return 8;
    }
    return 0;
}

std::string shapeStr(const std::vector<int64_t>& s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
    return r + "]";
}

HostTensor make(DataType t, std::vector<int64_t> shape, const std::vector<double>& v) {
    HostTensor h;
    h.type = t;
    h.shape = std::move(shape);
    const int64_t n = volumeOf(h.shape);
    EXPECT_EQ(int64_t(v.size()), n) << "test data does not fill shape " << shapeStr(h.shape);
    h.bytes.assign(size_t(n) * elemSize(t), 0);
    for (int64_t i = 0; i < n && i < int64_t(v.size()); ++i) {
        uint8_t* p = h.bytes.data() + size_t(i) * elemSize(t);
        switch (t) {
            case DataType::kFLOAT: {
                const float f = float(v[size_t(i)]);
                std::memcpy(p, &f, 4);
                break;
            }
            case DataType::kINT32: {
                const int32_t x = int32_t(v[size_t(i)]);
                std::memcpy(p, &x, 4);
                break;
            }
            case DataType::kINT64: {
                const int64_t x = int64_t(v[size_t(i)]);
                std::memcpy(p, &x, 8);
                break;
            }
            case DataType::kBOOL: *p = v[size_t(i)] != 0 ? 1 : 0; break;
            case DataType::kINT8: *p = uint8_t(int8_t(v[size_t(i)])); break;
            case DataType::kUINT8: *p = uint8_t(v[size_t(i)]); break;
            default: ADD_FAILURE() << "layer_test_util: cannot fill type " << int(t);
        }
    }
    return h;
}

}  // namespace

int64_t volumeOf(const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

int64_t HostTensor::volume() const { return volumeOf(shape); }

float halfBitsToFloat(uint16_t h) {
    const int sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    double v;
    if (exp == 0) v = std::ldexp(double(mant), -24);
    else if (exp == 31) v = mant ? std::nan("") : INFINITY;
    else v = std::ldexp(double(mant + 1024), exp - 25);
    return float(sign ? -v : v);
}

double roundToHalf(double v) {
    if (v == 0 || !std::isfinite(v)) return v;
    int e;
    std::frexp(v, &e);             // v = m * 2^e, 0.5 <= |m| < 1
    const double ulp = std::ldexp(1.0, e - 11);  // 11 significant bits
    return std::nearbyint(v / ulp) * ulp;        // default rounding: ties to even
}

std::vector<double> HostTensor::values() const {
    const size_t es = elemSize(type);
    const size_t n = es ? bytes.size() / es : 0;
    std::vector<double> v(n);
    for (size_t i = 0; i < n; ++i) {
        const uint8_t* p = bytes.data() + i * es;
        switch (type) {
            case DataType::kFLOAT: {
                float f;
                std::memcpy(&f, p, 4);
                v[i] = f;
                break;
            }
            case DataType::kHALF: {
                uint16_t b;
                std::memcpy(&b, p, 2);
                v[i] = halfBitsToFloat(b);
                break;
            }
            case DataType::kBF16: {
                uint16_t b;
                std::memcpy(&b, p, 2);
                const uint32_t u = uint32_t(b) << 16;
                float f;
                std::memcpy(&f, &u, 4);
                v[i] = f;
                break;
            }
            case DataType::kINT32: {
                int32_t x;
                std::memcpy(&x, p, 4);
                v[i] = x;
                break;
            }
            case DataType::kINT64: {
                int64_t x;
                std::memcpy(&x, p, 8);
                v[i] = double(x);
                break;
            }
            case DataType::kINT8: v[i] = int8_t(*p); break;
            case DataType::kUINT8:
            case DataType::kBOOL: v[i] = *p; break;
            default: v[i] = std::nan("");
        }
    }
    return v;
}

HostTensor floatTensor(std::vector<int64_t> shape, const std::vector<float>& v) {
    return make(DataType::kFLOAT, std::move(shape), std::vector<double>(v.begin(), v.end()));
}
HostTensor floatTensor(std::vector<int64_t> shape, const std::vector<double>& v) {
    return make(DataType::kFLOAT, std::move(shape), v);
}
HostTensor int32Tensor(std::vector<int64_t> shape, const std::vector<int32_t>& v) {
    return make(DataType::kINT32, std::move(shape), std::vector<double>(v.begin(), v.end()));
}
HostTensor boolTensor(std::vector<int64_t> shape, const std::vector<int>& v) {
    return make(DataType::kBOOL, std::move(shape), std::vector<double>(v.begin(), v.end()));
}

std::vector<double> detValues(size_t n, uint32_t seed, double lo, double hi) {
    std::vector<double> v(n);
    for (size_t i = 0; i < n; ++i) {
        uint32_t x = seed * 0x9E3779B9u ^ (uint32_t(i) + 0x7F4A7C15u) * 0x85EBCA6Bu;
        x ^= x >> 16;
        x *= 0x7FEB352Du;
        x ^= x >> 15;
        x *= 0x846CA68Bu;
        x ^= x >> 16;
        // Quantized to 1/64 steps (exact in float32) so hand-checkable sums stay exact.
        const double u = double(x >> 8) / double(1u << 24);
        v[i] = lo + std::floor(u * (hi - lo) * 64.0) / 64.0;
    }
    return v;
}

::testing::AssertionResult allClose(const HostTensor& got, const std::vector<int64_t>& shape,
                                    const std::vector<double>& want, double atol, double rtol) {
    if (got.shape != shape)
        return ::testing::AssertionFailure() << "shape " << shapeStr(got.shape) << ", expected " << shapeStr(shape);
    const std::vector<double> v = got.values();
    if (v.size() != want.size())
        return ::testing::AssertionFailure() << v.size() << " values, expected " << want.size();
    int bad = 0;
    std::ostringstream msg;
    for (size_t i = 0; i < v.size(); ++i) {
        const bool bothNan = std::isnan(v[i]) && std::isnan(want[i]);
        const bool sameInf = std::isinf(v[i]) && v[i] == want[i];
        if (bothNan || sameInf) continue;
        if (!(std::fabs(v[i] - want[i]) <= atol + rtol * std::fabs(want[i]))) {
            if (bad < 8) msg << "\n  [" << i << "] got " << v[i] << ", expected " << want[i];
            ++bad;
        }
    }
    if (bad) return ::testing::AssertionFailure() << bad << " of " << v.size() << " values differ:" << msg.str();
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult dimsAre(const kiln::Dims& d, const std::vector<int64_t>& want) {
    std::vector<int64_t> got;
    if (d.nbDims < 0) return ::testing::AssertionFailure() << "invalid dims (nbDims " << d.nbDims << "), expected " << shapeStr(want);
    for (int i = 0; i < d.nbDims && i < kiln::Dims::MAX_DIMS; ++i) got.push_back(d.d[i]);
    if (got != want) return ::testing::AssertionFailure() << "dims " << shapeStr(got) << ", expected " << shapeStr(want);
    return ::testing::AssertionSuccess();
}

const char* modeName(Mode m) { return m == Mode::kExplicit ? "Explicit" : "Implicit"; }
std::string modeParamName(const ::testing::TestParamInfo<Mode>& info) { return modeName(info.param); }

std::string RunResult::errorText() const {
    std::string s = std::string("built=") + (built ? "yes" : "no") + " ran=" + (ran ? "yes" : "no") + "; errors:";
    for (const auto& e : errors) s += "\n  " + e;
    return s;
}

const HostTensor& RunResult::out(const std::string& name) const {
    static const HostTensor empty;
    auto it = outputs.find(name);
    if (it == outputs.end()) {
        ADD_FAILURE() << "no output named '" << name << "'; " << errorText();
        return empty;
    }
    return it->second;
}

NetHarness::NetHarness(Mode mode) : mode_(mode) {
    builder_ = kiln::createInferBuilder(log_);
    network_ = implicit() ? builder_->createNetwork() : builder_->createNetworkV2(0);
}

kiln::Dims NetHarness::dims(const std::vector<int64_t>& item, int64_t batchValue) const {
    kiln::Dims d;
    if (!implicit()) d.d[d.nbDims++] = batchValue;
    for (int64_t x : item) d.d[d.nbDims++] = x;
    return d;
}

kiln::ITensor* NetHarness::input(const char* name, const std::vector<int64_t>& item, DataType type) {
    kiln::ITensor* t = network_->addInput(name, type, dims(item, kBatch));
    EXPECT_NE(t, nullptr) << log_.joined();
    return t;
}

kiln::Weights NetHarness::weights(const std::vector<double>& v, DataType type) {
    const HostTensor h = make(type, {int64_t(v.size())}, v);
    storage_.push_back(h.bytes);
    return kiln::Weights{type, storage_.back().data(), int64_t(v.size())};
}

kiln::IConstantLayer* NetHarness::constant(const std::vector<int64_t>& d, const std::vector<double>& v, DataType type) {
    kiln::Dims dd;
    for (int64_t x : d) dd.d[dd.nbDims++] = x;
    kiln::IConstantLayer* c = network_->addConstant(dd, weights(v, type));
    EXPECT_NE(c, nullptr) << log_.joined();
    return c;
}

kiln::ITensor* NetHarness::batchConstant(const std::vector<int64_t>& item, const std::vector<double>& v, DataType type) {
    std::vector<int64_t> d = item;
    if (!implicit()) d.insert(d.begin(), 1);
    kiln::IConstantLayer* c = constant(d, v, type);
    return c ? c->getOutput(0) : nullptr;
}

void NetHarness::output(kiln::ITensor* t, const char* name) {
    ASSERT_NE(t, nullptr) << log_.joined();
    t->setName(name);
    network_->markOutput(*t);
}

RunResult NetHarness::run(const std::map<std::string, HostTensor>& inputs) {
    RunResult r;
    auto finish = [&]() -> RunResult& {
        r.errors = log_.errors;
        return r;
    };
    std::unique_ptr<kiln::ICudaEngine> engine;
    std::unique_ptr<kiln::IBuilderConfig> config;
    if (implicit()) {
        builder_->setMaxBatchSize(kMaxBatch);
        engine = builder_->buildCudaEngine(*network_);
    } else {
        config = builder_->createBuilderConfig();
        engine = builder_->buildEngineWithConfig(*network_, *config);
    }
    if (!engine) return finish();
    r.built = true;
    auto ctx = engine->createExecutionContext();
    if (!ctx) return finish();

    // Inputs are copied so the run cannot modify the caller's data; every
    // buffer has at least one byte so that empty tensors get an address.
    std::vector<std::vector<uint8_t>> buffers;
    std::vector<std::string> outNames;
    std::vector<HostTensor> outs;
    const int nb = engine->getNbIOTensors();
    buffers.reserve(size_t(nb));
    std::vector<void*> bindings(size_t(nb), nullptr);
    bool ok = true;
    for (int i = 0; i < nb && ok; ++i) {
        const char* name = engine->getIOTensorName(i);
        if (engine->getTensorIOMode(name) != kiln::TensorIOMode::kINPUT) continue;
        auto it = inputs.find(name);
        if (it == inputs.end()) {
            ADD_FAILURE() << "no data given for input '" << name << "'";
            ok = false;
            break;
        }
        const HostTensor& h = it->second;
        if (h.type != engine->getTensorDataType(name)) {
            ADD_FAILURE() << "input '" << name << "' data has type " << int(h.type) << ", the engine wants "
                          << int(engine->getTensorDataType(name));
            ok = false;
        }
        buffers.push_back(h.bytes);
        if (buffers.back().empty()) buffers.back().push_back(0);
        const int bi = implicit() ? engine->getBindingIndex(name) : i;
        bindings[size_t(bi)] = buffers.back().data();
        if (implicit()) {
            std::vector<int64_t> want{kBatch};
            const kiln::Dims d = engine->getBindingDimensions(bi);
            for (int k = 0; k < d.nbDims; ++k) want.push_back(d.d[k]);
            if (want != h.shape) {
                ADD_FAILURE() << "input '" << name << "' data has shape " << shapeStr(h.shape) << ", the engine wants "
                              << shapeStr(want);
                ok = false;
            }
        } else {
            kiln::Dims d;
            for (int64_t x : h.shape) d.d[d.nbDims++] = x;
            ok = ok && ctx->setInputShape(name, d) && ctx->setTensorAddress(name, buffers.back().data());
        }
    }
    if (!ok) return finish();
    for (int i = 0; i < nb; ++i) {
        const char* name = engine->getIOTensorName(i);
        if (engine->getTensorIOMode(name) != kiln::TensorIOMode::kOUTPUT) continue;
        HostTensor h;
        h.type = engine->getTensorDataType(name);
        const int bi = implicit() ? engine->getBindingIndex(name) : i;
        if (implicit()) {
            h.shape.push_back(kBatch);
            const kiln::Dims d = engine->getBindingDimensions(bi);
            for (int k = 0; k < d.nbDims; ++k) h.shape.push_back(d.d[k]);
        } else {
            const kiln::Dims d = ctx->getTensorShape(name);
            if (d.nbDims < 0) return finish();
            for (int k = 0; k < d.nbDims; ++k) h.shape.push_back(d.d[k]);
        }
        const size_t n = size_t(h.volume()) * elemSize(h.type);
        buffers.emplace_back(std::max<size_t>(n, 1), uint8_t(0xA5));  // a sentinel the layer must overwrite
        bindings[size_t(bi)] = buffers.back().data();
        if (!implicit() && !ctx->setTensorAddress(name, buffers.back().data())) return finish();
        outNames.push_back(name);
        outs.push_back(std::move(h));
    }
    const size_t firstOut = buffers.size() - outs.size();
    r.ran = implicit() ? ctx->enqueue(kBatch, bindings.data(), nullptr, nullptr) : ctx->enqueueV3(nullptr);
    if (r.ran) {
        for (size_t k = 0; k < outs.size(); ++k) {
            const auto& b = buffers[firstOut + k];
            outs[k].bytes.assign(b.begin(), b.begin() + std::ptrdiff_t(size_t(outs[k].volume()) * elemSize(outs[k].type)));
            r.outputs[outNames[k]] = std::move(outs[k]);
        }
    }
    return finish();
}

}  // namespace layertest
