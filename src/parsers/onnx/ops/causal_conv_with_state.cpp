// CausalConvWithState (opset 27): stateful causal depthwise 1-D convolution.
//   padded  = concat(past_state or zeros [B, C, k-1], input [B, C, L]) on the length axis
//   output  = act(sum_j weight[c, 0, j] * padded[b, c, t + j] + bias[c]), act: none | silu | swish
//   present = the last k-1 positions of padded
// Decomposed into k shifted slices multiplied by their tap and summed (the
// weight may be a runtime tensor), in float32 as the function body's
// activation is, then cast back.
#include <limits>
#include <string>

#include "layer_chain.h"

namespace kiln::onnx {

namespace {
constexpr int64_t kMaxTaps = 1024;
}  // namespace

KILN_ONNX_CONVERTER(convertCausalConvWithState) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    ITensor* w = x ? ctx.tensor(1) : nullptr;
    if (!w) return false;
    const auto xd = LayerChain::dims(x), wd = LayerChain::dims(w);
    if (xd.size() != 3 || wd.size() != 3) return ctx.fail(ErrorCode::kINVALID_NODE, "input and weight must be 3-D");
    for (int64_t v : xd)
        if (v < 0) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "the input needs static dimensions");
    const int64_t b = xd[0], ch = xd[1], len = xd[2], k = wd[2];
    if (wd[0] != ch || wd[1] != 1 || k < 1)
        return ctx.fail(ErrorCode::kINVALID_NODE, "weight must be [channels, 1, kernel_size]");
    // Each tap is a few layers, and len + k - 1 positions are indexed.
    if (k > kMaxTaps) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "kernel_size above 1024");
    if (len > std::numeric_limits<int64_t>::max() - k)
        return ctx.fail(ErrorCode::kINVALID_NODE, "input length " + std::to_string(len) + " is out of range");
    const std::string act = ctx.attrString("activation", "none");
    if (act != "none" && act != "silu" && act != "swish")
        return ctx.fail(ErrorCode::kINVALID_VALUE, "unknown activation '" + act + "'");
    const DataType t = x->getType();
    if (!isFloatType(t) || w->getType() != t)
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "input and weight must share one float type");

    LayerChain c(ctx);
    const DataType f = DataType::kFLOAT;
    ITensor* padded = x;
    if (k > 1) {
        ITensor* past = nullptr;
        if (ctx.hasInput(3)) {
            past = ctx.tensor(3);
            if (!past) return false;
            if (LayerChain::dims(past) != std::vector<int64_t>{b, ch, k - 1})
                return ctx.fail(ErrorCode::kINVALID_NODE, "past_state must be [batch, channels, kernel_size - 1]");
            past = c.cast(past, t);
        } else {
            int64_t rows = 0;  // the zero state is a constant table
            if (__builtin_mul_overflow(b, ch, &rows)) rows = INT64_MAX;
            if (!tableFits(ctx, rows, k - 1)) return false;
            past = c.constant({b, ch, k - 1}, std::vector<float>(size_t(b * ch * (k - 1)), 0.f), t);
        }
        padded = c.concat({past, x}, 2);
    }
    ITensor* pf = c.cast(padded, f);
    ITensor* wf = c.reshape(c.cast(w, f), {1, ch, k});
    ITensor* acc = nullptr;
    for (int64_t j = 0; j < k; ++j) {
        ITensor* term = c.mul(c.sliceAxis(pf, 2, j, j + len), c.sliceAxis(wf, 2, j, j + 1));
        acc = acc ? c.add(acc, term) : term;
    }
    if (ctx.hasInput(2)) {
        ITensor* bias = ctx.tensor(2);
        if (!bias) return false;
        if (LayerChain::dims(bias) != std::vector<int64_t>{ch})
            return ctx.fail(ErrorCode::kINVALID_NODE, "bias must be [channels]");
        acc = c.add(acc, c.reshape(c.cast(bias, f), {1, ch, 1}));
    }
    if (act != "none") acc = c.activation(acc, ActivationType::kSILU);
    ITensor* y = c.cast(acc, t);
    ITensor* present = c.sliceAxis(padded, 2, len, len + k - 1);
    if (!c.ok() || !y || !present) return false;
    if (present == x) present = c.identity(present);
    outputs.push_back(y);
    outputs.push_back(node.output_size() > 1 && !node.output(1).empty() ? present : nullptr);
    return c.ok();
}

}  // namespace kiln::onnx
