// Helpers of the API tests of data-dependent shapes and control flow: a
// logger that keeps the errors, Dims from a list, and an IOutputAllocator that
// collects one output.
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kiln/kiln.h"

namespace dyntest {

struct Logger : kiln::ILogger {
    std::vector<std::string> errors;
    void log(Severity s, const char* msg) noexcept override {
        if (s <= Severity::kERROR) errors.push_back(msg ? msg : "");
    }
    std::string joined() const {
        std::string r;
        for (const auto& e : errors) r += e + "\n";
        return r;
    }
};

inline kiln::Dims dims(std::initializer_list<int64_t> v) {
    kiln::Dims d;
    for (int64_t x : v) d.d[d.nbDims++] = x;
    return d;
}

// Collects one output: the requested bytes (8-byte aligned), then the shape.
class Collector final : public kiln::IOutputAllocator {
public:
    void* reallocateOutput(const char* name, void* current, uint64_t size, uint64_t alignment) noexcept override {
        lastName = name;
        lastCurrent = current;
        ++calls;
        EXPECT_GE(alignment, 1u);
        buffer.assign(size_t(size) / sizeof(double) + 8, 0.0);
        requested = size;
        return buffer.data();
    }
    void notifyShape(const char*, const kiln::Dims& d) noexcept override { shape.assign(d.d, d.d + d.nbDims); }
    template <class T>
    const T* as() const {
        return reinterpret_cast<const T*>(buffer.data());
    }

    std::vector<double> buffer;
    std::vector<int64_t> shape;
    uint64_t requested = 0;
    int calls = 0;
    std::string lastName;
    void* lastCurrent = nullptr;
};

}  // namespace dyntest
