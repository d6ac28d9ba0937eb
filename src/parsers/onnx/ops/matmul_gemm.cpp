// MatMul -> IMatrixMultiplyLayer (numpy semantics, rank-1 included);
// Gemm -> MatrixMultiply (+ scale by alpha) (+ beta * C).
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertMatMul) {
    (void)node;
    (void)inputs;
    ITensor* a = ctx.tensor(0);
    ITensor* b = a ? ctx.tensor(1) : nullptr;
    if (!b) return false;
    return pushLayer(ctx, ctx.network().addMatrixMultiply(*a, MatrixOperation::kNONE, *b, MatrixOperation::kNONE),
                     outputs);
}

KILN_ONNX_CONVERTER(convertGemm) {
    (void)node;
    (void)inputs;
    ITensor* a = ctx.tensor(0);
    ITensor* b = a ? ctx.tensor(1) : nullptr;
    if (!b) return false;
    const float alpha = ctx.attrFloat("alpha", 1.f), beta = ctx.attrFloat("beta", 1.f);
    const auto opA = ctx.attrInt("transA", 0) ? MatrixOperation::kTRANSPOSE : MatrixOperation::kNONE;
    const auto opB = ctx.attrInt("transB", 0) ? MatrixOperation::kTRANSPOSE : MatrixOperation::kNONE;
    IMatrixMultiplyLayer* mm = ctx.network().addMatrixMultiply(*a, opA, *b, opB);
    if (!mm) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the matrix multiply");
    ctx.nameLayer(mm, "_matmul");
    ITensor* y = mm->getOutput(0);
    if (alpha != 1.f) {
        ITensor* s = addScalar(ctx, alpha, 2);
        if (!s) return false;
        auto* l = ctx.network().addElementWise(*y, *s, ElementWiseOperation::kPROD);
        if (!l) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the alpha scaling");
        ctx.nameLayer(l, "_alpha");
        y = l->getOutput(0);
    }
    if (ctx.hasInput(2) && beta != 0.f) {
        ITensor* c = nullptr;
        if (const Constant* cc = ctx.constant(2); cc && beta != 1.f) {
            // Fold beta into a constant C rather than adding a multiply.
            auto v = cc->toFloats();
            for (float& x : v) x *= beta;
            c = ctx.addConstantTensor(Constant::fromFloats(cc->dims, v));
        } else {
            c = ctx.tensor(2);
            if (c && beta != 1.f) {
                ITensor* s = addScalar(ctx, beta, c->getDimensions().nbDims);
                auto* l = s ? ctx.network().addElementWise(*c, *s, ElementWiseOperation::kPROD) : nullptr;
                if (!l) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the beta scaling");
                ctx.nameLayer(l, "_beta");
                c = l->getOutput(0);
            }
        }
        if (!c) return false;
        auto* add = ctx.network().addElementWise(*y, *c, ElementWiseOperation::kSUM);
        if (!add) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the bias addition");
        ctx.nameLayer(add);
        y = add->getOutput(0);
    }
    outputs.push_back(y);
    return true;
}

}  // namespace kiln::onnx
