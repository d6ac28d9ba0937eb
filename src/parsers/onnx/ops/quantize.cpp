// The quantization ops: QuantizeLinear / DequantizeLinear -> IQuantizeLayer /
// IDequantizeLayer (every opset: per-tensor, per-axis, blocked, output_dtype,
// saturate, precision); DynamicQuantizeLinear, MatMulInteger, QLinearMatMul,
// ConvInteger and QLinearConv as decompositions that compute exactly: integer
// products in int32 (MatMul) or float64 (convolution, exact for any realistic
// size), requantization in float64 as ONNX's reference does.
#include <cstring>

#include "importer.h"
#include "ops.h"

namespace kiln::onnx {

namespace {

ITensor* castTo(ConverterContext& ctx, ITensor& x, DataType t, const std::string& suffix) {
    if (x.getType() == t) return &x;
    ICastLayer* c = ctx.network().addCast(x, t);
    if (!c) {
        ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected a cast to " + std::string(dataTypeName(t)));
        return nullptr;
    }
    ctx.nameLayer(c, suffix.c_str());
    return c->getOutput(0);
}

ITensor* binary(ConverterContext& ctx, ITensor* a, ITensor* b, ElementWiseOperation op, const std::string& suffix) {
    if (!a || !b) return nullptr;
    IElementWiseLayer* l = ctx.network().addElementWise(*a, *b, op);
    if (!l) {
        ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected an element-wise layer");
        return nullptr;
    }
    ctx.nameLayer(l, suffix.c_str());
    return l->getOutput(0);
}

// A constant of `type` (kFLOAT or kDOUBLE) holding `v`, of rank `rank` with extents 1.
ITensor* scalarOf(ConverterContext& ctx, DataType type, double v, int32_t rank) {
    Constant c;
    c.type = type;
    c.dims.assign(static_cast<size_t>(std::max(rank, 0)), 1);
    if (type == DataType::kDOUBLE) {
        c.bytes.resize(8);
        std::memcpy(c.bytes.data(), &v, 8);
    } else {
        const float f = static_cast<float>(v);
        c.bytes.resize(4);
        std::memcpy(c.bytes.data(), &f, 4);
    }
    return ctx.addConstantTensor(c);
}

// A 1-D per-row parameter ([M], M > 1) becomes [M, 1] so it broadcasts along
// the rows of a matrix; anything else is returned as is.
ITensor* perRow(ConverterContext& ctx, ITensor* v, const std::string& suffix) {
    if (!v) return nullptr;
    const Dims d = v->getDimensions();
    if (d.nbDims != 1 || d.d[0] == 1) return v;
    IShuffleLayer* s = addReshape(ctx, *v, toDims({d.d[0], 1}), suffix.c_str());
    if (!s) ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected a reshape");
    return s ? s->getOutput(0) : nullptr;
}

// The optional input i as a tensor (null when absent).
ITensor* optionalInput(ConverterContext& ctx, int32_t i) { return ctx.hasInput(i) ? ctx.tensor(i) : nullptr; }

// Axis / block layout shared by QuantizeLinear and DequantizeLinear.
template <class L>
bool setLayout(ConverterContext& ctx, L& layer, int32_t rank) {
    int64_t axis = ctx.attrInt("axis", 1);
    const int64_t block = ctx.attrInt("block_size", 0);
    if (block < 0) return ctx.fail(ErrorCode::kINVALID_NODE, "block_size must be >= 0");
    if (block > 0) {
        if (!normalizeAxis(axis, rank)) return ctx.fail(ErrorCode::kINVALID_NODE, "axis out of range");
        Dims shape;
        shape.nbDims = rank;
        for (int32_t i = 0; i < rank; ++i) shape.d[i] = i == axis ? block : 1;
        if (!layer.setBlockShape(shape)) return ctx.fail(ErrorCode::kINVALID_NODE, "invalid block shape");
    }
    layer.setAxis(static_cast<int32_t>(axis));
    return true;
}

// Requantization of an exact int32 accumulator, as ONNX's QLinear* reference:
// round_half_even(acc * multiplier + zero point), saturated to the output type.
bool requantize(ConverterContext& ctx, ITensor* acc, ITensor* multiplier, ITensor* zeroPoint, DataType out,
                std::vector<ITensor*>& outputs) {
    if (!acc || !multiplier) return false;
    const int32_t rank = acc->getDimensions().nbDims;
    ITensor* t =
        binary(ctx, castTo(ctx, *acc, DataType::kDOUBLE, "_acc_f64"),
               castTo(ctx, *multiplier, DataType::kDOUBLE, "_multiplier_f64"), ElementWiseOperation::kPROD, "_scaled");
    if (zeroPoint)
        t = binary(ctx, t, castTo(ctx, *zeroPoint, DataType::kDOUBLE, "_zp_f64"), ElementWiseOperation::kSUM,
                   "_shifted");
    ITensor* one = scalarOf(ctx, DataType::kDOUBLE, 1.0, rank);
    if (!t || !one) return false;
    return pushLayer(ctx, ctx.network().addQuantize(*t, *one, out), outputs);
}

// A per-output-channel parameter ([M], M > 1) of a convolution weight of rank
// `rank` becomes [M, 1, ..., 1]; anything else is returned as is.
ITensor* perChannel(ConverterContext& ctx, ITensor* v, int32_t rank) {
    if (!v) return nullptr;
    const Dims d = v->getDimensions();
    if (d.nbDims != 1 || d.d[0] == 1) return v;
    std::vector<int64_t> shape(static_cast<size_t>(rank), 1);
    shape[0] = d.d[0];
    IShuffleLayer* s = addReshape(ctx, *v, toDims(shape), "_wzp_channels");
    if (!s) ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected a reshape");
    return s ? s->getOutput(0) : nullptr;
}

// conv(x - xZero, w - wZero) + bias computed exactly: the operands are small
// integers held in float64, so every product and sum is exact (up to 2^53).
// The weights are a tensor input of the convolution, which may be computed.
ITensor* integerConvolution(ConverterContext& ctx, ITensor& x, ITensor* xZero, ITensor& w, ITensor* wZero,
                            ITensor* bias) {
    const Dims wd = w.getDimensions();
    if (wd.nbDims < 3) {
        ctx.fail(ErrorCode::kINVALID_NODE, "weights must have rank >= 3");
        return nullptr;
    }
    int64_t count = 1;
    for (int32_t i = 0; i < wd.nbDims; ++i) {
        if (wd.d[i] < 0) {
            ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "weights need a static shape");
            return nullptr;
        }
        if (__builtin_mul_overflow(count, wd.d[i], &count)) {
            ctx.fail(ErrorCode::kINVALID_NODE, "the weights have more elements than int64 holds");
            return nullptr;
        }
    }
    Dims kernel;
    kernel.nbDims = wd.nbDims - 2;
    for (int32_t i = 0; i < kernel.nbDims; ++i) kernel.d[i] = wd.d[i + 2];
    const std::vector<int64_t> kernelShape = ctx.attrInts("kernel_shape");
    if (!kernelShape.empty() && kernelShape != std::vector<int64_t>(wd.d + 2, wd.d + wd.nbDims)) {
        ctx.fail(ErrorCode::kINVALID_NODE, "kernel_shape differs from the weights' shape");
        return nullptr;
    }
    ITensor* xs = castTo(ctx, x, DataType::kDOUBLE, "_x_f64");
    if (xZero)
        xs = binary(ctx, xs, castTo(ctx, *xZero, DataType::kDOUBLE, "_xzp_f64"), ElementWiseOperation::kSUB,
                    "_x_shifted");
    ITensor* ws = castTo(ctx, w, DataType::kDOUBLE, "_w_f64");
    if (wZero)
        ws = binary(ctx, ws, perChannel(ctx, castTo(ctx, *wZero, DataType::kDOUBLE, "_wzp_f64"), wd.nbDims),
                    ElementWiseOperation::kSUB, "_w_shifted");
    if (!xs || !ws) return nullptr;
    // Empty kernel weights: the layer takes its kernel from input 1 (as Conv
    // does). A zero placeholder of the weights' size was 128 TiB for a mutated shape.
    const Weights none{DataType::kDOUBLE, nullptr, 0};
    IConvolutionLayer* conv = ctx.network().addConvolutionNd(*xs, wd.d[0], kernel, none, none);
    if (!conv) {
        ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the convolution");
        return nullptr;
    }
    conv->setInput(1, *ws);
    if (bias) {
        ITensor* b = castTo(ctx, *bias, DataType::kDOUBLE, "_bias_f64");
        if (!b) return nullptr;
        conv->setInput(2, *b);
    }
    if (!configureConvolution(ctx, conv, kernel.nbDims)) return nullptr;
    ctx.nameLayer(conv, "_acc");
    return conv->getOutput(0);
}

}  // namespace

