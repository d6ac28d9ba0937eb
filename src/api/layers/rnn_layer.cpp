// IRNNLayer and INetworkDefinition::addRNN: the RNN IR op (ONNX RNN/GRU/LSTM).
#include <cmath>

#include "layer_util.h"

namespace kiln::api {

namespace {

const char* irActivationName(ActivationType t) {
    switch (t) {
        case ActivationType::kRELU:
            return "relu";
        case ActivationType::kTANH:
            return "tanh";
        case ActivationType::kSIGMOID:
            return "sigmoid";
        case ActivationType::kLEAKY_RELU:
            return "leaky_relu";
        case ActivationType::kTHRESHOLDED_RELU:
            return "thresholded_relu";
        case ActivationType::kSCALED_TANH:
            return "scaled_tanh";
        case ActivationType::kHARD_SIGMOID:
            return "hard_sigmoid";
        case ActivationType::kELU:
            return "elu";
        case ActivationType::kSOFTSIGN:
            return "softsign";
        case ActivationType::kSOFTPLUS:
            return "softplus";
        default:
            return nullptr;
    }
}

class RNNLayer final : public LayerBase<IRNNLayer> {
public:
    RNNLayer(NetworkImpl& net, int node, RNNOperation op, int32_t hidden)
        : LayerBase(net, LayerType::kRNN, node, 3), op_(op), hidden_(hidden) {
        const ActivationType f = op == RNNOperation::kRELU   ? ActivationType::kRELU
                                 : op == RNNOperation::kTANH ? ActivationType::kTANH
                                                             : ActivationType::kSIGMOID;
        for (auto& dir : acts_) {
            dir[0] = {f, 0, 0};
            dir[1] = dir[2] = {ActivationType::kTANH, 0, 0};
        }
        const char* cell = op == RNNOperation::kLSTM ? "lstm" : op == RNNOperation::kGRU ? "gru" : "rnn";
        this->node().attrs.set("cell", cell);
        this->node().attrs.set("hidden_size", int64_t(hidden));
    }

    RNNOperation getOperation() const noexcept override { return op_; }
    int32_t getHiddenSize() const noexcept override { return hidden_; }
    void setDirection(RNNDirection d) noexcept override {
        const char* name = d == RNNDirection::kUNIDIRECTION  ? "forward"
                           : d == RNNDirection::kBIDIRECTION ? "bidirectional"
                           : d == RNNDirection::kREVERSE     ? "reverse"
                                                             : nullptr;
        if (!name) return error("setDirection", "invalid direction");
        node().attrs.set("direction", name);
        touch();
    }
    RNNDirection getDirection() const noexcept override {
        const std::string d = node().attrs.getString("direction", "forward");
        return d == "bidirectional" ? RNNDirection::kBIDIRECTION
               : d == "reverse"     ? RNNDirection::kREVERSE
                                    : RNNDirection::kUNIDIRECTION;
    }
    void setBias(ITensor& t) noexcept override { setInput(3, t); }
    void setSequenceLengths(ITensor& t) noexcept override { setInput(4, t); }
    void setHiddenState(ITensor& t) noexcept override { setInput(5, t); }
    void setCellState(ITensor& t) noexcept override {
        if (op_ != RNNOperation::kLSTM) return error("setCellState", "only LSTM has a cell state");
        setInput(6, t);
    }
    void setPeepholes(ITensor& t) noexcept override {
        if (op_ != RNNOperation::kLSTM) return error("setPeepholes", "only LSTM has peepholes");
        setInput(7, t);
    }
    bool setActivation(int32_t direction, int32_t index, ActivationType type, float alpha,
                       float beta) noexcept override {
        if (direction < 0 || direction > 1 || index < 0 || index >= functions()) {
            error("setActivation", "direction must be 0 or 1 and index below " + std::to_string(functions()));
            return false;
        }
        if (!irActivationName(type)) {
            error("setActivation", "activation type not supported in a recurrent cell");
            return false;
        }
        acts_[direction][index] = {type, alpha, beta};
        touch();
        return true;
    }
    ActivationType getActivation(int32_t direction, int32_t index) const noexcept override {
        if (direction < 0 || direction > 1 || index < 0 || index >= functions()) return ActivationType::kTANH;
        return acts_[direction][index].type;
    }
    void setClip(float c) noexcept override {
        if (!(c >= 0.f) || !std::isfinite(c)) return error("setClip", "threshold must be finite and >= 0");
        if (c > 0.f)
            node().attrs.set("clip", c);
        else
            node().attrs.erase("clip");
    }
    float getClip() const noexcept override { return float(node().attrs.getFloat("clip", 0.0)); }
    void setLinearBeforeReset(bool v) noexcept override { node().attrs.set("linear_before_reset", v); }
    bool getLinearBeforeReset() const noexcept override { return node().attrs.getInt("linear_before_reset", 0) != 0; }
    void setInputForget(bool v) noexcept override { node().attrs.set("input_forget", v); }
    bool getInputForget() const noexcept override { return node().attrs.getInt("input_forget", 0) != 0; }
    void setBatchFirst(bool v) noexcept override {
        node().attrs.set("layout", int64_t(v ? 1 : 0));
        touch();
    }
    bool getBatchFirst() const noexcept override { return node().attrs.getInt("layout", 0) == 1; }

