// Channels-last storage of Convolution, FusedConvolution and Pooling
// (attribute channels_last = 1, docs/ops.md): X, Y (and Z) are [N, S1..Sk, C]
// instead of [N, C, S1..Sk], and a convolution's W is [M, K1..Kk, C/group].
// Only the CUDA builder sets it (tensor-core convolutions want NHWC); the
// geometry stays that of the channels-first op, so inference permutes around it.
#pragma once
#include "../op_schema.h"

namespace kiln::ir {

bool isChannelsLast(const Node& node);
// [N, C, S..] -> [N, S.., C] and back; shapes of rank < 3 are returned as they are.
Shape channelsLastShape(const Shape& channelsFirst);
Shape channelsFirstShape(const Shape& channelsLast);

// Runs `infer` on the channels-first view of inputs `permuted` (by index) and
// returns the outputs in channels-last order; errors for ranks below 3.
Status inferChannelsLast(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out,
                         std::initializer_list<size_t> permuted,
                         Status (*infer)(const Node&, const std::vector<TensorDesc>&, std::vector<TensorDesc>&));

}  // namespace kiln::ir
