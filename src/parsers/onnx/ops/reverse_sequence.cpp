// ReverseSequence -> IReverseSequenceLayer.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertReverseSequence) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    ITensor* lens = x ? ctx.tensor(1) : nullptr;
    if (!lens) return false;
    const int64_t batch = ctx.attrInt("batch_axis", 1), time = ctx.attrInt("time_axis", 0);
    if ((batch != 0 && batch != 1) || (time != 0 && time != 1) || batch == time)
        return ctx.fail(ErrorCode::kINVALID_VALUE, "batch_axis and time_axis must be 0 and 1 in some order");
    IReverseSequenceLayer* r = ctx.network().addReverseSequence(*x, *lens);
    if (r) {
        r->setBatchAxis(static_cast<int32_t>(batch));
        r->setSequenceAxis(static_cast<int32_t>(time));
    }
    return pushLayer(ctx, r, outputs);
}

}  // namespace kiln::onnx
