// The RNN op's attributes, resolved once for shape inference and the kernels.
#pragma once
#include <string>
#include <vector>

#include "../op_schema.h"

namespace kiln::ir {

enum class RNNCell { kRNN, kGRU, kLSTM };
enum class RNNDir { kForward, kReverse, kBidirectional };

struct RNNParams {
    RNNCell cell = RNNCell::kRNN;
    RNNDir direction = RNNDir::kForward;
    int64_t numGates = 1, numDirections = 1, hiddenSize = 0;
    bool batchFirst = false, linearBeforeReset = false, inputForget = false;
    double clip = 0.0;  // 0: no clipping
    // Per direction, in order: f (rnn); f, g (gru); f, g, h (lstm).
    std::vector<std::string> activations;
    std::vector<double> alpha, beta;
};

Status resolveRNN(const Node& node, RNNParams& p);

}  // namespace kiln::ir
