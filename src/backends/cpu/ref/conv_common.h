// Shared plumbing of the Convolution and Deconvolution reference kernels:
// run-time validation, float32 staging of f16/bf16 tensors (float64 computes in
// float64), and the geometry
// widened to 3 spatial dims so that one loop nest serves 1-D, 2-D and 3-D.
#pragma once
#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "../../../ir/ops/convolution.h"
#include "../kernel.h"

namespace kiln::cpu::ref::convcommon {

inline bool isKernelFloat(ir::DType t) { return ir::dtypeIsArithmeticFloat(t); }

// What both Supports functions accept: float X/W/B and a float output of X's dtype.
inline bool supports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                     const std::vector<ir::TensorDesc>& out) {
    if (in.size() < 2 || out.size() != 1 || !node.hasInput(0) || !node.hasInput(1)) return false;
    for (size_t i = 0; i < in.size() && i < 3; ++i)
        if (node.hasInput(i) && !isKernelFloat(in[i].dtype)) return false;
    const size_t rank = in[0].shape.size();
    return rank >= 3 && rank <= 5 && out[0].dtype == in[0].dtype;
}

// Re-resolves the geometry with the concrete run-time shapes and checks that
// the caller's output buffer and the bias agree with it.
inline Status prepare(const KernelArgs& args, bool transposed, ir::ConvGeometry& g) {
    const ir::Node& node = args.node;
    if (args.inputs.size() < 2 || !node.hasInput(0) || !node.hasInput(1))
        return Status::Error(node.op + ": inputs X and W are required");
    if (args.outputs.size() != 1) return Status::Error(node.op + ": expects exactly one output");
    const HostTensor& x = args.inputs[0];
    const HostTensor& w = args.inputs[1];
    const HostTensor& y = args.outputs[0];
    const bool hasBias = node.hasInput(2) && args.inputs.size() > 2;
    for (const HostTensor* t : {&x, &w, &y})
        if (!isKernelFloat(t->dtype))
            return Status::Error(node.op + ": unsupported dtype " + std::string(ir::dtypeName(t->dtype)));
    if (y.dtype != x.dtype) return Status::Error(node.op + ": output dtype differs from X's");
    if (hasBias && !isKernelFloat(args.inputs[2].dtype))
        return Status::Error(node.op + ": unsupported bias dtype " +
                             std::string(ir::dtypeName(args.inputs[2].dtype)));
    if (!ir::isStatic(x.shape) || !ir::isStatic(w.shape))
        return Status::Error(node.op + ": run-time shapes must be known");
    KILN_RETURN_IF_ERROR(ir::resolveConvGeometry(node, x.shape, w.shape, transposed, g).withContext(node.op + ": "));
    if (y.shape != g.outShape)
        return Status::Error(node.op + ": output buffer shape " + ir::shapeToString(y.shape) + " != expected " +
                             ir::shapeToString(g.outShape));
    if (hasBias && args.inputs[2].shape != ir::Shape{g.outChannels})
        return Status::Error(node.op + ": bias shape " + ir::shapeToString(args.inputs[2].shape) + " != [M] = [" +
                             std::to_string(g.outChannels) + "]");
    return Status::Ok();
}

// Returns t's elements as T (float or double): t's own buffer when t is of
// type T, else a converted copy held in `storage`.
template <class T>
const T* asValues(const HostTensor& t, std::vector<T>& storage) {
    if ((std::is_same_v<T, float> && t.dtype == ir::DType::kF32) || (std::is_same_v<T, double> && t.dtype == ir::DType::kF64))
        return t.as<const T>();
    const int64_t n = t.numel();
    storage.resize(size_t(n));
    for (int64_t i = 0; i < n; ++i) storage[size_t(i)] = T(ir::loadAsDouble(t.data, t.dtype, i));
    return storage.data();
}
inline const float* asFloats(const HostTensor& t, std::vector<float>& storage) { return asValues(t, storage); }

// Writes n values to dst (of dtype t) starting at element `offset`, rounding
// to nearest even for the narrower types.
template <class T>
void storeValues(const T* src, int64_t n, void* dst, ir::DType t, int64_t offset) {
    if (n <= 0) return;  // an empty output may have no buffer at all
    if ((std::is_same_v<T, float> && t == ir::DType::kF32) || (std::is_same_v<T, double> && t == ir::DType::kF64)) {
        std::memcpy(static_cast<T*>(dst) + offset, src, size_t(n) * sizeof(T));
        return;
    }
    if (t == ir::DType::kF16 || t == ir::DType::kBF16) {
        auto* out = static_cast<uint16_t*>(dst) + offset;
        for (int64_t i = 0; i < n; ++i)
            out[i] = t == ir::DType::kF16 ? ir::floatToHalf(float(src[i])) : ir::floatToBF16(float(src[i]));
        return;
    }
    for (int64_t i = 0; i < n; ++i) ir::storeFromDouble(dst, t, offset + i, double(src[i]));
}
inline void storeFloats(const float* src, int64_t n, void* dst, ir::DType t, int64_t offset) {
    storeValues(src, n, dst, t, offset);
}

// Geometry over exactly 3 spatial axes; missing leading axes have extent 1.
struct Geom3 {
    int64_t in[3], kernel[3], out[3], stride[3], dil[3], pad[3];
    int64_t inPlane() const { return in[0] * in[1] * in[2]; }
    int64_t outPlane() const { return out[0] * out[1] * out[2]; }
    int64_t kernelVolume() const { return kernel[0] * kernel[1] * kernel[2]; }
};

inline Geom3 widen(const ir::ConvGeometry& g, const ir::Shape& x) {
    Geom3 q;
    const int k = g.spatialRank;
    for (int a = 0; a < 3; ++a) {
        const int i = a - (3 - k);  // index into the node's spatial axes
        const bool real = i >= 0;
        q.in[a] = real ? x[size_t(i) + 2] : 1;
        q.kernel[a] = real ? g.kernel[size_t(i)] : 1;
        q.out[a] = real ? g.outShape[size_t(i) + 2] : 1;
        q.stride[a] = real ? g.strides[size_t(i)] : 1;
        q.dil[a] = real ? g.dilations[size_t(i)] : 1;
        q.pad[a] = real ? g.padsBegin[size_t(i)] : 0;
    }
    return q;
}

inline int64_t floorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
inline int64_t ceilDiv(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

// The range [lo, hi) of j in [0, limit) with 0 <= j*stride + offset < extent.
inline void validRange(int64_t offset, int64_t stride, int64_t extent, int64_t limit, int64_t& lo, int64_t& hi) {
    lo = std::max<int64_t>(0, ceilDiv(-offset, stride));
    hi = std::min<int64_t>(limit, floorDiv(extent - 1 - offset, stride) + 1);
    if (hi < lo) hi = lo;
}

}  // namespace kiln::cpu::ref::convcommon
