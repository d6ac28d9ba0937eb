// Reference MatMul (numpy matmul with transA/transB), docs/ops.md.
// Float types compute in float32 (float16/bfloat16 converted in and rounded
// once at the end); integers accumulate in int64 and are narrowed to the
// input dtype with wrap-around, like numpy. FullyConnected runs through here,
// so the float path is kept cache-friendly: transposed operands are
// materialized row-major, then each task computes a tile of up to kRowBlock
// rows x kColBlock columns in i-k-j order, so a B row segment is read once
// per row block and the inner loop is a contiguous (vectorizable) axpy.
#include <algorithm>
#include <string>

#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

using ir::DType;

constexpr int64_t kRowBlock = 4;
constexpr int64_t kColBlock = 256;

struct Dims {
    int64_t M = 1, K = 0, N = 1;
    int64_t batchA = 1, batchB = 1;       // matrices stored in A and B
    std::vector<int64_t> aIndex, bIndex;  // per output matrix: which A / B matrix it reads
};

// Resolves M, K, N and the batch broadcast for the run-time shapes, and checks
// that the caller's output shape is the one numpy matmul gives.
Status resolveDims(const ir::Shape& as, const ir::Shape& bs, bool transA, bool transB, const ir::Shape& ys,
                   Dims& d) {
    const size_t ra = as.size(), rb = bs.size();
    if (ra == 0 || rb == 0) return Status::Error("matmul: operands must have rank >= 1");
    int64_t Kb;
    if (ra == 1) {
        d.K = as[0];
    } else {
        d.M = as[ra - (transA ? 1 : 2)];
        d.K = as[ra - (transA ? 2 : 1)];
    }
    if (rb == 1) {
        Kb = bs[0];
    } else {
        Kb = bs[rb - (transB ? 1 : 2)];
        d.N = bs[rb - (transB ? 2 : 1)];
    }
    const ir::Shape batchA(as.begin(), as.end() - std::min<size_t>(ra, 2));
    const ir::Shape batchB(bs.begin(), bs.end() - std::min<size_t>(rb, 2));
    ir::Shape want;
    if (d.K != Kb || !ir::broadcastShapes(batchA, batchB, want))
        return Status::Error("matmul: A " + ir::shapeToString(as) + " and B " + ir::shapeToString(bs) +
                             " are incompatible");
    const ir::Shape batchY = want;
    if (ra > 1) want.push_back(d.M);
    if (rb > 1) want.push_back(d.N);
    if (want != ys)
        return Status::Error("matmul: output shape " + ir::shapeToString(ys) + " should be " +
                             ir::shapeToString(want));

    d.batchA = std::max<int64_t>(ir::volume(batchA), 0);
    d.batchB = std::max<int64_t>(ir::volume(batchB), 0);
    const int64_t batches = std::max<int64_t>(ir::volume(batchY), 0);
    // Map each output batch index to A's and B's (broadcast dims read index 0).
    const size_t rank = batchY.size();
    const auto stridesA = ir::stridesOf(batchA), stridesB = ir::stridesOf(batchB);
    d.aIndex.assign(size_t(batches), 0);
    d.bIndex.assign(size_t(batches), 0);
    for (int64_t ob = 0; ob < batches; ++ob) {
        int64_t rem = ob;
        for (size_t i = rank; i-- > 0;) {
            const int64_t coord = rem % batchY[i];
            rem /= batchY[i];
            const size_t offA = rank - batchA.size(), offB = rank - batchB.size();
            if (i >= offA && batchA[i - offA] != 1) d.aIndex[size_t(ob)] += coord * stridesA[i - offA];
            if (i >= offB && batchB[i - offB] != 1) d.bIndex[size_t(ob)] += coord * stridesB[i - offB];
        }
    }
    return Status::Ok();
}

// Returns `data` viewed as `batch` row-major [rows, cols] matrices. When
// `trans`, data holds [cols, rows] matrices and a transposed copy is made.
template <typename T>
const T* rowMajor(const T* data, int64_t batch, int64_t rows, int64_t cols, bool trans, std::vector<T>& copy) {
    if (!trans) return data;
    copy.resize(size_t(batch * rows * cols));
    constexpr int64_t kTile = 32;  // tiles keep both the reads and the writes within a few cache lines
    for (int64_t b = 0; b < batch; ++b) {
        const T* src = data + b * rows * cols;
        T* dst = copy.data() + b * rows * cols;
        for (int64_t c0 = 0; c0 < cols; c0 += kTile)
            for (int64_t r0 = 0; r0 < rows; r0 += kTile)
                for (int64_t c = c0; c < std::min(cols, c0 + kTile); ++c)
                    for (int64_t r = r0; r < std::min(rows, r0 + kTile); ++r) dst[r * cols + c] = src[c * rows + r];
    }
    return copy.data();
}

