#include "pass.h"

namespace kiln::builder {

int soleConsumer(const ir::Graph& g, const std::vector<std::vector<int>>& consumers, int v) {
    if (v < 0 || g.isGraphOutput(v) || consumers[size_t(v)].size() != 1) return -1;
    const int c = consumers[size_t(v)][0];
    return g.nodes[size_t(c)].dead ? -1 : c;
}

std::vector<std::unique_ptr<Pass>> passPipeline(int level) {
    std::vector<std::unique_ptr<Pass>> p;
    p.push_back(makeDeadLayerElimination());
    if (level <= 0) return p;
    p.push_back(makeIdentityRemoval());
    p.push_back(makeConstantFolding());
    p.push_back(makeScaleFolding());
    p.push_back(makeGeluFusion());
    p.push_back(makeDeadLayerElimination());  // folding leaves unused producers behind
    return p;
}

std::vector<std::string> allPassNames() {
    std::vector<std::string> names;
    for (const auto& p : passPipeline(99)) {
        bool seen = false;
        for (const auto& n : names) seen |= n == p->name();
        if (!seen) names.push_back(p->name());
    }
    // The CUDA builder's own steps (build.cpp), switchable by the same names.
    names.push_back("patch-embedding");
    names.push_back("cuda-conv-fusion");
    names.push_back("cuda-matmul-bias");
    names.push_back("cuda-attention-fusion");
    names.push_back("cuda-attention-layout");
    names.push_back("cuda-row-shuffle-motion");
    names.push_back("cuda-fc-epilogue");
    names.push_back("cuda-channels-last");
    names.push_back("cuda-conv-clip-fusion");
    names.push_back("cuda-conv-input-clip-fusion");
    return names;
}

}  // namespace kiln::builder
