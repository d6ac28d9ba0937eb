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

//! Element types. 0..11 are TensorRT's nvinfer1::DataType values (TensorRT 10);
//! the types after them are kiln's own and carry the ONNX element types that
//! TensorRT lacks.
//!
//! Memory format: every element takes whole bytes. The sub-byte types (kINT4,
//! kUINT4, kINT2, kUINT2, kFP4) take one byte per element, unpacked: integers
//! as the sign- or zero-extended value (an int4 -3 is the byte 0xFD), kFP4 as
//! its 4-bit code in the low bits. Only the low bits of such a byte are read.
//! (TensorRT packs kINT4/kFP4 two per byte; ONNX files pack them too; kiln's
//! ONNX parser unpacks them when it reads a model.)
enum class DataType : int32_t {
    kFLOAT = 0,  //!< 32-bit IEEE float
    kHALF = 1,   //!< 16-bit IEEE float
    kINT8 = 2,   //!< signed 8-bit integer (quantized when it carries a dynamic range)
    kINT32 = 3,  //!< signed 32-bit integer
    kBOOL = 4,   //!< 8-bit boolean, 0 or 1
    kUINT8 = 5,  //!< unsigned 8-bit integer
    kFP8 = 6,    //!< 8-bit float E4M3FN (OCP): bias 7, no infinity, NaN 0x7F/0xFF, max 448
    kBF16 = 7,   //!< bfloat16
    kINT64 = 8,  //!< signed 64-bit integer
    kINT4 = 9,   //!< signed 4-bit integer [-8, 7], one per byte
    kFP4 = 10,   //!< 4-bit float E2M1 (OCP MX): values 0, 0.5, 1, 1.5, 2, 3, 4, 6 and negatives; one per byte
    kE8M0 = 11,  //!< 8-bit exponent E8M0 (OCP MX scale): 2^(bits - 127); 0xFF is NaN; no zero, no sign
    // kiln-only types (no TensorRT equivalent):
    kDOUBLE = 12,          //!< 64-bit IEEE float
    kINT16 = 13,           //!< signed 16-bit integer
    kUINT16 = 14,          //!< unsigned 16-bit integer
    kUINT32 = 15,          //!< unsigned 32-bit integer
    kUINT64 = 16,          //!< unsigned 64-bit integer
    kFP8E5M2 = 17,         //!< 8-bit float E5M2 (OCP): bias 15, with infinity and NaN, max 57344
    kFP8E4M3FNUZ = 18,     //!< 8-bit float E4M3FNUZ: bias 8, no infinity, no -0, NaN 0x80, max 240
    kFP8E5M2FNUZ = 19,     //!< 8-bit float E5M2FNUZ: bias 16, no infinity, no -0, NaN 0x80, max 57344
    kUINT4 = 20,           //!< unsigned 4-bit integer [0, 15], one per byte
    kINT2 = 21,            //!< signed 2-bit integer [-2, 1], one per byte
    kUINT2 = 22,           //!< unsigned 2-bit integer [0, 3], one per byte
};

//! Size in bytes of one element of `t` as stored (1 for the sub-byte types; 0 for an invalid value).
size_t dataTypeSize(DataType t) noexcept;
//! Lower-case name of `t` ("float32", "float16", "int4", "fp8e5m2", ...).
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
