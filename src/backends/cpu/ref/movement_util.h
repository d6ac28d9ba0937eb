// Shared pieces of the data movement reference kernels: re-running shape
// inference on the run-time tensors, and one dtype-agnostic "indexed copy"
// that Shuffle (transpose), Slice, Pad and nearest Resize are all built on.
#pragma once
#include <algorithm>
#include <cstring>
#include <vector>

#include "../../../ir/ops/data_movement.h"
#include "../kernel.h"

namespace kiln::cpu::ref::movement {

// Run-time tensors as shape inference sees them (values known).
inline std::vector<ir::TensorDesc> descsOf(const std::vector<HostTensor>& ts) {
    std::vector<ir::TensorDesc> d;
    d.reserve(ts.size());
    for (const auto& t : ts) d.push_back({t.dtype, t.shape, t.data});
    return d;
}

// Runs the op's shape inference on the actual inputs and checks that the
// output buffers the caller prepared have the inferred shapes and dtypes.
inline Status inferAndCheck(KernelArgs& a, ir::InferFn infer) {
    const auto in = descsOf(a.inputs);
    std::vector<ir::TensorDesc> out(a.outputs.size());
    KILN_RETURN_IF_ERROR(infer(a.node, in, out));
    for (size_t i = 0; i < out.size(); ++i) {
        if (out[i].shape != a.outputs[i].shape || out[i].dtype != a.outputs[i].dtype)
            return Status::Error("output " + std::to_string(i) + " is " + ir::shapeToString(a.outputs[i].shape) +
                                 " " + std::string(ir::dtypeName(a.outputs[i].dtype)) + ", expected " +
                                 ir::shapeToString(out[i].shape) + " " + std::string(ir::dtypeName(out[i].dtype)));
    }
    return Status::Ok();
}

// Elements per chunk handed to one thread: big enough to amortize the pool.
constexpr int64_t kGrainElems = 1 << 15;

inline void parallelCopy(void* dst, const void* src, size_t bytes, ThreadPool& pool) {
    if (bytes == 0) return;
    const int64_t grain = int64_t(kGrainElems) * 8;
    pool.parallelFor(
        int64_t(bytes),
        [&](int64_t b, int64_t e) {
            std::memcpy(static_cast<uint8_t*>(dst) + b, static_cast<const uint8_t*>(src) + b, size_t(e - b));
        },
        grain);
}

template <size_t N>
void copyRowFixed(uint8_t* dst, const uint8_t* src, const int64_t* offs, int64_t n, const uint8_t* fill) {
    for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * N, offs[i] < 0 ? fill : src + offs[i] * N, N);
}

inline void copyRow(uint8_t* dst, const uint8_t* src, const int64_t* offs, int64_t n, const uint8_t* fill,
                    size_t es) {
    switch (es) {
        case 1: return copyRowFixed<1>(dst, src, offs, n, fill);
        case 2: return copyRowFixed<2>(dst, src, offs, n, fill);
        case 4: return copyRowFixed<4>(dst, src, offs, n, fill);
        case 8: return copyRowFixed<8>(dst, src, offs, n, fill);
        default:
            for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * es, offs[i] < 0 ? fill : src + offs[i] * es, es);
    }
}

