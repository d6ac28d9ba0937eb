// Gather reference kernel (default / elements / nd). Indices are read and
// checked once, serially, so that an out-of-range index is reported before
// anything is written; the copies then run in parallel.
#include "ir/views.h"
#include "movement_util.h"
#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

using ir::movement::GatherParams;

std::vector<int64_t> loadIndices(const HostTensor& t) {
    std::vector<int64_t> v(size_t(t.numel()));
    for (size_t i = 0; i < v.size(); ++i) {
        if (t.dtype == ir::DType::kI64)
            std::memcpy(&v[i], t.as<uint8_t>() + i * 8, 8);
        else
            v[i] = t.as<int32_t>()[i];
    }
    return v;
}

// Makes index v at flat position `pos` non-negative for an axis of extent n.
Status normalizeIndex(int64_t& v, int64_t n, size_t pos, size_t dim) {
    if (v < -n || v >= n)
        return Status::Error("index " + std::to_string(v) + " at position " + std::to_string(pos) +
                             " is out of range for data dim " + std::to_string(dim) + " of extent " +
                             std::to_string(n));
    if (v < 0) v += n;
    return Status::Ok();
}

Status gatherDefault(KernelArgs& a, const GatherParams& p, std::vector<int64_t>& idx) {
    const HostTensor& data = a.inputs[0];
    const size_t axis = size_t(p.axis);
    const int64_t n = data.shape[axis];
    for (size_t i = 0; i < idx.size(); ++i) KILN_RETURN_IF_ERROR(normalizeIndex(idx[i], n, i, axis));
    if (a.outputs[0].numel() == 0) return Status::Ok();
    int64_t outer = 1, inner = int64_t(ir::dtypeSize(data.dtype));
    for (size_t d = 0; d < axis; ++d) outer *= data.shape[d];
    for (size_t d = axis + 1; d < data.shape.size(); ++d) inner *= data.shape[d];  // bytes
    const int64_t ni = int64_t(idx.size());
    const auto* src = data.as<uint8_t>();
    auto* dst = a.outputs[0].as<uint8_t>();
    a.pool.parallelFor(
        outer * ni,
        [&](int64_t b, int64_t e) {
            for (int64_t r = b; r < e; ++r) {
                const int64_t o = r / ni, j = r % ni;
                std::memcpy(dst + r * inner, src + (o * n + idx[j]) * inner, size_t(inner));
            }
        },
        std::max<int64_t>(1, movement::kGrainElems * 4 / std::max<int64_t>(inner, 1)));
    return Status::Ok();
}

Status gatherElements(KernelArgs& a, const GatherParams& p, std::vector<int64_t>& idx) {
    const HostTensor& data = a.inputs[0];
    const ir::Shape& is = a.inputs[1].shape;
    const size_t axis = size_t(p.axis), rank = is.size();
    for (size_t i = 0; i < idx.size(); ++i) KILN_RETURN_IF_ERROR(normalizeIndex(idx[i], data.shape[axis], i, axis));
    if (idx.empty()) return Status::Ok();
    const auto dstrides = ir::stridesOf(data.shape);
    const size_t es = ir::dtypeSize(data.dtype);
    const auto* src = data.as<uint8_t>();
    auto* dst = a.outputs[0].as<uint8_t>();
    a.pool.parallelFor(
        int64_t(idx.size()),
        [&](int64_t b, int64_t e) {
            for (int64_t flat = b; flat < e; ++flat) {
                // The data element shares every coordinate with the index
                // element except the one along the axis.
                int64_t off = 0;
                for (int64_t r = flat, d = int64_t(rank) - 1; d >= 0; --d) {
                    const int64_t c = r % is[d];
                    r /= is[d];
                    off += (size_t(d) == axis ? idx[flat] : c) * dstrides[d];
                }
                std::memcpy(dst + flat * int64_t(es), src + off * int64_t(es), es);
            }
        },
        movement::kGrainElems);
    return Status::Ok();
}

Status gatherND(KernelArgs& a, const GatherParams& p, std::vector<int64_t>& idx) {
    const HostTensor& data = a.inputs[0];
    const ir::Shape& is = a.inputs[1].shape;
    const size_t b = size_t(p.batchDims), k = size_t(is.back());
    const auto dstrides = ir::stridesOf(data.shape);
    int64_t batches = 1, slice = int64_t(ir::dtypeSize(data.dtype));
    for (size_t d = 0; d < b; ++d) batches *= is[d];
    for (size_t d = b + k; d < data.shape.size(); ++d) slice *= data.shape[d];  // bytes
    const int64_t tuples = int64_t(idx.size() / k);                             // over all batches
    const int64_t perBatch = batches > 0 ? tuples / batches : 0;
    const int64_t batchStride = b > 0 ? dstrides[b - 1] : 0;  // elements per batch of data
    // Source element offset of every index tuple.
    std::vector<int64_t> srcOff(static_cast<size_t>(tuples));
    for (int64_t t = 0; t < tuples; ++t) {
        int64_t off = (t / std::max<int64_t>(perBatch, 1)) * batchStride;
        for (size_t j = 0; j < k; ++j) {
            int64_t& v = idx[size_t(t) * k + j];
            KILN_RETURN_IF_ERROR(normalizeIndex(v, data.shape[b + j], size_t(t) * k + j, b + j));
            off += v * dstrides[b + j];
        }
        srcOff[size_t(t)] = off;
    }
    if (a.outputs[0].numel() == 0) return Status::Ok();
    const int64_t es = int64_t(ir::dtypeSize(data.dtype));
    const auto* src = data.as<uint8_t>();
    auto* dst = a.outputs[0].as<uint8_t>();
    a.pool.parallelFor(
        tuples,
        [&](int64_t t0, int64_t t1) {
            for (int64_t t = t0; t < t1; ++t) std::memcpy(dst + t * slice, src + srcOff[t] * es, size_t(slice));
        },
        std::max<int64_t>(1, movement::kGrainElems * 4 / slice));
    return Status::Ok();
}

}  // namespace

Status gather(KernelArgs& a) {
    KILN_RETURN_IF_ERROR(movement::inferAndCheck(a, &ir::movement::inferGather));
    GatherParams p;
    KILN_RETURN_IF_ERROR(ir::movement::resolveGather(a.node, movement::descsOf(a.inputs), p));
    const int64_t slice = ir::gatherSliceOffset(a.node, movement::descsOf(a.inputs));
    if (slice >= 0 && a.outputs[0].data == static_cast<uint8_t*>(a.inputs[0].data) + slice)
        return Status::Ok();  // a view (ir/views.h): the slice is already in place
    std::vector<int64_t> idx = loadIndices(a.inputs[1]);
    switch (p.mode) {
        case ir::movement::GatherMode::kDefault:
            return gatherDefault(a, p, idx);
        case ir::movement::GatherMode::kElements:
            return gatherElements(a, p, idx);
        case ir::movement::GatherMode::kND:
            return gatherND(a, p, idx);
    }
    return Status::Error("unknown gather mode");
}

bool gatherSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in.size() == 2 && (in[1].dtype == ir::DType::kI32 || in[1].dtype == ir::DType::kI64) &&
           in[0].dtype == out[0].dtype;
}

}  // namespace kiln::cpu::ref
