// Schemas of the MatMul family: MatMul and FullyConnected (docs/ops.md).
// MatMul keeps the input dtype for the output, integers included (int8 x int8
// -> int8, wrapping like numpy); quantized products go through Q/DQ instead.
#include <algorithm>
#include <string>

#include "op_families.h"

namespace kiln::ir {

namespace {

bool isFloatType(DType t) { return dtypeIsArithmeticFloat(t); }
bool isIntType(DType t) { return dtypeIsArithmeticInteger(t); }

std::string str(int64_t v) { return std::to_string(v); }
std::string typeName(DType t) { return std::string(dtypeName(t)); }

bool present(const Node& node, const std::vector<TensorDesc>& in, size_t i) {
    return i < in.size() && (i >= node.inputs.size() || node.inputs[i] >= 0);
}

Status readFlag(const Attrs& a, const std::string& name, int64_t dflt, int64_t& v) {
    v = a.getInt(name, dflt);
    if (v != 0 && v != 1) return Status::Error(name + " must be 0 or 1, got " + str(v));
    return Status::Ok();
}

Status inferMatMul(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const TensorDesc& a = in[0];
    const TensorDesc& b = in[1];
    if (a.shape.empty() || b.shape.empty())
        return Status::Error("operands must have rank >= 1, got A " + shapeToString(a.shape) + " and B " +
                             shapeToString(b.shape));
    if (a.dtype != b.dtype)
        return Status::Error("A and B dtypes differ: " + typeName(a.dtype) + " vs " + typeName(b.dtype));
    if (!isFloatType(a.dtype) && !isIntType(a.dtype))
        return Status::Error("unsupported dtype " + typeName(a.dtype) +
                             " (float32, float16, bfloat16, float64, 8..64-bit integers)");
    int64_t transA = 0, transB = 0;
    KILN_RETURN_IF_ERROR(readFlag(node.attrs, "transA", 0, transA));
    KILN_RETURN_IF_ERROR(readFlag(node.attrs, "transB", 0, transB));

    const size_t ra = a.shape.size(), rb = b.shape.size();
    // Rank-1 A is a row vector [1, K], rank-1 B a column vector [K, 1]; transposes are ignored for them.
    int64_t M = 1, Ka, Kb, N = 1;
    if (ra == 1) {
        Ka = a.shape[0];
    } else {
        M = a.shape[ra - (transA ? 1 : 2)];
        Ka = a.shape[ra - (transA ? 2 : 1)];
    }
    if (rb == 1) {
        Kb = b.shape[0];
    } else {
        Kb = b.shape[rb - (transB ? 1 : 2)];
        N = b.shape[rb - (transB ? 2 : 1)];
    }
    if (Ka >= 0 && Kb >= 0 && Ka != Kb)
        return Status::Error("inner dims differ: A " + shapeToString(a.shape) + (transA ? " (transposed)" : "") +
                             " has K = " + str(Ka) + ", B " + shapeToString(b.shape) + (transB ? " (transposed)" : "") +
                             " has K = " + str(Kb));
    const Shape batchA(a.shape.begin(), a.shape.end() - std::min<size_t>(ra, 2));
    const Shape batchB(b.shape.begin(), b.shape.end() - std::min<size_t>(rb, 2));
    Shape y;
    if (!broadcastShapes(batchA, batchB, y))
        return Status::Error("batch dims of A " + shapeToString(a.shape) + " and B " + shapeToString(b.shape) +
                             " do not broadcast");
    if (ra > 1) y.push_back(M);
    if (rb > 1) y.push_back(N);
    out[0] = TensorDesc{a.dtype, y, nullptr};
    return Status::Ok();
}

Status inferFullyConnected(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const TensorDesc& x = in[0];
    const TensorDesc& w = in[1];
    const int64_t rank = int64_t(x.shape.size());
    if (rank < 1) return Status::Error("input X must have rank >= 1");
    if (x.dtype != DType::kF32 && x.dtype != DType::kF16 && x.dtype != DType::kBF16)
        return Status::Error("unsupported dtype " + typeName(x.dtype) + " (float32, float16, bfloat16)");
    int64_t axis = node.attrs.getInt("axis", 1);
    if (!normalizeAxis(axis, rank))
        return Status::Error("axis " + str(node.attrs.getInt("axis", 1)) + " out of range for X " +
                             shapeToString(x.shape));
    int64_t keep = 1;
    KILN_RETURN_IF_ERROR(readFlag(node.attrs, "keep_dims_1x1", 1, keep));
    if (w.shape.size() != 2) return Status::Error("weights W must be [K, F], got " + shapeToString(w.shape));
    if (w.dtype != x.dtype)
        return Status::Error("W dtype " + typeName(w.dtype) + " differs from X dtype " + typeName(x.dtype));
    const Shape tail(x.shape.begin() + axis, x.shape.end());
    const int64_t F = volume(tail), K = w.shape[0];
    if (F >= 0 && w.shape[1] >= 0 && F != w.shape[1])
        return Status::Error("X " + shapeToString(x.shape) + " flattened from axis " + str(axis) + " has " + str(F) +
                             " features but W " + shapeToString(w.shape) + " expects " + str(w.shape[1]));
    if (present(node, in, 2)) {
        const TensorDesc& bias = in[2];
        if (bias.dtype != x.dtype)
            return Status::Error("bias dtype " + typeName(bias.dtype) + " differs from X dtype " + typeName(x.dtype));
        if (bias.shape.size() != 1 || (bias.shape[0] >= 0 && K >= 0 && bias.shape[0] != K))
            return Status::Error("bias must be [K] = [" + str(K) + "], got " + shapeToString(bias.shape));
    }
    Shape y(x.shape.begin(), x.shape.begin() + axis);
    y.push_back(K);
    if (keep) {
        y.push_back(1);
        y.push_back(1);
    }
    // The epilogue: Y = act(X·Wᵀ + B + R).
    if (present(node, in, 3)) {
        const TensorDesc& r = in[3];
        if (r.dtype != x.dtype || r.shape.size() != y.size())
            return Status::Error("residual " + typeName(r.dtype) + shapeToString(r.shape) + " must be Y's " +
                                 typeName(x.dtype) + shapeToString(y));
        for (size_t i = 0; i < y.size(); ++i)
            if (r.shape[i] >= 0 && y[i] >= 0 && r.shape[i] != y[i])
                return Status::Error("residual " + shapeToString(r.shape) + " must have Y's shape " + shapeToString(y));
    }
    const std::string act = node.attrs.getString("activation", "");
    if (!act.empty() && act != "gelu_erf") return Status::Error("unknown activation '" + act + "' (expected gelu_erf)");
    out[0] = TensorDesc{x.dtype, y, nullptr};
    return Status::Ok();
}

}  // namespace

void registerMatMulOps(std::vector<OpSchema>& t) {
    t.push_back({"MatMul", 2, 2, 1, 1, &inferMatMul});
    t.push_back({"FullyConnected", 2, 4, 1, 1, &inferFullyConnected});
}

}  // namespace kiln::ir
