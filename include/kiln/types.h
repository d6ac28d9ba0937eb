// kiln public API: basic types shared by every interface.
//
// kiln mirrors TensorRT's API: a program written against nvinfer1 ports by the
// renames in docs/porting.md (namespace nvinfer1 -> kiln, factory results held
// in std::unique_ptr instead of destroy()).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

// CUDA's stream and event handles, declared exactly as the CUDA runtime does
// so that users pass theirs unchanged and this header needs no CUDA headers.
struct CUstream_st;
struct CUevent_st;
typedef struct CUstream_st* cudaStream_t;
typedef struct CUevent_st* cudaEvent_t;

namespace kiln {

//! Element types. The numeric values match TensorRT's nvinfer1::DataType.
enum class DataType : int32_t {
    kFLOAT = 0,  //!< 32-bit IEEE float
    kHALF = 1,   //!< 16-bit IEEE float
    kINT8 = 2,   //!< signed 8-bit integer (quantized when it carries a dynamic range)
    kINT32 = 3,  //!< signed 32-bit integer
    kBOOL = 4,   //!< 8-bit boolean, 0 or 1
    kUINT8 = 5,  //!< unsigned 8-bit integer
    kFP8 = 6,    //!< 8-bit float, E4M3
    kBF16 = 7,   //!< bfloat16
    kINT64 = 8,  //!< signed 64-bit integer
};

//! Size in bytes of one element of `t` (0 for an invalid value).
size_t dataTypeSize(DataType t) noexcept;
//! Lower-case name of `t` ("float32", "float16", ...).
const char* dataTypeName(DataType t) noexcept;

//! Dimensions of a tensor: up to MAX_DIMS extents; -1 marks a dynamic extent.
class Dims {
public:
    static constexpr int32_t MAX_DIMS = 8;
    int32_t nbDims = 0;
    int64_t d[MAX_DIMS] = {};
};

//! Two spatial dimensions (height, width).
class DimsHW : public Dims {
public:
    DimsHW() { nbDims = 2; }
    DimsHW(int64_t h, int64_t w) {
        nbDims = 2;
        d[0] = h;
        d[1] = w;
    }
    int64_t& h() { return d[0]; }
    int64_t& w() { return d[1]; }
};

class Dims2 : public Dims {
public:
    Dims2() { nbDims = 2; }
    Dims2(int64_t d0, int64_t d1) {
        nbDims = 2;
        d[0] = d0;
        d[1] = d1;
    }
};

class Dims3 : public Dims {
public:
    Dims3() { nbDims = 3; }
    Dims3(int64_t d0, int64_t d1, int64_t d2) {
        nbDims = 3;
        d[0] = d0;
        d[1] = d1;
        d[2] = d2;
    }
};

class Dims4 : public Dims {
public:
    Dims4() { nbDims = 4; }
    Dims4(int64_t d0, int64_t d1, int64_t d2, int64_t d3) {
        nbDims = 4;
        d[0] = d0;
        d[1] = d1;
        d[2] = d2;
        d[3] = d3;
    }
};

using DimsCHW = Dims3;
using DimsNCHW = Dims4;

//! A view of weights in host memory. kiln copies the values when a layer is
//! added, so the memory may be freed right after the call.
struct Weights {
    DataType type = DataType::kFLOAT;
    const void* values = nullptr;
    int64_t count = 0;
};

//! A block of host memory owned by kiln (a serialized engine).
class IHostMemory {
public:
    virtual ~IHostMemory() = default;
    virtual void* data() const noexcept = 0;
    virtual size_t size() const noexcept = 0;
    virtual DataType type() const noexcept = 0;
};

//! Receives every message kiln emits. Must be thread-safe if kiln objects are
//! used from several threads.
class ILogger {
public:
    enum class Severity : int32_t {
        kINTERNAL_ERROR = 0,
        kERROR = 1,
        kWARNING = 2,
        kINFO = 3,
        kVERBOSE = 4,
    };
    virtual void log(Severity severity, const char* msg) noexcept = 0;
    virtual ~ILogger() = default;
};

//! Which device an engine is built for and runs on.
enum class BackendKind : int32_t {
    kCPU = 0,   //!< x86-64 CPU; `cudaStream_t` arguments are ignored, calls run synchronously
    kCUDA = 1,  //!< NVIDIA GPU; bindings are device pointers, work is enqueued on the stream
};

//! Version of the kiln library, as major*10000 + minor*100 + patch.
int32_t getKilnVersion() noexcept;

}  // namespace kiln
