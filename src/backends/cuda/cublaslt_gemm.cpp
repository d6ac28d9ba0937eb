// MatMul and FullyConnected through cuBLASLt (the layout conventions and
// the helpers other cuBLASLt tactics share: cublaslt_common.h). Batches map
// onto strided batches: an operand either has the output's batch dims or
// none (stride 0). FullyConnected adds its bias in the GEMM epilogue.
#include <algorithm>
#include <cstring>
#include <mutex>

#include "cublaslt_common.h"
#include "cuda_check.h"
#include "ir/ops/fully_connected.h"
#include "library_tactics.h"

namespace kiln::cuda::lib {

namespace lt {

bool gemmType(ir::DType t, cudaDataType_t& dt) {
    switch (t) {
        case ir::DType::kF32:
            dt = CUDA_R_32F;
            return true;
        case ir::DType::kF16:
            dt = CUDA_R_16F;
            return true;
        case ir::DType::kBF16:
            dt = CUDA_R_16BF;
            return true;
        default:
            return false;
    }
}

namespace {

Status setBatch(cublasLtMatrixLayout_t l, int64_t batch, int64_t stride) {
    const int32_t count = int32_t(batch);
    KILN_CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof(count)));
    KILN_CUBLAS_CHECK(
        cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof(stride)));
    return Status::Ok();
}

}  // namespace

// Yᵀ (N×M, column-major) = op(B)ᵀ-view · op(A)ᵀ-view.
Status makeDescs(const GemmDims& d, cudaDataType_t dt, Epilogue epilogue, LtDescs& L) {
    KILN_CUBLAS_CHECK(cublasLtMatmulDescCreate(&L.op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
    const cublasOperation_t opA = d.transB ? CUBLAS_OP_T : CUBLAS_OP_N;  // the library's A is our B
    const cublasOperation_t opB = d.transA ? CUBLAS_OP_T : CUBLAS_OP_N;
    KILN_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op, CUBLASLT_MATMUL_DESC_TRANSA, &opA, sizeof(opA)));
    KILN_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op, CUBLASLT_MATMUL_DESC_TRANSB, &opB, sizeof(opB)));
    if (epilogue != Epilogue::kNone) {
        cublasLtEpilogue_t epi = CUBLASLT_EPILOGUE_BIAS;
        switch (epilogue) {
            case Epilogue::kRelu:
                epi = CUBLASLT_EPILOGUE_RELU;
                break;
            case Epilogue::kReluBias:
                epi = CUBLASLT_EPILOGUE_RELU_BIAS;
                break;
            case Epilogue::kGelu:
                epi = CUBLASLT_EPILOGUE_GELU;
                break;
            case Epilogue::kGeluBias:
                epi = CUBLASLT_EPILOGUE_GELU_BIAS;
                break;
            default:
                break;
        }
        KILN_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof(epi)));
    }
    if (epilogue == Epilogue::kBias || epilogue == Epilogue::kReluBias || epilogue == Epilogue::kGeluBias) {
        const int32_t bt = int32_t(dt);
        KILN_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bt, sizeof(bt)));
    }
    const uint64_t aRows = d.transB ? d.K : d.N, aCols = d.transB ? d.N : d.K;
    const uint64_t bRows = d.transA ? d.M : d.K, bCols = d.transA ? d.K : d.M;
    KILN_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&L.a, dt, aRows, aCols, int64_t(aRows)));
    KILN_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&L.b, dt, bRows, bCols, int64_t(bRows)));
    KILN_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&L.c, dt, uint64_t(d.N), uint64_t(d.M), d.N));
    if (d.batch > 1) {
        KILN_RETURN_IF_ERROR(setBatch(L.a, d.batch, d.strideB));
        KILN_RETURN_IF_ERROR(setBatch(L.b, d.batch, d.strideA));
        KILN_RETURN_IF_ERROR(setBatch(L.c, d.batch, d.strideC));
    }
    return Status::Ok();
}

