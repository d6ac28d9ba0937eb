// Fill: a tensor generated from its indices (TensorRT's IFillLayer), used for
// ONNX ConstantOfShape and Range. The output shape may come from a tensor whose
// values are known only at run time.
#include "fill.h"

#include <cstring>

#include "op_families.h"

namespace kiln::ir {

namespace {}  // namespace

Status resolveFill(const Node& node, const std::vector<TensorDesc>& in, FillParams& p) {
    p = {};
    const std::string op = node.attrs.getString("op", "linspace");
    if (op == "linspace")
        p.op = FillParams::kLinspace;
    else if (op == "random_uniform")
        p.op = FillParams::kRandomUniform;
    else if (op == "random_normal")
        p.op = FillParams::kRandomNormal;
    else
        return Status::Error("unknown fill op '" + op + "' (linspace, random_uniform or random_normal)");
    p.seed = uint64_t(node.attrs.getInt("seed", 0));
    const int64_t dt = node.attrs.getInt("dtype", int64_t(DType::kF32));
    if (!dtypeValid(int(dt))) return Status::Error("invalid dtype " + std::to_string(dt));
    p.dtype = DType(dt);

    if (hasInput(node, in, 0)) {
        const TensorDesc& s = in[0];
        if (s.dtype != DType::kI32 && s.dtype != DType::kI64)
            return Status::Error("input 0 (Shape) must be int32 or int64, got " + std::string(dtypeName(s.dtype)));
        if (s.shape.size() != 1 || s.shape[0] < 0)
            return Status::Error("input 0 (Shape) must be 1-D of known length, got shape " + shapeToString(s.shape));
        if (s.shape[0] > kMaxRank)
            return Status::Error("input 0 (Shape) gives rank " + std::to_string(s.shape[0]) + " (at most " +
                                 std::to_string(kMaxRank) + ")");
        p.shape.assign(size_t(s.shape[0]), -1);
        if (s.data) {
            for (int64_t i = 0; i < s.shape[0]; ++i) {
                int64_t d;
                if (s.dtype == DType::kI64)
                    std::memcpy(&d, static_cast<const uint8_t*>(s.data) + 8 * i, 8);
                else {
                    int32_t v;
                    std::memcpy(&v, static_cast<const uint8_t*>(s.data) + 4 * i, 4);
                    d = v;
                }
                if (d < 0)
                    return Status::Error("input 0 (Shape) holds a negative extent " + std::to_string(d) + " at index " +
                                         std::to_string(i));
                p.shape[size_t(i)] = d;
            }
        }
    } else {
        if (!node.attrs.has("shape")) return Status::Error("needs attribute 'shape' or input 0 (Shape)");
        p.shape = node.attrs.getInts("shape");
        if (p.shape.size() > size_t(kMaxRank))
            return Status::Error("attribute 'shape' has rank " + std::to_string(p.shape.size()));
        for (int64_t d : p.shape)
            if (d < 0) return Status::Error("attribute 'shape' holds a negative extent " + std::to_string(d));
    }
    const size_t rank = p.shape.size();

    p.alpha = node.attrs.getFloat("alpha", 0.0);
    p.alphaInt = saturatingInt64(p.alpha);
    if (hasInput(node, in, 1)) {
        const TensorDesc& a = in[1];
        if (isStatic(a.shape) && volume(a.shape) != 1)
            return Status::Error("input 1 (Alpha) must hold one element, got shape " + shapeToString(a.shape));
        p.alphaKnown = a.data != nullptr;
        if (a.data) {
            p.alpha = loadAsDouble(a.data, a.dtype, 0);
            // int64 start values keep every bit (a double has 53).
            if (a.dtype == DType::kI64)
                std::memcpy(&p.alphaInt, a.data, 8);
            else
                p.alphaInt = saturatingInt64(p.alpha);
        }
    }
    p.beta.assign(rank, 0.0);
    p.betaInt.assign(rank, 0);
    if (hasInput(node, in, 2)) {
        const TensorDesc& b = in[2];
        const int64_t n = isStatic(b.shape) ? volume(b.shape) : -1;
        if (n != 1 && n != int64_t(rank))
            return Status::Error("input 2 (Beta) must hold one element or one per output dim (" + std::to_string(rank) +
                                 "), got shape " + shapeToString(b.shape));
        p.betaKnown = b.data != nullptr;
        if (b.data && n > 0) p.betaFirst = loadAsDouble(b.data, b.dtype, 0);
        if (b.data) {
            for (size_t d = 0; d < rank; ++d) {
                const int64_t k = n == 1 ? 0 : int64_t(d);
                p.beta[d] = loadAsDouble(b.data, b.dtype, k);
                if (b.dtype == DType::kI64)
                    std::memcpy(&p.betaInt[d], static_cast<const uint8_t*>(b.data) + 8 * k, 8);
                else
                    p.betaInt[d] = saturatingInt64(p.beta[d]);
            }
        }
    } else if (!node.attrs.getFloats("beta").empty()) {
        const std::vector<double> beta = node.attrs.getFloats("beta");
        if (beta.size() != 1 && beta.size() != rank)
            return Status::Error("attribute 'beta' has " + std::to_string(beta.size()) +
                                 " entries, expected 1 or one per output dim (" + std::to_string(rank) + ")");
        if (!beta.empty()) p.betaFirst = beta[0];
        for (size_t d = 0; d < rank; ++d) {
            p.beta[d] = beta.size() == 1 ? beta[0] : beta[d];
            p.betaInt[d] = saturatingInt64(p.beta[d]);
        }
    }
    return Status::Ok();
}

namespace {

Status inferFill(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    FillParams p;
    KILN_RETURN_IF_ERROR(resolveFill(node, in, p));
    out[0] = {p.dtype, p.shape, nullptr};
    return Status::Ok();
}

}  // namespace

void registerGeneratorOps(std::vector<OpSchema>& t) { t.push_back({"Fill", 0, 3, 1, 1, &inferFill}); }

}  // namespace kiln::ir