// dst (shape outShape, row-major) element (i0, .., ik) = src element at
// offs[0][i0] + .. + offs[k][ik] (in elements), or the `fill` element when any
// of those entries is -1. offs[d] has outShape[d] entries.
inline void indexedCopy(const void* src, void* dst, size_t es, const ir::Shape& outShape,
                        const std::vector<std::vector<int64_t>>& offs, const void* fill, ThreadPool& pool) {
    const int64_t n = ir::volume(outShape);
    if (n <= 0) return;
    const auto* s = static_cast<const uint8_t*>(src);
    auto* d = static_cast<uint8_t*>(dst);
    const auto* f = static_cast<const uint8_t*>(fill);
    const size_t rank = outShape.size();
    if (rank == 0) {
        std::memcpy(d, s, es);
        return;
    }
    const int64_t inner = outShape[rank - 1];
    const std::vector<int64_t>& last = offs[rank - 1];
    bool contiguous = last[0] >= 0;  // the innermost row is one memcpy
    for (int64_t i = 1; i < inner && contiguous; ++i) contiguous = last[i] == last[0] + i;

    auto rows = [&](int64_t r0, int64_t r1) {
        std::vector<int64_t> idx(rank - 1);
        for (int64_t r = r0, k = int64_t(rank) - 2; k >= 0; --k) {
            idx[k] = r % outShape[k];
            r /= outShape[k];
        }
        for (int64_t row = r0; row < r1; ++row) {
            int64_t base = 0;
            bool filled = false;
            for (size_t k = 0; k + 1 < rank; ++k) {
                const int64_t o = offs[k][idx[k]];
                filled |= o < 0;
                base += o;
            }
            uint8_t* out = d + row * inner * int64_t(es);
            if (filled) {
                for (int64_t i = 0; i < inner; ++i) std::memcpy(out + i * es, f, es);
            } else if (contiguous) {
                std::memcpy(out, s + (base + last[0]) * int64_t(es), size_t(inner) * es);
            } else {
                copyRow(out, s + base * int64_t(es), last.data(), inner, f, es);
            }
            for (int64_t k = int64_t(rank) - 2; k >= 0; --k) {
                if (++idx[k] < outShape[k]) break;
                idx[k] = 0;
            }
        }
    };
    pool.parallelFor(n / inner, rows, std::max<int64_t>(1, kGrainElems / inner));
}

// dst = transpose(src, perm): dst dim i is src dim perm[i].
inline void transpose(const void* src, const ir::Shape& srcShape, const std::vector<int64_t>& perm, void* dst,
                      size_t es, ThreadPool& pool) {
    const auto strides = ir::stridesOf(srcShape);
    ir::Shape outShape(perm.size());
    std::vector<std::vector<int64_t>> offs(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) {
        outShape[i] = srcShape[size_t(perm[i])];
        offs[i].resize(size_t(outShape[i]));
        for (int64_t j = 0; j < outShape[i]; ++j) offs[i][j] = j * strides[size_t(perm[i])];
    }
    indexedCopy(src, dst, es, outShape, offs, nullptr, pool);
}

// One element of dtype t holding v (fill values), as raw bytes.
inline std::vector<uint8_t> elementBytes(ir::DType t, double v) {
    std::vector<uint8_t> b(std::max<size_t>(ir::dtypeSize(t), 8), 0);
    ir::storeFromDouble(b.data(), t, 0, v);
    return b;
}

// The fill element of Slice/Pad: `v` in X's dtype, replaced by the value of
// input `index` when the node has it (same dtype: the bits, exact for int64).
inline Status fillElement(const KernelArgs& a, size_t index, double v, std::vector<uint8_t>& fill) {
    const ir::DType dt = a.inputs[0].dtype;
    fill = elementBytes(dt, v);
    if (a.inputs.size() <= index || a.node.inputs.size() <= index || a.node.inputs[index] < 0) return Status::Ok();
    const HostTensor& t = a.inputs[index];
    if (t.numel() != 1 || !t.data)
        return Status::Error("input " + std::to_string(index) + " (fill value) must hold one element, got shape " +
                             ir::shapeToString(t.shape));
    if (t.dtype == dt)
        std::memcpy(fill.data(), t.data, ir::dtypeSize(dt));
    else
        fill = elementBytes(dt, ir::loadAsDouble(t.data, t.dtype, 0));
    return Status::Ok();
}

// Copies inputs[0] sampled as `p` describes (Slice, Pad) into outputs[0];
// `fillElem` is one element of the output dtype (slice.cpp).
Status sampleSlice(KernelArgs& a, const ir::movement::SliceParams& p, const void* fillElem);

}  // namespace kiln::cpu::ref::movement
