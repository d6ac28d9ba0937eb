// Trilu -> Select(keep, x, 0) over the last two dims. keep[i, j] is
// j - i >= k (upper) or j - i <= k (lower); with a constant k it is a bool
// constant, otherwise it is computed from a constant j - i table and the k
// tensor at run time.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertTrilu) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const std::vector<int64_t> d = dimsOf(*x);
    if (d.size() < 2) return ctx.fail(ErrorCode::kINVALID_NODE, "input must have rank >= 2");
    const int64_t rows = d[d.size() - 2], cols = d[d.size() - 1];
    if (rows < 0 || cols < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "dynamic matrix dims");
    if (!tableFits(ctx, rows, cols)) return false;
    const bool upper = ctx.attrInt("upper", 1) != 0;
    const int32_t rank = static_cast<int32_t>(d.size());
    std::vector<int64_t> maskDims(d.size(), 1);
    maskDims[d.size() - 2] = rows;
    maskDims[d.size() - 1] = cols;

    ITensor* keep = nullptr;
    const Constant* kc = ctx.hasInput(1) ? ctx.constant(1) : nullptr;
    if (!ctx.hasInput(1) || kc) {
        int64_t k = 0;
        if (kc) {
            if (kc->count() != 1) return ctx.fail(ErrorCode::kINVALID_NODE, "k must be a scalar");
            k = kc->toInt64s()[0];
        }
        Constant m;
        m.type = DataType::kBOOL;
        m.dims = maskDims;
        m.bytes.resize(static_cast<size_t>(rows * cols));
        for (int64_t i = 0; i < rows; ++i)
            for (int64_t j = 0; j < cols; ++j) m.bytes[size_t(i * cols + j)] = upper ? (j - i >= k) : (j - i <= k);
        keep = ctx.addConstantTensor(m);
    } else {
        ITensor* k = ctx.tensor(1);
        if (!k) return false;
        if (k->getDimensions().nbDims > 1 || (k->getDimensions().nbDims == 1 && k->getDimensions().d[0] != 1))
            return ctx.fail(ErrorCode::kINVALID_NODE, "k must be a scalar");
        std::vector<int64_t> diff(static_cast<size_t>(rows * cols));
        for (int64_t i = 0; i < rows; ++i)
            for (int64_t j = 0; j < cols; ++j) diff[size_t(i * cols + j)] = j - i;
        ITensor* table = ctx.addConstantTensor(Constant::fromInt64s(maskDims, diff));
        ITensor* kk = table ? castTo(ctx, *k, DataType::kINT64, "_k") : nullptr;
        // upper: keep unless j - i < k; lower: keep unless j - i > k.
        ITensor* drop =
            kk ? binary(ctx, *table, *kk, upper ? ElementWiseOperation::kLESS : ElementWiseOperation::kGREATER, "_drop")
               : nullptr;
        keep = drop ? unary(ctx, *drop, UnaryOperation::kNOT, "_keep") : nullptr;
    }
    ITensor* zero = keep ? scalarOfType(ctx, 0, rank, x->getType()) : nullptr;
    if (!zero) return false;
    return pushLayer(ctx, ctx.network().addSelect(*keep, *x, *zero), outputs);
}

}  // namespace kiln::onnx
