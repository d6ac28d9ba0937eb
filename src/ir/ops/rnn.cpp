// RNN: the ONNX recurrent cells (RNN, GRU, LSTM) over a whole sequence, one or
// both directions; docs/ops.md.
#include <sstream>
#include <string>

#include "op_families.h"
#include "rnn.h"

namespace kiln::ir {

namespace {

bool isFloatType(DType t) { return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16; }

// Checks that input i has `want` (entries of -1 in either shape are not compared).
Status checkShape(const std::vector<TensorDesc>& in, size_t i, const char* name, const Shape& want) {
    const Shape& s = in[i].shape;
    bool ok = s.size() == want.size();
    for (size_t d = 0; ok && d < s.size(); ++d) ok = s[d] < 0 || want[d] < 0 || s[d] == want[d];
    if (!ok)
        return Status::Error("input " + std::to_string(i) + " (" + name + ") must be " + shapeToString(want) +
                             ", got " + shapeToString(s));
    return Status::Ok();
}

int64_t known(int64_t a, int64_t b) { return a >= 0 ? a : b; }

Status inferRNN(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    RNNParams p;
    KILN_RETURN_IF_ERROR(resolveRNN(node, p));
    for (size_t i : {size_t(0), size_t(1), size_t(2)})
        if (!hasInput(node, in, i)) return Status::Error("inputs X, W and R are required");
    const TensorDesc& x = in[0];
    if (x.shape.size() != 3)
        return Status::Error("X must be rank 3 (" +
                             std::string(p.batchFirst ? "[batch, seq, input]" : "[seq, batch, input]") + "), got " +
                             shapeToString(x.shape));
    if (!isFloatType(x.dtype))
        return Status::Error("unsupported dtype " + std::string(dtypeName(x.dtype)) + " (float types only)");
    const int64_t T = p.batchFirst ? x.shape[1] : x.shape[0];
    int64_t B = p.batchFirst ? x.shape[0] : x.shape[1];
    const int64_t I = x.shape[2], H = p.hiddenSize, D = p.numDirections, G = p.numGates;
    KILN_RETURN_IF_ERROR(checkShape(in, 1, "W", {D, G * H, I}));
    KILN_RETURN_IF_ERROR(checkShape(in, 2, "R", {D, G * H, H}));
    if (hasInput(node, in, 3)) KILN_RETURN_IF_ERROR(checkShape(in, 3, "B", {D, 2 * G * H}));
    if (hasInput(node, in, 4)) {
        if (in[4].dtype != DType::kI32 && in[4].dtype != DType::kI64)
            return Status::Error("input 4 (sequence_lens) must be int32 or int64, got " +
                                 std::string(dtypeName(in[4].dtype)));
        KILN_RETURN_IF_ERROR(checkShape(in, 4, "sequence_lens", {B}));
        if (in[4].shape.size() == 1) B = known(B, in[4].shape[0]);
    }
    const Shape stateShape = p.batchFirst ? Shape{B, D, H} : Shape{D, B, H};
    if (hasInput(node, in, 5)) KILN_RETURN_IF_ERROR(checkShape(in, 5, "initial_h", stateShape));
    if (hasInput(node, in, 6)) {
        if (p.cell != RNNCell::kLSTM) return Status::Error("initial_c exists only for lstm");
        KILN_RETURN_IF_ERROR(checkShape(in, 6, "initial_c", stateShape));
    }
    if (hasInput(node, in, 7)) {
        if (p.cell != RNNCell::kLSTM) return Status::Error("peepholes exist only for lstm");
        KILN_RETURN_IF_ERROR(checkShape(in, 7, "P", {D, 3 * H}));
    }
    for (size_t i = 1; i < in.size() && i < 8; ++i)
        if (i != 4 && hasInput(node, in, i) && in[i].dtype != x.dtype)
            return Status::Error("input " + std::to_string(i) + " has dtype " + std::string(dtypeName(in[i].dtype)) +
                                 ", X has " + std::string(dtypeName(x.dtype)));
    if (out.size() > 2 && p.cell != RNNCell::kLSTM) return Status::Error("only lstm has a third output (Y_c)");
    out[0] = {x.dtype, p.batchFirst ? Shape{B, T, D, H} : Shape{T, D, B, H}, nullptr};
    for (size_t o = 1; o < out.size(); ++o) out[o] = {x.dtype, stateShape, nullptr};
    return Status::Ok();
}

bool activationKnown(const std::string& a) {
    for (const char* k : {"relu", "tanh", "sigmoid", "leaky_relu", "thresholded_relu", "scaled_tanh", "hard_sigmoid",
                          "elu", "softsign", "softplus"})
        if (a == k) return true;
    return false;
}

}  // namespace

Status resolveRNN(const Node& node, RNNParams& p) {
    const Attrs& a = node.attrs;
    const std::string cell = a.getString("cell", "");
    if (cell == "rnn")
        p.cell = RNNCell::kRNN, p.numGates = 1;
    else if (cell == "gru")
        p.cell = RNNCell::kGRU, p.numGates = 3;
    else if (cell == "lstm")
        p.cell = RNNCell::kLSTM, p.numGates = 4;
    else
        return Status::Error("unknown cell '" + cell + "' (expected rnn, gru or lstm)");
    const std::string dir = a.getString("direction", "forward");
    if (dir == "forward")
        p.direction = RNNDir::kForward, p.numDirections = 1;
    else if (dir == "reverse")
        p.direction = RNNDir::kReverse, p.numDirections = 1;
    else if (dir == "bidirectional")
        p.direction = RNNDir::kBidirectional, p.numDirections = 2;
    else
        return Status::Error("unknown direction '" + dir + "' (expected forward, reverse or bidirectional)");
    p.hiddenSize = a.getInt("hidden_size", 0);
    if (p.hiddenSize < 1 || p.hiddenSize > (int64_t(1) << 24))
        return Status::Error("hidden_size must be in [1, 2^24], got " + std::to_string(p.hiddenSize));
    const int64_t layout = a.getInt("layout", 0);
    if (layout != 0 && layout != 1) return Status::Error("layout must be 0 or 1, got " + std::to_string(layout));
    p.batchFirst = layout == 1;
    p.linearBeforeReset = a.getInt("linear_before_reset", 0) != 0;
    p.inputForget = a.getInt("input_forget", 0) != 0;
    p.clip = a.getFloat("clip", 0.0);
    if (a.has("clip") && !(p.clip > 0.0)) return Status::Error("clip must be > 0, got " + std::to_string(p.clip));

    // One activation per function of the cell (f; f, g; f, g, h) and direction.
    const size_t perDir = p.cell == RNNCell::kRNN ? 1 : p.cell == RNNCell::kGRU ? 2 : 3;
    const size_t want = perDir * size_t(p.numDirections);
    p.activations.clear();
    std::stringstream ss(a.getString("activations", ""));
    for (std::string item; std::getline(ss, item, ',');) p.activations.push_back(item);
    if (p.activations.empty()) {
        const char* dflt[3] = {p.cell == RNNCell::kRNN ? "tanh" : "sigmoid", "tanh", "tanh"};
        for (size_t i = 0; i < want; ++i) p.activations.push_back(dflt[i % perDir]);
    }
    if (p.activations.size() != want)
        return Status::Error("activations lists " + std::to_string(p.activations.size()) + " functions, expected " +
                             std::to_string(want) + " (" + std::to_string(perDir) + " per direction)");
    for (const auto& act : p.activations)
        if (!activationKnown(act)) return Status::Error("unknown activation '" + act + "'");
    p.alpha = a.getFloats("activation_alpha", std::vector<double>(want, 0.0));
    p.beta = a.getFloats("activation_beta", std::vector<double>(want, 0.0));
    if (p.alpha.size() != want || p.beta.size() != want)
        return Status::Error("activation_alpha and activation_beta need one entry per activation (" +
                             std::to_string(want) + ")");
    if (p.inputForget && p.cell != RNNCell::kLSTM) return Status::Error("input_forget exists only for lstm");
    if (p.linearBeforeReset && p.cell != RNNCell::kGRU) return Status::Error("linear_before_reset exists only for gru");
    return Status::Ok();
}

void registerRNNOp(std::vector<OpSchema>& t) { t.push_back({"RNN", 3, 8, 2, 3, &inferRNN}); }

}  // namespace kiln::ir
