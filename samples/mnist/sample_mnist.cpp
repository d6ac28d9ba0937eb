// sample_mnist: TensorRT's classic first sample, ported to kiln, on
// Fashion-MNIST with weights trained by train_lenet5.py.
//
//   sample_mnist [--data DIR]              classify the bundled images, check
//                                          them against PyTorch's probabilities
//   sample_mnist [--data DIR] --accuracy [DATASET_DIR]
//                                          top-1 accuracy on the 10,000 test images
//
// It goes the classic way: createInferBuilder -> createNetwork (implicit
// batch) -> buildCudaEngine -> serialize -> createInferRuntime ->
// deserializeCudaEngine -> createExecutionContext -> enqueue.
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "kiln/kiln.h"
#include "lenet5.h"

#ifndef KILN_SAMPLE_DATA_DIR
#define KILN_SAMPLE_DATA_DIR "samples/mnist/data"
#endif

namespace {

constexpr int kSide = 28;
constexpr int kPixels = kSide * kSide;
constexpr int kClasses = 10;
constexpr int kMaxBatch = 100;
// Same normalization as train_lenet5.py: [0, 1], then the training set's
// pixel mean and standard deviation.
constexpr float kMean = 0.2860f;
constexpr float kStd = 0.3530f;
// Largest allowed |kiln - PyTorch| per probability.
constexpr double kTolerance = 1e-4;
constexpr double kRequiredAccuracy = 0.88;
const char* const kDefaultDatasetDir = "/usr/share/datasets/fashion-mnist";

class Logger : public kiln::ILogger {
public:
    void log(Severity severity, const char* msg) noexcept override {
        if (severity > Severity::kWARNING) return;
        std::cerr << (severity == Severity::kWARNING ? "[W] " : "[E] ") << msg << "\n";
    }
};

// The engine plus what must outlive it; members die in reverse order, so the
// context goes before the engine and the engine before the runtime.
struct LeNetEngine {
    std::unique_ptr<kiln::IRuntime> runtime;
    std::unique_ptr<kiln::ICudaEngine> engine;
    std::unique_ptr<kiln::IExecutionContext> context;
    int input = -1, output = -1;

    // Runs `batch` images: input holds batch*784 floats, output gets batch*10.
    bool infer(int batch, std::vector<float>& in, std::vector<float>& out) {
        out.assign(size_t(batch) * kClasses, 0.f);
        void* buffers[2];
        buffers[input] = in.data();
        buffers[output] = out.data();
        return context->enqueue(batch, buffers, nullptr, nullptr);
    }
};

bool buildEngine(const std::string& weightsPath, Logger& logger, LeNetEngine& net, std::string& error) {
    kiln::samples::WeightMap weights;
    if (!kiln::samples::loadWeights(weightsPath, weights, error)) return false;

    auto builder = kiln::createInferBuilder(logger);
    auto network = builder ? builder->createNetwork() : nullptr;
    if (!network) {
        error = "could not create the builder or network";
        return false;
    }
    if (!kiln::samples::defineLeNet5(*network, weights, error)) {
        error = weightsPath + ": " + error;
        return false;
    }
    builder->setMaxBatchSize(kMaxBatch);
    builder->setMaxWorkspaceSize(16 << 20);
    auto built = builder->buildCudaEngine(*network);
    if (!built) {
        error = "buildCudaEngine failed (see the log)";
        return false;
    }
    // Round trip through the serialized form, as a deployment would.
    auto blob = built->serialize();
    net.runtime = kiln::createInferRuntime(logger);
    if (!blob || !net.runtime) {
        error = "serialize or createInferRuntime failed";
        return false;
    }
    net.engine = net.runtime->deserializeCudaEngine(blob->data(), blob->size(), nullptr);
    if (!net.engine) {
        error = "deserializeCudaEngine failed (see the log)";
        return false;
    }
    if (net.engine->getBackend() != kiln::BackendKind::kCPU) {
        // The buffers below are host memory; a CUDA engine needs device memory.
        error = "the engine targets the CUDA backend; this sample passes host buffers";
        return false;
    }
    net.input = net.engine->getBindingIndex(kiln::samples::kLeNetInput);
    net.output = net.engine->getBindingIndex(kiln::samples::kLeNetOutput);
    if (net.input < 0 || net.output < 0 || net.engine->getNbBindings() != 2) {
        error = "the engine lacks the bindings 'data' and 'prob'";
        return false;
    }
    net.context = net.engine->createExecutionContext();
    if (!net.context) {
        error = "createExecutionContext failed";
        return false;
    }
    return true;
}

// ---------------------------------------------------------------- inputs

void appendNormalized(const std::vector<uint8_t>& pixels, std::vector<float>& out) {
    for (uint8_t p : pixels) out.push_back((float(p) / 255.f - kMean) / kStd);
}

// Reads a binary PGM (P5) of 28x28 pixels with 8-bit values.
bool readPgm(const std::string& path, std::vector<uint8_t>& pixels, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = path + ": cannot open";
        return false;
    }
    // The header: magic, width, height, maxval, each separated by whitespace
    // and '#' comments, then exactly one whitespace byte before the pixels.
    auto token = [&](std::string& t) {
        t.clear();
        int c;
        while ((c = in.get()) != EOF) {
            if (c == '#') {
                while ((c = in.get()) != EOF && c != '\n') {}
            } else if (!std::isspace(c)) {
                break;
            }
        }
        while (c != EOF && !std::isspace(c) && t.size() < 16) {
            t.push_back(char(c));
            c = in.get();
        }
        return !t.empty() && c != EOF;
    };
    std::string magic, w, h, maxval;
    if (!token(magic) || magic != "P5") {
        error = path + ": not a binary PGM (P5) file";
        return false;
    }
    if (!token(w) || !token(h) || !token(maxval)) {
        error = path + ": truncated PGM header";
        return false;
    }
    if (w != "28" || h != "28" || maxval != "255") {
        error = path + ": expected a 28x28 image with maxval 255, got " + w + "x" + h + " maxval " + maxval;
        return false;
    }
    pixels.assign(kPixels, 0);
    if (!in.read(reinterpret_cast<char*>(pixels.data()), kPixels)) {
        error = path + ": has fewer than 784 pixel bytes";
        return false;
    }
    return true;
}

