// TensorScatter (opset 24): writes `update` into a copy of `past_cache` along
// the sequence axis at write_indices[b] (mode "linear") or modulo the cache
// length ("circular"). Decomposed by inverting the write: cache position t of
// batch b takes update row s = t - write_indices[b] (mod the cache length when
// circular) when 0 <= s < update length, else keeps the past value; the rows
// are fetched with one GatherElements and chosen with one Select.
#include "layer_chain.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertTensorScatter) {
    (void)node;
    (void)inputs;
    ITensor* past = ctx.tensor(0);
    ITensor* update = past ? ctx.tensor(1) : nullptr;
    if (!update) return false;
    const auto pd = LayerChain::dims(past), ud = LayerChain::dims(update);
    const int32_t rank = int32_t(pd.size());
    if (rank < 2 || ud.size() != pd.size())
        return ctx.fail(ErrorCode::kINVALID_NODE, "past_cache and update need one rank >= 2");
    for (size_t i = 0; i < pd.size(); ++i)
        if (pd[i] < 0 || ud[i] < 0)
            return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "past_cache and update need static dimensions");
    if (update->getType() != past->getType())
        return ctx.fail(ErrorCode::kINVALID_NODE, "update's type differs from past_cache's");
    int64_t axis = ctx.attrInt("axis", -2);
    if (!normalizeAxis(axis, rank) || axis == 0)
        return ctx.fail(ErrorCode::kINVALID_VALUE, "axis must name a non-batch dimension");
    for (int32_t i = 0; i < rank; ++i)
        if (i != axis && ud[i] != pd[i])
            return ctx.fail(ErrorCode::kINVALID_NODE, "update differs from past_cache outside the sequence axis");
    const std::string mode = ctx.attrString("mode", "linear");
    if (mode != "linear" && mode != "circular")
        return ctx.fail(ErrorCode::kINVALID_VALUE, "unknown mode '" + mode + "'");
    const int64_t b = pd[0], maxLen = pd[axis], len = ud[axis];
    if (len > maxLen) return ctx.fail(ErrorCode::kINVALID_NODE, "update is longer than the cache");

    LayerChain c(ctx);
    // Index tensors of shape [B, 1, .., maxLen (at axis), .., 1].
    std::vector<int64_t> posShape(size_t(rank), 1), batchShape(size_t(rank), 1);
    posShape[axis] = maxLen;
    batchShape[0] = b;
    ITensor* row = c.iota(maxLen, posShape);
    if (ctx.hasInput(2)) {
        ITensor* w = ctx.tensor(2);
        if (!w) return false;
        if (LayerChain::dims(w) != std::vector<int64_t>{b})
            return ctx.fail(ErrorCode::kINVALID_NODE, "write_indices must have shape [batch]");
        row = c.sub(row, c.reshape(c.cast(w, DataType::kINT64), batchShape));
    }
    if (mode == "circular") row = c.binary(row, c.constantInt64({1}, {maxLen}), ElementWiseOperation::kMOD);
    ITensor* zero = c.constantInt64({1}, {0});
    ITensor* written =
        c.binary(c.unary(c.binary(row, zero, ElementWiseOperation::kLESS), UnaryOperation::kNOT),
                 c.binary(row, c.constantInt64({1}, {len}), ElementWiseOperation::kLESS), ElementWiseOperation::kAND);
    ITensor* clamped = c.binary(c.binary(row, c.constantInt64({1}, {len - 1}), ElementWiseOperation::kMIN), zero,
                                ElementWiseOperation::kMAX);
    // GatherElements needs indices of the full output shape: broadcast over the other dims.
    std::vector<int64_t> restShape = pd;
    restShape[0] = 1;
    restShape[axis] = 1;
    int64_t restCount = 1;  // the zero indices are a constant table: checked like Attention's mask padding
    for (int64_t v : restShape)
        if (__builtin_mul_overflow(restCount, v, &restCount)) restCount = INT64_MAX;
    if (!c.tableFits(1, restCount)) return false;
    ITensor* indices = c.add(clamped, c.constantInt64(restShape, std::vector<int64_t>(size_t(restCount), 0)));
    ITensor* fetched = c.gather(update, indices, int32_t(axis), GatherMode::kELEMENT);
    ITensor* y = c.select(written, fetched, past);
    if (!y) return false;
    outputs.push_back(y);
    return true;
}

}  // namespace kiln::onnx
