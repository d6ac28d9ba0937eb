// Schemas of the NN ops whose parameters live in nn_ops.h.
#include "nn_ops.h"
#include "op_families.h"

namespace kiln::ir {

void registerNNOps(std::vector<OpSchema>& t) {
    using namespace nn;
    t.push_back({"Scatter", 3, 3, 1, 1, &inferScatter});
    t.push_back({"Cumulative", 2, 2, 1, 1, &inferCumulative});
    t.push_back({"OneHot", 3, 3, 1, 1, &inferOneHot});
    t.push_back({"ReverseSequence", 2, 2, 1, 1, &inferReverseSequence});
    t.push_back({"Einsum", 1, -1, 1, 1, &inferEinsum});
    t.push_back({"Det", 1, 1, 1, 1, &inferDet});
}

}  // namespace kiln::ir