bool readLabels(const std::string& path, std::vector<std::string>& names, std::string& error) {
    std::ifstream in(path);
    if (!in) {
        error = path + ": cannot open";
        return false;
    }
    names.clear();
    for (std::string line; names.size() < kClasses && std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        names.push_back(line.substr(0, 40));
    }
    if (names.size() != kClasses) {
        error = path + ": needs 10 class names, one per line; found " + std::to_string(names.size());
        return false;
    }
    return true;
}

struct Reference {
    std::string file;
    int label = -1;
    std::vector<double> probs;
};

// reference.txt: "<file> <label> <test-index> <p0> ... <p9>" per line; '#'
// starts a comment line.
bool readReference(const std::string& path, std::vector<Reference>& refs, std::string& error) {
    std::ifstream in(path);
    if (!in) {
        error = path + ": cannot open";
        return false;
    }
    refs.clear();
    int lineNo = 0;
    for (std::string line; std::getline(in, line);) {
        ++lineNo;
        if (line.empty() || line[0] == '#' || line.find_first_not_of(" \t\r") == std::string::npos) continue;
        std::istringstream s(line);
        Reference r;
        long index = 0;
        r.probs.resize(kClasses);
        bool ok = bool(s >> r.file >> r.label >> index);
        for (double& p : r.probs) ok = ok && bool(s >> p) && std::isfinite(p) && p >= 0 && p <= 1;
        std::string extra;
        if (!ok || r.label < 0 || r.label >= kClasses || (s >> extra) || r.file.find('/') != std::string::npos) {
            error = path + ": line " + std::to_string(lineNo) +
                    ": expected '<file> <label 0-9> <test-index> <10 probabilities>'";
            return false;
        }
        refs.push_back(std::move(r));
        if (refs.size() > size_t(kMaxBatch)) {
            error = path + ": more than " + std::to_string(kMaxBatch) + " images";
            return false;
        }
    }
    if (refs.empty()) {
        error = path + ": lists no images";
        return false;
    }
    return true;
}

// ---------------------------------------------------------------- modes

void printImage(const std::vector<uint8_t>& pixels) {
    // Ten shades, dark to bright, as in TensorRT's sample.
    static const char kShades[] = " .:-=+*#%@";
    for (int i = 0; i < kPixels; ++i) {
        std::cout << kShades[pixels[size_t(i)] / 26];
        if ((i + 1) % kSide == 0) std::cout << "\n";
    }
}

void printScores(const float* probs, const std::vector<std::string>& names) {
    std::cout << "\n[I] Output:\n";
    for (int k = 0; k < kClasses; ++k) {
        const int stars = int(std::lround(std::clamp(probs[k], 0.f, 1.f) * 10));
        char line[96];
        std::snprintf(line, sizeof line, "%d %-12s: %-10s %.4f", k, names[size_t(k)].c_str(),
                      std::string(size_t(stars), '*').c_str(), double(probs[k]));
        std::cout << line << "\n";
    }
    std::cout << "\n";
}

