// RNN / GRU / LSTM (opsets 1 to 22) -> IRNNLayer: every attribute (directions,
// activations with their alpha/beta, clip, linear_before_reset, input_forget,
// layout) and the optional inputs and outputs map one to one.
#include <algorithm>
#include <cctype>

#include "ops.h"

namespace kiln::onnx {
namespace {

struct OnnxActivation {
    const char* name;
    ActivationType type;
    int params;         // how many of (alpha, beta) it reads
    float alpha, beta;  // ONNX defaults
};

// The activations ONNX lists for recurrent cells. "Affine" (alpha*x + beta) has
// no kiln activation and is refused with an error.
constexpr OnnxActivation kActivations[] = {
    {"relu", ActivationType::kRELU, 0, 0.f, 0.f},
    {"tanh", ActivationType::kTANH, 0, 0.f, 0.f},
    {"sigmoid", ActivationType::kSIGMOID, 0, 0.f, 0.f},
    {"leakyrelu", ActivationType::kLEAKY_RELU, 1, 0.01f, 0.f},
    {"thresholdedrelu", ActivationType::kTHRESHOLDED_RELU, 1, 1.f, 0.f},
    {"scaledtanh", ActivationType::kSCALED_TANH, 2, 1.f, 1.f},
    {"hardsigmoid", ActivationType::kHARD_SIGMOID, 2, 0.2f, 0.5f},
    {"elu", ActivationType::kELU, 1, 1.f, 0.f},
    {"softsign", ActivationType::kSOFTSIGN, 0, 0.f, 0.f},
    {"softplus", ActivationType::kSOFTPLUS, 0, 0.f, 0.f},
};

std::vector<std::string> attrStrings(const pb::NodeProto& node, const char* name) {
    for (const auto& a : node.attribute())
        if (a.name() == name) return {a.strings().begin(), a.strings().end()};
    return {};
}

bool convertRecurrent(ConverterContext& ctx, RNNOperation op, std::vector<ITensor*>& outputs) {
    const pb::NodeProto& node = ctx.node();
    ITensor* x = ctx.tensor(0);
    ITensor* w = x ? ctx.tensor(1) : nullptr;
    ITensor* r = w ? ctx.tensor(2) : nullptr;
    if (!r) return false;
    const std::string direction = ctx.attrString("direction", "forward");
    RNNDirection dir;
    if (direction == "forward")
        dir = RNNDirection::kUNIDIRECTION;
    else if (direction == "reverse")
        dir = RNNDirection::kREVERSE;
    else if (direction == "bidirectional")
        dir = RNNDirection::kBIDIRECTION;
    else
        return ctx.fail(ErrorCode::kINVALID_VALUE, "unknown direction '" + direction + "'");
    const int32_t dirs = dir == RNNDirection::kBIDIRECTION ? 2 : 1;

    int64_t hidden = ctx.attrInt("hidden_size", -1);
    if (hidden < 0) {
        const Dims rd = r->getDimensions();  // [D, G*H, H]
        if (rd.nbDims != 3 || rd.d[2] < 1)
            return ctx.fail(ErrorCode::kINVALID_NODE, "hidden_size is absent and R's last dim is unknown");
        hidden = rd.d[2];
    }
    if (hidden < 1 || hidden > (int64_t(1) << 24))
        return ctx.fail(ErrorCode::kINVALID_VALUE, "hidden_size must be in [1, 2^24]");

    // Activations: f (RNN); f, g (GRU); f, g, h (LSTM), for each direction.
    // Entries of activation_alpha / _beta go, in order, to the functions that
    // take them; a function past the end of the list keeps its ONNX default.
    const int32_t perDir = op == RNNOperation::kLSTM ? 3 : op == RNNOperation::kGRU ? 2 : 1;
    std::vector<std::string> names = attrStrings(node, "activations");
    if (!names.empty() && static_cast<int32_t>(names.size()) == perDir && dirs == 2)
        names.insert(names.end(), names.begin(), names.end());  // one list for both directions
    if (!names.empty() && static_cast<int32_t>(names.size()) != perDir * dirs)
        return ctx.fail(ErrorCode::kINVALID_NODE, "activations lists " + std::to_string(names.size()) +
                                                      " functions, expected " + std::to_string(perDir * dirs));
    const std::vector<float> alphas = ctx.attrFloats("activation_alpha"), betas = ctx.attrFloats("activation_beta");
    size_t nextAlpha = 0, nextBeta = 0;
    struct Chosen {
        ActivationType type;
        float alpha, beta;
    };
    std::vector<Chosen> chosen;
    for (const std::string& raw : names) {
        std::string key;
        for (char c : raw) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const OnnxActivation* a = nullptr;
        for (const auto& k : kActivations)
            if (key == k.name) a = &k;
        if (!a) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "activation '" + raw + "' is not supported");
        Chosen c{a->type, a->alpha, a->beta};
        if (a->params >= 1 && nextAlpha < alphas.size()) c.alpha = alphas[nextAlpha++];
        if (a->params >= 2 && nextBeta < betas.size()) c.beta = betas[nextBeta++];
        chosen.push_back(c);
    }

