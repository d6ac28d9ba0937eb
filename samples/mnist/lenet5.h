// LeNet-5 defined through kiln's network API, with weights from a .wts file.
// Shared by samples/mnist/sample_mnist.cpp and `kiln build --sample mnist`.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "kiln/kiln.h"

namespace kiln::samples {

using WeightMap = std::map<std::string, std::vector<float>>;

// Reads a TensorRT-style .wts text file: the first line holds the number of
// entries; each entry is "<name> <type> <count> <hex>..." with type 0 = float32
// and each value the hex of its IEEE bits. Returns false with `error` set
// (naming the file and entry) on any malformed input.
bool loadWeights(const std::string& path, WeightMap& out, std::string& error);

// Adds LeNet-5 to `network`: input "data" (1x28x28 per image; in an
// implicit-batch network the batch is implicit, otherwise [N,1,28,28] with
// N = -1 allowed) -> conv1(6@5x5, pad 2) -> batch-norm (Scale) -> ReLU -> max
// pool 2 -> conv2(16@5x5) -> batch-norm (Scale) -> ReLU -> max pool 2 ->
// FC 120 -> ReLU -> FC 84 -> ReLU -> FC 10 -> softmax, marked as output
// "prob". Returns false with `error` naming the missing or mis-sized weight.
bool defineLeNet5(INetworkDefinition& network, const WeightMap& weights, std::string& error);

// Names of the tensors.
constexpr const char* kLeNetInput = "data";
constexpr const char* kLeNetOutput = "prob";

}  // namespace kiln::samples