KILN_ONNX_CONVERTER(convertQuantizeLinear) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    ITensor* scale = x ? ctx.tensor(1) : nullptr;
    if (!scale) return false;
    ITensor* zp = optionalInput(ctx, 2);
    if (ctx.hasInput(2) && !zp) return false;
    // The output type: the zero point's, else output_dtype (21+), else uint8.
    DataType out = DataType::kUINT8;
    const int64_t outputDtype = ctx.attrInt("output_dtype", 0);
    if (outputDtype != 0 && !onnxTypeToKiln(static_cast<int32_t>(outputDtype), out))
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE,
                        "output_dtype " + std::to_string(outputDtype) + " is not supported");
    if (zp) {
        if (outputDtype != 0 && zp->getType() != out)
            return ctx.fail(ErrorCode::kINVALID_NODE, "output_dtype differs from the zero point's type");
        out = zp->getType();
    }
    IQuantizeLayer* q = ctx.network().addQuantize(*x, *scale, out);
    if (!q) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the quantize layer");
    if (zp) q->setInput(2, *zp);
    if (!setLayout(ctx, *q, x->getDimensions().nbDims)) return false;
    q->setSaturate(ctx.attrInt("saturate", 1) != 0);
    if (const int64_t precision = ctx.attrInt("precision", 0); precision != 0) {
        DataType p;
        if (!onnxTypeToKiln(static_cast<int32_t>(precision), p))
            return ctx.fail(ErrorCode::kUNSUPPORTED_NODE,
                            "precision " + std::to_string(precision) + " is not supported");
        q->setComputeType(p);
    }
    return pushLayer(ctx, q, outputs);
}