uint32_t alignmentOf(const void* p) {
    const auto v = reinterpret_cast<uintptr_t>(p);
    uint32_t a = 256;
    while (a > 1 && (v % a) != 0) a >>= 1;
    return a;
}

Status heuristic(cublasLtHandle_t h, LtDescs& L, uint32_t align, size_t workspace, cublasLtMatmulAlgo_t& algo) {
    KILN_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&L.pref));
    KILN_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(L.pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace,
                                                           sizeof(workspace)));
    for (auto attr : {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
                      CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES})
        KILN_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(L.pref, attr, &align, sizeof(align)));
    cublasLtMatmulHeuristicResult_t result{};
    int found = 0;
    KILN_CUBLAS_CHECK(cublasLtMatmulAlgoGetHeuristic(h, L.op, L.a, L.b, L.c, L.c, L.pref, 1, &result, &found));
    if (found < 1) return Status::Error("cuBLASLt has no algorithm for this GEMM");
    algo = result.algo;
    return Status::Ok();
}

Status AlgoChoice::init(cublasLtHandle_t h, LtDescs& L, const GemmDims& built) {
    built_ = built;
    return heuristic(h, L, 16, kWorkspace, algo_);
}

Status AlgoChoice::pick(cublasLtHandle_t h, LtDescs& L, const GemmDims& d, uint32_t align, size_t workspace,
                        cublasLtMatmulAlgo_t& algo) const {
    if (d == built_ && align >= 16 && workspace >= kWorkspace) {
        algo = algo_;
        return Status::Ok();
    }
    {
        std::lock_guard<std::mutex> lock(mu_);
        for (const Entry& e : recent_)
            if (e.dims == d && e.align == align && e.workspace == workspace) {
                algo = e.algo;
                return Status::Ok();
            }
    }
    KILN_RETURN_IF_ERROR(heuristic(h, L, align, workspace, algo));
    std::lock_guard<std::mutex> lock(mu_);
    const Entry e{d, align, workspace, algo};
    if (recent_.size() < kRemembered) {
        recent_.push_back(e);
    } else {
        recent_[next_] = e;
        next_ = (next_ + 1) % kRemembered;
    }
    return Status::Ok();
}

}  // namespace lt

namespace {

using namespace lt;
constexpr size_t kGemmWorkspace = kWorkspace;

// MatMul: numpy matmul with transA/transB; false when the batch broadcast is
// not expressible as one strided batch.
bool matmulDims(const ir::Node& node, const ir::Shape& as, const ir::Shape& bs, GemmDims& d) {
    const size_t ra = as.size(), rb = bs.size();
    if (ra == 0 || rb == 0) return false;
    d.transA = ra > 1 && node.attrs.getInt("transA", 0) != 0;
    d.transB = rb > 1 && node.attrs.getInt("transB", 0) != 0;
    int64_t Kb;
    if (ra == 1) {
        d.M = 1;
        d.K = as[0];
    } else {
        d.M = as[ra - (d.transA ? 1 : 2)];
        d.K = as[ra - (d.transA ? 2 : 1)];
    }
    if (rb == 1) {
        Kb = bs[0];
        d.N = 1;
    } else {
        Kb = bs[rb - (d.transB ? 1 : 2)];
        d.N = bs[rb - (d.transB ? 2 : 1)];
    }
    if (Kb != d.K) return false;
    const ir::Shape ba(as.begin(), as.end() - std::min<size_t>(ra, 2)),
        bb(bs.begin(), bs.end() - std::min<size_t>(rb, 2));
    ir::Shape by;
    if (!ir::broadcastShapes(ba, bb, by)) return false;
    d.batch = std::max<int64_t>(ir::volume(by), 0);
    const int64_t va = ir::volume(ba), vb = ir::volume(bb);
    auto full = [&](const ir::Shape& b) {  // has exactly the output's batch dims (leading 1s aside)
        if (ir::volume(b) != d.batch) return false;
        for (size_t i = 0; i < b.size(); ++i)
            if (b[i] != by[by.size() - b.size() + i]) return false;
        return true;
    };
    if (!(va == 1 || full(ba)) || !(vb == 1 || full(bb))) return false;
    d.strideA = va == 1 ? 0 : d.M * d.K;
    d.strideB = vb == 1 ? 0 : d.K * d.N;
    d.strideC = d.M * d.N;
    // A batched A times one B (activations times weights): the batches of a
    // row-major A are consecutive rows, so this is one GEMM with batch*M rows,
    // which cuBLASLt tiles far better than many small ones.
    if (vb == 1 && va > 1 && !d.transA && ra > 1) {
        d.M *= d.batch;
        d.batch = 1;
        d.strideA = 0;
        d.strideC = d.M * d.N;
    }
    return true;
}

bool fcDims(const ir::Node& node, const ir::Shape& xs, const ir::Shape& ws, GemmDims& d) {
    int64_t axis = node.attrs.getInt("axis", 1);
    if (!ir::normalizeAxis(axis, int64_t(xs.size())) || ws.size() != 2) return false;
    int64_t M = 1, F = 1;
    for (size_t i = 0; i < xs.size(); ++i) (int64_t(i) < axis ? M : F) *= xs[i];
    if (ws[1] != F) return false;
    d.M = M;
    d.K = F;
    d.N = ws[0];
    d.transB = true;
    d.strideC = d.M * d.N;
    return true;
}

class GemmKernel final : public Kernel {
public:
    GemmKernel(bool fc, cudaDataType_t dt) : fc_(fc), dt_(dt) {}

