// LeNet-5 through kiln's network API; see lenet5.h.
#include "lenet5.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <system_error>

namespace kiln::samples {

namespace {

// Far more than any LeNet tensor; a bigger count is a corrupt header, and
// refusing it keeps a bad file from asking for gigabytes.
constexpr long long kMaxEntries = 1 << 16;
constexpr long long kMaxValues = 1LL << 28;

// Parses one value: up to 8 hex digits holding the IEEE bits of a float32.
bool parseHexFloat(const std::string& token, float& value) {
    if (token.empty() || token.size() > 8) return false;
    uint32_t bits = 0;
    const char* end = token.data() + token.size();
    const auto [ptr, ec] = std::from_chars(token.data(), end, bits, 16);
    if (ec != std::errc() || ptr != end) return false;
    std::memcpy(&value, &bits, sizeof value);
    return true;
}

// A token for an error message: at most 16 characters, non-printable bytes
// shown as '?', so that a corrupt file cannot garble the terminal.
std::string printable(const std::string& token) {
    std::string s = token.substr(0, 16);
    for (char& c : s)
        if (c < 0x20 || c > 0x7e) c = '?';
    return token.size() > 16 ? s + "..." : s;
}

}  // namespace

bool loadWeights(const std::string& path, WeightMap& out, std::string& error) {
    out.clear();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        error = path + ": not a readable file";
        return false;
    }
    std::ifstream in(path);
    if (!in) {
        error = path + ": cannot open";
        return false;
    }
    long long count = -1;
    if (!(in >> count) || count < 0 || count > kMaxEntries) {
        error = path + ": the first line must hold the number of entries (0.." + std::to_string(kMaxEntries) + ")";
        return false;
    }
    for (long long e = 0; e < count; ++e) {
        const std::string where = path + ": entry " + std::to_string(e + 1) + " of " + std::to_string(count);
        std::string name;
        long long type = -1, size = -1;
        if (!(in >> name)) {
            error = where + ": missing (file ends early)";
            return false;
        }
        if (!(in >> type >> size)) {
            error = where + " ('" + printable(name) + "'): expected '<name> <type> <count>'";
            return false;
        }
        if (type != 0) {
            error = where + " ('" + printable(name) + "'): type " + std::to_string(type) + " is not supported (only 0 = float32)";
            return false;
        }
        if (size < 0 || size > kMaxValues) {
            error = where + " ('" + printable(name) + "'): bad value count " + std::to_string(size);
            return false;
        }
        if (out.count(name)) {
            error = where + ": duplicate name '" + printable(name) + "'";
            return false;
        }
        std::vector<float> values;
        values.reserve(size_t(std::min<long long>(size, 1 << 20)));  // grows only as values really arrive
        std::string token;
        for (long long i = 0; i < size; ++i) {
            float v = 0;
            if (!(in >> token)) {
                error = where + " ('" + printable(name) + "'): has " + std::to_string(i) + " of " + std::to_string(size) +
                        " values (file ends early)";
                return false;
            }
            if (!parseHexFloat(token, v)) {
                error = where + " ('" + printable(name) + "'): value " + std::to_string(i + 1) + " '" + printable(token) +
                        "' is not the hex of a float32";
                return false;
            }
            values.push_back(v);
        }
        out.emplace(std::move(name), std::move(values));
    }
    std::string extra;
    if (in >> extra) {
        error = path + ": unexpected '" + printable(extra) + "' after the " + std::to_string(count) +
                " entries the header announces";
        return false;
    }
    return true;
}

namespace {

// Looks up a weight and checks its size, so that a wrong file fails with the
// name of the tensor rather than a shape error deep inside the builder.
class WeightSource {
public:
    WeightSource(const WeightMap& weights, std::string& error) : weights_(weights), error_(error) {}