    // The IR lists the activations of the directions in use, in one string.
    Status finalize() override {
        const int dirs = getDirection() == RNNDirection::kBIDIRECTION ? 2 : 1;
        std::string names;
        std::vector<double> alphas, betas;
        for (int d = 0; d < dirs; ++d) {
            for (int i = 0; i < functions(); ++i) {
                if (!names.empty()) names += ",";
                names += irActivationName(acts_[d][i].type);
                alphas.push_back(acts_[d][i].alpha);
                betas.push_back(acts_[d][i].beta);
            }
        }
        node().attrs.set("activations", names);
        node().attrs.set("activation_alpha", alphas);
        node().attrs.set("activation_beta", betas);
        return Status::Ok();
    }

private:
    struct Act {
        ActivationType type;
        float alpha, beta;
    };
    int functions() const { return op_ == RNNOperation::kLSTM ? 3 : op_ == RNNOperation::kGRU ? 2 : 1; }
    void error(const char* call, const std::string& what) const {
        logError(net().logger(), std::string("IRNNLayer::") + call + ": layer '" + node().name + "': " + what);
    }

    RNNOperation op_;
    int32_t hidden_;
    Act acts_[2][3];
};

}  // namespace

IRNNLayer* NetworkImpl::addRNN(ITensor& input, RNNOperation op, int32_t hiddenSize, ITensor& weights,
                               ITensor& recurrentWeights) noexcept {
    if (!checkInput(&input, "addRNN", 0) || !checkInput(&weights, "addRNN", 1) ||
        !checkInput(&recurrentWeights, "addRNN", 2))
        return nullptr;
    if (implicitBatch_) {
        logError(logger_, "INetworkDefinition::addRNN: needs an explicit-batch network (createNetworkV2)");
        return nullptr;
    }
    if (hiddenSize <= 0) {
        logError(logger_, "INetworkDefinition::addRNN: hiddenSize must be positive, got " + std::to_string(hiddenSize));
        return nullptr;
    }
    if (op != RNNOperation::kRELU && op != RNNOperation::kTANH && op != RNNOperation::kLSTM &&
        op != RNNOperation::kGRU) {
        logError(logger_, "INetworkDefinition::addRNN: invalid RNNOperation");
        return nullptr;
    }
    const int outputs = op == RNNOperation::kLSTM ? 3 : 2;
    const int n = newNode("RNN", "RNN", {valueOf(input), valueOf(weights), valueOf(recurrentWeights)}, outputs);
    return adopt(std::make_unique<RNNLayer>(*this, n, op, hiddenSize));
}

}  // namespace kiln::api
