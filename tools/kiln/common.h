// Shared pieces of the `kiln` command line: exit codes, the console logger,
// file and engine loading, and conversions between kiln and tensor-file types.
// Only kiln's public API is used here (the tool is a kiln user like any other).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kiln/kiln.h"
#include "tensor_file.h"

namespace CLI {
class App;
}

namespace kiln::cli {

// Exit codes shared by every subcommand.
constexpr int kExitOk = 0;
constexpr int kExitMismatch = 1;  // `run`: an --expect did not match
constexpr int kExitError = 2;     // usage, I/O, build or runtime error

// Prints kiln's messages to stderr; thread-safe (bench logs from many threads).
class ConsoleLogger final : public ILogger {
public:
    explicit ConsoleLogger(Severity threshold = Severity::kWARNING) : threshold_(threshold) {}
    void log(Severity severity, const char* msg) noexcept override;
    void setThreshold(Severity s) { threshold_ = s; }
    // The last error-or-worse message, to explain a failed call afterwards.
    std::string lastError() const;

private:
    Severity threshold_;
    mutable std::mutex mu_;
    std::string lastError_;
};

// Reports "error: <msg>" on stderr and returns kExitError, for `return fail(...)`.
int fail(const std::string& msg);

// Reads a whole file; false with `error` naming the path on failure.
bool readFileBytes(const std::string& path, std::vector<uint8_t>& out, std::string& error);
bool writeFileBytes(const std::string& path, const void* data, size_t size, std::string& error);

// Reads and deserializes an engine file. The runtime must outlive the engine,
// so both are kept together; an engine built in memory (--onnx) keeps what it
// was built from instead (see engine_source.h).
struct LoadedEngine {
    std::unique_ptr<IRuntime> runtime;
    std::shared_ptr<void> builtFrom;
    std::unique_ptr<IEngine> engine;
};
bool loadEngine(const std::string& path, ILogger& logger, LoadedEngine& out, std::string& error);

// "NAME=FILE" -> {NAME, FILE}; false if either side is empty.
bool splitNameFile(const std::string& arg, std::string& name, std::string& file);

// "[1,28,28]"; "[]" for a scalar.
std::string shapeString(const std::vector<int64_t>& shape);
std::string dimsString(const Dims& d);
std::vector<int64_t> dimsToShape(const Dims& d);
Dims shapeToDims(const std::vector<int64_t>& shape);

// The tensor-file element type of a kiln type; empty for kFP8 (no file format has it).
std::optional<tool::ElemType> elemTypeOf(DataType t);

// A file extension the tensor writers know (".npy" or ".pb").
bool isTensorFileExtension(const std::string& path);
bool writeTensorFile(const std::string& path, const tool::TensorData& t, std::string& error);

// One subcommand: its CLI11 app and the action to run once it was chosen.
// Options are parsed into state the action captures.
struct Command {
    CLI::App* app = nullptr;
    std::function<int()> run;
};
Command addBuildCommand(CLI::App& parent);
Command addRunCommand(CLI::App& parent);
Command addBenchCommand(CLI::App& parent);
Command addInspectCommand(CLI::App& parent);

}  // namespace kiln::cli