// C = A x B for row-major A [batchA, M, K], B [batchB, K, N], C [batches, M, N];
// Acc is the accumulator type (float, double or uint64).
template <typename T, typename Acc>
void gemm(const T* A, const T* B, T* C, const Dims& d, ThreadPool& pool) {
    const int64_t batches = int64_t(d.aIndex.size());
    const int64_t rowBlocks = (d.M + kRowBlock - 1) / kRowBlock, colBlocks = (d.N + kColBlock - 1) / kColBlock;
    const int64_t tasks = batches * rowBlocks * colBlocks;
    // Keep each parallel chunk at ~64K multiply-adds so small products run inline.
    const int64_t taskWork = kRowBlock * std::max<int64_t>(d.K, 1) * std::min(d.N, kColBlock);
    const int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(taskWork, 1));
    pool.parallelFor(
        tasks,
        [&](int64_t begin, int64_t end) {
            Acc acc[kRowBlock][kColBlock];
            for (int64_t t = begin; t < end; ++t) {
                const int64_t cb = t % colBlocks, rb = (t / colBlocks) % rowBlocks, ob = t / (colBlocks * rowBlocks);
                const int64_t i0 = rb * kRowBlock, rows = std::min(kRowBlock, d.M - i0);
                const int64_t j0 = cb * kColBlock, cols = std::min(kColBlock, d.N - j0);
                const T* a = A + d.aIndex[size_t(ob)] * d.M * d.K + i0 * d.K;
                const T* b = B + d.bIndex[size_t(ob)] * d.K * d.N + j0;
                for (int64_t r = 0; r < rows; ++r) std::fill(acc[r], acc[r] + cols, Acc(0));
                for (int64_t k = 0; k < d.K; ++k) {
                    const T* bRow = b + k * d.N;
                    for (int64_t r = 0; r < rows; ++r) {
                        const Acc av = Acc(a[r * d.K + k]);
                        Acc* cRow = acc[r];
                        for (int64_t j = 0; j < cols; ++j) cRow[j] += av * Acc(bRow[j]);
                    }
                }
                T* c = C + (ob * d.M + i0) * d.N + j0;
                for (int64_t r = 0; r < rows; ++r)
                    for (int64_t j = 0; j < cols; ++j) c[r * d.N + j] = static_cast<T>(acc[r][j]);
            }
        },
        grain);
}

template <typename T, typename Acc>
void runTyped(const HostTensor& a, const HostTensor& b, HostTensor& y, bool transA, bool transB, const Dims& d,
              ThreadPool& pool) {
    std::vector<T> copyA, copyB;
    const T* A = rowMajor(a.as<const T>(), d.batchA, d.M, d.K, transA, copyA);
    const T* B = rowMajor(b.as<const T>(), d.batchB, d.K, d.N, transB, copyB);
    gemm<T, Acc>(A, B, y.as<T>(), d, pool);
}

std::vector<float> halfToFloats(const HostTensor& t) {
    std::vector<float> r(size_t(t.numel()));
    const auto* src = t.as<const uint16_t>();
    for (size_t i = 0; i < r.size(); ++i) r[i] = t.dtype == DType::kF16 ? ir::halfToFloat(src[i]) : ir::bf16ToFloat(src[i]);
    return r;
}

bool supportedDType(DType t) { return ir::dtypeIsArithmetic(t); }

}  // namespace

Status matmul(KernelArgs& args) {
    const HostTensor& a = args.inputs[0];
    const HostTensor& b = args.inputs[1];
    HostTensor& y = args.outputs[0];
    if (a.dtype != b.dtype || y.dtype != a.dtype || !supportedDType(a.dtype))
        return Status::Error("matmul: unsupported dtypes A " + std::string(ir::dtypeName(a.dtype)) + ", B " +
                             std::string(ir::dtypeName(b.dtype)) + ", Y " + std::string(ir::dtypeName(y.dtype)));
    // Transposes only apply to operands of rank >= 2.
    const bool transA = a.shape.size() > 1 && args.node.attrs.getInt("transA", 0) != 0;
    const bool transB = b.shape.size() > 1 && args.node.attrs.getInt("transB", 0) != 0;
    Dims d;
    KILN_RETURN_IF_ERROR(resolveDims(a.shape, b.shape, transA, transB, y.shape, d));
    if (y.numel() == 0) return Status::Ok();

    switch (a.dtype) {
        case DType::kF32: runTyped<float, float>(a, b, y, transA, transB, d, args.pool); break;
        case DType::kF64: runTyped<double, double>(a, b, y, transA, transB, d, args.pool); break;
        // Integers accumulate in uint64: two's complement wrap-around, well defined.
        case DType::kI8: runTyped<int8_t, uint64_t>(a, b, y, transA, transB, d, args.pool); break;
        case DType::kU8: runTyped<uint8_t, uint64_t>(a, b, y, transA, transB, d, args.pool); break;
        case DType::kI16: runTyped<int16_t, uint64_t>(a, b, y, transA, transB, d, args.pool); break;
        case DType::kU16: runTyped<uint16_t, uint64_t>(a, b, y, transA, transB, d, args.pool); break;
        case DType::kI32: runTyped<int32_t, uint64_t>(a, b, y, transA, transB, d, args.pool); break;
        case DType::kU32: runTyped<uint32_t, uint64_t>(a, b, y, transA, transB, d, args.pool); break;
        case DType::kI64: runTyped<int64_t, uint64_t>(a, b, y, transA, transB, d, args.pool); break;
        case DType::kU64: runTyped<uint64_t, uint64_t>(a, b, y, transA, transB, d, args.pool); break;
        case DType::kF16:
        case DType::kBF16: {
            // Computed in float32 and rounded once.
            std::vector<float> af = halfToFloats(a), bf = halfToFloats(b), yf(size_t(y.numel()));
            HostTensor a32{af.data(), DType::kF32, a.shape}, b32{bf.data(), DType::kF32, b.shape};
            HostTensor y32{yf.data(), DType::kF32, y.shape};
            runTyped<float, float>(a32, b32, y32, transA, transB, d, args.pool);
            auto* dst = y.as<uint16_t>();
            for (size_t i = 0; i < yf.size(); ++i)
                dst[i] = y.dtype == DType::kF16 ? ir::floatToHalf(yf[i]) : ir::floatToBF16(yf[i]);
            break;
        }
        default: break;  // rejected above
    }
    return Status::Ok();
}

bool matmulSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    return in.size() == 2 && !out.empty() && in[0].dtype == in[1].dtype && out[0].dtype == in[0].dtype &&
           supportedDType(in[0].dtype) && !in[0].shape.empty() && !in[1].shape.empty();
}

}  // namespace kiln::cpu::ref