// Classifies the bundled images; every prediction must equal the label and
// every probability match PyTorch's within kTolerance.
bool runBundled(const std::string& dataDir, LeNetEngine& net, std::string& error) {
    std::vector<std::string> names;
    std::vector<Reference> refs;
    if (!readLabels(dataDir + "/labels.txt", names, error) || !readReference(dataDir + "/reference.txt", refs, error))
        return false;
    std::vector<std::vector<uint8_t>> images(refs.size());
    std::vector<float> input;
    for (size_t i = 0; i < refs.size(); ++i) {
        if (!readPgm(dataDir + "/" + refs[i].file, images[i], error)) return false;
        appendNormalized(images[i], input);
    }
    std::vector<float> output;
    if (!net.infer(int(refs.size()), input, output)) {
        error = "enqueue failed (see the log)";
        return false;
    }

    bool ok = true;
    for (size_t i = 0; i < refs.size(); ++i) {
        const float* p = output.data() + i * kClasses;
        std::cout << "[I] Input: " << refs[i].file << "\n";
        printImage(images[i]);
        printScores(p, names);
        const int predicted = int(std::max_element(p, p + kClasses) - p);
        double maxDiff = 0;
        for (int k = 0; k < kClasses; ++k) {
            const double d = std::fabs(double(p[k]) - refs[i].probs[size_t(k)]);
            maxDiff = std::isnan(d) ? INFINITY : std::max(maxDiff, d);
        }
        const bool match = predicted == refs[i].label && maxDiff <= kTolerance;
        char line[160];
        std::snprintf(line, sizeof line, "[%s] %s: predicted %d (%s), label %d (%s), max |kiln - PyTorch| = %.2e",
                      match ? "I" : "E", refs[i].file.c_str(), predicted, names[size_t(predicted)].c_str(),
                      refs[i].label, names[size_t(refs[i].label)].c_str(), maxDiff);
        std::cout << line << "\n\n";
        ok = ok && match;
    }
    if (!ok) error = "some predictions or probabilities did not match (see above)";
    return ok;
}

// Reads a whole gzipped file (zlib also reads an uncompressed one as is).
bool readGz(const std::string& path, std::vector<uint8_t>& data, std::string& error) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) {
        error = path + ": cannot open";
        return false;
    }
    constexpr size_t kLimit = 64u << 20;  // the test images are 7.8 MB unpacked
    data.clear();
    std::vector<uint8_t> chunk(1 << 16);
    int n;
    while ((n = gzread(f, chunk.data(), unsigned(chunk.size()))) > 0) {
        data.insert(data.end(), chunk.begin(), chunk.begin() + n);
        if (data.size() > kLimit) break;
    }
    int zerr = Z_OK;
    const char* msg = gzerror(f, &zerr);
    std::string reason = (n < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) ? msg : "";
    if (reason.rfind(path + ": ", 0) == 0) reason.erase(0, path.size() + 2);  // zlib names the file too
    gzclose(f);
    if (!reason.empty()) {
        error = path + ": " + reason;
        return false;
    }
    if (data.size() > kLimit) {
        error = path + ": larger than " + std::to_string(kLimit >> 20) + " MiB unpacked";
        return false;
    }
    return true;
}

// Parses an idx file of unsigned bytes with `rank` dimensions; `dims` gets
// them and `payload` the offset of the data.
bool parseIdx(const std::string& path, const std::vector<uint8_t>& data, int rank, std::vector<uint32_t>& dims,
              size_t& payload, std::string& error) {
    const size_t header = 4 + 4 * size_t(rank);
    if (data.size() < header || data[0] != 0 || data[1] != 0 || data[2] != 0x08 || data[3] != rank) {
        error = path + ": not an idx file of unsigned bytes with " + std::to_string(rank) + " dimensions";
        return false;
    }
    dims.clear();
    uint64_t count = 1;
    for (int i = 0; i < rank; ++i) {
        const uint8_t* b = data.data() + 4 + 4 * i;
        dims.push_back(uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3]);
        count *= dims.back();
    }
    if (data.size() - header != count) {
        error = path + ": holds " + std::to_string(data.size() - header) + " data bytes, its dimensions need " +
                std::to_string(count);
        return false;
    }
    payload = header;
    return true;
}