    bool get(const std::string& name, size_t expected, Weights& w) {
        const auto it = weights_.find(name);
        if (it == weights_.end()) {
            error_ = "weight '" + name + "' is missing";
            return false;
        }
        if (it->second.size() != expected) {
            error_ = "weight '" + name + "' has " + std::to_string(it->second.size()) + " values, expected " +
                     std::to_string(expected);
            return false;
        }
        w = Weights{DataType::kFLOAT, it->second.data(), int64_t(it->second.size())};
        return true;
    }

private:
    const WeightMap& weights_;
    std::string& error_;
};

// Names the layer, or records which one the network refused (the network has
// already logged why).
template <typename L>
bool named(L* layer, const char* name, std::string& error) {
    if (!layer) {
        error = std::string("the network refused layer '") + name + "' (see the log)";
        return false;
    }
    layer->setName(name);
    return true;
}

// conv -> batch norm (one IScaleLayer, kCHANNEL: y = x * scale + shift) ->
// ReLU -> 2x2 max pool, stride 2.
ITensor* convBlock(INetworkDefinition& net, ITensor& input, WeightSource& src, int inChannels, int outChannels,
                   int padding, const std::string& conv, const std::string& bn, const std::string& suffix,
                   std::string& error) {
    Weights kernel, bias, scale, shift;
    if (!src.get(conv + ".weight", size_t(outChannels) * inChannels * 5 * 5, kernel) ||
        !src.get(conv + ".bias", size_t(outChannels), bias) || !src.get(bn + ".scale", size_t(outChannels), scale) ||
        !src.get(bn + ".shift", size_t(outChannels), shift))
        return nullptr;

    auto* c = net.addConvolution(input, outChannels, DimsHW{5, 5}, kernel, bias);
    if (!named(c, conv.c_str(), error)) return nullptr;
    c->setStride(DimsHW{1, 1});
    c->setPadding(DimsHW{padding, padding});

    const Weights none{DataType::kFLOAT, nullptr, 0};  // power: empty means 1
    auto* s = net.addScale(*c->getOutput(0), ScaleMode::kCHANNEL, shift, scale, none);
    if (!named(s, bn.c_str(), error)) return nullptr;

    auto* r = net.addActivation(*s->getOutput(0), ActivationType::kRELU);
    if (!named(r, ("relu" + suffix).c_str(), error)) return nullptr;

    auto* p = net.addPooling(*r->getOutput(0), PoolingType::kMAX, DimsHW{2, 2});
    if (!named(p, ("pool" + suffix).c_str(), error)) return nullptr;
    p->setStride(DimsHW{2, 2});
    return p->getOutput(0);
}

// Fully connected layer, optionally followed by ReLU.
ITensor* fcBlock(INetworkDefinition& net, ITensor& input, WeightSource& src, int inputs, int outputs,
                 const std::string& fc, bool relu, std::string& error) {
    Weights kernel, bias;
    if (!src.get(fc + ".weight", size_t(outputs) * inputs, kernel) || !src.get(fc + ".bias", size_t(outputs), bias))
        return nullptr;
    // kiln's FC flattens (C, H, W) in CHW order, as torch.flatten does on
    // NCHW, so a torch Linear weight [out, in] is used as it is.
    auto* f = net.addFullyConnected(input, outputs, kernel, bias);
    if (!named(f, fc.c_str(), error)) return nullptr;
    if (!relu) return f->getOutput(0);
    auto* r = net.addActivation(*f->getOutput(0), ActivationType::kRELU);
    if (!named(r, (fc + "_relu").c_str(), error)) return nullptr;
    return r->getOutput(0);
}

}  // namespace

bool defineLeNet5(INetworkDefinition& network, const WeightMap& weights, std::string& error) {
    WeightSource src(weights, error);
    const Dims inputDims =
        network.hasImplicitBatchDimension() ? Dims(Dims3{1, 28, 28}) : Dims(Dims4{-1, 1, 28, 28});
    ITensor* x = network.addInput(kLeNetInput, DataType::kFLOAT, inputDims);
    if (!x) {
        error = "the network refused input 'data' (see the log)";
        return false;
    }
    // 1x28x28 -> 6x28x28 (pad 2) -> 6x14x14 -> 16x10x10 -> 16x5x5 -> 120 -> 84 -> 10.
    if (!(x = convBlock(network, *x, src, 1, 6, 2, "conv1", "bn1", "1", error))) return false;
    if (!(x = convBlock(network, *x, src, 6, 16, 0, "conv2", "bn2", "2", error))) return false;
    if (!(x = fcBlock(network, *x, src, 16 * 5 * 5, 120, "fc1", true, error))) return false;
    if (!(x = fcBlock(network, *x, src, 120, 84, "fc2", true, error))) return false;
    if (!(x = fcBlock(network, *x, src, 84, 10, "fc3", false, error))) return false;
    // FC output is [10, 1, 1] per image: the default softmax axis is the channel.
    auto* prob = network.addSoftMax(*x);
    if (!named(prob, "prob", error)) return false;
    prob->getOutput(0)->setName(kLeNetOutput);
    network.markOutput(*prob->getOutput(0));
    return true;
}

}  // namespace kiln::samples
