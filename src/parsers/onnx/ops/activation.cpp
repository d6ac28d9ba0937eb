// Activations -> IActivationLayer; Clip -> kCLIP or max/min; PRelu.
#include <cfloat>
#include <limits>

#include "layer_chain.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertActivation) {
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const std::string& op = node.op_type();
    ActivationType type;
    float alpha = 0.f, beta = 0.f;
    if (op == "Relu") type = ActivationType::kRELU;
    else if (op == "Sigmoid") type = ActivationType::kSIGMOID;
    else if (op == "Tanh") type = ActivationType::kTANH;
    else if (op == "LeakyRelu") { type = ActivationType::kLEAKY_RELU; alpha = ctx.attrFloat("alpha", 0.01f); }
    else if (op == "Elu") { type = ActivationType::kELU; alpha = ctx.attrFloat("alpha", 1.0f); }
    else if (op == "Selu") {
        // kiln: beta * (x > 0 ? x : alpha * (e^x - 1)); ONNX calls beta "gamma".
        type = ActivationType::kSELU;
        alpha = ctx.attrFloat("alpha", 1.67326319217681884765625f);
        beta = ctx.attrFloat("gamma", 1.05070102214813232421875f);
    }
    else if (op == "Softplus") type = ActivationType::kSOFTPLUS;
    else if (op == "Softsign") type = ActivationType::kSOFTSIGN;
    else if (op == "HardSigmoid") {
        type = ActivationType::kHARD_SIGMOID;
        alpha = ctx.attrFloat("alpha", 0.2f);
        beta = ctx.attrFloat("beta", 0.5f);
    }
    else if (op == "ThresholdedRelu") { type = ActivationType::kTHRESHOLDED_RELU; alpha = ctx.attrFloat("alpha", 1.0f); }
    else if (op == "Gelu") {
        const std::string approx = ctx.attrString("approximate", "none");
        if (approx != "none" && approx != "tanh") return ctx.fail(ErrorCode::kINVALID_VALUE, "unknown approximate '" + approx + "'");
        type = approx == "tanh" ? ActivationType::kGELU_TANH : ActivationType::kGELU_ERF;
    }
    else if (op == "Swish") {
        // x * sigmoid(alpha * x); kiln's SiLU is the alpha = 1 case.
        const float swishAlpha = ctx.attrFloat("alpha", 1.f);
        if (swishAlpha != 1.f) {
            LayerChain chain(ctx);
            ITensor* y = addSwish(chain, x, swishAlpha);
            if (!y) return false;
            outputs.push_back(y);
            return true;
        }
        type = ActivationType::kSILU;
    }
    else if (op == "HardSwish") {
        // x * hard_sigmoid(x) with alpha 1/6, beta 0.5.
        IActivationLayer* hs = ctx.network().addActivation(*x, ActivationType::kHARD_SIGMOID);
        if (!hs) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the hard sigmoid");
        hs->setAlpha(1.f / 6.f);
        hs->setBeta(0.5f);
        ctx.nameLayer(hs, "_hardsigmoid");
        return pushLayer(ctx, ctx.network().addElementWise(*x, *hs->getOutput(0), ElementWiseOperation::kPROD), outputs);
    }
    else return ctx.fail(ErrorCode::kINTERNAL_ERROR, "activation converter called for " + op);
    IActivationLayer* layer = ctx.network().addActivation(*x, type);
    if (layer) {
        layer->setAlpha(alpha);
        layer->setBeta(beta);
    }
    return pushLayer(ctx, layer, outputs);
}

KILN_ONNX_CONVERTER(convertClip) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
    if (ctx.opset() < 11) {
        lo = ctx.attrFloat("min", lo);
        hi = ctx.attrFloat("max", hi);
    } else {
        // min/max are optional inputs; constant ones fold into the activation,
        // tensor ones become element-wise max/min.
        ITensor* acc = x;
        for (int i = 1; i <= 2; ++i) {
            if (!ctx.hasInput(i)) continue;
            if (const Constant* c = ctx.constant(i)) {
                const auto v = c->toFloats();
                if (v.size() != 1) return ctx.fail(ErrorCode::kINVALID_NODE, "min/max must be scalars");
                (i == 1 ? lo : hi) = v[0];
                continue;
            }
            ITensor* bound = ctx.tensor(i);
            if (!bound) return false;
            auto* l = ctx.network().addElementWise(*acc, *bound, i == 1 ? ElementWiseOperation::kMAX : ElementWiseOperation::kMIN);
            if (!l) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected a clip bound");
            ctx.nameLayer(l, i == 1 ? "_min" : "_max");
            acc = l->getOutput(0);
        }
        x = acc;
    }
    // +-inf bounds are passed as the float range so the activation stays finite-parameterized.
    IActivationLayer* layer = ctx.network().addActivation(*x, ActivationType::kCLIP);
    if (layer) {
        layer->setAlpha(std::max(lo, -FLT_MAX));
        layer->setBeta(std::min(hi, FLT_MAX));
    }
    return pushLayer(ctx, layer, outputs);
}

KILN_ONNX_CONVERTER(convertPRelu) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    ITensor* slope = x ? ctx.tensor(1) : nullptr;
    if (!slope) return false;
    // A 1-D per-channel slope [C] (old exporters) aligns with axis 1, not with
    // the last axis as numpy broadcasting would: reshape it to [C, 1, ...].
    const Dims xd = x->getDimensions(), sd = slope->getDimensions();
    if (sd.nbDims == 1 && xd.nbDims >= 3 && sd.d[0] > 1 && sd.d[0] == xd.d[1] && xd.d[xd.nbDims - 1] != sd.d[0]) {
        Dims perChannel;
        perChannel.nbDims = xd.nbDims - 1;
        perChannel.d[0] = sd.d[0];
        for (int i = 1; i < perChannel.nbDims; ++i) perChannel.d[i] = 1;
        IShuffleLayer* r = addReshape(ctx, *slope, perChannel, "_slope");
        if (!r) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the slope reshape");
        slope = r->getOutput(0);
    }
    return pushLayer(ctx, ctx.network().addParametricReLU(*x, *slope), outputs);
}

}  // namespace kiln::onnx