bool runAccuracy(const std::string& datasetDir, LeNetEngine& net, std::string& error) {
    const std::string imagesPath = datasetDir + "/t10k-images-idx3-ubyte.gz";
    const std::string labelsPath = datasetDir + "/t10k-labels-idx1-ubyte.gz";
    std::vector<uint8_t> images, labels;
    std::vector<uint32_t> idims, ldims;
    size_t ioff = 0, loff = 0;
    if (!readGz(imagesPath, images, error) || !parseIdx(imagesPath, images, 3, idims, ioff, error) ||
        !readGz(labelsPath, labels, error) || !parseIdx(labelsPath, labels, 1, ldims, loff, error))
        return false;
    if (idims[1] != kSide || idims[2] != kSide || ldims[0] != idims[0] || idims[0] == 0) {
        error = datasetDir + ": expected N 28x28 images and N labels, got " + std::to_string(idims[0]) + " images of " +
                std::to_string(idims[1]) + "x" + std::to_string(idims[2]) + " and " + std::to_string(ldims[0]) +
                " labels";
        return false;
    }
    const size_t n = idims[0];
    std::cout << "[I] Evaluating " << n << " test images from " << datasetDir << " in batches of " << kMaxBatch
              << "\n";
    size_t correct = 0;
    std::vector<float> input, output;
    std::vector<uint8_t> pixels(kPixels);
    for (size_t start = 0; start < n; start += kMaxBatch) {
        const int batch = int(std::min<size_t>(kMaxBatch, n - start));
        input.clear();
        for (int b = 0; b < batch; ++b) {
            const uint8_t* src = images.data() + ioff + (start + size_t(b)) * kPixels;
            pixels.assign(src, src + kPixels);
            appendNormalized(pixels, input);
        }
        if (!net.infer(batch, input, output)) {
            error = "enqueue failed at image " + std::to_string(start) + " (see the log)";
            return false;
        }
        for (int b = 0; b < batch; ++b) {
            const float* p = output.data() + size_t(b) * kClasses;
            const int predicted = int(std::max_element(p, p + kClasses) - p);
            correct += predicted == labels[loff + start + size_t(b)];
        }
    }
    const double accuracy = double(correct) / double(n);
    char line[96];
    std::snprintf(line, sizeof line, "top-1 accuracy: %.2f%% (%zu/%zu)", 100 * accuracy, correct, n);
    std::cout << line << "\n";
    if (accuracy < kRequiredAccuracy) {
        error = "accuracy is under " + std::to_string(int(kRequiredAccuracy * 100)) + "%";
        return false;
    }
    return true;
}

void usage() {
    std::cout << "Usage: sample_mnist [--data DIR] [--accuracy [DATASET_DIR]]\n"
                 "  --data DIR        weights, images, labels.txt and reference.txt (default "
              << KILN_SAMPLE_DATA_DIR
              << ")\n"
                 "  --accuracy [DIR]  top-1 accuracy on Fashion-MNIST's test set: DIR holds\n"
                 "                    t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz\n"
                 "                    (default "
              << kDefaultDatasetDir << ")\n";
}

}  // namespace

int main(int argc, char** argv) {
    std::string command = "./sample_mnist";
    for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
    const std::string testName = "kiln.sample_mnist # " + command;
    auto finish = [&](bool passed, const std::string& error) {
        if (!passed && !error.empty()) std::cerr << "[E] " << error << "\n";
        std::cout << "&&&& " << (passed ? "PASSED " : "FAILED ") << testName << std::endl;
        return passed ? 0 : 1;
    };
    std::cout << "&&&& RUNNING " << testName << "\n";

    std::string dataDir = KILN_SAMPLE_DATA_DIR, datasetDir = kDefaultDatasetDir;
    bool accuracy = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            usage();
            return 0;
        } else if (a == "--data" && i + 1 < argc) {
            dataDir = argv[++i];
        } else if (a == "--accuracy") {
            accuracy = true;
            if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) datasetDir = argv[++i];
        } else {
            usage();
            return finish(false, "unknown or incomplete argument '" + a + "'");
        }
    }

    std::cout << "[I] Building and running an inference engine for Fashion-MNIST (LeNet-5)\n";
    Logger logger;
    LeNetEngine net;
    std::string error;
    if (!buildEngine(dataDir + "/lenet5_fashion.wts", logger, net, error)) return finish(false, error);
    const bool passed = accuracy ? runAccuracy(datasetDir, net, error) : runBundled(dataDir, net, error);
    return finish(passed, error);
}