KILN_ONNX_CONVERTER(convertDequantizeLinear) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    ITensor* scale = x ? ctx.tensor(1) : nullptr;
    if (!scale) return false;
    ITensor* zp = optionalInput(ctx, 2);
    if (ctx.hasInput(2) && !zp) return false;
    // The output type: output_dtype (23+), else the scale's.
    DataType out = scale->getType();
    const int64_t outputDtype = ctx.attrInt("output_dtype", 0);
    if (outputDtype != 0 && !onnxTypeToKiln(static_cast<int32_t>(outputDtype), out))
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE,
                        "output_dtype " + std::to_string(outputDtype) + " is not supported");
    IDequantizeLayer* dq = ctx.network().addDequantize(*x, *scale, out);
    if (!dq) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the dequantize layer");
    if (zp) dq->setInput(2, *zp);
    if (!setLayout(ctx, *dq, x->getDimensions().nbDims)) return false;
    return pushLayer(ctx, dq, outputs);
}

// y_scale = (max(0, max x) - min(0, min x)) / 255 (1 when that is 0),
// y_zero_point = saturate(round(-min(0, min x) / y_scale)), y = QuantizeLinear(x).
KILN_ONNX_CONVERTER(convertDynamicQuantizeLinear) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    if (x->getType() != DataType::kFLOAT) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "x must be float32");
    const int32_t rank = x->getDimensions().nbDims;
    if (rank < 1) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "x must have rank >= 1");
    const uint32_t all = rank >= 32 ? ~0u : (1u << rank) - 1u;
    auto reduce = [&](ReduceOperation op, const char* suffix) -> ITensor* {
        IReduceLayer* r = ctx.network().addReduce(*x, op, all, false);
        if (!r) return nullptr;
        ctx.nameLayer(r, suffix);
        return r->getOutput(0);
    };
    ITensor* zero = scalarOf(ctx, DataType::kFLOAT, 0.0, 0);
    ITensor* maxx = binary(ctx, reduce(ReduceOperation::kMAX, "_max"), zero, ElementWiseOperation::kMAX, "_max0");
    ITensor* minx = binary(ctx, reduce(ReduceOperation::kMIN, "_min"), zero, ElementWiseOperation::kMIN, "_min0");
    ITensor* range = binary(ctx, maxx, minx, ElementWiseOperation::kSUB, "_range");
    ITensor* scaled =
        binary(ctx, range, scalarOf(ctx, DataType::kFLOAT, 255.0, 0), ElementWiseOperation::kDIV, "_scale0");
    ITensor* empty = binary(ctx, range, zero, ElementWiseOperation::kEQUAL, "_empty");
    ITensor* one = scalarOf(ctx, DataType::kFLOAT, 1.0, 0);
    if (!scaled || !empty || !one) return ctx.fail(ErrorCode::kINVALID_NODE, "building the range failed");
    ISelectLayer* pick = ctx.network().addSelect(*empty, *one, *scaled);
    if (!pick) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected a select layer");
    ctx.nameLayer(pick, "_scale");
    ITensor* scale = pick->getOutput(0);
    ITensor* zpFloat = binary(ctx, zero, binary(ctx, minx, scale, ElementWiseOperation::kDIV, "_min_over_scale"),
                              ElementWiseOperation::kSUB, "_zp_float");
    if (!zpFloat) return false;
    IQuantizeLayer* zpq = ctx.network().addQuantize(*zpFloat, *one, DataType::kUINT8);
    if (!zpq) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the zero point layer");
    ctx.nameLayer(zpq, "_zero_point");
    IQuantizeLayer* q = ctx.network().addQuantize(*x, *scale, DataType::kUINT8);
    if (!q) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the quantize layer");
    q->setInput(2, *zpq->getOutput(0));
    if (!pushLayer(ctx, q, outputs)) return false;
    outputs.push_back(scale);
    outputs.push_back(zpq->getOutput(0));
    return true;
}

