// The reference kernels of channels-last nodes (ir/ops/channels_last.h): the
// permuted inputs are copied to channels-first order, the channels-first
// kernel runs on them, and the outputs are copied back. Plain and slow: the
// layout exists for the CUDA tensor-core tactics; this is its ground truth.
#pragma once
#include <initializer_list>

#include "../kernel.h"

namespace kiln::cpu::ref {

Status runChannelsFirst(KernelArgs& args, std::initializer_list<size_t> permuted, RefFn channelsFirstKernel);

}  // namespace kiln::cpu::ref
