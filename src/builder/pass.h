// A builder pass: a named graph rewrite. Passes are listed in one place
// (pipeline.cpp) and each can be switched off by name.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace kiln::builder {

class Pass {
public:
    virtual ~Pass() = default;
    virtual const char* name() const = 0;
    // Rewrites the graph; sets `changed` when it did anything. The graph is
    // topologically sorted with inferred shapes before and after.
    virtual Status run(ir::Graph& g, bool& changed) = 0;
};

std::unique_ptr<Pass> makeDeadLayerElimination();
std::unique_ptr<Pass> makeConstantFolding();
std::unique_ptr<Pass> makeIdentityRemoval();
std::unique_ptr<Pass> makeScaleFolding();  // batch-norm (Scale) into Convolution / FullyConnected
std::unique_ptr<Pass> makeGeluFusion();    // x·(1+erf(x/√2))·0.5 into Activation gelu_erf
// Convolutions whose kernel is their stride (ViT patches) as Shuffle + FullyConnected;
// not in the pipeline: the CUDA builder runs it for 16-bit engines (build.cpp).
std::unique_ptr<Pass> makePatchEmbedding();

// The one live node reading intermediate value `v` (not a network output),
// or -1; `consumers` is g.consumers(). Fusion passes absorb only such chains.
int soleConsumer(const ir::Graph& g, const std::vector<std::vector<int>>& consumers, int v);

// The pass list for an optimization level.
std::vector<std::unique_ptr<Pass>> passPipeline(int level);
std::vector<std::string> allPassNames();

}  // namespace kiln::builder