    Status init(const ir::Node& node, const std::vector<ir::TensorDesc>& in) {
        GemmDims dims;
        if (!(fc_ ? fcDims(node, in[0].shape, in[1].shape, dims) : matmulDims(node, in[0].shape, in[1].shape, dims)))
            return Status::Error("GEMM shapes not supported by cuBLASLt");
        Handles* h = nullptr;
        KILN_RETURN_IF_ERROR(buildHandles(h));
        LtDescs L;
        KILN_RETURN_IF_ERROR(makeDescs(dims, dt_, epilogue(node), L));
        return algo_.init(h->cublasLt, L, dims);
    }

    Status enqueue(LaunchArgs& a) const override {
        GemmDims d;
        const bool ok = fc_ ? fcDims(a.node, a.inputs[0].shape, a.inputs[1].shape, d)
                            : matmulDims(a.node, a.inputs[0].shape, a.inputs[1].shape, d);
        if (!ok) return Status::Error("run-time shapes not supported by the cuBLASLt tactic");
        if (a.outputs[0].numel() == 0) return Status::Ok();
        const bool bias = hasBias(a.node);
        LtDescs L;
        KILN_RETURN_IF_ERROR(makeDescs(d, dt_, epilogue(a.node), L));
        if (bias) {
            const void* bp = a.inputs[2].data;
            KILN_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bp, sizeof(bp)));
        }
        // The residual of FullyConnected's epilogue is cuBLASLt's C, added with beta = 1.
        const bool residual = fc_ && ir::fcHasResidual(a.node);
        if (residual && a.inputs[3].shape != a.outputs[0].shape)
            return Status::Error("FullyConnected: residual " + ir::shapeToString(a.inputs[3].shape) +
                                 " differs from the output " + ir::shapeToString(a.outputs[0].shape));
        const void* c = residual ? a.inputs[3].data : a.outputs[0].data;
        if (d.K == 0) {  // an empty sum: zeros (plus the epilogue, which the kernel path below adds)
            KILN_CUDA_CHECK(cudaMemsetAsync(a.outputs[0].data, 0, a.outputs[0].bytes(), a.stream));
            if (epilogue(a.node) == Epilogue::kNone && !residual) return Status::Ok();
        }
        uint32_t align = std::min({alignmentOf(a.inputs[0].data), alignmentOf(a.inputs[1].data),
                                   alignmentOf(a.outputs[0].data), alignmentOf(c)});
        cublasLtMatmulAlgo_t algo;
        const size_t ws = std::min(a.workspaceBytes, kGemmWorkspace);
        KILN_RETURN_IF_ERROR(algo_.pick(a.handles.cublasLt, L, d, align, ws, algo));
        const float alpha = 1.0f, beta = residual ? 1.0f : 0.0f;
        KILN_CUBLAS_CHECK(cublasLtMatmul(a.handles.cublasLt, L.op, &alpha, a.inputs[1].data, L.a, a.inputs[0].data, L.b,
                                         &beta, c, L.c, a.outputs[0].data, L.c, &algo, a.workspace, ws, a.stream));
        return Status::Ok();
    }