// (A - a_zero_point) x (B - b_zero_point) in int32; a zero point per row of A
// ([M]) or per column of B ([N]) broadcasts.
KILN_ONNX_CONVERTER(convertMatMulInteger) {
    (void)node;
    (void)inputs;
    ITensor* a = ctx.tensor(0);
    ITensor* b = a ? ctx.tensor(1) : nullptr;
    if (!b) return false;
    ITensor* az = optionalInput(ctx, 2);
    ITensor* bz = optionalInput(ctx, 3);
    if ((ctx.hasInput(2) && !az) || (ctx.hasInput(3) && !bz)) return false;
    ITensor* a32 = castTo(ctx, *a, DataType::kINT32, "_a_i32");
    ITensor* b32 = castTo(ctx, *b, DataType::kINT32, "_b_i32");
    if (az)
        a32 = binary(ctx, a32, perRow(ctx, castTo(ctx, *az, DataType::kINT32, "_azp_i32"), "_azp_rows"),
                     ElementWiseOperation::kSUB, "_a_shifted");
    if (bz)
        b32 =
            binary(ctx, b32, castTo(ctx, *bz, DataType::kINT32, "_bzp_i32"), ElementWiseOperation::kSUB, "_b_shifted");
    if (!a32 || !b32) return false;
    return pushLayer(ctx, ctx.network().addMatrixMultiply(*a32, MatrixOperation::kNONE, *b32, MatrixOperation::kNONE),
                     outputs);
}