    const int64_t layout = ctx.attrInt("layout", 0);
    if (layout != 0 && layout != 1) return ctx.fail(ErrorCode::kINVALID_VALUE, "layout must be 0 or 1");
    IRNNLayer* layer = ctx.network().addRNN(*x, op, static_cast<int32_t>(hidden), *w, *r);
    if (!layer) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the recurrent layer");
    layer->setDirection(dir);
    layer->setBatchFirst(layout == 1);
    for (size_t i = 0; i < chosen.size(); ++i)
        if (!layer->setActivation(static_cast<int32_t>(i) / perDir, static_cast<int32_t>(i) % perDir, chosen[i].type,
                                  chosen[i].alpha, chosen[i].beta))
            return ctx.fail(ErrorCode::kINVALID_NODE, "the recurrent layer rejected activation " + names[i]);
    if (ctx.hasAttr("clip")) {
        const float clip = ctx.attrFloat("clip", 0.f);
        if (!(clip > 0.f)) return ctx.fail(ErrorCode::kINVALID_VALUE, "clip must be > 0");
        layer->setClip(clip);
    }
    if (op == RNNOperation::kGRU) layer->setLinearBeforeReset(ctx.attrInt("linear_before_reset", 0) != 0);
    if (op == RNNOperation::kLSTM) layer->setInputForget(ctx.attrInt("input_forget", 0) != 0);

    // Optional inputs: B, sequence_lens, initial_h, initial_c, P.
    for (int32_t i = 3; i < ctx.nbInputs() && i < 8; ++i) {
        if (!ctx.hasInput(i)) continue;
        if (i >= 6 && op != RNNOperation::kLSTM)
            return ctx.fail(ErrorCode::kINVALID_NODE, "input " + std::to_string(i) + " exists only for LSTM");
        ITensor* t = ctx.tensor(i);
        if (!t) return false;
        switch (i) {
            case 3:
                layer->setBias(*t);
                break;
            case 4:
                layer->setSequenceLengths(*t);
                break;
            case 5:
                layer->setHiddenState(*t);
                break;
            case 6:
                layer->setCellState(*t);
                break;
            default:
                layer->setPeepholes(*t);
                break;
        }
    }
    ctx.nameLayer(layer);
    const int32_t produced = op == RNNOperation::kLSTM ? 3 : 2;
    if (node.output_size() > produced)
        return ctx.fail(ErrorCode::kINVALID_NODE, "has " + std::to_string(node.output_size()) + " outputs, at most " +
                                                      std::to_string(produced) + " exist");
    for (int32_t o = 0; o < node.output_size(); ++o) outputs.push_back(layer->getOutput(o));
    return true;
}

}  // namespace

KILN_ONNX_CONVERTER(convertRNN) {
    (void)node;
    (void)inputs;
    // A plain RNN's activation defaults to tanh; setActivation overrides it.
    return convertRecurrent(ctx, RNNOperation::kTANH, outputs);
}

KILN_ONNX_CONVERTER(convertGRU) {
    (void)node;
    (void)inputs;
    return convertRecurrent(ctx, RNNOperation::kGRU, outputs);
}

KILN_ONNX_CONVERTER(convertLSTM) {
    (void)node;
    (void)inputs;
    return convertRecurrent(ctx, RNNOperation::kLSTM, outputs);
}

}  // namespace kiln::onnx