private:
    bool hasBias(const ir::Node& n) const { return fc_ && n.inputs.size() > 2 && n.inputs[2] >= 0; }
    // FullyConnected's bias and activation (MatMul has neither).
    Epilogue epilogue(const ir::Node& n) const {
        const bool gelu = fc_ && n.attrs.getString("activation", "") == "gelu_erf";
        if (gelu) return hasBias(n) ? Epilogue::kGeluBias : Epilogue::kGelu;
        return hasBias(n) ? Epilogue::kBias : Epilogue::kNone;
    }

    bool fc_;
    cudaDataType_t dt_;
    AlgoChoice algo_;
};

bool supportsCommon(const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out, cudaDataType_t& dt) {
    if (in.size() < 2 || out.size() != 1 || !gemmType(in[0].dtype, dt)) return false;
    for (const auto& t : in)
        if (!t.shape.empty() && t.dtype != in[0].dtype) return false;
    return in[1].dtype == in[0].dtype && out[0].dtype == in[0].dtype;
}

}  // namespace

bool gemmMatMulSupports(const ir::Node& n, const std::vector<ir::TensorDesc>& in,
                        const std::vector<ir::TensorDesc>& out) {
    cudaDataType_t dt;
    GemmDims d;
    return in.size() == 2 && supportsCommon(in, out, dt) && matmulDims(n, in[0].shape, in[1].shape, d);
}

bool gemmFcSupports(const ir::Node& n, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    cudaDataType_t dt;
    GemmDims d;
    if (!supportsCommon(in, out, dt) || !fcDims(n, in[0].shape, in[1].shape, d)) return false;
    if (n.inputs.size() > 2 && n.inputs[2] >= 0 && in[2].shape != ir::Shape{d.N}) return false;
    if (ir::fcHasResidual(n) && (in.size() < 4 || in[3].shape != out[0].shape)) return false;
    // cuBLASLt's GELU is its own approximation of the erf form: within a 16-bit
    // result's rounding (docs/cuda.md), not float32's.
    const std::string act = n.attrs.getString("activation", "");
    return act.empty() || (act == "gelu_erf" && dt != CUDA_R_32F);
}

size_t gemmWorkspace(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) {
    return kGemmWorkspace;
}

Status createGemmMatMul(const ir::Node& n, const std::vector<ir::TensorDesc>& in,
                        const std::vector<ir::TensorDesc>& out, std::unique_ptr<Kernel>& k) {
    cudaDataType_t dt;
    if (!supportsCommon(in, out, dt)) return Status::Error("unsupported dtypes for cuBLASLt");
    auto g = std::make_unique<GemmKernel>(false, dt);
    KILN_RETURN_IF_ERROR(g->init(n, in));
    k = std::move(g);
    return Status::Ok();
}

Status createGemmFc(const ir::Node& n, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out,
                    std::unique_ptr<Kernel>& k) {
    cudaDataType_t dt;
    if (!supportsCommon(in, out, dt)) return Status::Error("unsupported dtypes for cuBLASLt");
    auto g = std::make_unique<GemmKernel>(true, dt);
    KILN_RETURN_IF_ERROR(g->init(n, in));
    k = std::move(g);
    return Status::Ok();
}

}  // namespace kiln::cuda::lib