// Inputs: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point.
KILN_ONNX_CONVERTER(convertQLinearMatMul) {
    (void)node;
    (void)inputs;
    ITensor* in[8];
    for (int32_t i = 0; i < 8; ++i)
        if (!(in[i] = ctx.tensor(i))) return false;
    ITensor* a32 = binary(ctx, castTo(ctx, *in[0], DataType::kINT32, "_a_i32"),
                          perRow(ctx, castTo(ctx, *in[2], DataType::kINT32, "_azp_i32"), "_azp_rows"),
                          ElementWiseOperation::kSUB, "_a_shifted");
    ITensor* b32 = binary(ctx, castTo(ctx, *in[3], DataType::kINT32, "_b_i32"),
                          castTo(ctx, *in[5], DataType::kINT32, "_bzp_i32"), ElementWiseOperation::kSUB, "_b_shifted");
    if (!a32 || !b32) return false;
    IMatrixMultiplyLayer* mm =
        ctx.network().addMatrixMultiply(*a32, MatrixOperation::kNONE, *b32, MatrixOperation::kNONE);
    if (!mm) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the integer matrix multiply");
    ctx.nameLayer(mm, "_acc");
    // (a_scale * b_scale) / y_scale in the scales' type, as the reference computes it.
    ITensor* multiplier =
        binary(ctx, binary(ctx, perRow(ctx, in[1], "_ascale_rows"), in[4], ElementWiseOperation::kPROD, "_ab_scale"),
               perRow(ctx, in[6], "_yscale_rows"), ElementWiseOperation::kDIV, "_multiplier");
    return requantize(ctx, mm->getOutput(0), multiplier, perRow(ctx, in[7], "_yzp_rows"), in[7]->getType(), outputs);
}

// conv(x - x_zero_point, w - w_zero_point) as int32; w_zero_point may be per
// output channel ([M]).
KILN_ONNX_CONVERTER(convertConvInteger) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    ITensor* w = x ? ctx.tensor(1) : nullptr;
    if (!w) return false;
    ITensor* xz = optionalInput(ctx, 2);
    ITensor* wz = optionalInput(ctx, 3);
    if ((ctx.hasInput(2) && !xz) || (ctx.hasInput(3) && !wz)) return false;
    ITensor* acc = integerConvolution(ctx, *x, xz, *w, wz, nullptr);
    if (!acc) return false;
    ICastLayer* c = ctx.network().addCast(*acc, DataType::kINT32);
    return pushLayer(ctx, c, outputs);
}

// Inputs: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale,
// y_zero_point, B? (int32). As ONNX's reference: the exact integer
// convolution plus B, times x_scale * w_scale / y_scale (w_scale may be per
// output channel), plus y_zero_point, rounded half to even and saturated.
KILN_ONNX_CONVERTER(convertQLinearConv) {
    (void)node;
    (void)inputs;
    ITensor* in[8];
    for (int32_t i = 0; i < 8; ++i)
        if (!(in[i] = ctx.tensor(i))) return false;
    ITensor* bias = optionalInput(ctx, 8);
    if (ctx.hasInput(8) && !bias) return false;
    ITensor* acc = integerConvolution(ctx, *in[0], in[2], *in[3], in[5], bias);
    if (!acc) return false;
    // Per-channel w_scale [M] scales the channel axis of [N, M, ...].
    const int32_t rank = acc->getDimensions().nbDims;
    ITensor* wScale = in[4];
    if (wScale->getDimensions().nbDims == 1 && wScale->getDimensions().d[0] > 1) {
        std::vector<int64_t> shape(static_cast<size_t>(rank - 1), 1);
        shape[0] = wScale->getDimensions().d[0];
        IShuffleLayer* s = addReshape(ctx, *wScale, toDims(shape), "_wscale_channels");
        if (!s) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected a reshape");
        wScale = s->getOutput(0);
    }
    ITensor* multiplier = binary(ctx, binary(ctx, in[1], wScale, ElementWiseOperation::kPROD, "_xw_scale"), in[6],
                                 ElementWiseOperation::kDIV, "_multiplier");
    return requantize(ctx, acc, multiplier, in[7], in[7]->getType(), outputs);
}

}  // namespace kiln::onnx
